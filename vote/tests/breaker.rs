//! Redis's circuit breaker in the vote app, against a real Redis frozen with SIGSTOP (a hung
//! process keeps its connections and answers nothing). Its own test binary: the breaker's
//! metrics are the process's, and no other app may move them.

mod common;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::{counter_total, post_with, queued, send, vote_app};
use futures_util::future::join_all;
use kit::breaker::{FAILURES_TO_OPEN, REJECTED, STATE};
use test_servers::{RedisServer, TestService, wait_until};

const VOTES_WHILE_OPEN: usize = 50;

/// A vote from its own voter, as curl sends it; its status and how long the answer took.
async fn vote_as(app: &TestService, voter: &str) -> (StatusCode, Duration) {
    let started = Instant::now();
    let cookie = format!("voter_id={voter}");
    let answer = send(app, post_with("vote=a", &[("cookie", &cookie)])).await;
    (answer.status, started.elapsed())
}

fn percentile(mut durations: Vec<Duration>, share: f64) -> Duration {
    durations.sort();
    let rank = ((durations.len() as f64 * share).ceil() as usize).clamp(1, durations.len());
    durations[rank - 1]
}

#[tokio::test]
async fn a_frozen_redis_fails_votes_at_once_and_the_first_after_it_thaws_is_recorded() {
    let redis = RedisServer::start().await;
    let app = vote_app(&redis, &[]).await;
    assert_eq!(vote_as(&app, "before-freeze").await.0, StatusCode::OK);

    redis.freeze();
    // One batch of votes waits out its deadline: each is a failed call, enough to open.
    let first = join_all((0..2 * FAILURES_TO_OPEN).map(|i| {
        let app = &app;
        async move { vote_as(app, &format!("frozen-{i}")).await }
    }))
    .await;
    assert!(
        first
            .iter()
            .all(|(status, _)| *status == StatusCode::SERVICE_UNAVAILABLE),
        "{first:?}"
    );
    assert_eq!(
        counter_total(&app, STATE.name).await,
        2.0,
        "the breaker is open"
    );

    let rejected_before = counter_total(&app, REJECTED.name).await;
    let mut durations = Vec::new();
    for i in 0..VOTES_WHILE_OPEN {
        let (status, took) = vote_as(&app, &format!("open-{i}")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        durations.push(took);
    }
    let not_tried = counter_total(&app, REJECTED.name).await - rejected_before;
    // A cool-down may end meanwhile and let one probe wait on the frozen Redis.
    assert!(
        not_tried >= (VOTES_WHILE_OPEN - 1) as f64,
        "only {not_tried} of {VOTES_WHILE_OPEN} votes were refused without trying Redis"
    );
    eprintln!(
        "breaker open, Redis frozen: {VOTES_WHILE_OPEN} votes answered 503, p50 {:?}, p99 {:?}",
        percentile(durations.clone(), 0.5),
        percentile(durations, 0.99)
    );

    redis.thaw();
    let thawed = Instant::now();
    let mut accepted = Vec::new();
    wait_until(Duration::from_secs(20), || {
        let app = &app;
        let voter = format!("after-thaw-{}", accepted.len());
        accepted.push(voter.clone());
        async move { vote_as(app, &voter).await.0 == StatusCode::OK }
    })
    .await;
    eprintln!(
        "Redis thawed: the first vote recorded {:?} later",
        thawed.elapsed()
    );
    assert_eq!(counter_total(&app, STATE.name).await, 0.0, "closed again");

    // Nothing acknowledged is lost: the voters answered 200 are in the queue.
    let queue = queued(&redis).await.join("\n");
    for voter in ["before-freeze", accepted.last().expect("a vote").as_str()] {
        assert!(
            queue.contains(&format!("\"{voter}\"")),
            "{voter} missing from {queue}"
        );
    }
}
