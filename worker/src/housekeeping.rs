//! What a worker does beside its batches, on a timer: keeps its heartbeat fresh and recovers the
//! batches of workers that died.

use std::sync::Arc;
use std::time::Duration;

use redis::RedisResult;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::orphans::MissingOwners;
use crate::queue::Queue;

/// Runs every TTL/3 (at once at start, then regularly) until `stop`.
pub async fn housekeep(queue: Arc<Queue>, ttl: Duration, stop: CancellationToken) {
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
        let _ = recover_orphans(&queue, &mut missing).await;
    }
}

/// Puts back the batches of workers whose heartbeat is gone for good (see [`MissingOwners`]).
/// Returns how many messages moved.
pub async fn recover_orphans(queue: &Queue, missing: &mut MissingOwners) -> RedisResult<i64> {
    let owners = queue.other_owners().await?;
    missing.retain(|owner| owners.iter().any(|o| o == owner));
    let mut moved = 0;
    for owner in &owners {
        if queue.is_alive(owner).await? {
            missing.forget(owner);
            continue;
        }
        if !missing.missing(owner, Instant::now()) {
            continue;
        }
        let recovered = queue.recover(owner).await?;
        missing.forget(owner);
        if let Some(n) = recovered.filter(|n| *n > 0) {
            tracing::warn!(
                dead_worker = owner.as_str(),
                votes = n,
                "recovered the batch of a worker that stopped answering"
            );
            moved += n;
        }
    }
    Ok(moved)
}
