//! `loadgen vote --screen`: vote-to-screen latency on the result app's live stream.

mod common;

use std::time::{Duration, Instant};

use common::{Lab, loadgen};

/// `--max-seconds` of a run that would otherwise go on for hours.
const TIME_LIMIT: Duration = Duration::from_secs(1);
/// How long that run may take in all, finishing the requests in flight: wide slack for a shared
/// machine.
const STOP_BUDGET: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vote_is_timed_to_the_event_that_shows_it() {
    let lab = Lab::start(1).await;
    let result = &lab.result;
    let report = loadgen(&[
        "vote",
        &lab.vote_url(),
        "--clients",
        "4",
        "--votes",
        "25",
        "--fresh-voters",
        "--rate",
        "200",
        "--screen",
        &result.url("/events"),
        "--quiet",
    ])
    .await;
    assert!(report.passed, "{:?}", report.failures);
    let screen = report.screen.expect("screen latency");
    assert_eq!((screen.votes, screen.unseen), (100, 0));
    let l = screen.latency;
    assert!(
        l.p50_ms > 0.0 && l.p50_ms <= l.p99_ms && l.p99_ms <= l.max_ms,
        "{l:?}"
    );
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_time_limit_stops_a_run_that_would_go_on() {
    let lab = Lab::start(0).await;
    let started = Instant::now();
    let time_limit = TIME_LIMIT.as_secs().to_string();
    let report = loadgen(&[
        "vote",
        &lab.vote_url(),
        "--clients",
        "2",
        "--votes",
        "100000000",
        "--max-seconds",
        &time_limit,
        "--quiet",
    ])
    .await;
    let summary = report.summary.expect("summary");
    assert!(summary.stopped_by_time_limit);
    assert!(summary.requests > 0 && summary.requests < 200_000_000);
    assert_eq!(summary.errors, 0);
    assert!(report.passed, "{:?}", report.failures);
    assert!(started.elapsed() < STOP_BUDGET, "{:?}", started.elapsed());
    lab.stop().await;
}
