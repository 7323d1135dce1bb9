//! This worker's side of the queue: taking batches into its processing list, acknowledging
//! them after commit, handing them back, its heartbeat, and what other workers hold. The
//! scripts and keys are the wire contract's ([`kit::queue`]).

use std::time::Duration;

use kit::queue::{self, DeadLetter, QUEUE, TakeLimits, Taken};
use kit::redis_client::RedisSettings;
use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{AsyncCommands, RedisResult};

/// How long an idle worker blocks waiting for a message. Short enough that a stop signal is
/// honoured within it.
pub const BLOCK: Duration = Duration::from_secs(1);

/// At most this many bytes of messages per batch (past the first message): with messages of up
/// to [`queue::MAX_MESSAGE_BYTES`], a batch never makes a slow script or a long answer.
pub const BATCH_BYTES: usize = 256 * 1024;

/// One take stops reading the queue's head after this many bytes, dead-lettered ones included,
/// so a run of huge messages is cleared over several short calls, not one that stalls Redis.
pub const SCAN_BYTES: usize = 4 * 1024 * 1024;

pub struct Queue {
    settings: RedisSettings,
    shared: ConnectionManager,
    /// The connection BLMOVE blocks on; never the shared one, whose response timeout is shorter.
    blocking: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    worker_id: String,
    heartbeat: String,
}

impl Queue {
    pub fn new(settings: RedisSettings, shared: ConnectionManager, worker_id: &str) -> Self {
        Self {
            settings,
            shared,
            blocking: tokio::sync::Mutex::default(),
            worker_id: worker_id.to_owned(),
            heartbeat: queue::heartbeat_key(worker_id),
        }
    }

    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// The next batch, now in this worker's processing list. Busy: one round trip. Idle: waits
    /// up to [`BLOCK`] for a message, then takes. An empty batch with nothing dead-lettered
    /// means nothing arrived in that time.
    pub async fn take(&self, max: usize) -> RedisResult<Taken> {
        let taken = self.take_now(max).await?;
        if !taken.messages.is_empty() || taken.dead_lettered > 0 {
            return Ok(taken);
        }
        if self.wait_for_message().await? {
            self.take_now(max).await
        } else {
            Ok(Taken::default())
        }
    }

    /// The next batch without waiting: empty with nothing dead-lettered when the queue is.
    pub async fn take_now(&self, max: usize) -> RedisResult<Taken> {
        let limits = TakeLimits {
            messages: max,
            batch_bytes: BATCH_BYTES,
            scan_bytes: SCAN_BYTES,
        };
        queue::take(&mut self.shared.clone(), &self.worker_id, limits).await
    }

    /// Blocks until the queue has a message, or [`BLOCK`] passed; true when it has. Rotating the
    /// head onto itself (`BLMOVE votes votes LEFT LEFT`) changes nothing: the message stays
    /// first in the queue, and only the take script moves it, numbering or dead-lettering it.
    async fn wait_for_message(&self) -> RedisResult<bool> {
        let mut blocking = self.blocking.lock().await;
        if blocking.is_none() {
            *blocking = Some(self.settings.dedicated_connection(BLOCK).await?);
        }
        let conn = blocking.as_mut().expect("connection was just set");
        let result: RedisResult<Option<Vec<u8>>> = redis::cmd("BLMOVE")
            .arg(QUEUE)
            .arg(QUEUE)
            .arg("LEFT")
            .arg("LEFT")
            .arg(BLOCK.as_secs_f64())
            .query_async(conn)
            .await;
        if result.is_err() {
            *blocking = None;
        }
        Ok(result?.is_some())
    }

    /// See [`queue::ack`].
    pub async fn ack(&self, dead: &[DeadLetter]) -> RedisResult<bool> {
        queue::ack(&mut self.shared.clone(), &self.worker_id, dead).await
    }

    /// Gives an unfinished batch back to the queue, at its head, for another worker.
    pub async fn hand_back(&self) -> RedisResult<i64> {
        queue::hand_back(&mut self.shared.clone(), &self.worker_id).await
    }

    /// Says this worker is alive for `ttl`.
    pub async fn beat(&self, ttl: Duration) -> RedisResult<()> {
        let mut conn = self.shared.clone();
        let ttl_ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        conn.pset_ex::<_, _, ()>(&self.heartbeat, &self.worker_id, ttl_ms)
            .await
    }

    /// Stops saying this worker is alive, so nobody waits for its heartbeat to expire.
    pub async fn sign_off(&self) -> RedisResult<()> {
        let mut conn = self.shared.clone();
        conn.del::<_, ()>(&self.heartbeat).await
    }

    /// Whether worker `owner`'s heartbeat is there.
    pub async fn is_alive(&self, owner: &str) -> RedisResult<bool> {
        let mut conn = self.shared.clone();
        conn.exists(queue::heartbeat_key(owner)).await
    }

    /// See [`queue::recover`].
    pub async fn recover(&self, owner: &str) -> RedisResult<Option<i64>> {
        queue::recover(&mut self.shared.clone(), owner).await
    }

    /// The other workers that hold a processing list.
    pub async fn other_owners(&self) -> RedisResult<Vec<String>> {
        let mut conn = self.shared.clone();
        let pattern = queue::processing_pattern();
        let mut owners: Vec<String> = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut conn)
                .await?;
            owners.extend(
                keys.iter()
                    .filter_map(|key| queue::processing_owner(key))
                    .filter(|owner| *owner != self.worker_id)
                    .map(str::to_owned),
            );
            if next == 0 {
                return Ok(owners);
            }
            cursor = next;
        }
    }
}
