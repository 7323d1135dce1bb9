//! The worker loop: take a batch, commit it, acknowledge it; repeat until stopped.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use deadpool_postgres::Pool as PgPool;
use kit::backoff::{ErrorCounter, Outage};
use kit::postgres_client::ErrorChain;
use kit::vote::VoteMessage;
use redis::aio::ConnectionManager;
use tokio_util::sync::CancellationToken;

use crate::Config;
use crate::apply;
use crate::dead_letter::DeadLetter;
use crate::orphans::MissingOwners;
use crate::queue::Queue;

/// A transaction that has not finished by then is abandoned and retried; retrying is safe
/// because applying a batch twice gives the same table.
const COMMIT_DEADLINE: Duration = Duration::from_secs(10);

/// On a stop signal, how long a transaction in flight may still take to commit (saving a
/// replay of its batch) before it is dropped: its connection then goes with the process, which
/// rolls it back, and the batch goes back to the queue. Keeps the stop within Docker's 10 s
/// grace even when the commit waits on a lock.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// Why the database could not take a batch or the schema.
#[derive(Debug, thiserror::Error)]
enum DatabaseError {
    #[error("no database connection")]
    Connect(#[from] deadpool_postgres::PoolError),
    #[error("the statement failed")]
    Statement(#[from] tokio_postgres::Error),
    #[error("the transaction did not finish within {COMMIT_DEADLINE:?}")]
    Deadline,
}

/// Votes wait in Redis whichever backend is down: an outage loses nothing.
const WHILE_DOWN: &str = "retrying with backoff, votes are kept";
const REDIS_ERRORS: ErrorCounter = ErrorCounter {
    name: "worker_backend_errors_total",
    labels: &[("backend", "redis")],
};
const POSTGRES_ERRORS: ErrorCounter = ErrorCounter {
    name: "worker_backend_errors_total",
    labels: &[("backend", "postgres")],
};

/// Everything the loop needs.
pub struct Worker {
    queue: Arc<Queue>,
    postgres: PgPool,
    batch_size: usize,
    heartbeat_ttl: Duration,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.queue.worker_id())
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

impl Worker {
    pub fn new(config: &Config, redis: ConnectionManager, postgres: PgPool) -> Self {
        Self {
            queue: Arc::new(Queue::new(config.redis.clone(), redis, &config.worker_id)),
            postgres,
            batch_size: config.batch_size,
            heartbeat_ttl: config.heartbeat_ttl,
        }
    }
}

/// Drains the queue into PostgreSQL until `shutdown` is cancelled. Never returns early on a
/// backend error: it logs the outage once and retries. On shutdown, a batch that is not
/// committed yet goes back to the head of the queue.
pub async fn run(worker: Worker, shutdown: CancellationToken) {
    let Worker {
        queue,
        postgres,
        batch_size,
        heartbeat_ttl,
    } = worker;
    tracing::info!(worker_id = queue.worker_id(), batch_size, "worker starting");
    let housekeeping_stop = CancellationToken::new();
    let housekeeping = tokio::spawn(housekeep(
        queue.clone(),
        heartbeat_ttl,
        housekeeping_stop.clone(),
    ));
    let mut redis = Outage::new("redis", WHILE_DOWN, REDIS_ERRORS);
    let mut pg = Outage::new("postgres", WHILE_DOWN, POSTGRES_ERRORS);

    migrate(&postgres, &mut pg, &shutdown).await;
    // The processing list must hold exactly the batch in hand, since acknowledging empties it.
    // It may hold more: what a previous run under the same WORKER_ID left when it crashed, or
    // what a take moved there when its answer was lost. Those go back to the queue first.
    let mut list_unknown = true;
    while !shutdown.is_cancelled() {
        if list_unknown {
            match queue.hand_back().await {
                Ok(n) => {
                    if n > 0 {
                        tracing::warn!(
                            votes = n,
                            "returned votes left in this worker's processing list to the queue"
                        );
                    }
                    list_unknown = false;
                }
                Err(e) => {
                    redis.failed(&e, &shutdown).await;
                    continue;
                }
            }
        }
        let taken = match queue.take(batch_size).await {
            Ok(taken) => {
                redis.ok();
                taken
            }
            Err(e) => {
                list_unknown = true;
                redis.failed(&e, &shutdown).await;
                continue;
            }
        };
        record_oversized(taken.dead_lettered);
        let raw = taken.messages;
        if raw.is_empty() {
            continue;
        }
        let taken = raw.len();
        let plan = apply::plan(raw);
        let Some(changed) = commit(&postgres, &plan.votes, &mut pg, &shutdown).await else {
            break;
        };
        let acknowledged = acknowledge(&queue, &plan.dead, &mut redis, &shutdown).await;
        let dead_lettered: &[DeadLetter] = if acknowledged { &plan.dead } else { &[] };
        record(taken, changed, &plan.votes, dead_lettered);
    }

    housekeeping_stop.cancel();
    let _ = housekeeping.await;
    // Whatever is still ours (an uncommitted batch) goes back now; only then may we stop
    // claiming to be alive, or another worker could grab a half-handled list.
    match queue.hand_back().await {
        Ok(n) => {
            if n > 0 {
                tracing::info!(votes = n, "handed the unfinished batch back to the queue");
            }
            let _ = queue.sign_off().await;
        }
        Err(e) => tracing::warn!(
            error = %e,
            "could not hand the batch back; another worker recovers it when this heartbeat expires"
        ),
    }
    tracing::info!("worker stopped");
}

async fn migrate(postgres: &PgPool, pg: &mut Outage, shutdown: &CancellationToken) {
    while !shutdown.is_cancelled() {
        let attempt = async {
            let mut client = postgres.get().await?;
            kit::schema::migrate(&mut client).await?;
            Ok::<_, DatabaseError>(())
        };
        let result = tokio::select! {
            result = attempt => result,
            () = shutdown.cancelled() => return,
        };
        match result {
            Ok(()) => {
                pg.ok();
                return;
            }
            Err(e) => pg.failed(&ErrorChain(&e), shutdown).await,
        }
    }
}

/// Commits the batch, retrying until it succeeds. `None` when stopping before it could.
async fn commit(
    postgres: &PgPool,
    votes: &[VoteMessage],
    pg: &mut Outage,
    shutdown: &CancellationToken,
) -> Option<u64> {
    loop {
        let attempt = async {
            tokio::time::timeout(COMMIT_DEADLINE, apply_batch(postgres, votes))
                .await
                .unwrap_or(Err(DatabaseError::Deadline))
        };
        tokio::pin!(attempt);
        let result = tokio::select! {
            result = &mut attempt => result,
            () = shutdown.cancelled() => {
                return match tokio::time::timeout(STOP_GRACE, attempt).await {
                    Ok(Ok(changed)) => Some(changed),
                    Ok(Err(_)) | Err(_) => None,
                };
            }
        };
        match result {
            Ok(changed) => {
                pg.ok();
                return Some(changed);
            }
            Err(e) => pg.failed(&ErrorChain(&e), shutdown).await,
        }
        if shutdown.is_cancelled() {
            return None;
        }
    }
}

/// One try at applying the batch, re-creating the schema when the database lost it.
async fn apply_batch(postgres: &PgPool, votes: &[VoteMessage]) -> Result<u64, DatabaseError> {
    let mut client = postgres.get().await?;
    let applied = apply::apply(&mut client, votes).await;
    if let Err(e) = &applied
        && kit::schema::is_missing_schema(e)
    {
        tracing::warn!("the votes table is gone (database re-created?); creating it again");
        kit::schema::migrate(&mut client).await?;
    }
    Ok(applied?)
}

/// Acknowledges a committed batch, retrying while Redis is down. False when there was nothing
/// left to acknowledge (the batch was recovered by another worker meanwhile: its messages are
/// applied again by whoever takes them, which is harmless), or when stopping first: the batch
/// then stays in the processing list, and replaying it later is harmless too.
async fn acknowledge(
    queue: &Queue,
    dead: &[DeadLetter],
    redis: &mut Outage,
    shutdown: &CancellationToken,
) -> bool {
    loop {
        match queue.ack(dead).await {
            Ok(acknowledged) => {
                redis.ok();
                if !acknowledged {
                    tracing::info!(
                        "the batch was recovered by another worker before its ack; it will be applied again"
                    );
                }
                return acknowledged;
            }
            Err(e) => redis.failed(&e, shutdown).await,
        }
        if shutdown.is_cancelled() {
            return false;
        }
    }
}

/// Counts the messages the take script dead-lettered for their size.
fn record_oversized(count: u64) {
    if count > 0 {
        metrics::counter!("worker_dead_letters_total").increment(count);
        tracing::warn!(
            count,
            "messages larger than {} bytes moved to votes:dead",
            kit::vote::MAX_MESSAGE_BYTES
        );
    }
}

fn record(taken: usize, changed: u64, votes: &[VoteMessage], dead: &[DeadLetter]) {
    metrics::counter!("worker_messages_taken_total").increment(taken as u64);
    metrics::counter!("worker_votes_applied_total").increment(votes.len() as u64);
    metrics::counter!("worker_rows_changed_total").increment(changed);
    metrics::histogram!("worker_batch_size").record(taken as f64);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    metrics::gauge!("worker_last_commit_timestamp_seconds").set(now.as_secs_f64());
    for letter in dead {
        metrics::counter!("worker_dead_letters_total").increment(1);
        tracing::warn!(reason = %letter.reason, bytes = letter.message.len(), "message moved to votes:dead");
    }
    tracing::debug!(taken, applied = votes.len(), changed, "batch committed");
}

/// Keeps this worker's heartbeat fresh, recovers the batches of dead workers (at once at start,
/// then regularly), and samples the queue depth.
async fn housekeep(queue: Arc<Queue>, ttl: Duration, stop: CancellationToken) {
    let mut missing = MissingOwners::new(ttl);
    let mut tick = tokio::time::interval(ttl / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.cancelled() => return,
        }
        // Failures here are the loop's to report; it sees the same Redis.
        let _ = queue.beat(ttl).await;
        let _ = queue.recover_orphans(&mut missing).await;
        if let Ok(depth) = queue.depth().await {
            metrics::gauge!("worker_queue_depth").set(depth as f64);
        }
    }
}
