//! What the loop records about each batch: counters, the batch size, each vote's time from
//! acceptance to commit, the last commit's time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kit::queue::{DEAD_LETTERS, DeadLetter, MAX_MESSAGE_BYTES, VoteMessage};

use crate::service_metrics::{
    BATCH_SIZE, DEAD_LETTERED, LAST_COMMIT, MESSAGES_TAKEN, ROWS_CHANGED, VOTE_COMMIT_LAG,
    VOTES_APPLIED,
};

/// Counts the messages the take script dead-lettered for their size.
pub fn record_oversized(count: u64) {
    if count > 0 {
        metrics::counter!(DEAD_LETTERED.name).increment(count);
        tracing::warn!(
            count,
            "messages larger than {MAX_MESSAGE_BYTES} bytes moved to {DEAD_LETTERS}"
        );
    }
}

/// Records a batch committed at `committed` (this host's clock): `taken` messages, of which
/// `votes` applied and `dead` set aside, changing `changed` rows.
pub fn record_commit(
    taken: usize,
    changed: u64,
    votes: &[VoteMessage],
    dead: &[DeadLetter],
    committed: SystemTime,
) {
    metrics::counter!(MESSAGES_TAKEN.name).increment(taken as u64);
    metrics::counter!(VOTES_APPLIED.name).increment(votes.len() as u64);
    metrics::counter!(ROWS_CHANGED.name).increment(changed);
    metrics::histogram!(BATCH_SIZE.name).record(taken as f64);
    let committed = committed.duration_since(UNIX_EPOCH).unwrap_or_default();
    let lag = metrics::histogram!(VOTE_COMMIT_LAG.name);
    for seq in votes.iter().filter_map(|vote| vote.seq) {
        lag.record(commit_lag(seq, committed).as_secs_f64());
    }
    metrics::gauge!(LAST_COMMIT.name).set(committed.as_secs_f64());
    for letter in dead {
        metrics::counter!(DEAD_LETTERED.name).increment(1);
        tracing::warn!(reason = %letter.reason, bytes = letter.message.len(), "message moved to {DEAD_LETTERS}");
    }
    tracing::debug!(taken, applied = votes.len(), changed, "batch committed");
}

/// From a vote's `seq` (Redis's clock when it was accepted, in µs since the Unix epoch) to
/// `committed` (since the epoch, by this host's clock). Zero when the commit seems to come
/// first: Redis may run on another host whose clock is ahead, and a burst's `seq`s run ahead of
/// the clock by 1 µs a vote (`kit::queue::scripts::ENQUEUE`); a histogram takes no negative
/// time, and no vote is committed before it is accepted.
fn commit_lag(seq: i64, committed: Duration) -> Duration {
    let accepted = Duration::from_micros(u64::try_from(seq).unwrap_or(0));
    committed.saturating_sub(accepted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lag_is_commit_minus_seq_and_never_negative() {
        let committed = Duration::from_secs(1_800_000_000);
        let seq = |before: Duration| i64::try_from((committed - before).as_micros()).unwrap();
        assert_eq!(
            commit_lag(seq(Duration::from_millis(1500)), committed),
            Duration::from_millis(1500)
        );
        assert_eq!(commit_lag(seq(Duration::ZERO), committed), Duration::ZERO);
        let ahead = i64::try_from((committed + Duration::from_secs(2)).as_micros()).unwrap();
        assert_eq!(commit_lag(ahead, committed), Duration::ZERO);
    }
}
