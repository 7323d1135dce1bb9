//! The counter's HTTP contract, in process, against a real Redis.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use counter::Config;
use kit::config::Env;
use test_servers::http::{LANGUAGE_CASES, assert_page_in, page_request, with_host};
use test_servers::{RedisServer, TestService};

async fn counter_for(redis: &RedisServer) -> TestService {
    counter_with(redis, &[]).await
}

/// The counter on `redis` with `extra` settings.
async fn counter_with(redis: &RedisServer, extra: &[(&str, &str)]) -> TestService {
    let pairs = [
        ("REDIS_HOST", redis.host().to_owned()),
        ("REDIS_PORT", redis.port().to_string()),
    ];
    let extra = extra.iter().map(|&(k, v)| (k, v.to_owned()));
    let env = Env::from_pairs(pairs.into_iter().chain(extra));
    let config = Config::from_env(&env).expect("valid config");
    TestService::start(|listener, shutdown| counter::start(config, listener, shutdown))
}

/// Status, content type and body of the counter's answer to `request`.
async fn send(app: &TestService, request: Request<Body>) -> (StatusCode, String, String) {
    let answer = app.send(request).await;
    (answer.status, answer.content_type().to_owned(), answer.body)
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).expect("request")
}

#[tokio::test]
async fn answers_the_flask_apps_exact_text_and_counts() {
    let redis = RedisServer::start().await;
    let app = counter_for(&redis).await;
    for n in 1..=3 {
        let (status, content_type, body) = send(&app, get("/")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(content_type, "text/plain; charset=utf-8");
        assert_eq!(
            body,
            format!("Hello from Redis! I have been seen {n} times.")
        );
    }
}

#[tokio::test]
async fn counts_in_the_key_the_flask_app_uses() {
    let redis = RedisServer::start().await;
    let mut conn = redis.client().await;
    redis::cmd("SET")
        .arg("hits")
        .arg(41)
        .query_async::<()>(&mut conn)
        .await
        .expect("SET");
    let (_, _, body) = send(&counter_for(&redis).await, get("/")).await;
    assert_eq!(body, "Hello from Redis! I have been seen 42 times.");
}

/// The counter's first answer to a `GET /` with this `Accept`: status, content type, body.
async fn first_visit_accepting(accept: &str) -> (StatusCode, String, String) {
    let redis = RedisServer::start().await;
    let request = Request::get("/")
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .expect("request");
    send(&counter_for(&redis).await, request).await
}

#[tokio::test]
async fn a_browser_gets_an_html_page_with_the_same_sentence() {
    let (status, content_type, body) =
        first_visit_accepting("text/html,application/xhtml+xml,*/*;q=0.8").await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(
        body.contains("Hello from Redis! I have been seen 1 times."),
        "{body}"
    );
    assert!(body.starts_with("<!doctype html>"));
}

#[tokio::test]
async fn the_html_page_speaks_the_browsers_language_and_curl_still_gets_the_flask_sentence() {
    let redis = RedisServer::start().await;
    let app = counter_for(&redis).await;
    for (n, &(accept_language, lang)) in (1..).zip(LANGUAGE_CASES) {
        let sentence = if lang == "es" {
            format!("¡Hola desde Redis! Me han visto {n} veces.")
        } else {
            format!("Hello from Redis! I have been seen {n} times.")
        };
        let page = app.send(page_request("/", accept_language)).await;
        assert_page_in(&page, lang, &sentence, true);
    }
    let plain = Request::get("/")
        .header(header::ACCEPT_LANGUAGE, "es")
        .body(Body::empty())
        .expect("request");
    let (_, _, body) = send(&app, plain).await;
    let n = LANGUAGE_CASES.len() + 1;
    assert_eq!(
        body,
        format!("Hello from Redis! I have been seen {n} times.")
    );

    let fixed = counter_with(&redis, &[("LAB_LANGUAGE", "es")]).await;
    let page = fixed.send(page_request("/", Some("en"))).await;
    assert_page_in(&page, "es", "Contador de visitas", false);
}

#[tokio::test]
async fn curl_style_accept_gets_plain_text() {
    let (_, content_type, body) = first_visit_accepting("*/*").await;
    assert!(content_type.starts_with("text/plain"));
    assert_eq!(body, "Hello from Redis! I have been seen 1 times.");
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let mut redis = RedisServer::start().await;
    let app = counter_for(&redis).await;
    send(&app, get("/")).await;

    assert_eq!(send(&app, get("/healthz")).await.0, StatusCode::OK);
    assert_eq!(send(&app, get("/readyz")).await.0, StatusCode::OK);
    let (status, content_type, metrics) = send(&app, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/plain"));
    assert!(
        metrics.contains(r#"http_requests_total{route="/",method="GET",status="200"}"#),
        "{metrics}"
    );

    redis.kill().await;
    assert_eq!(
        send(&app, get("/healthz")).await.0,
        StatusCode::OK,
        "liveness touches no backend"
    );
    let (status, _, body) = send(&app, get("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("Redis"), "{body}");
    send(&app, get("/")).await;
    let (_, _, metrics) = send(&app, get("/metrics")).await;
    assert!(metrics.contains("redis_errors_total"), "{metrics}");
    assert!(
        metrics.contains(r#"http_requests_total{route="/",method="GET",status="503"}"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn every_error_answer_carries_the_security_headers() {
    let redis = RedisServer::start().await;
    let app = counter_for(&redis).await;
    let two_hosts = Request::get("/")
        .header(header::HOST, "a")
        .header(header::HOST, "b")
        .body(Body::empty())
        .expect("request");
    let answers = [
        (
            Request::get("/").body(Body::empty()),
            StatusCode::BAD_REQUEST,
        ),
        (Ok(two_hosts), StatusCode::BAD_REQUEST),
        (
            Request::get("/nope").body(Body::empty()).map(with_host),
            StatusCode::NOT_FOUND,
        ),
        (
            Request::post("/").body(Body::empty()).map(with_host),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            Request::post("/")
                .header(header::CONTENT_LENGTH, 1_000_000)
                .body(Body::from(vec![b'x'; 1_000_000]))
                .map(with_host),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (request, status) in answers {
        let response = app.send_exactly(request.expect("request")).await;
        assert_eq!(response.status, status);
        for name in [
            header::CONTENT_SECURITY_POLICY,
            header::X_CONTENT_TYPE_OPTIONS,
            header::X_FRAME_OPTIONS,
            header::REFERRER_POLICY,
        ] {
            assert!(response.headers.contains_key(&name), "{status}: no {name}");
        }
    }
    let http_1_0 = Request::get("/healthz")
        .version(axum::http::Version::HTTP_10)
        .body(Body::empty())
        .expect("request");
    let response = app.send_exactly(http_1_0).await;
    assert_eq!(response.status, StatusCode::OK, "HTTP/1.0 may omit Host");
}

#[tokio::test]
async fn bad_requests_get_4xx_never_5xx() {
    let redis = RedisServer::start().await;
    let app = counter_for(&redis).await;
    assert_eq!(send(&app, get("/nope")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        send(&app, get("/../etc/passwd")).await.0,
        StatusCode::NOT_FOUND
    );
    let post = Request::post("/").body(Body::empty()).expect("request");
    assert_eq!(send(&app, post).await.0, StatusCode::METHOD_NOT_ALLOWED);
    let delete = Request::delete("/healthz")
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&app, delete).await.0, StatusCode::METHOD_NOT_ALLOWED);
    let big = Request::get("/")
        .header(header::CONTENT_LENGTH, 1_000_000)
        .body(Body::from(vec![b'x'; 1_000_000]))
        .expect("request");
    assert_eq!(send(&app, big).await.0, StatusCode::PAYLOAD_TOO_LARGE);
}
