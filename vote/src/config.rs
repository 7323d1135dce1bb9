use axum::http::HeaderValue;
use kit::config::{ConfigError, Env};
use kit::fault::FaultSwitch;
use kit::labels::Labels;
use kit::language::LanguageChoice;
use kit::redis_client::RedisSettings;

use crate::PageSettings;
use crate::origin::TrustedOrigins;

/// The environment variables read here, as a Markdown table: the crate's documentation and
/// `--help` both show this one text.
pub const ENV_HELP: &str = include_str!("env.md");

/// The vote app's settings, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub redis: RedisSettings,
    pub port: u16,
    pub page: PageSettings,
    pub trusted_origins: TrustedOrigins,
    /// What it may be told to do wrong (`FAULT_INJECTION`, [`kit::fault`]).
    pub faults: FaultSwitch,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let result_url = env.get("RESULT_URL").map(str::to_owned);
        if let Some(url) = &result_url
            && !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/'))
        {
            return Err(ConfigError::new(
                "RESULT_URL",
                url,
                "must start with http://, https:// or /",
            ));
        }
        let hostname = env.string_or("HOSTNAME", "unknown");
        if HeaderValue::from_str(&hostname).is_err() {
            return Err(ConfigError::new(
                "HOSTNAME",
                &hostname,
                "must be printable ASCII: the ballot sends it in its Container-Id header",
            ));
        }
        let trusted_origins = env.get("TRUSTED_ORIGINS").unwrap_or_default();
        let trusted_origins = TrustedOrigins::parse(trusted_origins)
            .map_err(|problem| ConfigError::new("TRUSTED_ORIGINS", trusted_origins, problem))?;
        Ok(Self {
            faults: FaultSwitch::from_env(env)?,
            redis: RedisSettings::from_env(env, "redis")?,
            port: env.port_or("PORT", 80)?,
            page: PageSettings {
                labels: Labels::from_env(env),
                hostname,
                result_url,
                language: LanguageChoice::from_env(env)?,
            },
            trusted_origins,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_original_apps() {
        let config = Config::from_env(&Env::default()).unwrap();
        assert_eq!(
            config.page.labels,
            Labels {
                a: "Cats".into(),
                b: "Dogs".into()
            }
        );
        assert_eq!(config.port, 80);
        assert_eq!(config.redis.url(), "redis://redis:6379/");
        assert_eq!(config.page.result_url, None);
        assert_eq!(config.trusted_origins, TrustedOrigins::default());
    }

    #[test]
    fn labels_and_result_link_are_configurable() {
        let env = Env::from_pairs([
            ("OPTION_A", "Tabs"),
            ("OPTION_B", "Spaces"),
            ("RESULT_URL", "http://localhost:8081"),
            ("HOSTNAME", "abc123"),
        ]);
        let config = Config::from_env(&env).unwrap();
        assert_eq!(config.page.labels.a, "Tabs");
        assert_eq!(config.page.labels.b, "Spaces");
        assert_eq!(config.page.hostname, "abc123");
        assert_eq!(
            config.page.result_url.as_deref(),
            Some("http://localhost:8081")
        );
    }

    #[test]
    fn a_hostname_that_is_no_header_value_is_refused() {
        let err = Config::from_env(&Env::from_pairs([("HOSTNAME", "caf\u{e9}\n")])).unwrap_err();
        assert_eq!(err.var, "HOSTNAME");
    }

    #[test]
    fn a_result_url_without_scheme_is_refused() {
        let err = Config::from_env(&Env::from_pairs([("RESULT_URL", "javascript:alert(1)")]))
            .unwrap_err();
        assert_eq!(err.var, "RESULT_URL");
    }

    #[test]
    fn trusted_origins_are_read_and_a_bad_one_is_named() {
        let env = Env::from_pairs([("TRUSTED_ORIGINS", "https://vote.example.com")]);
        let config = Config::from_env(&env).unwrap();
        assert_eq!(
            config.trusted_origins,
            TrustedOrigins::parse("https://vote.example.com").unwrap()
        );
        let err = Config::from_env(&Env::from_pairs([("TRUSTED_ORIGINS", "vote.example.com")]))
            .unwrap_err();
        assert_eq!(err.var, "TRUSTED_ORIGINS");
    }
}
