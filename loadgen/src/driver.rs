//! The loop every mode shares: N concurrent clients, each on its own keep-alive connection,
//! each sending its requests one after the other, until its count is done or the time limit
//! is reached. A request already sent when the limit comes is finished, not abandoned, so
//! every outcome is known (abandoning it would make the counter's numbers or the voters'
//! last choices uncertain).

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::http::{Connection, Failure};
use crate::progress::{Counters, Display, Reporter};
use crate::stats::{Latencies, Summary};
use crate::target::Target;

/// Bounds of a run; all explicit, so that a load never runs on by accident.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub clients: usize,
    /// Requests each client sends.
    pub per_client: u64,
    /// No request starts after this much time from the start.
    pub max_time: Duration,
    /// Requests per second over all clients, spread evenly; `None` for as fast as possible.
    pub rate: Option<f64>,
    /// For each request, answer included.
    pub timeout: Duration,
}

impl Limits {
    pub fn total(&self) -> u64 {
        self.per_client.saturating_mul(self.clients as u64)
    }

    /// When client `client` sends its request number `k` under `--rate`: clients take turns,
    /// so the whole run is evenly spaced.
    fn slot(&self, client: usize, k: u64) -> Option<Duration> {
        let rate = self.rate?;
        let n = client as f64 + k as f64 * self.clients as f64;
        Some(Duration::from_secs_f64(n / rate))
    }
}

/// What one simulated client does per request. It keeps its own state (cookie, numbers seen,
/// expected votes) and hands it back at the end.
pub trait Session: Send + 'static {
    fn step(
        &mut self,
        conn: &mut Connection,
        timeout: Duration,
    ) -> impl Future<Output = Result<(), Failure>> + Send;
}

/// The sessions after the run, in client order, and the summary.
#[derive(Debug)]
pub struct Run<S> {
    pub sessions: Vec<S>,
    pub summary: Summary,
}

struct ClientOutcome<S> {
    session: S,
    ok: u64,
    errors: BTreeMap<String, u64>,
    stopped_by_time_limit: bool,
}

pub async fn drive<S: Session>(
    target: Target,
    limits: Limits,
    sessions: Vec<S>,
    display: Display,
    what: &'static str,
) -> anyhow::Result<Run<S>> {
    let target = Arc::new(target);
    let latencies = Arc::new(Latencies::default());
    let counters = Arc::new(Counters::default());
    let reporter = Reporter::start(display, what, limits.total(), counters.clone());
    let started = Instant::now();
    let deadline = started + limits.max_time;
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(index, session)| {
            let shared = Shared {
                index,
                limits,
                started,
                deadline,
                latencies: latencies.clone(),
                counters: counters.clone(),
            };
            tokio::spawn(client(session, Connection::new(target.clone()), shared))
        })
        .collect();
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await?);
    }
    let elapsed = started.elapsed();
    reporter.finish().await;

    let mut ok = 0;
    let mut errors = BTreeMap::new();
    let mut stopped = false;
    let mut sessions = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        ok += outcome.ok;
        for (kind, n) in outcome.errors {
            *errors.entry(kind).or_insert(0) += n;
        }
        stopped |= outcome.stopped_by_time_limit;
        sessions.push(outcome.session);
    }
    let summary = Summary::new(ok, errors, elapsed, &latencies.merged(), stopped);
    Ok(Run { sessions, summary })
}

struct Shared {
    index: usize,
    limits: Limits,
    started: Instant,
    deadline: Instant,
    latencies: Arc<Latencies>,
    counters: Arc<Counters>,
}

async fn client<S: Session>(
    mut session: S,
    mut conn: Connection,
    shared: Shared,
) -> ClientOutcome<S> {
    let Shared {
        index,
        limits,
        started,
        deadline,
        latencies,
        counters,
    } = shared;
    let mut ok = 0;
    let mut errors = BTreeMap::new();
    let mut stopped_by_time_limit = false;
    for k in 0..limits.per_client {
        if let Some(offset) = limits.slot(index, k) {
            let at = started + offset;
            if at >= deadline {
                stopped_by_time_limit = true;
                break;
            }
            tokio::time::sleep_until(at.into()).await;
        }
        let sent = Instant::now();
        if sent >= deadline {
            stopped_by_time_limit = true;
            break;
        }
        match session.step(&mut conn, limits.timeout).await {
            Ok(()) => {
                latencies.record(index, sent.elapsed());
                counters.completed(true);
                ok += 1;
            }
            Err(failure) => {
                counters.completed(false);
                *errors.entry(failure.to_string()).or_insert(0) += 1;
            }
        }
    }
    ClientOutcome {
        session,
        ok,
        errors,
        stopped_by_time_limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_slots_interleave_clients_evenly() {
        let limits = Limits {
            clients: 4,
            per_client: 10,
            max_time: Duration::from_secs(1),
            rate: Some(100.0),
            timeout: Duration::from_secs(1),
        };
        let ms = |c, k| limits.slot(c, k).unwrap().as_secs_f64() * 1000.0;
        assert!((ms(0, 0) - 0.0).abs() < 1e-9);
        assert!((ms(1, 0) - 10.0).abs() < 1e-9);
        assert!((ms(3, 0) - 30.0).abs() < 1e-9);
        assert!((ms(0, 1) - 40.0).abs() < 1e-9);
        assert_eq!(limits.total(), 40);
    }
}
