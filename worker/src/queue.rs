//! The Redis side of the worker: taking batches into this worker's processing list,
//! acknowledging them after commit, and recovering the lists of workers that died.

use std::time::Duration;

use kit::redis_client::RedisSettings;
use kit::vote::{DEAD_LETTERS, QUEUE};
use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{AsyncCommands, RedisResult, Script};

pub const PROCESSING_PREFIX: &str = "votes:processing:";
const HEARTBEAT_PREFIX: &str = "votes:worker:";

/// How long an idle BLMOVE waits. Short enough that a stop signal is honoured within it, since
/// the blocked command is never abandoned half-way (a vote it moves must be seen).
pub const BLOCK: Duration = Duration::from_secs(1);

pub fn processing_key(worker_id: &str) -> String {
    format!("{PROCESSING_PREFIX}{worker_id}")
}

pub fn heartbeat_key(worker_id: &str) -> String {
    format!("{HEARTBEAT_PREFIX}{worker_id}")
}

/// Moves up to ARGV[1] messages from the head of the queue to the tail of the processing list,
/// atomically: a message is always in exactly one of the two lists.
const TAKE: &str = r"
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('RPUSH', KEYS[2], unpack(items))
  redis.call('LTRIM', KEYS[1], #items, -1)
end
return items
";

/// Puts a processing list back at the head of the queue in its original order, unless its
/// owner's heartbeat key (KEYS[3], when given) shows the owner is alive. Returns how many
/// messages moved, or -1 when the owner is alive.
const RETURN_TO_QUEUE: &str = r"
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local items = redis.call('LRANGE', KEYS[1], 0, -1)
for i = #items, 1, -1 do
  redis.call('LPUSH', KEYS[2], items[i])
end
redis.call('DEL', KEYS[1])
return #items
";

/// A dead letter as stored in `votes:dead`.
pub struct DeadLetter {
    pub reason: String,
    pub message: Vec<u8>,
}

impl DeadLetter {
    fn to_json(&self) -> String {
        // Keep enough of a huge payload to recognise it, not the whole thing.
        let shown = &self.message[..self.message.len().min(1024)];
        serde_json::json!({
            "reason": self.reason,
            "message": String::from_utf8_lossy(shown),
            "bytes": self.message.len(),
        })
        .to_string()
    }
}

pub struct Queue {
    settings: RedisSettings,
    shared: ConnectionManager,
    /// The connection BLMOVE blocks on; never the pool's, whose response timeout is shorter.
    blocking: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    worker_id: String,
    processing: String,
    heartbeat: String,
    take: Script,
    return_to_queue: Script,
}

impl Queue {
    pub fn new(settings: RedisSettings, shared: ConnectionManager, worker_id: &str) -> Self {
        Self {
            settings,
            shared,
            blocking: tokio::sync::Mutex::default(),
            worker_id: worker_id.to_owned(),
            processing: processing_key(worker_id),
            heartbeat: heartbeat_key(worker_id),
            take: Script::new(TAKE),
            return_to_queue: Script::new(RETURN_TO_QUEUE),
        }
    }

    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// The next batch, now in this worker's processing list. Busy: one round trip. Idle: waits
    /// up to [`BLOCK`] for the first message, then takes what else has arrived. An empty batch
    /// means nothing arrived in that time.
    pub async fn take(&self, max: usize) -> RedisResult<Vec<Vec<u8>>> {
        let batch = self.take_ready(max).await?;
        if !batch.is_empty() {
            return Ok(batch);
        }
        let first: Option<Vec<u8>> = {
            let mut blocking = self.blocking.lock().await;
            if blocking.is_none() {
                *blocking = Some(self.settings.dedicated_connection(BLOCK).await?);
            }
            let conn = blocking.as_mut().expect("connection was just set");
            let result = redis::cmd("BLMOVE")
                .arg(QUEUE)
                .arg(&self.processing)
                .arg("LEFT")
                .arg("RIGHT")
                .arg(BLOCK.as_secs_f64())
                .query_async(conn)
                .await;
            if result.is_err() {
                *blocking = None;
            }
            result?
        };
        let Some(first) = first else {
            return Ok(Vec::new());
        };
        let mut batch = vec![first];
        if max > 1 {
            batch.extend(self.take_ready(max - 1).await?);
        }
        Ok(batch)
    }

    async fn take_ready(&self, max: usize) -> RedisResult<Vec<Vec<u8>>> {
        let mut conn = self.shared.clone();
        self.take
            .key(QUEUE)
            .key(&self.processing)
            .arg(max)
            .invoke_async(&mut conn)
            .await
    }

    /// After the commit: record dead letters and empty the processing list, in one MULTI so a
    /// crash cannot do one without the other.
    pub async fn ack(&self, dead: &[DeadLetter]) -> RedisResult<()> {
        let mut conn = self.shared.clone();
        let mut pipe = redis::pipe();
        pipe.atomic();
        if !dead.is_empty() {
            let letters: Vec<String> = dead.iter().map(DeadLetter::to_json).collect();
            pipe.rpush(DEAD_LETTERS, letters).ignore();
        }
        pipe.del(&self.processing).ignore();
        pipe.query_async::<()>(&mut conn).await
    }

    /// Gives an unfinished batch back to the queue, at its head, for another worker.
    pub async fn hand_back(&self) -> RedisResult<i64> {
        let mut conn = self.shared.clone();
        self.return_to_queue
            .key(&self.processing)
            .key(QUEUE)
            .invoke_async(&mut conn)
            .await
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

    /// Puts back the batches of workers whose heartbeat expired. Returns how many messages moved.
    pub async fn recover_orphans(&self) -> RedisResult<i64> {
        let mut conn = self.shared.clone();
        let pattern = format!("{PROCESSING_PREFIX}*");
        let mut lists: Vec<String> = Vec::new();
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
            lists.extend(keys);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        let mut moved = 0;
        for list in lists.iter().filter(|l| **l != self.processing) {
            let owner = &list[PROCESSING_PREFIX.len()..];
            let n: i64 = self
                .return_to_queue
                .key(list)
                .key(QUEUE)
                .key(heartbeat_key(owner))
                .invoke_async(&mut conn)
                .await?;
            if n > 0 {
                tracing::warn!(
                    dead_worker = owner,
                    votes = n,
                    "recovered the batch of a worker that stopped answering"
                );
                moved += n;
            }
        }
        Ok(moved)
    }

    pub async fn depth(&self) -> RedisResult<u64> {
        let mut conn = self.shared.clone();
        conn.llen(QUEUE).await
    }
}
