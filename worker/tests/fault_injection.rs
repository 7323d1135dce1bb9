//! `worker fault stall` (kit::fault) through the worker's own wiring, against real Redis and
//! PostgreSQL: the batch in hand waits uncommitted in the worker's processing list until the
//! stall is lifted, then commits.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use test_servers::{RedisServer, TestService, database};

const WITHIN: Duration = Duration::from_secs(30);

async fn fault(worker: &TestService, change: &str) -> String {
    let request = Request::post("/fault")
        .header("content-type", "text/plain")
        .body(Body::from(change.to_owned()))
        .expect("request");
    let answer = worker.send(request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body
}

#[tokio::test]
async fn a_stalled_worker_holds_its_batch_uncommitted_until_the_stall_is_lifted() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let config = config(&redis.url(), &db.url(), &[("FAULT_INJECTION", "on")]);
    let worker = TestService::start(|listener, shutdown| worker::start(config, listener, shutdown));
    assert_eq!(fault(&worker, "stall").await, "stall\n");

    let votes: Vec<String> = (0..3)
        .map(|n| message(&format!("v{n}"), "a", Some(n + 1)))
        .collect();
    push(&redis, &votes).await;
    wait_taken(&redis, WITHIN).await;
    let client = db.client().await;
    assert_eq!(
        pending(&redis).await,
        3,
        "the batch waits in the processing list"
    );
    assert!(
        table_once_created(&client).await.is_empty(),
        "nothing committed while stalled"
    );

    assert_eq!(fault(&worker, "off").await, "no fault\n");
    wait_drained(&redis, WITHIN).await;
    assert_eq!(table(&client).await.len(), 3);
}
