//! What the load generator's tests share: the whole lab in this process (`test_lab::Lab`) to load,
//! and loadgen itself, run in process as the binary would run it.

use clap::Parser;
use loadgen::cli::Cli;
use loadgen::commands::Report;

#[allow(unused_imports)] // get.rs needs no lab.
pub use test_lab::Lab;

/// Runs `loadgen ARGS...` in this process, as the binary would, and returns its report.
#[allow(dead_code)] // binary.rs runs the real binary instead.
pub async fn loadgen(args: &[&str]) -> Report {
    let cli = Cli::try_parse_from(std::iter::once("loadgen").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("bad arguments {args:?}: {e}"));
    loadgen::commands::run(cli.command, cli.json.as_deref())
        .await
        .unwrap_or_else(|e| panic!("loadgen {args:?} failed to run: {e:#}"))
}
