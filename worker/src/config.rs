use std::time::Duration;

use kit::config::{ConfigError, Env};
use kit::fault::FaultSwitch;
use kit::postgres_client::PgSettings;
use kit::redis_client::RedisSettings;

/// The environment variables read here, as a Markdown table: the crate's documentation and
/// `--help` both show this one text.
pub const ENV_HELP: &str = include_str!("env.md");

/// The worker's settings, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub redis: RedisSettings,
    pub postgres: PgSettings,
    pub port: u16,
    pub batch_size: usize,
    pub heartbeat_ttl: Duration,
    pub worker_id: String,
    /// Stop once a take finds the queue empty, instead of waiting for votes.
    pub exit_when_empty: bool,
    /// What it may be told to do wrong (`FAULT_INJECTION`, [`kit::fault`]).
    pub faults: FaultSwitch,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let batch_size: usize = env.parse_or("BATCH_SIZE", 1000)?;
        if !(1..=10_000).contains(&batch_size) {
            return Err(ConfigError::new(
                "BATCH_SIZE",
                &batch_size.to_string(),
                "must be between 1 and 10000",
            ));
        }
        let worker_id = match env.get("WORKER_ID") {
            Some(id) if id.contains(['*', '?', '[', ' ']) => {
                return Err(ConfigError::new(
                    "WORKER_ID",
                    id,
                    "must not contain spaces or the glob characters * ? [",
                ));
            }
            Some(id) => id.to_owned(),
            // Unique per process: two workers sharing a processing list would ack each other's
            // votes. A restarted worker's old list is recovered through its expired heartbeat.
            None => format!(
                "{}-{:08x}",
                env.get("HOSTNAME").unwrap_or("worker"),
                rand::random::<u32>()
            ),
        };
        Ok(Self {
            faults: FaultSwitch::from_env(env)?,
            redis: RedisSettings::from_env(env, "redis")?,
            postgres: PgSettings::from_env(env)?.with_application_name("worker"),
            port: env.port_or("PORT", 80)?,
            batch_size,
            heartbeat_ttl: env.millis_or("HEARTBEAT_TTL_MS", Duration::from_secs(10), 300)?,
            worker_id,
            exit_when_empty: env.parse_or("EXIT_WHEN_EMPTY", false)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_compose_service_names() {
        let config = Config::from_env(&Env::from_pairs([("HOSTNAME", "c0ffee")])).unwrap();
        assert_eq!(config.redis.url(), "redis://redis:6379/");
        assert_eq!(config.postgres.display_addr(), "db:5432/postgres");
        assert_eq!(config.port, 80);
        assert_eq!(config.batch_size, 1000);
        assert!(!config.exit_when_empty);
        assert!(
            config.worker_id.starts_with("c0ffee-"),
            "{}",
            config.worker_id
        );
    }

    #[test]
    fn two_workers_on_one_host_get_different_ids() {
        let env = Env::from_pairs([("HOSTNAME", "h")]);
        let a = Config::from_env(&env).unwrap().worker_id;
        let b = Config::from_env(&env).unwrap().worker_id;
        assert_ne!(a, b);
    }

    #[test]
    fn bad_values_are_named() {
        for (var, value) in [
            ("BATCH_SIZE", "0"),
            ("BATCH_SIZE", "many"),
            ("HEARTBEAT_TTL_MS", "10"),
            ("WORKER_ID", "a*"),
            ("EXIT_WHEN_EMPTY", "yes"),
        ] {
            let err = Config::from_env(&Env::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(err.var, var, "{err}");
        }
    }
}
