//! The Redis side of verification: how many votes are not yet committed to PostgreSQL.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::Context;
use kit::queue::not_yet_committed;
use kit::redis_client::RedisSettings;
use redis::aio::MultiplexedConnection;
use serde::Serialize;

/// How often the queue is looked at while waiting.
const POLL: Duration = Duration::from_millis(20);

/// How long connecting and each command may take: loadgen shares the machine it loads, and a
/// slow answer there is not a lost vote.
const PATIENCE: Duration = Duration::from_secs(5);

/// A connection whose commands may take [`PATIENCE`].
pub async fn connect(url: &str) -> anyhow::Result<MultiplexedConnection> {
    RedisSettings::from_url(url)
        .with_context(|| format!("{url} is not a Redis URL"))?
        .patient_connection(PATIENCE)
        .await
        .with_context(|| format!("cannot connect to Redis at {url}"))
}

/// How waiting for the queue to drain went: also the `drain` section of a report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Drain {
    /// Depth when the wait began.
    pub votes: u64,
    /// Depth when it ended: 0 unless the time ran out.
    pub left: u64,
    /// How long the wait took.
    pub seconds: f64,
    /// The votes that left the queue, per second of the wait.
    pub votes_per_second: f64,
}

impl Drain {
    fn new(votes: u64, left: u64, waited: Duration) -> Self {
        let seconds = waited.as_secs_f64();
        let drained = votes - left.min(votes);
        Self {
            votes,
            left,
            seconds,
            votes_per_second: if seconds > 0.0 {
                drained as f64 / seconds
            } else {
                0.0
            },
        }
    }

    pub fn drained(&self) -> bool {
        self.left == 0
    }
}

impl fmt::Display for Drain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "drain       {} votes queued, {} left after {:.2} s: {:.0} votes/s",
            self.votes, self.left, self.seconds, self.votes_per_second
        )
    }
}

/// Waits until nothing is left to commit, or `within` has passed.
pub async fn wait_drained(
    conn: &mut MultiplexedConnection,
    within: Duration,
) -> anyhow::Result<Drain> {
    let started = Instant::now();
    let initial = not_yet_committed(conn)
        .await
        .context("reading the queue depth")?;
    let mut left = initial;
    while left > 0 && started.elapsed() < within {
        tokio::time::sleep(POLL).await;
        left = not_yet_committed(conn)
            .await
            .context("reading the queue depth")?;
    }
    Ok(Drain::new(initial, left, started.elapsed()))
}
