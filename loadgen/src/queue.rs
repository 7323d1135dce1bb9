//! The Redis side of verification: how many votes are not yet committed to PostgreSQL.

use std::time::{Duration, Instant};

use anyhow::Context;
use redis::aio::MultiplexedConnection;

/// The worker's processing lists (`worker::PROCESSING_PREFIX`; a test keeps the two equal).
pub const PROCESSING_PREFIX: &str = "votes:processing:";

/// How often the queue is looked at while waiting.
const POLL: Duration = Duration::from_millis(20);

/// Messages in the queue plus in every worker's processing list, read in one script so that a
/// batch moving between the lists (taken, or recovered from a dead worker) is never missed.
/// `KEYS` is fine here: the lab's Redis holds a handful of keys.
const DEPTH: &str = r"
local n = redis.call('LLEN', KEYS[1])
for _, key in ipairs(redis.call('KEYS', ARGV[1])) do
  n = n + redis.call('LLEN', key)
end
return n
";

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

/// Votes waiting or being applied.
pub async fn depth(conn: &mut MultiplexedConnection) -> redis::RedisResult<u64> {
    redis::Script::new(DEPTH)
        .key(kit::vote::QUEUE)
        .arg(format!("{PROCESSING_PREFIX}*"))
        .invoke_async(conn)
        .await
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
    let initial = depth(conn).await.context("reading the queue depth")?;
    let mut left = initial;
    while left > 0 && started.elapsed() < within {
        tokio::time::sleep(POLL).await;
        left = depth(conn).await.context("reading the queue depth")?;
    }
    Ok(Drain {
        initial,
        left,
        waited: started.elapsed(),
    })
}
