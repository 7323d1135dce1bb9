//! The Redis side of the worker: taking batches into this worker's processing list,
//! acknowledging them after commit, and recovering the lists of workers that died.

use std::time::Duration;

use kit::redis_client::RedisSettings;
use kit::vote::{DEAD_LETTERS, MAX_MESSAGE_BYTES, QUEUE, Rejection, VOTE_SEQ_KEY};
use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::{AsyncCommands, RedisResult, Script};
use tokio::time::Instant;

use crate::dead_letter::{DeadLetter, SHOWN_BYTES};
use crate::orphans::MissingOwners;
use crate::scripts;

pub const PROCESSING_PREFIX: &str = "votes:processing:";
const HEARTBEAT_PREFIX: &str = "votes:worker:";

/// How long an idle worker blocks waiting for a message. Short enough that a stop signal is
/// honoured within it.
pub const BLOCK: Duration = Duration::from_secs(1);

pub fn processing_key(worker_id: &str) -> String {
    format!("{PROCESSING_PREFIX}{worker_id}")
}

pub fn heartbeat_key(worker_id: &str) -> String {
    format!("{HEARTBEAT_PREFIX}{worker_id}")
}

/// At most this many bytes of messages per batch (past the first message): with messages of up
/// to [`MAX_MESSAGE_BYTES`], a batch never makes a slow script or a long answer.
pub const BATCH_BYTES: usize = 256 * 1024;

/// One take stops reading the queue's head after this many bytes, dead-lettered ones included,
/// so a run of huge messages is cleared over several short calls, not one that stalls Redis.
pub const SCAN_BYTES: usize = 4 * 1024 * 1024;

/// What one take did.
#[derive(Debug, Default)]
pub struct Taken {
    /// The batch, now in this worker's processing list.
    pub messages: Vec<Vec<u8>>,
    /// How many messages too large to take the script moved to the dead letters instead.
    pub dead_lettered: u64,
}

pub struct Queue {
    settings: RedisSettings,
    shared: ConnectionManager,
    /// The connection BLMOVE blocks on; never the shared one, whose response timeout is shorter.
    blocking: tokio::sync::Mutex<Option<MultiplexedConnection>>,
    worker_id: String,
    processing: String,
    heartbeat: String,
    take: Script,
    ack: Script,
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
            take: Script::new(scripts::TAKE),
            ack: Script::new(scripts::ACK),
            return_to_queue: Script::new(scripts::RETURN_TO_QUEUE),
        }
    }

    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// The next batch, now in this worker's processing list. Busy: one round trip. Idle: waits
    /// up to [`BLOCK`] for a message, then takes. An empty batch with nothing dead-lettered
    /// means nothing arrived in that time.
    pub async fn take(&self, max: usize) -> RedisResult<Taken> {
        let taken = self.take_ready(max).await?;
        if !taken.messages.is_empty() || taken.dead_lettered > 0 {
            return Ok(taken);
        }
        if self.wait_for_message().await? {
            self.take_ready(max).await
        } else {
            Ok(Taken::default())
        }
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

    async fn take_ready(&self, max: usize) -> RedisResult<Taken> {
        let mut conn = self.shared.clone();
        let (messages, dead_lettered) = self
            .take
            .key(QUEUE)
            .key(&self.processing)
            .key(DEAD_LETTERS)
            .key(VOTE_SEQ_KEY)
            .arg(max)
            .arg(BATCH_BYTES)
            .arg(MAX_MESSAGE_BYTES)
            .arg(SCAN_BYTES)
            .arg(Rejection::TooLarge.to_string())
            .arg(SHOWN_BYTES)
            .invoke_async(&mut conn)
            .await?;
        Ok(Taken {
            messages,
            dead_lettered,
        })
    }

    /// After the commit: records the dead letters and empties the processing list, atomically,
    /// and only if the list is still there. False when it was not: another worker recovered
    /// the batch, or an earlier try of this ack ran but its answer was lost.
    pub async fn ack(&self, dead: &[DeadLetter]) -> RedisResult<bool> {
        let mut conn = self.shared.clone();
        let letters: Vec<String> = dead.iter().map(DeadLetter::to_json).collect();
        self.ack
            .key(&self.processing)
            .key(DEAD_LETTERS)
            .arg(letters)
            .invoke_async(&mut conn)
            .await
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

    /// Puts back the batches of workers whose heartbeat is gone for good (see
    /// [`MissingOwners`]). Returns how many messages moved.
    pub async fn recover_orphans(&self, missing: &mut MissingOwners) -> RedisResult<i64> {
        let mut conn = self.shared.clone();
        let lists = self.processing_lists().await?;
        let owners: Vec<&str> = lists
            .iter()
            .filter(|list| **list != self.processing)
            .map(|list| &list[PROCESSING_PREFIX.len()..])
            .collect();
        missing.retain(|owner| owners.contains(&owner));
        let mut moved = 0;
        for owner in owners {
            let heartbeat = heartbeat_key(owner);
            if conn.exists(&heartbeat).await? {
                missing.forget(owner);
                continue;
            }
            if !missing.missing(owner, Instant::now()) {
                continue;
            }
            let n: i64 = self
                .return_to_queue
                .key(processing_key(owner))
                .key(QUEUE)
                .key(&heartbeat)
                .invoke_async(&mut conn)
                .await?;
            missing.forget(owner);
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

    async fn processing_lists(&self) -> RedisResult<Vec<String>> {
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
                return Ok(lists);
            }
            cursor = next;
        }
    }

    pub async fn depth(&self) -> RedisResult<u64> {
        let mut conn = self.shared.clone();
        conn.llen(QUEUE).await
    }
}
