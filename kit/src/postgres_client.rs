//! PostgreSQL settings, the shared pool, and dedicated connections (for LISTEN).

use std::time::Duration;

use deadpool_postgres::{
    BuildError, Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime,
};
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

use crate::config::{ConfigError, Env};

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// An error with its causes, for logs: `tokio_postgres::Error` says only `db error` and keeps
/// what PostgreSQL said (`password authentication failed for user "postgres"`) in its source,
/// as deadpool's `PoolError` keeps the connection's error in its own. A cause whose text the
/// previous line already ends with is not repeated. PostgreSQL's messages never hold the
/// password.
#[derive(Debug, Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + Send + Sync + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut shown = self.0.to_string();
        f.write_str(&shown)?;
        let mut cause = self.0.source();
        while let Some(error) = cause {
            let text = error.to_string();
            if !shown.ends_with(&text) {
                write!(f, ": {text}")?;
            }
            shown = text;
            cause = error.source();
        }
        Ok(())
    }
}

/// Why the pool could not run a query.
#[derive(Debug, thiserror::Error)]
pub enum PostgresUnavailable {
    #[error("no connection: {}", ErrorChain(.0))]
    Connect(PoolError),
    #[error("the query failed: {}", ErrorChain(.0))]
    Query(tokio_postgres::Error),
}

/// A readiness check: a pooled connection answers `SELECT 1`.
pub async fn ping(pool: &Pool) -> Result<(), PostgresUnavailable> {
    let client = pool.get().await.map_err(PostgresUnavailable::Connect)?;
    client
        .simple_query("SELECT 1")
        .await
        .map_err(PostgresUnavailable::Query)?;
    Ok(())
}

/// Where PostgreSQL is: `DATABASE_URL`, or else the standard `PGHOST`, `PGPORT`, `PGUSER`,
/// `PGPASSWORD` and `PGDATABASE`, whose defaults match the lab's compose file (host `db`,
/// user and password `postgres`). `DATABASE_URL_FILE` and `PGPASSWORD_FILE` name files holding
/// those two instead (Docker and Kubernetes secrets).
#[derive(Debug, Clone)]
pub struct PgSettings {
    config: Config,
}

impl PgSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut config = match env.secret("DATABASE_URL")? {
            Some(url) => url.value.parse::<Config>().map_err(|e| {
                url.error(
                    "DATABASE_URL",
                    "<hidden>",
                    format_args!("is not a PostgreSQL URL or key=value string: {e}"),
                )
            })?,
            None => {
                let password = env
                    .secret("PGPASSWORD")?
                    .map_or_else(|| "postgres".to_owned(), |p| p.value);
                let mut config = Config::new();
                config
                    .host(env.string_or("PGHOST", "db"))
                    .port(env.port_or("PGPORT", 5432)?)
                    .user(env.string_or("PGUSER", "postgres"))
                    .password(password)
                    .dbname(env.string_or("PGDATABASE", "postgres"));
                config
            }
        };
        if config.get_hosts().is_empty() {
            config.host("db");
        }
        if config.get_user().is_none() {
            config.user("postgres");
        }
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .keepalives_idle(Duration::from_secs(10));
        Ok(Self { config })
    }

    pub fn with_application_name(mut self, name: &str) -> Self {
        self.config.application_name(name);
        self
    }

    /// `host:port/dbname`, safe to log: no password.
    pub fn display_addr(&self) -> String {
        let host = match self.config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "?".to_owned(),
        };
        let port = self.config.get_ports().first().copied().unwrap_or(5432);
        let db = self
            .config
            .get_dbname()
            .or(self.config.get_user())
            .unwrap_or("?");
        format!("{host}:{port}/{db}")
    }

    /// The shared pool. Waiting for a connection and creating one are bounded.
    pub fn pool(&self, max_size: usize) -> Result<Pool, BuildError> {
        let manager = Manager::from_config(
            self.config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        Pool::builder(manager)
            .max_size(max_size)
            .wait_timeout(Some(Duration::from_secs(2)))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(Duration::from_secs(1)))
            .runtime(Runtime::Tokio1)
            .build()
    }

    /// A connection of its own, with the connection future handed back so the caller can read
    /// notifications from it (LISTEN) or spawn it.
    pub async fn connect(
        &self,
    ) -> Result<
        (
            Client,
            tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>,
        ),
        tokio_postgres::Error,
    > {
        self.config.connect(NoTls).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_variables_have_compose_defaults() {
        let s = PgSettings::from_env(&Env::default()).unwrap();
        assert_eq!(s.display_addr(), "db:5432/postgres");
        assert_eq!(s.config.get_user(), Some("postgres"));
        assert_eq!(s.config.get_password(), Some(&b"postgres"[..]));
    }

    #[test]
    fn database_url_wins() {
        let env = Env::from_pairs([
            ("DATABASE_URL", "postgres://u:p@127.0.0.1:6543/lab"),
            ("PGHOST", "ignored"),
        ]);
        let s = PgSettings::from_env(&env).unwrap();
        assert_eq!(s.display_addr(), "127.0.0.1:6543/lab");
    }

    #[test]
    fn an_error_chain_shows_each_cause_once() {
        #[derive(Debug, thiserror::Error)]
        #[error("db error")]
        struct Outer(#[source] Inner);
        #[derive(Debug, thiserror::Error)]
        #[error("FATAL: password authentication failed")]
        struct Inner;
        #[derive(Debug, thiserror::Error)]
        #[error("creating a connection: {0}")]
        struct Pool(#[source] Outer);
        let line = ErrorChain(&Pool(Outer(Inner))).to_string();
        assert_eq!(
            line,
            "creating a connection: db error: FATAL: password authentication failed"
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        let env = Env::from_pairs([("DATABASE_URL", "postgres://u:secret@h:notaport/x")]);
        let line = PgSettings::from_env(&env).unwrap_err().to_string();
        assert!(line.starts_with("DATABASE_URL="), "{line}");
        assert!(!line.contains("secret"), "{line}");
        let env = Env::from_pairs([("PGPORT", "five")]);
        let line = PgSettings::from_env(&env).unwrap_err().to_string();
        assert!(line.starts_with("PGPORT="), "{line}");
    }
}
