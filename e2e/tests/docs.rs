//! Each service's settings are documented where people look for them: its `--help` (whose
//! text its crate documentation includes) and the README.

use kit::config::{ConfigError, Env};

const README: &str = include_str!("../../README.md");

/// The variables `parse` reads when none is set (so every default's branch runs) that `help`
/// or the README does not name.
fn undocumented<C>(parse: fn(&Env) -> Result<C, ConfigError>, help: &str) -> Vec<String> {
    let env = Env::default();
    parse(&env).expect("the defaults are valid");
    env.undocumented_in(&[help, README])
}

#[test]
fn every_variable_a_service_reads_is_in_its_help_and_the_readme() {
    let mut missing = vec![
        (
            "counter",
            undocumented(counter::Config::from_env, counter::ENV_HELP),
        ),
        ("vote", undocumented(vote::Config::from_env, vote::ENV_HELP)),
        (
            "worker",
            undocumented(worker::Config::from_env, worker::ENV_HELP),
        ),
        (
            "result",
            undocumented(result::Config::from_env, result::ENV_HELP),
        ),
    ];
    missing.retain(|(_, names)| !names.is_empty());
    assert_eq!(missing, [], "variables read but not documented");
}
