use kit::config::{ConfigError, Env};
use kit::fault::FaultSwitch;
use kit::labels::Labels;
use kit::language::LanguageChoice;
use kit::postgres_client::PgSettings;

/// The environment variables read here, as a Markdown table: the crate's documentation and
/// `--help` both show this one text.
pub const ENV_HELP: &str = include_str!("env.md");

/// The result app's settings, read once at start.
#[derive(Debug, Clone)]
pub struct Config {
    pub postgres: PgSettings,
    pub port: u16,
    pub labels: Labels,
    pub language: LanguageChoice,
    /// What it may be told to do wrong (`FAULT_INJECTION`, [`kit::fault`]).
    pub faults: FaultSwitch,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            faults: FaultSwitch::from_env(env)?,
            postgres: PgSettings::from_env(env)?.with_application_name("result"),
            port: env.port_or("PORT", 80)?,
            labels: Labels::from_env(env),
            language: LanguageChoice::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_labels_unlike_the_original_which_hard_codes_them() {
        let env = Env::from_pairs([
            ("OPTION_A", "Tea"),
            ("OPTION_B", "Coffee"),
            ("PORT", "8081"),
        ]);
        let config = Config::from_env(&env).unwrap();
        assert_eq!(config.labels.a, "Tea");
        assert_eq!(config.labels.b, "Coffee");
        assert_eq!(config.port, 8081);
        assert_eq!(config.postgres.display_addr(), "db:5432/postgres");
    }
}
