//! The vote app's HTTP contract, in process, against a real Redis.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use kit::config::Env;
use kit::vote::{Choice, QUEUE, VoteMessage};
use redis::AsyncCommands;
use test_servers::RedisServer;
use tower::ServiceExt;
use vote::{AppState, Config, app};

fn vote_app(redis: &RedisServer, extra: &[(&str, &str)]) -> axum::Router {
    let mut pairs = vec![
        ("REDIS_URL".to_owned(), redis.url()),
        ("HOSTNAME".to_owned(), "c0ffee123".to_owned()),
    ];
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let config = Config::from_env(&Env::from_pairs(pairs)).expect("valid config");
    app(AppState::new(
        config.redis.shared_connection().expect("redis connection"),
        config.page,
    ))
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ascii cookie"))
            .collect()
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().iter().find_map(|c| {
            c.split(';')
                .next()
                .and_then(|pair| pair.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        })
    }
}

async fn send(app: &axum::Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn post_vote(form: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request =
        Request::post("/").header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(form.to_owned())).expect("request")
}

fn get_page(cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get("/");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).expect("request")
}

async fn queued(redis: &RedisServer) -> Vec<String> {
    let mut conn = redis.client().await;
    conn.lrange(QUEUE, 0, -1).await.expect("LRANGE")
}

#[tokio::test]
async fn the_ballot_shows_labels_tip_and_container_and_gives_a_voter_id() {
    let redis = RedisServer::start().await;
    let page = send(&vote_app(&redis, &[]), get_page(None)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "Cats vs Dogs!",
        "(Tip: you can change your vote)",
        "Processed by container ID c0ffee123",
        r#"name="vote" value="a""#,
        r#"name="vote" value="b""#,
    ] {
        assert!(page.body.contains(text), "missing {text:?}");
    }
    assert!(!page.body.contains("is recorded"), "nothing voted yet");
    let set_cookie = page.cookies().join("\n");
    let voter_id = page.cookie("voter_id").expect("a voter_id cookie");
    assert_eq!(voter_id.len(), 16);
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} missing in {set_cookie}"
        );
    }
}

#[tokio::test]
async fn labels_come_from_the_environment_and_are_escaped() {
    let redis = RedisServer::start().await;
    let app = vote_app(&redis, &[("OPTION_A", "Tabs"), ("OPTION_B", "<Spaces>")]);
    let page = send(&app, get_page(None)).await;
    assert!(
        page.body.contains("Tabs vs &#60;Spaces&#62;!"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_vote_is_queued_in_the_original_format_then_redirects_with_303() {
    let redis = RedisServer::start().await;
    let app = vote_app(&redis, &[]);
    let answer = send(&app, post_vote("vote=b", Some("voter_id=3f9c0a1b2c3d4e5"))).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.headers[header::LOCATION], "/");
    assert_eq!(answer.cookie("vote").as_deref(), Some("b"));

    let queued = queued(&redis).await;
    assert_eq!(queued.len(), 1);
    let message = VoteMessage::parse(queued[0].as_bytes()).expect("valid message");
    assert_eq!(
        message.voter_id, "3f9c0a1b2c3d4e5",
        "the cookie's id is reused"
    );
    assert_eq!(message.vote, Choice::B);
    assert!(message.seq.is_some());
    // The original .NET worker reads exactly these two string fields.
    let json: serde_json::Value = serde_json::from_str(&queued[0]).expect("json");
    assert_eq!(json["voter_id"], "3f9c0a1b2c3d4e5");
    assert_eq!(json["vote"], "b");

    let page = send(&app, get_page(Some("voter_id=3f9c0a1b2c3d4e5; vote=b"))).await;
    assert!(
        page.body.contains(r#"value="b" aria-pressed="true""#),
        "{}",
        page.body
    );
    assert!(page.body.contains("Your vote for Dogs is recorded."));
}

#[tokio::test]
async fn a_malformed_voter_cookie_is_replaced_by_a_fresh_id() {
    let redis = RedisServer::start().await;
    let app = vote_app(&redis, &[]);
    let long = format!("voter_id={}", "x".repeat(65));
    for cookie in [
        None,
        Some("voter_id=bad id"),
        Some("voter_id="),
        Some(long.as_str()),
    ] {
        let answer = send(&app, post_vote("vote=a", cookie)).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER);
        let id = answer.cookie("voter_id").expect("a fresh voter_id");
        assert_eq!(id.len(), 16, "{cookie:?}");
    }
    let ids: std::collections::HashSet<String> = queued(&redis)
        .await
        .iter()
        .map(|m| VoteMessage::parse(m.as_bytes()).expect("valid").voter_id)
        .collect();
    assert_eq!(ids.len(), 4, "each new voter gets a new id");
}

#[tokio::test]
async fn seq_grows_with_every_vote_even_after_redis_comes_back_empty() {
    let mut redis = RedisServer::start().await;
    let app = vote_app(&redis, &[]);
    for _ in 0..50 {
        send(&app, post_vote("vote=a", Some("voter_id=v1"))).await;
    }
    let seqs: Vec<i64> = queued(&redis)
        .await
        .iter()
        .map(|m| {
            VoteMessage::parse(m.as_bytes())
                .expect("valid")
                .seq
                .expect("seq")
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let last = *seqs.last().expect("votes");

    redis.kill().await;
    redis.start_again().await;
    assert!(
        queued(&redis).await.is_empty(),
        "the restart lost the queue"
    );
    send(&app, post_vote("vote=b", Some("voter_id=v1"))).await;
    let after = VoteMessage::parse(queued(&redis).await[0].as_bytes()).expect("valid");
    assert!(
        after.seq.expect("seq") > last,
        "a new vote must not look older than old ones"
    );
}

#[tokio::test]
async fn bad_votes_are_refused_with_400_and_nothing_is_queued() {
    let redis = RedisServer::start().await;
    let app = vote_app(&redis, &[]);
    for form in [
        "",
        "vote=c",
        "vote=A",
        "vote=",
        "other=a",
        "vote=%FF",
        "vote=a%00",
    ] {
        let answer = send(&app, post_vote(form, None)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{form:?}");
        assert!(answer.body.contains("vote=a or vote=b"), "{}", answer.body);
    }
    let json = Request::post("/")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"vote":"a"}"#))
        .expect("request");
    assert_eq!(send(&app, json).await.status, StatusCode::BAD_REQUEST);
    let huge = post_vote(&format!("vote=a&pad={}", "x".repeat(100_000)), None);
    assert_eq!(send(&app, huge).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(queued(&redis).await.is_empty());
}

#[tokio::test]
async fn redis_down_says_the_vote_was_not_recorded_then_recovers() {
    let mut redis = RedisServer::start().await;
    let app = vote_app(&redis, &[]);
    redis.kill().await;
    let started = std::time::Instant::now();
    let answer = send(&app, post_vote("vote=a", Some("voter_id=v1"))).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        answer.body.contains("your vote was not recorded"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("try again"));
    assert_eq!(
        answer.cookie("vote"),
        None,
        "nothing claims the vote counted"
    );
    assert_eq!(
        send(&app, get_page(None)).await.status,
        StatusCode::OK,
        "the ballot needs no Redis"
    );
    let readyz = Request::get("/readyz")
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        send(&app, readyz).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    redis.start_again().await;
    let answer = send(&app, post_vote("vote=a", Some("voter_id=v1"))).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(queued(&redis).await.len(), 1);
}

#[tokio::test]
async fn other_paths_and_methods_get_4xx() {
    let redis = RedisServer::start().await;
    let app = vote_app(&redis, &[]);
    let cases = [
        (Request::get("/nope"), StatusCode::NOT_FOUND),
        (Request::put("/"), StatusCode::METHOD_NOT_ALLOWED),
        (Request::delete("/"), StatusCode::METHOD_NOT_ALLOWED),
        (Request::get("/static/style.css"), StatusCode::OK),
        (Request::get("/healthz"), StatusCode::OK),
    ];
    for (request, want) in cases {
        let request = request.body(Body::empty()).expect("request");
        let path = request.uri().to_string();
        assert_eq!(send(&app, request).await.status, want, "{path}");
    }
}
