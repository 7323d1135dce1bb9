//! Redis's circuit breaker in the counter, against a real Redis frozen with SIGSTOP (a hung
//! process keeps its connections and answers nothing). Its own test binary: the breaker's
//! metrics are the process's, and no other app may move them.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use counter::Config;
use futures_util::future::join_all;
use kit::breaker::{FAILURES_TO_OPEN, REJECTED, STATE};
use kit::config::Env;
use test_servers::http::metric_total;
use test_servers::{RedisServer, TestService, wait_until};

const VISITS_WHILE_OPEN: usize = 50;

async fn visit(app: &TestService) -> (StatusCode, String, Duration) {
    let started = Instant::now();
    let answer = app
        .send(Request::get("/").body(Body::empty()).expect("request"))
        .await;
    (answer.status, answer.body, started.elapsed())
}

async fn metric(app: &TestService, name: &str) -> f64 {
    let answer = app
        .send(
            Request::get("/metrics")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    metric_total(&answer.body, name)
}

#[tokio::test]
async fn a_frozen_redis_fails_visits_at_once_and_counting_resumes_when_it_thaws() {
    let redis = RedisServer::start().await;
    let env = Env::from_pairs([("REDIS_URL", redis.url())]);
    let config = Config::from_env(&env).expect("valid config");
    let app = TestService::start(|listener, shutdown| counter::start(config, listener, shutdown));
    assert_eq!(visit(&app).await.0, StatusCode::OK);

    redis.freeze();
    // Concurrent visits, each waiting out its deadline: enough failures to open.
    let first = join_all((0..2 * FAILURES_TO_OPEN).map(|_| visit(&app))).await;
    assert!(
        first
            .iter()
            .all(|(status, _, _)| *status == StatusCode::SERVICE_UNAVAILABLE),
        "{first:?}"
    );
    assert_eq!(metric(&app, STATE.name).await, 2.0, "the breaker is open");

    let rejected_before = metric(&app, REJECTED.name).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..VISITS_WHILE_OPEN {
        let (status, body, took) = visit(&app).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("cannot reach its Redis database"), "{body}");
        slowest = slowest.max(took);
    }
    let not_tried = metric(&app, REJECTED.name).await - rejected_before;
    // A cool-down may end meanwhile and let one probe wait on the frozen Redis.
    assert!(
        not_tried >= (VISITS_WHILE_OPEN - 1) as f64,
        "only {not_tried} of {VISITS_WHILE_OPEN} visits were refused without trying Redis"
    );
    eprintln!(
        "breaker open, Redis frozen: {VISITS_WHILE_OPEN} visits answered 503, slowest {slowest:?}"
    );

    redis.thaw();
    let thawed = Instant::now();
    wait_until(Duration::from_secs(20), || async {
        visit(&app).await.0 == StatusCode::OK
    })
    .await;
    eprintln!(
        "Redis thawed: the first visit counted {:?} later",
        thawed.elapsed()
    );
    assert_eq!(metric(&app, STATE.name).await, 0.0, "closed again");
}
