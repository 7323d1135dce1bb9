//! `loadgen get`: any page, at a chosen rate, 200 expected.

mod common;

use common::loadgen;
use test_servers::TestService;

/// A service whose `/healthz` answers without any backend.
async fn app() -> TestService {
    test_lab::counter_on("redis://127.0.0.1:1/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gets_at_the_rate_asked_and_counts_every_answer() {
    let app = app().await;
    let started = std::time::Instant::now();
    let report = loadgen(&[
        "get",
        &app.url("/healthz"),
        "--clients",
        "4",
        "--requests",
        "25",
        "--rate",
        "200",
        "--quiet",
    ])
    .await;
    assert!(report.passed, "{:?}", report.failures);
    let summary = report.summary.expect("summary");
    assert_eq!((summary.ok, summary.errors), (100, 0));
    // 100 requests at 200/s are spread over half a second, not sent at once.
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(450),
        "{:?}",
        started.elapsed()
    );
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
