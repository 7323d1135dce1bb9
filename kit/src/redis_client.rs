//! Redis settings, the shared connection, and dedicated connections for blocking commands.
//!
//! Every operation has a bound: connecting, each response, and a request's whole exchange. A
//! stopped Redis then costs a request about a second, not forever.
//!
//! Requests share one multiplexed [`ConnectionManager`], not a pool: concurrent commands are
//! pipelined on it, and it reconnects by itself. A pool (deadpool-redis) checks every connection
//! it hands out with a PING, which doubled the round trips of each request.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::{AsyncConnectionConfig, Client, IntoConnectionInfo, RedisResult};
use tokio::time::Instant;

use crate::breaker::BreakerOpen;
use crate::config::{ConfigError, Env};

/// How long opening a TCP connection to Redis may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(1000);
/// How long any non-blocking command may take to answer.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_millis(1000);

/// The whole Redis exchange of one HTTP request must fit in this, so a stalled Redis gives the
/// visitor an answer well within two seconds, whatever the connection is doing.
pub const REQUEST_DEADLINE: Duration = Duration::from_millis(1500);

/// Why Redis could not serve a request: to a visitor, always "unavailable right now".
#[derive(Debug, thiserror::Error)]
pub enum RedisUnavailable {
    #[error("Redis command failed: {0}")]
    Command(#[from] redis::RedisError),
    #[error("Redis did not answer within the request's {REQUEST_DEADLINE:?}")]
    Timeout,
    /// Nothing was sent: the calls before failed ([`crate::breaker`]).
    #[error(transparent)]
    NotTried(#[from] BreakerOpen),
}

/// When the Redis exchange of a request that starts now must be over.
pub fn request_deadline() -> Instant {
    Instant::now() + REQUEST_DEADLINE
}

/// Runs `work` on the shared connection by `deadline`: [`request_deadline`], or an earlier
/// request's, for work done on its behalf.
///
/// The connection manager learns that Redis restarted only when a command fails on the old
/// socket; it then reconnects. So a command that failed because the connection was dropped or
/// refused (it never ran on the server that is there now) is tried once more, and the first
/// request after Redis comes back works. A timeout is never retried: the command may have run.
pub async fn with_connection_until<T, F, Fut>(
    deadline: Instant,
    shared: &ConnectionManager,
    work: F,
) -> Result<T, RedisUnavailable>
where
    F: Fn(ConnectionManager) -> Fut,
    Fut: Future<Output = RedisResult<T>>,
{
    let attempts = async {
        match work(shared.clone()).await {
            Err(e) if e.is_connection_dropped() || e.is_connection_refusal() => {
                work(shared.clone()).await
            }
            done => done,
        }
    };
    tokio::time::timeout_at(deadline, attempts)
        .await
        .map_err(|_| RedisUnavailable::Timeout)?
        .map_err(RedisUnavailable::from)
}

/// A readiness check: Redis answers PING.
pub async fn ping(shared: &ConnectionManager) -> Result<(), RedisUnavailable> {
    with_connection_until(request_deadline(), shared, |mut conn| async move {
        redis::cmd("PING").query_async(&mut conn).await
    })
    .await
}

/// Why a URL cannot address Redis. Its text never holds the URL, which may hold a password.
#[derive(Debug, thiserror::Error)]
pub enum RedisUrlError {
    #[error("is not a Redis URL ({0})")]
    Malformed(redis::RedisError),
    #[error("must be a redis:// URL over TCP")]
    NotTcp,
}

/// Where Redis is: `REDIS_URL`, or else `REDIS_HOST` and `REDIS_PORT`.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisSettings {
    url: String,
}

/// The URL may hold a password: debug output shows it redacted.
impl std::fmt::Debug for RedisSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSettings")
            .field("url", &redact(&self.url))
            .finish()
    }
}

impl RedisSettings {
    /// `REDIS_URL` (e.g. `redis://:secret@cache:6379/2`, or from the file `REDIS_URL_FILE`
    /// names) wins over `REDIS_HOST` (default
    /// `default_host`) and `REDIS_PORT` (default 6379), the variables of the Flask image.
    pub fn from_env(env: &Env, default_host: &str) -> Result<Self, ConfigError> {
        if let Some(url) = env.secret("REDIS_URL")? {
            return Self::from_url(&url.value)
                .map_err(|problem| url.error("REDIS_URL", &redact(&url.value), problem));
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

    pub fn from_url(url: &str) -> Result<Self, RedisUrlError> {
        let info = url
            .into_connection_info()
            .map_err(RedisUrlError::Malformed)?;
        if !matches!(info.addr(), redis::ConnectionAddr::Tcp(..)) {
            return Err(RedisUrlError::NotTcp);
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

    /// The connection every request shares. It connects on first use, so a service starts
    /// while Redis is still down, and reconnects (two tries, a few hundred ms apart) after a
    /// failure; each request stays bounded by [`REQUEST_DEADLINE`] meanwhile.
    pub fn shared_connection(&self) -> RedisResult<ConnectionManager> {
        let client = Client::open(self.url.as_str())?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(400));
        ConnectionManager::new_lazy_with_config(client, config)
    }

    /// A connection of its own for a blocking command (BLMOVE, BLPOP...): its response timeout
    /// must outlast the block, which the shared connection's short timeout would cut off.
    pub async fn dedicated_connection(
        &self,
        longest_block: Duration,
    ) -> RedisResult<MultiplexedConnection> {
        self.own_connection(CONNECT_TIMEOUT, longest_block + RESPONSE_TIMEOUT)
            .await
    }

    /// A connection of its own whose connecting and every answer may each take `patience`: for
    /// tools and tests on a busy machine, where a slow answer is not a wrong one.
    pub async fn patient_connection(
        &self,
        patience: Duration,
    ) -> RedisResult<MultiplexedConnection> {
        self.own_connection(patience, patience).await
    }

    async fn own_connection(
        &self,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> RedisResult<MultiplexedConnection> {
        let client = Client::open(self.url.as_str())?;
        client
            .get_multiplexed_async_connection_with_config(
                &AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(connect_timeout))
                    .set_response_timeout(Some(response_timeout)),
            )
            .await
    }
}

/// A URL with whatever may hold a secret hidden, for logs and errors: the user information
/// (`redis://user:password@host`) and the query (`unix:///run/redis.sock?password=...`).
fn redact(url: &str) -> String {
    let (url, query) = match url.split_once('?') {
        Some((base, _)) => (base, "?***"),
        None => (url, ""),
    };
    let shown = match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://***@{host}"),
            None => format!("{scheme}://{rest}"),
        },
        // Not a URL at all: it could be anything, a password pasted in the wrong place
        // included.
        None => "***".to_owned(),
    };
    format!("{shown}{query}")
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
        assert!(!format!("{s:?}").contains("hunter2"), "{s:?}");
    }

    #[test]
    fn bad_values_name_their_variable() {
        let bad_url = Env::from_pairs([("REDIS_URL", "http://:pw@x")]);
        let line = RedisSettings::from_env(&bad_url, "h")
            .unwrap_err()
            .to_string();
        assert!(line.starts_with("REDIS_URL="), "{line}");
        assert!(!line.contains("pw"), "password leaked: {line}");
        for url in [
            "unix:///run/redis.sock?password=hunter2",
            "redis+unix:///run/redis.sock?db=1&pass=hunter2",
            "rediss://:hunter2@cache:notaport",
            "redis://default:hunter2@cache:6379/x/y",
            "hunter2",
        ] {
            let env = Env::from_pairs([("REDIS_URL", url)]);
            let line = RedisSettings::from_env(&env, "h").unwrap_err().to_string();
            assert!(line.starts_with("REDIS_URL="), "{line}");
            assert!(!line.contains("hunter2"), "secret printed: {line}");
        }

        let bad_port = Env::from_pairs([("REDIS_PORT", "redis")]);
        let line = RedisSettings::from_env(&bad_port, "h")
            .unwrap_err()
            .to_string();
        assert!(line.starts_with("REDIS_PORT="), "{line}");
    }

    #[test]
    fn a_url_error_says_what_is_wrong_with_the_url() {
        assert!(matches!(
            RedisSettings::from_url("redis+unix:///run/redis.sock"),
            Err(RedisUrlError::NotTcp)
        ));
        assert!(matches!(
            RedisSettings::from_url("http://cache"),
            Err(RedisUrlError::Malformed(_))
        ));
    }
}
