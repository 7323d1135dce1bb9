//! Fault injection (kit::fault) through the vote app's own wiring: `POST /fault` as the
//! binary's `fault` command sends it, against a real Redis. Its own test binary: the
//! `fault_injected` gauge is the process's.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{get, send, vote_app};
use kit::fault::INJECTED;
use test_servers::RedisServer;
use test_servers::http::{Answer, metric_total};

fn fault(change: &str) -> Request<Body> {
    Request::post("/fault")
        .header("content-type", "text/plain")
        .body(Body::from(change.to_owned()))
        .expect("request")
}

async fn injected(app: &test_servers::TestService, kind: &str) -> f64 {
    let metrics = send(app, get("/metrics")).await.body;
    metric_total(&metrics, &format!("{}{{kind=\"{kind}\"}}", INJECTED.name))
}

#[tokio::test]
async fn a_replica_told_to_misbehave_does_so_until_told_off() {
    let redis = RedisServer::start().await;
    let app = vote_app(&redis, &[("FAULT_INJECTION", "on")]).await;

    let told: Answer = send(&app, fault("error 1")).await;
    assert_eq!(
        (told.status, told.body.as_str()),
        (StatusCode::OK, "error 1\n")
    );
    let ballot = send(&app, get("/")).await;
    assert_eq!(ballot.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(ballot.body.contains("Injected fault"), "{}", ballot.body);
    assert_eq!(
        send(&app, get("/healthz")).await.status,
        StatusCode::OK,
        "liveness never fails"
    );
    assert_eq!(
        send(&app, get("/readyz")).await.status,
        StatusCode::OK,
        "readiness fails only when told unready: only passive checks see the errors"
    );
    assert_eq!(injected(&app, "error").await, 1.0);

    send(&app, fault("error 0")).await;
    send(&app, fault("delay 200ms")).await;
    let started = Instant::now();
    assert_eq!(send(&app, get("/")).await.status, StatusCode::OK);
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );

    let told = send(&app, fault("unready")).await;
    assert_eq!(told.body, "delay 200ms, unready\n");
    assert_eq!(
        send(&app, get("/readyz")).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        send(&app, get("/")).await.status,
        StatusCode::OK,
        "it still serves"
    );

    let told = send(&app, fault("off")).await;
    assert_eq!(told.body, "no fault\n");
    assert_eq!(send(&app, get("/readyz")).await.status, StatusCode::OK);
    assert_eq!(injected(&app, "unready").await, 0.0);
    assert_eq!(send(&app, get("/fault")).await.body, "no fault\n");

    let refused = send(&app, fault("slower please")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("error SHARE"), "{}", refused.body);
}

#[tokio::test]
async fn without_fault_injection_on_a_fault_is_refused_and_named() {
    let redis = RedisServer::start().await;
    let app = vote_app(&redis, &[]).await;
    let refused = send(&app, fault("error 1")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        refused.body.contains("FAULT_INJECTION=on"),
        "{}",
        refused.body
    );
    assert_eq!(send(&app, get("/")).await.status, StatusCode::OK);
}
