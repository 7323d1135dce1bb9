//! Every metric the result app records beside kit's HTTP and process ones, with its HELP text.

use kit::telemetry::{MetricHelp, Unit};

pub const SSE_STREAMS_OPEN: MetricHelp = MetricHelp::gauge(
    "sse_streams_open",
    Unit::Count,
    "Result pages following the scores live: open /events streams.",
);
pub const POSTGRES_ERRORS: MetricHelp = MetricHelp::counter(
    "postgres_errors_total",
    "Failed sessions reading the scores from PostgreSQL; meanwhile the page shows the last \
     known scores, marked stale.",
);

/// Describes them and starts both at 0.
pub fn register() {
    kit::describe_metrics!(&[SSE_STREAMS_OPEN, POSTGRES_ERRORS]);
    SSE_STREAMS_OPEN.start_at_zero(&[]);
    POSTGRES_ERRORS.start_at_zero(&[]);
}
