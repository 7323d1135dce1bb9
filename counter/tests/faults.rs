//! The counter over real sockets: concurrency, Redis failures and recovery.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use counter::Config;
use kit::config::Env;
use test_servers::{RedisServer, TestService};

async fn serve_counter(redis: &RedisServer) -> TestService {
    serve_counter_at(&redis.url()).await
}

async fn serve_counter_at(redis_url: &str) -> TestService {
    let env = Env::from_pairs([("REDIS_URL", redis_url)]);
    let config = Config::from_env(&env).expect("valid config");
    TestService::start(|listener, shutdown| counter::start(config, listener, shutdown))
}

async fn visit(client: &reqwest::Client, app: &TestService) -> (u16, String) {
    let response = client.get(app.url("/")).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

fn count_in(body: &str) -> u64 {
    body.strip_prefix("Hello from Redis! I have been seen ")
        .and_then(|rest| rest.strip_suffix(" times."))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected body {body:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_visits_get_two_hundred_distinct_numbers() {
    let redis = RedisServer::start().await;
    let counter = serve_counter(&redis).await;
    let client = reqwest::Client::new();
    let visits = (0..200).map(|_| {
        let client = client.clone();
        let url = counter.url("/");
        tokio::spawn(async move {
            let response = client.get(url).send().await.expect("request");
            assert_eq!(response.status(), 200);
            count_in(&response.text().await.expect("body"))
        })
    });
    let mut seen = HashSet::new();
    for visit in futures_util::future::join_all(visits).await {
        assert!(
            seen.insert(visit.expect("task")),
            "a number was given twice"
        );
    }
    assert_eq!(seen, (1..=200).collect::<HashSet<u64>>());
}

#[tokio::test]
async fn redis_down_gives_503_within_two_seconds_then_recovers_from_1() {
    let mut redis = RedisServer::start().await;
    let counter = serve_counter(&redis).await;
    let client = reqwest::Client::new();
    assert_eq!(
        visit(&client, &counter).await.1,
        "Hello from Redis! I have been seen 1 times."
    );
    assert_eq!(
        visit(&client, &counter).await.1,
        "Hello from Redis! I have been seen 2 times."
    );

    redis.kill().await;
    for _ in 0..3 {
        let started = Instant::now();
        let (status, body) = visit(&client, &counter).await;
        assert_eq!(status, 503);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        assert!(body.contains("cannot reach its Redis database"), "{body}");
        assert!(!body.contains("os error"), "internals leaked: {body}");
    }

    // A Redis re-created without a volume comes back empty: the count starts again.
    redis.start_again().await;
    let (status, body) = visit(&client, &counter).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, "Hello from Redis! I have been seen 1 times.");
}

#[tokio::test]
async fn redis_with_persistence_keeps_the_count_across_a_restart() {
    let mut redis = RedisServer::start_persistent().await;
    let counter = serve_counter(&redis).await;
    let client = reqwest::Client::new();
    for _ in 0..5 {
        visit(&client, &counter).await;
    }
    redis.kill().await;
    redis.start_again().await;
    assert_eq!(
        visit(&client, &counter).await.1,
        "Hello from Redis! I have been seen 6 times."
    );
}

#[tokio::test]
async fn a_redis_that_accepts_but_never_answers_also_fails_fast() {
    // A stalled server: connects succeed and nothing ever comes back, so only the response
    // timeouts stand between the visitor and a hung request.
    let stalled = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = stalled.local_addr().expect("addr").port();
    let holder = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = stalled.accept().await {
            held.push(socket);
        }
    });
    let counter = serve_counter_at(&format!("redis://127.0.0.1:{port}/")).await;
    let started = Instant::now();
    let (status, _) = visit(&reqwest::Client::new(), &counter).await;
    assert_eq!(status, 503);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    holder.abort();
}

#[tokio::test]
async fn huge_headers_are_refused_with_a_4xx() {
    let redis = RedisServer::start().await;
    let counter = serve_counter(&redis).await;
    let response = reqwest::Client::new()
        .get(counter.url("/"))
        .header("x-padding", "x".repeat(512 * 1024))
        .send()
        .await;
    match response {
        Ok(response) => assert!(response.status().is_client_error(), "{}", response.status()),
        // hyper may also just close the connection on an oversized head: refused, not served.
        Err(e) => assert!(e.is_request() || e.is_connect() || e.is_body(), "{e}"),
    }
    assert_eq!(
        visit(&reqwest::Client::new(), &counter).await.0,
        200,
        "still serving"
    );
}
