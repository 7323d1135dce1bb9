//! Every metric the worker records beside kit's HTTP and process ones, with its HELP text.

use kit::telemetry::{MetricHelp, Unit};

pub const MESSAGES_TAKEN: MetricHelp = MetricHelp::counter(
    "worker_messages_taken_total",
    "Messages of committed batches, taken from the Redis list `votes`: votes, votes superseded \
     by a later one of the same voter in the batch, and messages moved to the dead letters.",
);
pub const VOTES_APPLIED: MetricHelp = MetricHelp::counter(
    "worker_votes_applied_total",
    "Votes committed to PostgreSQL: of one voter's votes in a batch, only the latest.",
);
pub const ROWS_CHANGED: MetricHelp = MetricHelp::counter(
    "worker_rows_changed_total",
    "Rows of the `votes` table inserted or changed; a vote older than its voter's row \
     (a replay, or batches committed out of order) changes none.",
);
pub const BATCH_SIZE: MetricHelp = MetricHelp::histogram(
    "worker_batch_size",
    Unit::Count,
    "Messages per committed batch (at most BATCH_SIZE).",
);
/// Named `*_lag_seconds` for its buckets, which reach minutes (`kit::telemetry`).
pub const VOTE_COMMIT_LAG: MetricHelp = MetricHelp::histogram(
    "worker_vote_commit_lag_seconds",
    Unit::Seconds,
    "Time from a vote's acceptance to the commit that applied it: from its seq (Redis's clock \
     when the vote app pushed it; for the original vote app's messages, when a worker first \
     took them) to the commit (this worker's clock). Below 0, which only a clock difference \
     between the Redis and worker hosts gives, it counts as 0.",
);
pub const LAST_COMMIT: MetricHelp = MetricHelp::gauge(
    "worker_last_commit_timestamp_seconds",
    Unit::Seconds,
    "Unix time of this worker's last commit.",
);
pub const DEAD_LETTERED: MetricHelp = MetricHelp::counter(
    "worker_dead_letters_total",
    "Messages moved to the Redis list `votes:dead`, with the reason, instead of being applied: \
     not a valid vote, or larger than 4096 bytes.",
);
pub const BACKEND_ERRORS: MetricHelp = MetricHelp::counter(
    "worker_backend_errors_total",
    "Failed calls to a backend, by backend (redis, postgres); the worker retries with backoff \
     and loses no vote.",
);

/// Describes them all and starts the counters at 0, both backends' errors included.
pub fn register() {
    kit::describe_metrics!(&[
        MESSAGES_TAKEN,
        VOTES_APPLIED,
        ROWS_CHANGED,
        BATCH_SIZE,
        VOTE_COMMIT_LAG,
        LAST_COMMIT,
        DEAD_LETTERED,
        BACKEND_ERRORS,
    ]);
    for counter in [MESSAGES_TAKEN, VOTES_APPLIED, ROWS_CHANGED, DEAD_LETTERED] {
        counter.start_at_zero(&[]);
    }
    BACKEND_ERRORS.start_at_zero(&[("backend", "redis")]);
    BACKEND_ERRORS.start_at_zero(&[("backend", "postgres")]);
}
