//! The depth of the Redis list `votes`, as vote reports it ([`QUEUE_DEPTH`]): the votes waiting
//! for a worker. Read here rather than by the workers, so that it shows when no worker runs,
//! which is when it matters.

use std::time::Duration;

use kit::queue;
use kit::redis_client::{self, with_connection_until};
use redis::aio::ConnectionManager;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::service_metrics::QUEUE_DEPTH;

/// How often the depth is read (its HELP says so). Prometheus scrapes every 5 s
/// (monitoring/prometheus*.yml): each scrape then sees a depth under 2 s old, for one LLEN, O(1)
/// in Redis, per replica every 2 s. Longer than a read may take
/// ([`redis_client::REQUEST_DEADLINE`]), so reads never pile up behind a stalled Redis.
const SAMPLE_EVERY: Duration = Duration::from_secs(2);

/// Sets [`QUEUE_DEPTH`] at once, then every [`SAMPLE_EVERY`], until `shutdown`. A read that fails
/// sets NaN rather than keep the last depth, which would pass for the current one.
pub async fn sample(redis: ConnectionManager, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let sampling = async {
        loop {
            tick.tick().await;
            let depth = with_connection_until(
                redis_client::request_deadline(),
                &redis,
                |mut conn| async move { queue::depth(&mut conn).await },
            )
            .await;
            let value = match depth {
                Ok(depth) => depth as f64,
                Err(e) => {
                    // Votes and `/readyz` report Redis failures already; a line every 2 s would
                    // only repeat them.
                    tracing::debug!(error = %e, "cannot read the queue depth");
                    f64::NAN
                }
            };
            metrics::gauge!(QUEUE_DEPTH.name).set(value);
        }
    };
    shutdown.run_until_cancelled(sampling).await;
}
