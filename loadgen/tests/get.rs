//! `loadgen get`: any page, at a chosen rate, 200 expected.

mod common;

use std::time::{Duration, Instant};

use common::loadgen;
use test_servers::TestService;

/// A service whose `/healthz` answers without any backend.
async fn app() -> TestService {
    test_lab::counter_on("redis://127.0.0.1:1/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gets_at_the_rate_asked_and_counts_every_answer() {
    const CLIENTS: u32 = 4;
    const REQUESTS: u32 = 25;
    const RATE: u32 = 200;
    let app = app().await;
    let started = Instant::now();
    let (clients, requests, rate) = (CLIENTS.to_string(), REQUESTS.to_string(), RATE.to_string());
    let report = loadgen(&[
        "get",
        &app.url("/healthz"),
        "--clients",
        &clients,
        "--requests",
        &requests,
        "--rate",
        &rate,
        "--quiet",
    ])
    .await;
    assert!(report.passed, "{:?}", report.failures);
    let summary = report.summary.expect("summary");
    let total = u64::from(CLIENTS * REQUESTS);
    assert_eq!((summary.ok, summary.errors), (total, 0));
    // Spread over the run, not sent at once: the last request waits for its slot, (total - 1) /
    // rate after the first. A bound the rate itself guarantees, not a race with the clock.
    let last_slot = Duration::from_secs_f64((CLIENTS * REQUESTS - 1) as f64 / f64::from(RATE));
    assert!(started.elapsed() >= last_slot, "{:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_that_is_not_there_fails_the_run_by_status() {
    let app = app().await;
    let report = loadgen(&[
        "get",
        &app.url("/no-such-page"),
        "--clients",
        "2",
        "--requests",
        "3",
        "--quiet",
    ])
    .await;
    assert!(!report.passed);
    let summary = report.summary.expect("summary");
    assert_eq!(summary.errors_by_kind.get("HTTP 404"), Some(&6));
}
