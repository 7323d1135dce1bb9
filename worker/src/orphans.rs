//! Deciding when another worker's batch may be taken from it.
//!
//! A worker's heartbeat key expiring is not enough: the TTL runs on Redis's clock, so a Redis
//! stall (a slow disk under AOF, a `DEBUG SLEEP`, a paused container) longer than the TTL
//! expires every live worker's heartbeat at once, and whoever looks first would put the batches
//! of all of them back in the queue while they are still committing them. So a list is
//! recovered only when its owner's heartbeat was seen missing on two housekeeping rounds at
//! least TTL/2 apart by this worker's own clock, with no sighting of it alive in between. A live
//! owner beats every TTL/3 of its own time once Redis answers again, so within TTL/2 of the
//! first sighting it is seen alive and forgiven; a dead one stays missing. What remains possible
//! (an owner stalled itself for that long) is made harmless by the ack script: it acknowledges
//! nothing and dead-letters nothing once its list was recovered.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// Owners whose heartbeat was missing, and when that was first seen.
#[derive(Debug)]
pub struct MissingOwners {
    grace: Duration,
    since: HashMap<String, Instant>,
}

impl MissingOwners {
    pub fn new(heartbeat_ttl: Duration) -> Self {
        Self {
            grace: heartbeat_ttl / 2,
            since: HashMap::new(),
        }
    }

    /// Records that `owner`'s heartbeat is missing now; true once it has been missing for the
    /// grace period without being seen alive.
    pub fn missing(&mut self, owner: &str, now: Instant) -> bool {
        let first = *self.since.entry(owner.to_owned()).or_insert(now);
        now.duration_since(first) >= self.grace
    }

    /// Records that `owner` is alive, or that its list is gone: it starts afresh.
    pub fn forget(&mut self, owner: &str) {
        self.since.remove(owner);
    }

    /// Forgets the owners that no longer have a list.
    pub fn retain(&mut self, mut has_list: impl FnMut(&str) -> bool) {
        self.since.retain(|owner, _| has_list(owner));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(10);

    #[test]
    fn an_owner_is_recovered_only_after_two_sightings_half_a_ttl_apart() {
        let mut missing = MissingOwners::new(TTL);
        let start = Instant::now();
        assert!(!missing.missing("w", start));
        assert!(!missing.missing("w", start + TTL / 3));
        assert!(missing.missing("w", start + TTL / 2));
    }

    #[test]
    fn a_sighting_alive_in_between_starts_afresh() {
        let mut missing = MissingOwners::new(TTL);
        let start = Instant::now();
        assert!(!missing.missing("w", start));
        missing.forget("w");
        assert!(!missing.missing("w", start + TTL));
        assert!(missing.missing("w", start + TTL + TTL / 2));
    }

    #[test]
    fn owners_without_a_list_are_forgotten() {
        let mut missing = MissingOwners::new(TTL);
        let start = Instant::now();
        missing.missing("gone", start);
        missing.missing("kept", start);
        missing.retain(|owner| owner == "kept");
        assert!(!missing.missing("gone", start + TTL));
        assert!(missing.missing("kept", start + TTL));
    }
}
