//! What the vote app's tests share: the app in process against a real Redis, requests as a
//! browser or curl sends them, and what Redis and `/metrics` hold.
#![allow(dead_code)] // Each test file uses its own part of it.

use axum::body::Body;
use axum::http::{Request, header};
use kit::config::Env;
use kit::queue::QUEUE;
use redis::AsyncCommands;
use test_servers::http::{Answer, metric_total};
use test_servers::{RedisServer, TestService};
use vote::Config;

/// What Chromium sends in Accept when it navigates, a form POST included.
pub const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

/// A Redis of its own and the vote app on it with `extra` settings.
pub async fn vote_and_redis(extra: &[(&str, &str)]) -> (TestService, RedisServer) {
    let redis = RedisServer::start().await;
    (vote_app(&redis, extra).await, redis)
}

/// The vote app, started as its binary starts it, against `redis`, with `extra` settings.
pub async fn vote_app(redis: &RedisServer, extra: &[(&str, &str)]) -> TestService {
    let redis_url = redis.url();
    let pairs = [("REDIS_URL", redis_url.as_str()), ("HOSTNAME", "c0ffee123")];
    let env = Env::from_pairs(pairs.into_iter().chain(extra.iter().copied()));
    let config = Config::from_env(&env).expect("valid config");
    TestService::start(|listener, shutdown| vote::start(config, listener, shutdown))
}

pub async fn send(app: &TestService, request: Request<Body>) -> Answer {
    app.send(request).await
}

/// A vote POST with `headers` (name, value) and nothing else but the form's content type.
pub fn post_with(form: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut request =
        Request::post("/").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::from(form.to_owned())).expect("request")
}

/// The ballot's form as a browser posts it to its own page, with the cookie when given.
pub fn post_vote(form: &str, cookie: Option<&str>) -> Request<Body> {
    let mut headers = vec![
        ("accept", BROWSER_ACCEPT),
        ("sec-fetch-site", "same-origin"),
    ];
    if let Some(cookie) = cookie {
        headers.push(("cookie", cookie));
    }
    post_with(form, &headers)
}

pub fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

pub async fn queued(redis: &RedisServer) -> Vec<String> {
    let mut conn = redis.client().await;
    conn.lrange(QUEUE, 0, -1).await.expect("LRANGE")
}

/// The sum of every series of the counter `name` in the app's `/metrics`; 0 when absent.
pub async fn counter_total(app: &TestService, name: &str) -> f64 {
    metric_total(&send(app, get("/metrics")).await.body, name)
}
