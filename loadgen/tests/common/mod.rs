//! What the load generator's tests share: the whole lab in this process (`test_lab::Lab`) to load,
//! and loadgen itself, run in process as the binary would run it.

use clap::Parser;
use loadgen::cli::Cli;
use loadgen::commands::Report;

#[allow(unused_imports)] // get.rs needs no lab.
pub use test_lab::Lab;

/// Runs `loadgen ARGS...` in this process, as the binary would, and returns its report.
#[allow(dead_code)] // binary.rs runs the real binary instead.
pub async fn loadgen(args: &[impl AsRef<str>]) -> Report {
    let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let cli = Cli::try_parse_from(std::iter::once("loadgen").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("bad arguments {args:?}: {e}"));
    loadgen::commands::run(cli.command, cli.json.as_deref())
        .await
        .unwrap_or_else(|e| panic!("loadgen {args:?} failed to run: {e:#}"))
}

/// The arguments of `loadgen vote` against the lab's vote app, `clients` x `votes`, checked
/// afterwards in the lab's database (`--verify`), then `flags`.
#[allow(dead_code)] // Only the verifying tests use it.
pub fn verified_vote(lab: &Lab, clients: u32, votes: u32, flags: &[&str]) -> Vec<String> {
    let (url, db) = (lab.vote_url(), lab.db.url());
    let (clients, votes) = (clients.to_string(), votes.to_string());
    let vote = ["vote", &url, "--clients", &clients, "--votes", &votes];
    vote.iter()
        .chain(&["--verify", &db])
        .chain(flags)
        .map(|arg| (*arg).to_owned())
        .collect()
}
