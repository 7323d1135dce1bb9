//! Each subcommand from arguments to printed report: run, check, print, and say whether
//! everything passed.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

use crate::cli::{Command, DrainArgs, RequestsArgs, UpsertArgs, VerifyArgs, VoteArgs};
use crate::counter::{self, Numbers};
use crate::driver::Limits;
use crate::get;
use crate::ledger::Ledger;
use crate::progress::Display;
use crate::queue::{self, Drain};
use crate::screen::{Screen, ScreenLatency};
use crate::stats::Summary;
use crate::target::Target;
use crate::upsert::{self, UpsertOptions, UpsertRun};
use crate::verify::{self, Verdict, VerifyOptions};
use crate::vote;

/// Everything a run found; printed as it goes, and written whole by `--json`, without the
/// sections its subcommand does not produce.
#[serde_with::skip_serializing_none]
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub passed: bool,
    /// Why not, in a few words each.
    pub failures: Vec<String>,
    pub summary: Option<Summary>,
    pub voters: Option<usize>,
    pub numbers: Option<Numbers>,
    pub screen: Option<ScreenLatency>,
    pub verify: Option<Verdict>,
    pub drain: Option<Drain>,
    pub upsert: Option<UpsertRun>,
}

impl Report {
    /// The report of a load, printed: any failed request fails it.
    fn of_requests(summary: Summary) -> Self {
        println!("{summary}");
        let mut report = Self::default();
        if summary.errors > 0 {
            report.fail(format!("{} requests failed", summary.errors));
        }
        if summary.ok == 0 {
            report.fail("no request succeeded");
        }
        report.summary = Some(summary);
        report
    }

    fn fail(&mut self, why: impl Into<String>) {
        self.failures.push(why.into());
    }

    fn close(mut self, json: Option<&Path>) -> anyhow::Result<Self> {
        self.passed = self.failures.is_empty();
        if let Some(path) = json {
            let text = serde_json::to_string_pretty(&self)?;
            std::fs::write(path, text + "\n")
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(self)
    }
}

/// Runs one subcommand; its report is also written to `json` as JSON, when given.
pub async fn run(command: Command, json: Option<&Path>) -> anyhow::Result<Report> {
    let report = match command {
        Command::Vote(args) => vote(args).await?,
        Command::Counter(args) => counter(args).await?,
        Command::Get(args) => get_pages(args).await?,
        Command::Verify(args) => verify_ledger(args).await?,
        Command::Drain(args) => drain(args).await?,
        Command::UpsertSql(args) => upsert_sql(args).await?,
    };
    report.close(json)
}

/// The target and limits of a load of GETs, announced.
fn start_requests(name: &str, args: &RequestsArgs) -> anyhow::Result<(Target, Limits)> {
    let target = Target::parse(&args.url)?;
    let limits = args.load.limits(args.requests);
    println!(
        "{name:<12}{} clients x {} requests against {}",
        limits.clients, limits.per_client, args.url
    );
    Ok((target, limits))
}

async fn vote(args: VoteArgs) -> anyhow::Result<Report> {
    let target = Target::parse(&args.url)?;
    let limits = args.load.limits(args.votes);
    let wait = args.wait.wait();
    let mut screen = match &args.screen {
        Some(url) => Some(Screen::open(url, wait).await?),
        None => None,
    };
    println!(
        "vote        {} clients x {} votes against {}, {}",
        limits.clients,
        limits.per_client,
        args.url,
        if args.fresh_voters {
            "a new voter for each vote"
        } else {
            "one voter per client"
        }
    );
    let run = vote::run(
        target,
        limits,
        args.fresh_voters,
        screen.is_some(),
        Display::auto(args.load.quiet),
    )
    .await?;
    let mut report = Report::of_requests(run.summary);
    println!(
        "voters      {} ({} with an acknowledged vote)",
        run.ledger.len(),
        run.ledger.acknowledged_voters()
    );
    report.voters = Some(run.ledger.len());

    if let Some(screen) = screen.as_mut() {
        screen.wait_for_votes(run.acks.len(), wait).await;
        let latency = screen.latencies(&run.acks);
        println!("{latency}");
        if latency.unseen > 0 {
            report.fail(format!("{} votes never reached the screen", latency.unseen));
        }
        report.screen = Some(latency);
    }
    if let Some(path) = &args.save_ledger {
        run.ledger.save(path)?;
    }
    if let Some(database_url) = args.verify {
        let options = args.wait.verify_options(database_url);
        check_ledger(&mut report, &run.ledger, &options).await?;
    }
    Ok(report)
}

async fn check_ledger(
    report: &mut Report,
    ledger: &Ledger,
    options: &VerifyOptions,
) -> anyhow::Result<()> {
    let verdict = verify::verify(ledger, options).await?;
    println!("{verdict}");
    if !verdict.ok() {
        report.fail(format!(
            "verification: {} lost, {} wrong, {} still queued",
            verdict.lost,
            verdict.wrong,
            verdict.queue_left.unwrap_or(0)
        ));
    }
    report.verify = Some(verdict);
    Ok(())
}

async fn verify_ledger(args: VerifyArgs) -> anyhow::Result<Report> {
    let ledger = Ledger::load(&args.ledger)?;
    let mut report = Report {
        voters: Some(ledger.len()),
        ..Report::default()
    };
    if ledger.is_empty() {
        report.fail("the ledger holds no voter");
    }
    let options = args.wait.verify_options(args.database);
    check_ledger(&mut report, &ledger, &options).await?;
    Ok(report)
}

async fn counter(args: RequestsArgs) -> anyhow::Result<Report> {
    let (target, limits) = start_requests("counter", &args)?;
    let run = counter::run(target, limits, Display::auto(args.load.quiet)).await?;
    let mut report = Report::of_requests(run.summary);
    println!("{}", run.numbers);
    if !run.numbers.duplicates.is_empty() {
        report.fail(format!(
            "{} numbers were handed out twice",
            run.numbers.duplicates.len()
        ));
    }
    if run.numbers.missing > 0 {
        report.fail(format!(
            "{} numbers missing between {} and {}",
            run.numbers.missing,
            run.numbers.first.unwrap_or(0),
            run.numbers.last.unwrap_or(0)
        ));
    }
    report.numbers = Some(run.numbers);
    Ok(report)
}

async fn get_pages(args: RequestsArgs) -> anyhow::Result<Report> {
    let (target, limits) = start_requests("get", &args)?;
    let summary = get::run(target, limits, Display::auto(args.load.quiet)).await?;
    Ok(Report::of_requests(summary))
}

async fn drain(args: DrainArgs) -> anyhow::Result<Report> {
    let mut conn = queue::connect(&args.redis).await?;
    let drain = queue::wait_drained(&mut conn, Duration::from_secs(args.max_seconds)).await?;
    println!("{drain}");
    let mut report = Report::default();
    if !drain.drained() {
        report.fail(format!("{} votes still queued", drain.left));
    }
    report.drain = Some(drain);
    Ok(report)
}

async fn upsert_sql(args: UpsertArgs) -> anyhow::Result<Report> {
    let options = UpsertOptions {
        database_url: args.database,
        rows: args.rows,
        batch_size: usize::try_from(args.batch_size).unwrap_or(1000),
        prefix: args.prefix,
        max_time: Duration::from_secs(args.max_seconds),
    };
    let run = upsert::run(&options).await?;
    println!("{run}");
    let mut report = Report::default();
    if run.rows < options.rows {
        report.fail(format!(
            "stopped by --max-seconds after {} of {} rows",
            run.rows, options.rows
        ));
    }
    report.upsert = Some(run);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_leaves_out_the_sections_a_subcommand_does_not_produce() {
        let report = Report {
            voters: Some(3),
            ..Report::default()
        };
        let json = serde_json::to_value(&report).expect("serialize");
        assert_eq!(
            json,
            serde_json::json!({"passed": false, "failures": [], "voters": 3})
        );
    }
}
