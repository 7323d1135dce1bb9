//! Command-line arguments. Every run is bounded: the number of requests is required, and the
//! time has a default limit.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::driver::Limits;
use crate::verify::VerifyOptions;

#[derive(Debug, Parser)]
#[command(
    name = "loadgen",
    version,
    about = "Load generator for the lab: simulated voters and visitors, with verification",
    after_help = "Exit status: 0 when every request succeeded and every check passed, 1 otherwise, 2 for bad arguments."
)]
pub struct Cli {
    /// Threads of the load generator's runtime (default: one per core).
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Also write the report (summary, checks, verdict) as JSON to this file.
    #[arg(long, global = true, value_name = "FILE")]
    pub json: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulated voters POSTing to the vote app; optionally checks PostgreSQL afterwards.
    Vote(VoteArgs),
    /// Simulated visitors GETting the counter; checks the numbers are distinct and contiguous.
    #[command(mut_arg("url", |url| url.help("The counter, e.g. http://127.0.0.1:5000/")))]
    Counter(RequestsArgs),
    /// GETs any page (result, ballot, API) expecting 200: latency at a chosen --rate.
    #[command(mut_arg("url", |url| url.help("The page, e.g. http://127.0.0.1:8081/")))]
    Get(RequestsArgs),
    /// Checks a ledger saved by `vote --save-ledger` against PostgreSQL, as `--verify` does.
    Verify(VerifyArgs),
    /// Waits until the vote queue is empty, and reports how fast it drained.
    Drain(DrainArgs),
    /// Runs the worker's upsert straight in SQL: the ceiling for the worker's drain rate.
    UpsertSql(UpsertArgs),
}

/// What every HTTP load shares.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Concurrent clients, each with its own keep-alive connection (and cookies).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub clients: u64,
    /// Stop starting requests after this many seconds, whatever is left.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub max_seconds: u64,
    /// Requests per second over all clients, evenly spaced (default: as fast as possible).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Give up on one request after this many milliseconds.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub timeout_ms: u64,
    /// No progress display, only the summary.
    #[arg(long, short)]
    pub quiet: bool,
}

impl LoadArgs {
    pub fn limits(&self, per_client: u64) -> Limits {
        Limits {
            clients: usize::try_from(self.clients).unwrap_or(usize::MAX),
            per_client,
            max_time: Duration::from_secs(self.max_seconds),
            rate: self.rate.filter(|r| r.is_finite() && *r > 0.0),
            timeout: Duration::from_millis(self.timeout_ms),
        }
    }
}

/// How the votes' arrival is awaited, by `vote --verify` and by `verify`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Wait until this Redis's queue is drained, rather than until the table stops changing.
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// How long to wait for the votes to arrive (in the table, and with `vote --screen` on the
    /// screen).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub wait_seconds: u64,
}

impl WaitArgs {
    pub fn verify_options(&self, database_url: String) -> VerifyOptions {
        VerifyOptions {
            database_url,
            redis_url: self.redis.clone(),
            timeout: self.wait(),
        }
    }

    pub fn wait(&self) -> Duration {
        Duration::from_secs(self.wait_seconds)
    }
}

#[derive(Debug, Args)]
// Waiting on the queue only makes sense when there is a table to check afterwards.
#[command(mut_arg("redis", |redis| redis.requires("verify")))]
pub struct VoteArgs {
    /// The vote app, e.g. http://127.0.0.1:8080/
    pub url: String,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Votes each client sends.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub votes: u64,
    /// A new voter for every vote (no cookie kept), instead of one voter per client who
    /// changes their mind.
    #[arg(long)]
    pub fresh_voters: bool,
    /// After the run, check that this PostgreSQL holds every voter's last vote.
    #[arg(long, value_name = "DATABASE_URL")]
    pub verify: Option<String>,
    #[command(flatten)]
    pub wait: WaitArgs,
    /// Measure vote-to-screen latency on the result app's event stream, e.g.
    /// http://127.0.0.1:8081/events (needs --fresh-voters).
    #[arg(long, value_name = "URL", requires = "fresh_voters")]
    pub screen: Option<String>,
    /// Save each voter's expected row (JSON lines) for a later `loadgen verify`.
    #[arg(long, value_name = "FILE")]
    pub save_ledger: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A file written by `loadgen vote --save-ledger`.
    #[arg(long, value_name = "FILE")]
    pub ledger: PathBuf,
    /// The database the worker writes to.
    #[arg(long, value_name = "DATABASE_URL")]
    pub database: String,
    #[command(flatten)]
    pub wait: WaitArgs,
}

/// A load of GET requests: `counter` and `get` (each names what its `url` is).
#[derive(Debug, Args)]
pub struct RequestsArgs {
    pub url: String,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Requests each client sends.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub requests: u64,
}

#[derive(Debug, Args)]
pub struct DrainArgs {
    /// The lab's Redis, e.g. redis://127.0.0.1:6379/
    #[arg(long)]
    pub redis: String,
    /// Give up after this many seconds (exit status 1).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub max_seconds: u64,
}

#[derive(Debug, Args)]
pub struct UpsertArgs {
    /// The database, e.g. postgres://postgres@127.0.0.1/postgres (the schema is created).
    #[arg(long)]
    pub database: String,
    /// Rows to upsert, all new voters.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub rows: u64,
    /// Rows per statement (the worker's BATCH_SIZE).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub batch_size: u64,
    /// Voter ids are PREFIX followed by a number.
    #[arg(long, default_value = "sql-")]
    pub prefix: String,
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub max_seconds: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn arguments_are_consistent() {
        Cli::command().debug_assert();
    }

    /// A load of 2 clients: its subcommand, the flags after them, and what the refusal names.
    const REFUSED: [(&str, &[&str], &str); 4] = [
        ("vote", &[], "--votes"),
        ("counter", &[], "--requests"),
        (
            "vote",
            &["--votes", "1", "--redis", "redis://y/"],
            "--verify",
        ),
        (
            "vote",
            &["--votes", "1", "--screen", "http://y/"],
            "--fresh-voters",
        ),
    ];

    #[test]
    fn a_load_without_its_count_or_a_flag_without_what_it_needs_is_refused() {
        for (command, flags, named) in REFUSED {
            let args = ["loadgen", command, "http://x/", "--clients", "2"];
            let err = Cli::try_parse_from(args.iter().chain(flags))
                .expect_err(&format!("{command} {flags:?} refused"));
            assert!(
                err.to_string().contains(named),
                "{command} {flags:?}: {err}"
            );
        }
    }

    #[test]
    fn time_is_bounded_by_default() {
        let cli = Cli::try_parse_from([
            "loadgen",
            "vote",
            "http://x/",
            "--clients",
            "2",
            "--votes",
            "100",
        ])
        .unwrap();
        let Command::Vote(args) = cli.command else {
            panic!("vote")
        };
        assert_eq!(
            args.load.limits(args.votes).max_time,
            Duration::from_secs(60)
        );
        assert_eq!(args.load.limits(args.votes).total(), 200);
    }

    #[test]
    fn every_subcommand_writes_its_report_as_json() {
        for command in [
            &["vote", "http://x/", "--clients", "2", "--votes", "1"][..],
            &["counter", "http://x/", "--clients", "2", "--requests", "1"],
            &["get", "http://x/", "--clients", "2", "--requests", "1"],
            &["verify", "--ledger", "l", "--database", "postgres://x/"],
            &["drain", "--redis", "redis://x/"],
            &["upsert-sql", "--database", "postgres://x/", "--rows", "1"],
        ] {
            let args = ["loadgen"]
                .iter()
                .chain(command)
                .chain(&["--json", "r.json"]);
            let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{command:?}: {e}"));
            assert_eq!(cli.json, Some(PathBuf::from("r.json")), "{command:?}");
        }
    }
}
