//! `--verify`: after a vote run, checks that PostgreSQL holds exactly this run's voters, each
//! with the last choice the vote app acknowledged. Other voters' rows are left alone: only the
//! ids this run was given are read.
//!
//! It first waits for the queue to drain: with `--redis`, until the queue and every worker's
//! processing list are empty (a batch leaves Redis only after its commit, so the table is then
//! final); without, by reading the table until every voter is right or nothing has changed for
//! a while. Either wait is bounded.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use anyhow::Context;
use kit::queue::Choice;
use serde::Serialize;
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;

use crate::ledger::Ledger;
use crate::queue;

/// Without Redis to ask, a table that has not changed for this long is taken as final.
const SETTLE: Duration = Duration::from_secs(3);
const POLL: Duration = Duration::from_millis(200);
/// Voter ids per query.
const CHUNK: usize = 10_000;
/// Problems listed by name; the rest are only counted.
const SHOWN: usize = 10;

#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub database_url: String,
    pub redis_url: Option<String>,
    /// For the whole wait: draining and reading.
    pub timeout: Duration,
}

/// A voter whose row is not what it should be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub voter: String,
    pub expected: Option<String>,
    pub found: Option<String>,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub voters: usize,
    pub right: usize,
    /// Voters with an acknowledged vote and no row.
    pub lost: usize,
    /// Voters whose row holds a choice they never made last.
    pub wrong: usize,
    /// Up to ten of each, for the report.
    pub examples: Vec<Problem>,
    /// Messages still in Redis when the wait ended (`None` without `--redis`).
    pub queue_left: Option<u64>,
    pub waited_seconds: f64,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.lost == 0 && self.wrong == 0 && self.queue_left.unwrap_or(0) == 0
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "verify      {}: {} voters, {} rows right, {} lost, {} wrong (waited {:.2} s",
            if self.ok() { "OK" } else { "FAILED" },
            self.voters,
            self.right,
            self.lost,
            self.wrong,
            self.waited_seconds
        )?;
        match self.queue_left {
            Some(0) => f.write_str(", queue drained)")?,
            Some(n) => write!(f, ", {n} votes STILL QUEUED in Redis)")?,
            None => f.write_str(")")?,
        }
        for p in &self.examples {
            let expected = p.expected.as_deref().unwrap_or("-");
            match &p.found {
                None => write!(
                    f,
                    "\n  LOST   voter {} (last vote {expected}): no row",
                    p.voter
                )?,
                Some(found) => write!(
                    f,
                    "\n  WRONG  voter {}: last vote {expected}, row says {found}",
                    p.voter
                )?,
            }
        }
        Ok(())
    }
}

pub async fn verify(ledger: &Ledger, options: &VerifyOptions) -> anyhow::Result<Verdict> {
    let started = Instant::now();
    let mut queue_left = None;
    if let Some(url) = &options.redis_url {
        let mut conn = queue::connect(url).await?;
        let drain = queue::wait_drained(&mut conn, options.timeout).await?;
        queue_left = Some(drain.left);
    }
    let (client, connection) = tokio_postgres::connect(&options.database_url, NoTls)
        .await
        .context("cannot connect to the --verify database")?;
    let connection = tokio::spawn(connection);
    let ids: Vec<&str> = ledger.iter().map(|(id, _)| id.as_str()).collect();
    let mut verdict = check(&client, ledger, &ids).await?;
    if queue_left.is_none() {
        // No queue to ask: read again until right, or until the table stops changing.
        let deadline = started + options.timeout;
        let mut last_change = Instant::now();
        while !verdict.ok() && last_change.elapsed() < SETTLE && Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
            let again = check(&client, ledger, &ids).await?;
            if again.right != verdict.right || again.wrong != verdict.wrong {
                last_change = Instant::now();
            }
            verdict = again;
        }
    }
    drop(client);
    let _ = connection.await;
    verdict.queue_left = queue_left;
    verdict.waited_seconds = started.elapsed().as_secs_f64();
    Ok(verdict)
}

async fn check(
    client: &tokio_postgres::Client,
    ledger: &Ledger,
    ids: &[&str],
) -> anyhow::Result<Verdict> {
    let mut found: HashMap<String, String> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let rows = match client
            .query("SELECT id, vote FROM votes WHERE id = ANY($1)", &[&chunk])
            .await
        {
            Ok(rows) => rows,
            // No worker ever ran: no table, so no row of ours either.
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => Vec::new(),
            Err(e) => return Err(e).context("reading the votes table"),
        };
        for row in rows {
            found.insert(row.get(0), row.get(1));
        }
    }
    let mut verdict = Verdict {
        voters: ledger.len(),
        right: 0,
        lost: 0,
        wrong: 0,
        examples: Vec::new(),
        queue_left: None,
        waited_seconds: 0.0,
    };
    for (voter, expected) in ledger.iter() {
        let row = found.get(voter.as_str());
        // A row with something other than a or b is wrong whatever was expected.
        let choice = row.map(|v| Choice::parse(v));
        let accepted = match choice {
            None => expected.accepts(None),
            Some(None) => false,
            Some(Some(c)) => expected.accepts(Some(c)),
        };
        if accepted {
            verdict.right += 1;
            continue;
        }
        if row.is_none() {
            verdict.lost += 1;
        } else {
            verdict.wrong += 1;
        }
        if verdict.examples.len() < SHOWN {
            verdict.examples.push(Problem {
                voter: voter.clone(),
                expected: expected.last.map(|c| c.as_str().to_owned()),
                found: row.cloned(),
            });
        }
    }
    Ok(verdict)
}
