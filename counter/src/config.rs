use kit::config::{ConfigError, Env};
use kit::fault::FaultSwitch;
use kit::language::LanguageChoice;
use kit::redis_client::RedisSettings;

/// The environment variables read here, as a Markdown table: the crate's documentation and
/// `--help` both show this one text.
pub const ENV_HELP: &str = include_str!("env.md");

/// The counter's settings, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub redis: RedisSettings,
    pub port: u16,
    pub language: LanguageChoice,
    /// What it may be told to do wrong (`FAULT_INJECTION`, [`kit::fault`]).
    pub faults: FaultSwitch,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            faults: FaultSwitch::from_env(env)?,
            redis: RedisSettings::from_env(env, "localhost")?,
            port: env.port_or("BIND_PORT", 5000)?,
            language: LanguageChoice::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flask_image_variables_and_defaults() {
        let config = Config::from_env(&Env::default()).unwrap();
        assert_eq!(config.redis.url(), "redis://localhost:6379/");
        assert_eq!(config.port, 5000);

        let env = Env::from_pairs([
            ("REDIS_HOST", "db"),
            ("REDIS_PORT", "6379"),
            ("BIND_PORT", "8000"),
        ]);
        let config = Config::from_env(&env).unwrap();
        assert_eq!(config.redis.url(), "redis://db:6379/");
        assert_eq!(config.port, 8000);
    }

    #[test]
    fn bad_bind_port_is_named() {
        let env = Env::from_pairs([("BIND_PORT", "http")]);
        let err = Config::from_env(&env).unwrap_err();
        assert_eq!(err.var, "BIND_PORT");
    }
}
