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

    /// A setting that may hold a secret: `name`, or the content of the file named by
    /// `name_FILE` (a Docker or Kubernetes secret mounted as a file, as the official images
    /// read `POSTGRES_PASSWORD_FILE`), without its trailing newline. Both set is an error: one
    /// of them would be silently ignored.
    pub fn secret(&self, name: &str) -> Result<Option<Secret>, ConfigError> {
        let file_var = format!("{name}_FILE");
        match (self.get(name), self.get(&file_var)) {
            (Some(_), Some(path)) => Err(ConfigError::new(
                &file_var,
                path,
                format_args!("is set, and so is {name}: set only one of them"),
            )),
            (Some(value), None) => Ok(Some(Secret {
                value: value.to_owned(),
                file: None,
            })),
            (None, Some(path)) => {
                let content = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError::new(&file_var, path, format_args!("cannot be read: {e}"))
                })?;
                let value = content
                    .strip_suffix('\n')
                    .map_or(content.as_str(), |v| v.strip_suffix('\r').unwrap_or(v));
                if value.is_empty() {
                    return Err(ConfigError::new(&file_var, path, "names an empty file"));
                }
                Ok(Some(Secret {
                    value: value.to_owned(),
                    file: Some((file_var, path.to_owned())),
                }))
            }
            (None, None) => Ok(None),
        }
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

/// A secret setting's value and where it came from, so that an unusable value is reported
/// under the variable that was set, without the value itself.
pub struct Secret {
    pub value: String,
    /// `(NAME_FILE, path)` when read from a file.
    file: Option<(String, String)>,
}

impl Secret {
    /// The error for an unusable value: `var` and `shown` (the value as it may be printed) when
    /// it was set directly, the `_FILE` variable and its path when read from a file.
    pub fn error(&self, var: &str, shown: &str, problem: impl Display) -> ConfigError {
        match &self.file {
            None => ConfigError::new(var, shown, problem),
            Some((file_var, path)) => {
                ConfigError::new(file_var, path, format_args!("holds a {var} that {problem}"))
            }
        }
    }
}

/// Names only: the value is a secret.
impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secret")
            .field("file", &self.file)
            .finish_non_exhaustive()
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

    /// A file holding `content`, and an `Env` with `NAME_FILE` naming it.
    fn secret_file(name: &str, content: &str) -> (tempfile::NamedTempFile, Env) {
        let file = tempfile::NamedTempFile::new().expect("a temporary file");
        std::fs::write(file.path(), content).expect("write the secret file");
        let path = file
            .path()
            .to_str()
            .expect("a UTF-8 temporary path")
            .to_owned();
        let env = Env::from_pairs([(format!("{name}_FILE"), path)]);
        (file, env)
    }

    #[test]
    fn a_secret_comes_from_its_variable_or_from_the_file_its_file_variable_names() {
        let direct = Env::from_pairs([("PGPASSWORD", "s3cret")]);
        assert_eq!(
            direct.secret("PGPASSWORD").unwrap().unwrap().value,
            "s3cret"
        );
        assert!(Env::default().secret("PGPASSWORD").unwrap().is_none());
        // `echo secret > file` and Windows editors end the file with a newline: not part of it
        for content in ["s3cret", "s3cret\n", "s3cret\r\n"] {
            let (_file, env) = secret_file("PGPASSWORD", content);
            assert_eq!(env.secret("PGPASSWORD").unwrap().unwrap().value, "s3cret");
        }
        let (_file, env) = secret_file("PGPASSWORD", "two\nlines\n");
        assert_eq!(
            env.secret("PGPASSWORD").unwrap().unwrap().value,
            "two\nlines"
        );
        assert_eq!(
            env.undocumented_in(&["`PGPASSWORD`"]),
            ["PGPASSWORD_FILE"],
            "both names are asked for, so the docs must name both"
        );
    }

    #[test]
    fn a_secret_file_that_is_missing_empty_or_doubled_is_an_error_naming_the_file() {
        let (file, mut env) = secret_file("REDIS_URL", "redis://:pw@cache/");
        env.vars
            .insert("REDIS_URL".to_owned(), "redis://:pw@cache/".to_owned());
        let line = env.secret("REDIS_URL").unwrap_err().to_string();
        assert!(
            line.starts_with("REDIS_URL_FILE=") && line.contains("only one"),
            "{line}"
        );
        assert!(!line.contains("pw"), "the secret is shown: {line}");

        let (_empty, env) = secret_file("PGPASSWORD", "\n");
        let line = env.secret("PGPASSWORD").unwrap_err().to_string();
        assert!(line.contains("empty file"), "{line}");

        let gone = file.path().to_owned();
        drop(file);
        let env = Env::from_pairs([("PGPASSWORD_FILE", gone.to_str().expect("UTF-8"))]);
        let line = env.secret("PGPASSWORD").unwrap_err().to_string();
        assert!(
            line.starts_with("PGPASSWORD_FILE=") && line.contains("cannot be read"),
            "{line}"
        );
    }

    #[test]
    fn an_unusable_secret_is_reported_under_the_variable_that_was_set_without_its_value() {
        let (_file, env) = secret_file("REDIS_URL", "mysql://:pw@x/");
        let secret = env.secret("REDIS_URL").unwrap().unwrap();
        let line = secret
            .error("REDIS_URL", "mysql://***", "is not usable")
            .to_string();
        assert!(line.starts_with("REDIS_URL_FILE=\"/"), "{line}");
        assert!(
            line.contains("holds a REDIS_URL that is not usable"),
            "{line}"
        );
        assert!(
            !line.contains("pw") && !format!("{secret:?}").contains("pw"),
            "{line}"
        );
    }

    #[test]
    fn port_accepts_surrounding_spaces() {
        let env = Env::from_pairs([("PORT", " 8080 ")]);
        assert_eq!(env.port_or("PORT", 80), Ok(8080));
    }
}
