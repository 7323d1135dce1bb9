//! Every metric the vote app records beside kit's HTTP and process ones, with its HELP text.

use kit::telemetry::{MetricHelp, REDIS_ERRORS, Unit};

pub const VOTES_RECORDED: MetricHelp = MetricHelp::counter(
    "votes_recorded_total",
    "Votes recorded (Redis confirmed them in the queue), by option: vote=\"a\" or \"b\".",
);
pub const VOTES_NOT_SENT: MetricHelp = MetricHelp::counter(
    "votes_not_sent_total",
    "Votes never sent to Redis because they waited behind earlier votes past the request \
     deadline (a stalled Redis); each was answered 503.",
);
pub const VOTES_REFUSED_CROSS_SITE: MetricHelp = MetricHelp::counter(
    "votes_refused_cross_site_total",
    "Votes refused (403) because a form on another site sent them.",
);
pub const VOTE_BATCH_SIZE: MetricHelp = MetricHelp::histogram(
    "vote_batch_size",
    Unit::Count,
    "Votes sent to Redis in one script call: 1 when idle, more under load (group commit).",
);
/// Reported by vote, not by the workers, so that it shows when no worker runs at all.
pub const QUEUE_DEPTH: MetricHelp = MetricHelp::gauge(
    "vote_queue_depth",
    Unit::Count,
    "Messages waiting in the Redis list `votes`, not taken by any worker yet; read every 2 s. \
     NaN while Redis does not answer. Every replica reads the same list: take the max.",
);

/// Describes them all and starts the counters at 0, each option's included, so a dashboard
/// shows both options and every error rate from the first scrape.
pub fn register() {
    kit::describe_metrics!(&[
        VOTES_RECORDED,
        VOTES_NOT_SENT,
        VOTES_REFUSED_CROSS_SITE,
        VOTE_BATCH_SIZE,
        QUEUE_DEPTH,
        REDIS_ERRORS,
    ]);
    VOTES_RECORDED.start_at_zero(&[("vote", "a")]);
    VOTES_RECORDED.start_at_zero(&[("vote", "b")]);
    for counter in [VOTES_NOT_SENT, VOTES_REFUSED_CROSS_SITE, REDIS_ERRORS] {
        counter.start_at_zero(&[]);
    }
}
