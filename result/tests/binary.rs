//! The real `result` binary: configuration errors, healthcheck, SIGTERM with streams open,
//! `/metrics` as Prometheus reads it.

use std::time::Duration;

use test_servers::results::Results;
use test_servers::sse::EventReader;
use test_servers::{
    STARTUP_BUDGET, ServiceProcess, assert_config_error, assert_metrics_pass_promtool, database,
};

const BIN: &str = env!("CARGO_BIN_EXE_result");
/// How long a stop may take before the test gives up on it.
const STOP_BUDGET: Duration = Duration::from_secs(5);
/// Open streams end at once on SIGTERM; this is that, with slack.
const PROMPT_STOP: Duration = Duration::from_secs(1);

#[test]
fn a_bad_variable_exits_2_naming_it() {
    for (var, value) in [
        ("PORT", "0"),
        ("DATABASE_URL", "postgres://u:p@h:port/x"),
        ("PGPORT", "x"),
    ] {
        assert_config_error(BIN, var, value);
    }
}

#[tokio::test]
async fn sigterm_stops_it_at_once_even_with_live_streams_open() {
    let db = database().await;
    let mut result = ServiceProcess::start(BIN, "PORT", &[("DATABASE_URL", db.url())]).await;
    let client = reqwest::Client::new();
    let mut streams = Vec::new();
    for _ in 0..3 {
        let mut events = EventReader::open(&client, &result.url("/events")).await;
        let first: Option<Results> = events.next("scores", STARTUP_BUDGET).await;
        assert!(first.is_some(), "the stream ended before its first event");
        streams.push(events);
    }
    let (status, took) = result.stop_with("TERM", STOP_BUDGET).await;
    assert!(status.success(), "{status:?}");
    assert!(took < PROMPT_STOP, "took {took:?}");
    assert!(!result.healthy());
}

#[tokio::test]
async fn metrics_pass_promtool_and_count_live_viewers() {
    let db = database().await;
    let result = ServiceProcess::start(BIN, "PORT", &[("DATABASE_URL", db.url())]).await;
    let mut viewer = EventReader::open(&reqwest::Client::new(), &result.url("/events")).await;
    let first: Option<Results> = viewer.next("scores", STARTUP_BUDGET).await;
    assert!(first.is_some(), "the stream ended before its first event");
    let page = assert_metrics_pass_promtool(
        &result.url("/metrics"),
        "result",
        &["sse_streams_open", "postgres_errors_total"],
    )
    .await;
    assert!(page.contains("\nsse_streams_open 1\n"), "{page}");
}
