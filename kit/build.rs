//! Sets `VOTELAB_COMMIT`, the git commit this build is from, which every service shows in its
//! `{service}_build_info` metric: `GIT_COMMIT` when set (a Docker build, whose context has no
//! `.git`, gets it as a build argument), else `git rev-parse --short=12 HEAD`, else `unknown`.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-env-changed=GIT_COMMIT");
    let commit = match std::env::var("GIT_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => commit.trim().to_owned(),
        _ => from_git().unwrap_or_else(|| "unknown".to_owned()),
    };
    println!("cargo::rustc-env=VOTELAB_COMMIT={commit}");
}

/// HEAD's commit, and a rebuild whenever HEAD moves: checkouts rewrite `HEAD`, commits the
/// branch's ref, and both append to HEAD's reflog (the ref alone may be packed, out of sight).
fn from_git() -> Option<String> {
    let commit = git(&["rev-parse", "--short=12", "HEAD"])?;
    let mut watched = vec!["HEAD".to_owned(), "logs/HEAD".to_owned()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        // Only files that exist: cargo reruns a build script whose watched file is missing
        // on every build, which would recompile every crate of the workspace each time.
        if let Some(path) =
            git(&["rev-parse", "--git-path", &name]).filter(|p| Path::new(p).exists())
        {
            println!("cargo::rerun-if-changed={path}");
        }
    }
    Some(commit)
}

/// What `git args` prints, trimmed; `None` when git is missing, fails or prints nothing.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}
