//! The worker binary's `/metrics` as Prometheus reads it, and each vote's time from its
//! acceptance (its `seq`, Redis's clock) to its commit.

mod common;

use std::time::Duration;

use common::process::spawn_worker;
use common::{message, push};
use test_servers::http::{get_text, metric_total};
use test_servers::{
    RedisServer, STARTUP_BUDGET, assert_metrics_pass_promtool, database, wait_until,
};

/// Generous for a start, a migration and two votes on a busy machine.
const WITHIN: Duration = Duration::from_secs(15);
/// How long before the test the older vote was accepted.
const AGE: Duration = Duration::from_secs(2);
/// How far ahead of the clocks the other vote's `seq` is, as a Redis host whose clock runs
/// ahead would make it.
const AHEAD: Duration = Duration::from_secs(60);

/// Redis's clock, in µs since the Unix epoch, as the scripts read it for `seq`.
async fn redis_now_micros(redis: &RedisServer) -> i64 {
    let (seconds, micros): (i64, i64) = redis::cmd("TIME")
        .query_async(&mut redis.client().await)
        .await
        .expect("TIME");
    seconds * 1_000_000 + micros
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).expect("a few seconds")
}

#[tokio::test]
async fn metrics_pass_promtool_and_time_each_vote_from_acceptance_to_commit() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let worker = spawn_worker(&redis, &db.url(), &[]);
    wait_until(STARTUP_BUDGET, || async { worker.healthy() }).await;
    let now = redis_now_micros(&redis).await;
    push(
        &redis,
        &[
            message("accepted-earlier", "a", Some(now - micros(AGE))),
            message("from-a-clock-ahead", "b", Some(now + micros(AHEAD))),
        ],
    )
    .await;
    let metrics = worker.url("/metrics");
    wait_until(WITHIN, || async {
        metric_total(&get_text(&metrics).await, "worker_votes_applied_total") >= 2.0
    })
    .await;

    let page = assert_metrics_pass_promtool(
        &metrics,
        "worker",
        &[
            "worker_messages_taken_total",
            "worker_votes_applied_total",
            "worker_rows_changed_total",
            "worker_batch_size",
            "worker_vote_commit_lag_seconds",
            "worker_last_commit_timestamp_seconds",
            "worker_dead_letters_total",
            "worker_backend_errors_total",
        ],
    )
    .await;
    let lag =
        |series: &str| metric_total(&page, &format!("worker_vote_commit_lag_seconds{series}"));
    assert_eq!(lag("_count"), 2.0, "{page}");
    // The vote from the clock ahead counts as 0 (not -60 s): the older one alone makes the sum.
    assert_eq!(lag(r#"_bucket{le="0.001"}"#), 1.0, "{page}");
    let sum = lag("_sum");
    assert!(
        sum >= AGE.as_secs_f64() && sum < (AGE + WITHIN).as_secs_f64(),
        "sum {sum}:\n{page}"
    );
}
