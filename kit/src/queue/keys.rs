//! Every Redis key of the pipeline, and how a worker's own keys are named.

/// The list the vote app appends to and workers take from.
pub const QUEUE: &str = "votes";
/// The list of messages that can never be applied, each as a [`super::DeadLetter`].
pub const DEAD_LETTERS: &str = "votes:dead";
/// The last `seq` handed out, by the vote app's push and by the worker's take (which numbers
/// the original vote app's messages, which have none).
pub const VOTE_SEQ_KEY: &str = "votes:seq";
/// Each worker's processing list: the batch it holds until its commit is acknowledged.
pub const PROCESSING_PREFIX: &str = "votes:processing:";
/// Each worker's heartbeat: present while the worker is alive.
pub const HEARTBEAT_PREFIX: &str = "votes:worker:";

/// The processing list of worker `worker_id`.
pub fn processing_key(worker_id: &str) -> String {
    format!("{PROCESSING_PREFIX}{worker_id}")
}

/// The heartbeat key of worker `worker_id`.
pub fn heartbeat_key(worker_id: &str) -> String {
    format!("{HEARTBEAT_PREFIX}{worker_id}")
}

/// The worker a processing list belongs to; `None` for any other key.
pub fn processing_owner(key: &str) -> Option<&str> {
    key.strip_prefix(PROCESSING_PREFIX)
}

/// The pattern matching every processing list, for `SCAN` and `KEYS`.
pub fn processing_pattern() -> String {
    format!("{PROCESSING_PREFIX}*")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_processing_list_names_its_owner() {
        assert_eq!(processing_owner(&processing_key("w-1")), Some("w-1"));
        assert_eq!(processing_owner(&heartbeat_key("w-1")), None);
        assert_eq!(processing_owner(QUEUE), None);
    }
}
