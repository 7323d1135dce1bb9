//! # worker
//!
//! Moves votes from the Redis list `votes` into the PostgreSQL table `votes`, the job of the
//! original .NET worker, without its losses and at batch speed.
//!
//! - **Lossless.** A batch is moved atomically from `votes` into this worker's own processing
//!   list, applied in one PostgreSQL transaction, and deleted from Redis only after the commit.
//!   A worker killed at any instant leaves its batch in its processing list; once its heartbeat
//!   key has expired and is still missing half a TTL later, any worker (or the next start
//!   under the same id) puts the batch back at the head of `votes`.
//! - **Idempotent and ordered.** The upsert applies a vote only when its `seq` is newer than the
//!   row's, so replays and batches committed out of order by several workers change nothing.
//!   Messages from the original vote app (no `seq`) get one from the vote app's clock when
//!   first taken. Known limit: such a message is ordered when taken, not when pushed. That
//!   matters only when one voter votes through both an original vote app and ours: an original
//!   vote still queued when a later vote of ours is pushed counts as the newer one.
//! - **Fast.** Idle, it blocks on a no-op `BLMOVE votes votes` until a message arrives; busy,
//!   it takes up to `BATCH_SIZE` votes and 256 KiB per round trip and writes them with one
//!   multi-row `INSERT ... ON CONFLICT` (one row per voter).
//! - **Poison-proof.** Messages that can never apply go to `votes:dead` with the reason, each
//!   once; those over 4 KiB are set aside inside Redis and never reach the worker.
//! - **Patient.** Redis or PostgreSQL down: logged once, retried with capped backoff.
//!
//! - **Batch jobs.** With `EXIT_WHEN_EMPTY=true` it stops, handing back nothing, once a take
//!   finds the queue empty.
//!
//! The loop is [`run`] (`drain.rs`); its retried steps are in `retry.rs`, the heartbeat and the
//! recovery of dead workers' batches in `housekeeping.rs` (deciding when, `orphans.rs`), this
//! worker's Redis calls in `queue.rs` and the batch's upsert in `apply.rs`. The keys, message and
//! scripts are [`kit::queue`]'s.
//!
//! Run it: `REDIS_HOST=127.0.0.1 DATABASE_URL=postgres://postgres:postgres@127.0.0.1/postgres
//! PORT=8082 cargo run -p worker`.
//!
#![doc = include_str!("env.md")]

mod apply;
mod batch_metrics;
mod config;
mod drain;
mod health;
mod housekeeping;
mod orphans;
mod queue;
#[cfg(test)]
mod queue_tests;
mod retry;
mod service_metrics;

pub use config::{Config, ENV_HELP};

/// The worker as its binary and the lab's combined binary run it (`kit::service::main`).
pub const SERVICE: kit::service::Service<Config> = kit::service!();
use kit::service::{Running, StartError};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use drain::{Worker, run};

/// Connections the worker needs: one transaction at a time, plus `/readyz`'s check.
const POSTGRES_POOL_SIZE: usize = 4;

/// Starts the worker loop and its health endpoints on `listener`, until `shutdown` is
/// cancelled: what `main` and every test run.
pub fn start(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    service_metrics::register();
    let redis = config.redis.shared_connection()?;
    let postgres = config.postgres.pool(POSTGRES_POOL_SIZE)?;
    let state = health::AppState {
        redis: redis.clone(),
        postgres: postgres.clone(),
    };
    let worker = Worker::new(&config, redis, postgres);
    // With EXIT_WHEN_EMPTY the loop ends before `shutdown`; the health endpoints go with it.
    let server_shutdown = shutdown.child_token();
    tracing::info!(
        redis = %config.redis.display_addr(),
        postgres = %config.postgres.display_addr(),
        "moving votes from Redis to PostgreSQL"
    );
    let running = Running::serve(
        "worker health endpoints",
        listener,
        health::app(state, &config.faults),
        server_shutdown.clone(),
    )?;
    Ok(running.with_task("worker loop", async move {
        run(worker, shutdown).await;
        server_shutdown.cancel();
    }))
}
