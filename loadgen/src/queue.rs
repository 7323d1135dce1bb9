//! The Redis side of verification: how many votes are not yet committed to PostgreSQL.

use std::time::{Duration, Instant};

use anyhow::Context;
use kit::queue::not_yet_committed;
use redis::aio::MultiplexedConnection;

/// How often the queue is looked at while waiting.
const POLL: Duration = Duration::from_millis(20);

/// A connection whose commands may take 5 s: loadgen shares the machine it loads, and a slow
/// answer there is not a lost vote.
pub async fn connect(url: &str) -> anyhow::Result<MultiplexedConnection> {
    let client = redis::Client::open(url).with_context(|| format!("{url} is not a Redis URL"))?;
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(Duration::from_secs(5)));
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .with_context(|| format!("cannot connect to Redis at {url}"))
}

/// How waiting for the queue to drain went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drain {
    /// Depth when the wait began.
    pub initial: u64,
    /// Depth when it ended: 0 unless the time ran out.
    pub left: u64,
    pub waited: Duration,
}

impl Drain {
    pub fn drained(&self) -> bool {
        self.left == 0
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
    Ok(Drain {
        initial,
        left,
        waited: started.elapsed(),
    })
}
