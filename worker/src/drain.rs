//! The worker loop: take a batch, commit it, acknowledge it; repeat until stopped, or until the
//! queue is empty when `EXIT_WHEN_EMPTY` is set.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use deadpool_postgres::Pool as PgPool;
use kit::fault::FaultSwitch;
use kit::queue::DeadLetter;
use redis::aio::ConnectionManager;
use tokio_util::sync::CancellationToken;

use crate::Config;
use crate::apply;
use crate::batch_metrics::{record_commit, record_oversized};
use crate::housekeeping::housekeep;
use crate::queue::Queue;
use crate::retry::{self, Outages};

/// Everything the loop needs.
pub struct Worker {
    queue: Arc<Queue>,
    postgres: PgPool,
    batch_size: usize,
    heartbeat_ttl: Duration,
    exit_when_empty: bool,
    /// `worker fault stall` holds the commit of the batch in hand ([`kit::fault`]).
    faults: FaultSwitch,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.queue.worker_id())
            .field("batch_size", &self.batch_size)
            .field("exit_when_empty", &self.exit_when_empty)
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
            exit_when_empty: config.exit_when_empty,
            faults: config.faults.clone(),
        }
    }
}

/// Drains the queue into PostgreSQL until `shutdown` is cancelled, or, with `EXIT_WHEN_EMPTY`,
/// until a take finds the queue empty. Never returns early on a backend error: it logs the
/// outage once and retries. On the way out, a batch that is not committed yet goes back to the
/// head of the queue.
pub async fn run(worker: Worker, shutdown: CancellationToken) {
    let Worker {
        queue,
        postgres,
        batch_size,
        heartbeat_ttl,
        exit_when_empty,
        faults,
    } = worker;
    tracing::info!(
        worker_id = queue.worker_id(),
        batch_size,
        exit_when_empty,
        "worker starting"
    );
    let housekeeping_stop = CancellationToken::new();
    let housekeeping = tokio::spawn(housekeep(
        queue.clone(),
        heartbeat_ttl,
        housekeeping_stop.clone(),
    ));
    let Outages {
        mut redis,
        postgres: mut pg,
    } = Outages::new();

    retry::migrate(&postgres, &mut pg, &shutdown).await;
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
        // Waiting for a message is pointless when an empty queue ends the run.
        let taken = if exit_when_empty {
            queue.take_now(batch_size).await
        } else {
            queue.take(batch_size).await
        };
        let taken = match taken {
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
            // Every batch before this take was acknowledged: this worker holds nothing.
            if exit_when_empty && taken.dead_lettered == 0 {
                tracing::info!("the queue is empty; stopping (EXIT_WHEN_EMPTY)");
                break;
            }
            continue;
        }
        let taken = raw.len();
        let plan = apply::plan(raw);
        // Stalled, the batch stays in this worker's processing list, its heartbeat alive.
        tokio::select! {
            () = faults.until_not_stalled() => {}
            () = shutdown.cancelled() => break,
        }
        let Some(changed) = retry::commit(&postgres, &plan.votes, &mut pg, &shutdown).await else {
            break;
        };
        let committed = SystemTime::now();
        let acknowledged = retry::acknowledge(&queue, &plan.dead, &mut redis, &shutdown).await;
        let dead_lettered: &[DeadLetter] = if acknowledged { &plan.dead } else { &[] };
        record_commit(taken, changed, &plan.votes, dead_lettered, committed);
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
