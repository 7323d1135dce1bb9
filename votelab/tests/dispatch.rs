//! The combined binary runs the program it is named as, like each program's own binary.

use std::path::Path;
use std::process::{Command, Output};

const VOTELAB: &str = env!("CARGO_BIN_EXE_votelab");

/// Runs `votelab` under the name `name` (a symbolic link, as in the image) with `args` and
/// only the variables `envs`.
fn run_as(dir: &Path, name: &str, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let link = dir.join(name);
    std::os::unix::fs::symlink(VOTELAB, &link)
        .unwrap_or_else(|e| panic!("cannot link {name}: {e}"));
    Command::new(&link)
        .args(args)
        .env_clear()
        .envs(envs.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"))
}

#[test]
fn each_name_runs_its_program() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, says) in [
        ("counter", "Redis visit counter"),
        ("vote", "voting page"),
        ("worker", "into PostgreSQL"),
        ("result", "live results page"),
        ("loadgen", "Usage: loadgen"),
    ] {
        let output = run_as(dir.path(), name, &["--help"], &[]);
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{name} --help: {output:?}");
        assert!(
            help.contains(says),
            "{name} --help does not say {says:?}: {help}"
        );
    }
}

#[test]
fn a_service_refuses_a_bad_variable_as_its_own_binary_does() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = run_as(dir.path(), "vote", &[], &[("PORT", "http")]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("PORT"));
}

#[test]
fn under_another_name_it_says_which_names_it_answers_to() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output = run_as(dir.path(), "votelab", &[], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("counter, vote, worker, result or loadgen"),
        "{stderr}"
    );
}
