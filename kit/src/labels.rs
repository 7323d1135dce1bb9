//! The ballot's two options as the pages show them: a page setting, not part of the message
//! (which carries only `a` or `b`).

/// The two options' labels: `OPTION_A` and `OPTION_B` (defaults `Cats` and `Dogs`), read by
/// both the vote and the result app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    pub a: String,
    pub b: String,
}

impl Labels {
    pub fn from_env(env: &crate::config::Env) -> Self {
        Self {
            a: env.string_or("OPTION_A", "Cats"),
            b: env.string_or("OPTION_B", "Dogs"),
        }
    }
}
