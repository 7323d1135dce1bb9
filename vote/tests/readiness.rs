//! `/readyz` is for the orchestrator, not the voter. Alone in its test process: it compares
//! process-wide metrics before and after, which another test's failed votes would move.

mod common;

use axum::http::StatusCode;
use common::{counter_total, get, send, vote_app};
use test_servers::RedisServer;

/// Every counter a failed vote moves.
const VOTE_FAILURE_METRICS: [&str; 2] = ["redis_errors_total", "votes_not_sent_total"];

#[tokio::test]
async fn readyz_without_redis_is_a_plain_503_and_no_failed_vote() {
    let mut redis = RedisServer::start().await;
    let app = vote_app(&redis, &[]).await;
    let ready = send(&app, get("/readyz")).await;
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (StatusCode::OK, "ready\n")
    );

    redis.kill().await;
    let mut before = Vec::new();
    for metric in VOTE_FAILURE_METRICS {
        before.push(counter_total(&app, metric).await);
    }
    let answer = send(&app, get("/readyz")).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        answer.content_type().starts_with("text/plain"),
        "{}",
        answer.content_type()
    );
    assert!(
        answer.body.contains("Redis is not reachable"),
        "{}",
        answer.body
    );
    assert!(
        !answer.body.contains("<html") && !answer.body.contains("vote"),
        "not the ballot's problem page: {}",
        answer.body
    );
    for (metric, before) in VOTE_FAILURE_METRICS.into_iter().zip(before) {
        assert_eq!(
            counter_total(&app, metric).await,
            before,
            "{metric} counts failed votes, not readiness probes"
        );
    }
}
