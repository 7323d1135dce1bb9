//! Redis settings, the shared pool, and dedicated connections for blocking commands.
//!
//! Every operation has a bound: connecting, waiting for a pooled connection, and each response.
//! A stopped Redis then costs a request about a second, not forever.

use std::time::Duration;

use deadpool_redis::{Manager, Pool, Runtime};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, IntoConnectionInfo, RedisResult};

use crate::config::{ConfigError, Env};

/// How long opening a TCP connection to Redis may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// How long any non-blocking command may take to answer.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_millis(1000);

/// The whole Redis exchange of one HTTP request must fit in this, so a stalled Redis gives the
/// visitor an answer well within two seconds, whatever the pool is doing.
pub const REQUEST_DEADLINE: Duration = Duration::from_millis(1500);

/// Why Redis could not serve a request: to a visitor, always "unavailable right now".
#[derive(Debug, thiserror::Error)]
pub enum RedisUnavailable {
    #[error("no Redis connection: {0}")]
    Pool(#[from] deadpool_redis::PoolError),
    #[error("Redis command failed: {0}")]
    Command(#[from] redis::RedisError),
    #[error("Redis did not answer within {REQUEST_DEADLINE:?}")]
    Timeout,
}

/// Runs `work` on a pooled connection, getting the connection included, within
/// [`REQUEST_DEADLINE`].
pub async fn with_connection<T, F, Fut>(pool: &Pool, work: F) -> Result<T, RedisUnavailable>
where
    F: FnOnce(deadpool_redis::Connection) -> Fut,
    Fut: Future<Output = RedisResult<T>>,
{
    tokio::time::timeout(REQUEST_DEADLINE, async {
        let conn = pool.get().await?;
        Ok(work(conn).await?)
    })
    .await
    .map_err(|_| RedisUnavailable::Timeout)?
}

/// A readiness check: Redis answers PING.
pub async fn ping(pool: &Pool) -> Result<(), RedisUnavailable> {
    with_connection(pool, |mut conn| async move {
        redis::cmd("PING").query_async(&mut conn).await
    })
    .await
}

/// Where Redis is: `REDIS_URL`, or else `REDIS_HOST` and `REDIS_PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisSettings {
    url: String,
}

impl RedisSettings {
    /// `REDIS_URL` (e.g. `redis://:secret@cache:6379/2`) wins over `REDIS_HOST` (default
    /// `default_host`) and `REDIS_PORT` (default 6379), the variables of the Flask image.
    pub fn from_env(env: &Env, default_host: &str) -> Result<Self, ConfigError> {
        if let Some(url) = env.get("REDIS_URL") {
            return Self::from_url(url).map_err(|problem| {
                ConfigError::new("REDIS_URL", &redact(url), problem.to_string())
            });
        }
        let host = env.string_or("REDIS_HOST", default_host);
        let port = env.port_or("REDIS_PORT", 6379)?;
        if host.contains(['/', '@', ' ']) {
            return Err(ConfigError::new(
                "REDIS_HOST",
                &host,
                "is not a host name (set REDIS_URL for a full URL)",
            ));
        }
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        Self::from_url(&format!("redis://{host}:{port}/")).map_err(|problem| {
            ConfigError::new(
                "REDIS_HOST",
                &host,
                format_args!("is not usable: {problem}"),
            )
        })
    }

    pub fn from_url(url: &str) -> Result<Self, String> {
        let info = url
            .into_connection_info()
            .map_err(|e| format!("is not a Redis URL ({e})"))?;
        if !matches!(info.addr(), redis::ConnectionAddr::Tcp(..)) {
            return Err("must be a redis:// URL over TCP".to_owned());
        }
        Ok(Self {
            url: url.to_owned(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// `host:port/db`, safe to log: no password.
    pub fn display_addr(&self) -> String {
        match self.url.as_str().into_connection_info() {
            Ok(info) => format!("{}/{}", info.addr(), info.redis_settings().db()),
            Err(_) => redact(&self.url),
        }
    }

    fn connection_config(response_timeout: Duration) -> AsyncConnectionConfig {
        AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(response_timeout))
    }

    /// The shared pool for short commands. Waiting for a free connection, creating one and
    /// checking a recycled one are all bounded.
    pub fn pool(&self, max_size: usize) -> Result<Pool, String> {
        let manager =
            Manager::new_with_config(self.url.as_str(), Self::connection_config(RESPONSE_TIMEOUT))
                .map_err(|e| e.to_string())?;
        Pool::builder(manager)
            .max_size(max_size)
            .wait_timeout(Some(Duration::from_millis(1000)))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(Duration::from_millis(500)))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| e.to_string())
    }

    /// A connection of its own for a blocking command (BLMOVE, BLPOP...): its response timeout
    /// must outlast the block, which the pool's short timeout would cut off.
    pub async fn dedicated_connection(
        &self,
        longest_block: Duration,
    ) -> RedisResult<MultiplexedConnection> {
        let client = Client::open(self.url.as_str())?;
        client
            .get_multiplexed_async_connection_with_config(&Self::connection_config(
                longest_block + RESPONSE_TIMEOUT,
            ))
            .await
    }
}

/// Hides the password of a URL for logs and errors.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port_build_the_url() {
        let env = Env::from_pairs([("REDIS_HOST", "db"), ("REDIS_PORT", "6380")]);
        let s = RedisSettings::from_env(&env, "localhost").unwrap();
        assert_eq!(s.url(), "redis://db:6380/");
    }

    #[test]
    fn defaults_to_the_given_host_and_6379() {
        let s = RedisSettings::from_env(&Env::default(), "redis").unwrap();
        assert_eq!(s.url(), "redis://redis:6379/");
    }

    #[test]
    fn url_wins_and_is_never_logged_with_its_password() {
        let env = Env::from_pairs([
            ("REDIS_URL", "redis://:hunter2@cache:6390/3"),
            ("REDIS_HOST", "ignored"),
        ]);
        let s = RedisSettings::from_env(&env, "localhost").unwrap();
        assert_eq!(s.url(), "redis://:hunter2@cache:6390/3");
        assert_eq!(s.display_addr(), "cache:6390/3");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let bad_url = Env::from_pairs([("REDIS_URL", "http://:pw@x")]);
        let line = RedisSettings::from_env(&bad_url, "h")
            .unwrap_err()
            .to_string();
        assert!(line.starts_with("REDIS_URL="), "{line}");
        assert!(!line.contains("pw"), "password leaked: {line}");

        let bad_port = Env::from_pairs([("REDIS_PORT", "redis")]);
        let line = RedisSettings::from_env(&bad_port, "h")
            .unwrap_err()
            .to_string();
        assert!(line.starts_with("REDIS_PORT="), "{line}");
    }
}
