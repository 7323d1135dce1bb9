//! The steps of the loop that wait out an outage: the migration, the commit and the
//! acknowledgement, each retried with backoff until it succeeds or the worker stops.

use std::time::Duration;

use deadpool_postgres::Pool as PgPool;
use kit::backoff::{ErrorCounter, Outage};
use kit::postgres_client::ErrorChain;
use kit::queue::{DeadLetter, VoteMessage};
use tokio_util::sync::CancellationToken;

use crate::apply;
use crate::queue::Queue;
use crate::service_metrics::BACKEND_ERRORS;

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
    name: BACKEND_ERRORS.name,
    labels: &[("backend", "redis")],
};
const POSTGRES_ERRORS: ErrorCounter = ErrorCounter {
    name: BACKEND_ERRORS.name,
    labels: &[("backend", "postgres")],
};

/// The outages of Redis and PostgreSQL, each logged once while it lasts.
pub struct Outages {
    pub redis: Outage,
    pub postgres: Outage,
}

impl Outages {
    pub fn new() -> Self {
        Self {
            redis: Outage::new("redis", WHILE_DOWN, REDIS_ERRORS),
            postgres: Outage::new("postgres", WHILE_DOWN, POSTGRES_ERRORS),
        }
    }
}

/// Creates the tables, retrying until it succeeds or `shutdown`.
pub async fn migrate(postgres: &PgPool, pg: &mut Outage, shutdown: &CancellationToken) {
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
pub async fn commit(
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
pub async fn acknowledge(
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
