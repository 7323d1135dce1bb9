//! Typed configuration from environment variables.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Display;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

/// A snapshot of the environment: configuration is parsed from this value, never from global
/// state, so tests can build one from pairs.
#[derive(Default)]
pub struct Env {
    vars: HashMap<String, String>,
    /// Every name asked for, set or not, so a test can check that each one is documented.
    asked: Mutex<BTreeSet<String>>,
}

impl Clone for Env {
    fn clone(&self) -> Self {
        Self {
            vars: self.vars.clone(),
            asked: Mutex::new(self.asked().clone()),
        }
    }
}

/// Names only: values may be secrets (`PGPASSWORD`, `REDIS_URL`, ...).
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Env").field("names", &names).finish()
    }
}

/// A variable that is set but unusable. Its `Display` is the one line a service prints before
/// exiting, so it always names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}={value:?} {problem}")]
pub struct ConfigError {
    pub var: String,
    pub value: String,
    pub problem: String,
}

impl ConfigError {
    pub fn new(var: &str, value: &str, problem: impl Display) -> Self {
        Self {
            var: var.to_owned(),
            value: value.to_owned(),
            problem: problem.to_string(),
        }
    }
}

impl Env {
    /// Reads the process environment. Only binaries call this. `HOSTNAME` is filled in from the
    /// kernel when the shell did not export it, since pages show it ("processed by container").
    pub fn from_process() -> Self {
        let mut vars: HashMap<String, String> = std::env::vars().collect();
        if !vars.contains_key("HOSTNAME")
            && let Ok(name) = std::fs::read_to_string("/proc/sys/kernel/hostname")
        {
            vars.insert("HOSTNAME".to_owned(), name.trim().to_owned());
        }
        Self {
            vars,
            asked: Mutex::default(),
        }
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            asked: Mutex::default(),
        }
    }

    fn asked(&self) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
        // The set stays whole whatever panicked while it was held: one insert.
        self.asked.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The names read so far that `docs` do not all mention as `` `NAME` ``: what a test of a
    /// service's documentation looks for after parsing its configuration.
    pub fn undocumented_in(&self, docs: &[&str]) -> Vec<String> {
        self.asked()
            .iter()
            .filter(|name| {
                let quoted = format!("`{name}`");
                !docs.iter().all(|doc| doc.contains(&quoted))
            })
            .cloned()
            .collect()
    }

    /// The value of `name`. An empty value counts as unset, because compose files commonly pass
    /// `VAR: ${VAR:-}` to mean "use the default".
    pub fn get(&self, name: &str) -> Option<&str> {
        self.asked().insert(name.to_owned());
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn string_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_owned()
    }

    /// Parses `name` when set, else returns `default`.
    pub fn parse_or<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse()
                .map_err(|e| ConfigError::new(name, raw, format_args!("is not valid: {e}"))),
        }
    }

    /// A TCP port: 1 to 65535.
    pub fn port_or(&self, name: &str, default: u16) -> Result<u16, ConfigError> {
        let port = self
            .parse_or::<u16>(name, default)
            .map_err(|e| ConfigError::new(name, &e.value, "is not a port number (1 to 65535)"))?;
        if port == 0 {
            return Err(ConfigError::new(
                name,
                "0",
                "is not a port number (1 to 65535)",
            ));
        }
        Ok(port)
    }

    /// A duration in milliseconds, at least `min_ms`.
    pub fn millis_or(
        &self,
        name: &str,
        default: std::time::Duration,
        min_ms: u64,
    ) -> Result<std::time::Duration, ConfigError> {
        let default_ms = u64::try_from(default.as_millis()).unwrap_or(u64::MAX);
        let ms: u64 = self.parse_or(name, default_ms)?;
        if ms < min_ms {
            return Err(ConfigError::new(
                name,
                &ms.to_string(),
                format_args!("must be at least {min_ms} (milliseconds)"),
            ));
        }
        Ok(std::time::Duration::from_millis(ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_unset_or_empty() {
        let env = Env::from_pairs([("EMPTY", "")]);
        assert_eq!(env.port_or("UNSET", 5000), Ok(5000));
        assert_eq!(env.port_or("EMPTY", 5000), Ok(5000));
        assert_eq!(env.string_or("EMPTY", "redis"), "redis");
    }

    #[test]
    fn bad_port_names_the_variable() {
        for bad in ["abc", "0", "70000", "-1"] {
            let env = Env::from_pairs([("BIND_PORT", bad)]);
            let err = env.port_or("BIND_PORT", 5000).unwrap_err();
            let line = err.to_string();
            assert!(line.starts_with("BIND_PORT="), "{line}");
            assert!(line.contains("port number"), "{line}");
            assert!(!line.contains('\n'));
        }
    }

    #[test]
    fn the_names_read_are_checked_against_the_docs() {
        let env = Env::from_pairs([("SET", "1")]);
        let _ = env.get("SET");
        let _ = env.port_or("UNSET", 80);
        assert_eq!(
            env.undocumented_in(&["`SET`, `UNSET`"]),
            Vec::<String>::new()
        );
        assert_eq!(env.undocumented_in(&["`SET`", "`SET` `UNSET`"]), ["UNSET"]);
    }

    #[test]
    fn port_accepts_surrounding_spaces() {
        let env = Env::from_pairs([("PORT", " 8080 ")]);
        assert_eq!(env.port_or("PORT", 80), Ok(8080));
    }
}
