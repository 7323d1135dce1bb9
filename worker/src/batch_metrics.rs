//! What the loop records about each batch: counters, the batch size, the last commit's time.

use std::time::{SystemTime, UNIX_EPOCH};

use kit::queue::{DEAD_LETTERS, DeadLetter, MAX_MESSAGE_BYTES, VoteMessage};

/// Counts the messages the take script dead-lettered for their size.
pub fn record_oversized(count: u64) {
    if count > 0 {
        metrics::counter!("worker_dead_letters_total").increment(count);
        tracing::warn!(
            count,
            "messages larger than {MAX_MESSAGE_BYTES} bytes moved to {DEAD_LETTERS}"
        );
    }
}

/// Records a committed batch: `taken` messages, of which `votes` applied and `dead` set aside,
/// changing `changed` rows.
pub fn record_commit(taken: usize, changed: u64, votes: &[VoteMessage], dead: &[DeadLetter]) {
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
        tracing::warn!(reason = %letter.reason, bytes = letter.message.len(), "message moved to {DEAD_LETTERS}");
    }
    tracing::debug!(taken, applied = votes.len(), changed, "batch committed");
}
