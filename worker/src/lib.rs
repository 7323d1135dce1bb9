//! # worker
//!
//! Moves votes from the Redis list `votes` into the PostgreSQL table `votes`, the job of the
//! original .NET worker, without its losses and at batch speed.
//!
//! - **Lossless.** A batch is moved atomically from `votes` into this worker's own processing
//!   list, applied in one PostgreSQL transaction, and deleted from Redis only after the commit.
//!   A worker killed at any instant leaves its batch in its processing list; its heartbeat key
//!   expires and any worker (or the next start) puts the batch back at the head of `votes`.
//! - **Idempotent and ordered.** The upsert applies a vote only when its `seq` is newer than the
//!   row's, so replays and batches committed out of order by several workers change nothing;
//!   messages from the original vote app (no `seq`) apply in queue order.
//! - **Fast.** Idle, it blocks on `BLMOVE`; busy, it takes up to `BATCH_SIZE` votes per round
//!   trip and writes them with one multi-row `INSERT ... ON CONFLICT` (one row per voter).
//! - **Poison-proof.** Messages that can never apply go to `votes:dead` with the reason.
//! - **Patient.** Redis or PostgreSQL down: logged once, retried with capped backoff.
//!
//! Run it: `REDIS_HOST=127.0.0.1 DATABASE_URL=postgres://postgres:postgres@127.0.0.1/postgres
//! PORT=8082 cargo run -p worker`.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `REDIS_HOST`, `REDIS_PORT` / `REDIS_URL` | `redis`, `6379` | the vote queue |
//! | `DATABASE_URL` or `PGHOST` `PGPORT` `PGUSER` `PGPASSWORD` `PGDATABASE` | `db` `5432` `postgres` `postgres` `postgres` | the database |
//! | `PORT` | `80` | `/healthz`, `/readyz`, `/metrics` |
//! | `BATCH_SIZE` | `1000` | most votes per transaction |
//! | `HEARTBEAT_TTL_MS` | `10000` | a silent worker's batch is recovered after this |
//! | `WORKER_ID` | hostname + random suffix | names this worker's processing list |
//! | `RUST_LOG`, `LOG_FORMAT` | `info`, `text` | logs |

mod apply;
mod config;
mod dead_letter;
mod drain;
mod health;
mod orphans;
mod outage;
mod queue;
#[cfg(test)]
mod queue_tests;
mod scripts;

pub use config::Config;
pub use drain::{Worker, run};
pub use health::{HealthState, app};
pub use queue::{PROCESSING_PREFIX, heartbeat_key, processing_key};
