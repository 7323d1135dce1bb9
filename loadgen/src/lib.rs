//! # loadgen
//!
//! The lab's load generator: many simulated voters against the vote app, or visitors against
//! the counter, with the checks the Docker course's concurrency experiment makes by hand (two
//! client containers each sending 100 requests at once; did the server keep all 200?), at any
//! scale, and with a summary of what it cost.
//!
//! ```text
//! cargo run --release -p loadgen -- vote http://127.0.0.1:8080/ --clients 200 --votes 1 \
//!     --verify postgres://postgres@127.0.0.1/postgres --redis redis://127.0.0.1:6379/
//! cargo run --release -p loadgen -- counter http://127.0.0.1:5000/ --clients 200 --requests 1
//! ```
//!
//! ## Model
//!
//! A *client* is one browser: one HTTP/1.1 keep-alive connection of its own, its own cookies,
//! one request at a time. `--clients N` of them run at once, each sending its `--votes M` (or
//! `--requests M`) one after the other: N x M requests in all. A client votes as one voter who
//! changes their mind (keeping the `voter_id` cookie the vote app set), or, with
//! `--fresh-voters`, as a new voter each time (no cookie, like `curl`). The course's
//! experiment is `--clients 200 --votes 1`, or two `loadgen` processes of `--clients 100
//! --votes 1` (each verifies its own voters).
//!
//! Every run is bounded: the count is required, `--max-seconds` (default 60) stops starting
//! requests after that time, `--timeout-ms` (default 10 s) bounds each request, and waits for
//! the queue or the screen are bounded by `--wait-seconds` (default 60). Requests already sent
//! when the time is up are finished, so every outcome is known.
//!
//! ## Subcommands and flags
//!
//! `loadgen vote URL --clients N --votes M [flags]`: `POST /` with `vote=a` or `vote=b` at
//! random; a vote counts as recorded on a 303 with the `voter_id` cookie.
//!
//! | flag | meaning |
//! |---|---|
//! | `--fresh-voters` | a new voter for every vote |
//! | `--verify DATABASE_URL` | afterwards, check that PostgreSQL holds each of this run's voters once, with their last acknowledged choice (other rows are ignored); fails on any lost or wrong row |
//! | `--redis URL` | with `--verify`: first wait until the queue and the workers' processing lists are empty; without it, the table is read until right or unchanged for 3 s |
//! | `--screen URL` | the result app's `/events`: report each vote's time from POST to the event showing it (p50, p99); needs `--fresh-voters` |
//! | `--wait-seconds S` | bound on those waits (60) |
//! | `--save-ledger FILE` | save each voter's expected row (JSON lines) for a later `loadgen verify` |
//!
//! `loadgen verify --ledger FILE --database URL [--redis URL]`: the `--verify` check on a saved
//! ledger, later: after starting (or killing and restarting) the worker, say.
//!
//! `loadgen counter URL --clients N --requests M`: `GET /`, parses `Hello from Redis! I have
//! been seen N times.`, and fails unless the numbers are distinct and contiguous (another
//! visitor of the same counter meanwhile also makes a gap).
//!
//! `loadgen get URL --clients N --requests M --rate R`: GETs any page expecting 200, for its
//! latency at a chosen rate (a flat-out run's p99 measures its own queue).
//!
//! Shared by all three: `--max-seconds S` (60), `--rate R` (requests per second over all clients,
//! evenly spaced; default as fast as possible), `--timeout-ms` (10000), `--quiet`. Global, for
//! every subcommand: `--json FILE` (the report as JSON) and `--threads` (one per core).
//!
//! `loadgen drain --redis URL`: waits until the vote queue is empty and prints how fast it
//! drained (start it, then start the worker). `loadgen upsert-sql --database URL --rows N`:
//! the worker's own upsert statement run straight in SQL, the ceiling for the worker's rate.
//! Both are used by `bench/run`.
//!
//! ## Output
//!
//! Progress goes to stderr: a bar on a terminal, a line a second otherwise. The summary goes to
//! stdout: requests, errors by kind, throughput, latency p50/p90/p99/max of the successful
//! requests, then each check. Exit status 0 when every request succeeded and every check
//! passed, 1 otherwise (with a `FAILED:` line saying why), 2 for bad arguments.
//!
//! ## Speed
//!
//! One process loads the vote app at tens of thousands of requests per second on two cores:
//! each client owns one bare hyper HTTP/1.1 connection (no pool, no cookie jar to consult), the
//! cookie is a single header, latencies go to a few sharded HDR histograms, and progress reads
//! two atomic counters. Build it with `--release`.

use std::process::ExitCode;

use clap::Parser;

use cli::Cli;

pub mod cli;
pub mod commands;
pub mod counter;
pub mod driver;
pub mod get;
pub mod http;
pub mod ledger;
pub mod progress;
pub mod queue;
pub mod screen;
pub mod stats;
pub mod target;
pub mod upsert;
pub mod verify;
pub mod vote;

/// The `loadgen` command line: parses this process's arguments and runs the command. What its
/// binary and the lab's combined binary run.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let threads = cli
        .threads
        .map(usize::from)
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(2);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.command, cli.json.as_deref())) {
        Ok(report) if report.passed => ExitCode::SUCCESS,
        Ok(report) => {
            println!("FAILED: {}", report.failures.join("; "));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::FAILURE
        }
    }
}
