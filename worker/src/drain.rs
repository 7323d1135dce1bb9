//! The worker loop: take a batch, commit it, acknowledge it; repeat until stopped.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use deadpool_postgres::Pool as PgPool;
use kit::vote::VoteMessage;
use redis::aio::ConnectionManager;
use tokio_util::sync::CancellationToken;

use crate::Config;
use crate::apply;
use crate::outage::Outage;
use crate::queue::{DeadLetter, Queue};

/// A transaction that has not finished by then is abandoned and retried; retrying is safe
/// because applying a batch twice gives the same table.
const COMMIT_DEADLINE: Duration = Duration::from_secs(10);

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
    let mut redis = Outage::new("redis");
    let mut pg = Outage::new("postgres");

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
        let raw = match queue.take(batch_size).await {
            Ok(raw) => {
                redis.ok();
                raw
            }
            Err(e) => {
                list_unknown = true;
                redis.failed(&e, &shutdown).await;
                continue;
            }
        };
        if raw.is_empty() {
            continue;
        }
        let taken = raw.len();
        let plan = apply::plan(raw);
        let Some(changed) = commit(&postgres, &plan.votes, &mut pg, &shutdown).await else {
            break;
        };
        acknowledge(&queue, &plan.dead, &mut redis, &shutdown).await;
        record(taken, changed, &plan.votes, &plan.dead);
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
        let result = async {
            let mut client = postgres.get().await.map_err(|e| e.to_string())?;
            kit::schema::migrate(&mut client)
                .await
                .map_err(|e| e.to_string())
        }
        .await;
        match result {
            Ok(()) => {
                pg.ok();
                return;
            }
            Err(e) => pg.failed(&e, shutdown).await,
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
            let mut client = postgres.get().await.map_err(|e| e.to_string())?;
            let applied = apply::apply(&mut client, votes).await;
            if let Err(e) = &applied
                && kit::schema::is_missing_schema(e)
            {
                tracing::warn!("the votes table is gone (database re-created?); creating it again");
                kit::schema::migrate(&mut client)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            applied.map_err(|e| format!("{e}: {}", e.as_db_error().map_or("", |d| d.message())))
        };
        match tokio::time::timeout(COMMIT_DEADLINE, attempt).await {
            Ok(Ok(changed)) => {
                pg.ok();
                return Some(changed);
            }
            Ok(Err(e)) => pg.failed(&e, shutdown).await,
            Err(_) => {
                pg.failed(&"the transaction did not finish in time", shutdown)
                    .await
            }
        }
        if shutdown.is_cancelled() {
            return None;
        }
    }
}

/// Acknowledges a committed batch, retrying while Redis is down. When stopping first, the batch
/// stays in the processing list: replaying it later is harmless.
async fn acknowledge(
    queue: &Queue,
    dead: &[DeadLetter],
    redis: &mut Outage,
    shutdown: &CancellationToken,
) {
    loop {
        match queue.ack(dead).await {
            Ok(()) => {
                redis.ok();
                return;
            }
            Err(e) => redis.failed(&e, shutdown).await,
        }
        if shutdown.is_cancelled() {
            return;
        }
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
    let mut tick = tokio::time::interval(ttl / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = stop.cancelled() => return,
        }
        // Failures here are the loop's to report; it sees the same Redis.
        let _ = queue.beat(ttl).await;
        let _ = queue.recover_orphans().await;
        if let Ok(depth) = queue.depth().await {
            metrics::gauge!("worker_queue_depth").set(depth as f64);
        }
    }
}
