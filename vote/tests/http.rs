//! The vote app's HTTP contract, in process, against a real Redis.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{BROWSER_ACCEPT, get, post_vote, post_with, queued, send, vote_and_redis, vote_app};
use kit::queue::{Choice, VoteMessage};
use test_servers::http::{LANGUAGE_CASES, assert_page_in, page_request};
use test_servers::{RedisServer, wait_until};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn get_page(cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get("/");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn the_ballot_shows_labels_tip_and_container_and_gives_a_voter_id() {
    let redis = RedisServer::start().await;
    let page = send(&vote_app(&redis, &[]).await, get_page(None)).await;
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
    let (app, _redis) = vote_and_redis(&[("OPTION_A", "Tabs"), ("OPTION_B", "<Spaces>")]).await;
    let page = send(&app, get_page(None)).await;
    assert!(
        page.body.contains("Tabs vs &#60;Spaces&#62;!"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_vote_is_queued_in_the_original_format_then_redirects_with_303() {
    let (app, redis) = vote_and_redis(&[]).await;
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
    let (app, redis) = vote_and_redis(&[]).await;
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
    let app = vote_app(&redis, &[]).await;
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
    let (app, redis) = vote_and_redis(&[]).await;
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
async fn redis_down_says_the_vote_may_not_be_recorded_then_recovers() {
    let mut redis = RedisServer::start().await;
    let app = vote_app(&redis, &[]).await;
    redis.kill().await;
    let started = std::time::Instant::now();
    let answer = send(&app, post_vote("vote=a", Some("voter_id=v1"))).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        answer.body.contains("Your vote may not have been recorded"),
        "{}",
        answer.body
    );
    assert!(answer.body.contains("Voting again is safe"));
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
    assert_eq!(
        send(&app, get("/readyz")).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    redis.start_again().await;
    let answer = send(&app, post_vote("vote=a", Some("voter_id=v1"))).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(queued(&redis).await.len(), 1);
}

/// Longer than a vote's whole Redis exchange (`kit::redis_client::REQUEST_DEADLINE`), so the
/// voter is answered while Redis still holds the vote.
const PAUSE: Duration = Duration::from_millis(2500);

#[tokio::test]
async fn a_vote_redis_confirms_too_late_is_never_called_unrecorded() {
    let (app, redis) = vote_and_redis(&[]).await;
    // Connects and loads the script, so the paused call is the vote itself.
    let warm_up = send(&app, post_vote("vote=b", Some("voter_id=early"))).await;
    assert_eq!(warm_up.status, StatusCode::SEE_OTHER);
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(PAUSE.as_millis() as u64)
        .arg("ALL")
        .query_async(&mut redis.client().await)
        .await
        .expect("CLIENT PAUSE");

    let answer = send(&app, post_vote("vote=a", Some("voter_id=late"))).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!answer.body.contains("was not recorded"), "{}", answer.body);
    assert!(
        answer.body.contains("may not have been recorded")
            && answer.body.contains("only your last vote counts"),
        "{}",
        answer.body
    );

    // Once Redis resumes, it runs the call it was holding: the vote is in the queue.
    wait_until(PAUSE * 4, || async {
        queued(&redis).await.iter().any(|message| {
            VoteMessage::parse(message.as_bytes()).is_ok_and(|m| m.voter_id == "late")
        })
    })
    .await;
}

/// What ApacheBench 2.3 sends for the original seed script's `ab -n 1000 -c 50 -p posta -T
/// "application/x-www-form-urlencoded" http://vote/` (posta holds `vote=a`), byte for byte
/// but the Host.
fn ab_request(host: &str) -> String {
    format!(
        "POST / HTTP/1.0\r\nContent-length: 6\r\nContent-type: application/x-www-form-urlencoded\r\n\
         Host: {host}\r\nUser-Agent: ApacheBench/2.3\r\nAccept: */*\r\n\r\nvote=a"
    )
}

/// How long one request over loopback may take, with a busy machine's slack.
const EXCHANGE_BUDGET: Duration = Duration::from_secs(10);

#[tokio::test]
async fn the_original_seed_scripts_ab_request_gets_a_2xx_plain_answer() {
    let (server, redis) = vote_and_redis(&[]).await;
    let mut socket = tokio::net::TcpStream::connect(server.addr())
        .await
        .expect("connect");
    let mut answer = String::new();
    tokio::time::timeout(EXCHANGE_BUDGET, async {
        socket
            .write_all(ab_request(&server.addr().to_string()).as_bytes())
            .await
            .expect("send");
        // HTTP/1.0 without keep-alive: the server closes after its answer.
        socket.read_to_string(&mut answer).await.expect("answer");
    })
    .await
    .expect("answered in time");
    let status_line = answer.lines().next().unwrap_or_default();
    assert!(status_line.contains(" 200 "), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: text/plain"),
        "{answer}"
    );
    assert!(
        answer.ends_with("Your vote for Cats (a) is recorded.\n"),
        "{answer}"
    );
    let queued = queued(&redis).await;
    assert_eq!(queued.len(), 1);
    let message = VoteMessage::parse(queued[0].as_bytes()).expect("valid message");
    assert_eq!(message.vote, Choice::A);
}

#[tokio::test]
async fn clients_not_asking_for_html_get_one_plain_line_and_the_cookies() {
    let (app, redis) = vote_and_redis(&[("OPTION_B", "Spaces")]).await;
    for accept in [Some("*/*"), None, Some("application/json")] {
        let headers: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let answer = send(&app, post_with("vote=b", &headers)).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept:?}");
        assert!(
            answer.content_type().starts_with("text/plain"),
            "{accept:?}"
        );
        assert_eq!(answer.body, "Your vote for Spaces (b) is recorded.\n");
        assert!(answer.cookie("voter_id").is_some(), "{accept:?}");
        assert_eq!(answer.cookie("vote").as_deref(), Some("b"), "{accept:?}");
    }
    let browser = send(&app, post_with("vote=b", &[("accept", BROWSER_ACCEPT)])).await;
    assert_eq!(
        browser.status,
        StatusCode::SEE_OTHER,
        "a browser goes back to the ballot"
    );
    assert_eq!(browser.headers[header::LOCATION], "/");
    assert_eq!(queued(&redis).await.len(), 4);
}

#[tokio::test]
async fn other_paths_and_methods_get_4xx() {
    let (app, _redis) = vote_and_redis(&[]).await;
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

#[tokio::test]
async fn the_ballot_and_its_problem_pages_speak_the_browsers_language() {
    let (app, _redis) = vote_and_redis(&[]).await;
    for &(accept_language, lang) in LANGUAGE_CASES {
        let (tip, refused) = if lang == "es" {
            ("(Consejo: puedes cambiar tu voto)", "Voto rechazado")
        } else {
            ("(Tip: you can change your vote)", "Vote refused")
        };
        let page = send(&app, page_request("/", accept_language)).await;
        assert_page_in(&page, lang, tip, true);
        assert!(page.body.contains("Cats vs Dogs!"), "labels stay as set");
        let mut headers = vec![("accept", BROWSER_ACCEPT), ("sec-fetch-site", "cross-site")];
        if let Some(languages) = accept_language {
            headers.push(("accept-language", languages));
        }
        let problem = send(&app, post_with("vote=a", &headers)).await;
        assert_eq!(problem.status, StatusCode::FORBIDDEN);
        assert_page_in(&problem, lang, refused, true);
    }
}

#[tokio::test]
async fn the_container_id_header_names_the_replica_in_every_language() {
    let (app, _redis) = vote_and_redis(&[]).await;
    for (accept_language, _) in LANGUAGE_CASES {
        let page = send(&app, page_request("/", *accept_language)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(
            page.headers.get("container-id").map(|id| id.as_bytes()),
            Some(&b"c0ffee123"[..]),
            "{accept_language:?}: {:?}",
            page.headers
        );
    }
    // what `curl -sI` asks, as the guide shows it
    let head = send(&app, Request::head("/").body(Body::empty()).unwrap()).await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.headers.get("container-id").unwrap(), "c0ffee123");
}

#[tokio::test]
async fn lab_language_as_a_locale_puts_the_pages_in_its_language() {
    let redis = RedisServer::start().await;
    for (locale, lang, footer) in [
        (
            "es_AR",
            "es",
            "Procesado por el contenedor con ID c0ffee123",
        ),
        (
            "es_ES.UTF-8",
            "es",
            "Procesado por el contenedor con ID c0ffee123",
        ),
        ("en_US.UTF-8", "en", "Processed by container ID c0ffee123"),
    ] {
        let app = vote_app(&redis, &[("LAB_LANGUAGE", locale)]).await;
        let asked = if lang == "es" { "en" } else { "es" };
        let page = send(&app, page_request("/", Some(asked))).await;
        assert_page_in(&page, lang, footer, false);
    }
}

#[tokio::test]
async fn lab_language_puts_every_page_in_spanish_but_curl_still_reads_english() {
    let (app, _redis) = vote_and_redis(&[("LAB_LANGUAGE", "es")]).await;
    let page = send(&app, page_request("/", Some("en-US,en;q=0.9"))).await;
    assert_page_in(
        &page,
        "es",
        "Procesado por el contenedor con ID c0ffee123",
        false,
    );
    let voted = send(&app, post_vote("vote=a", Some("voter_id=3f9c0a1b2c3d4e5"))).await;
    let cookie = format!("vote={}", voted.cookie("vote").expect("a vote cookie"));
    let page = send(&app, get_page(Some(&cookie))).await;
    assert!(
        page.body.contains("Tu voto por Cats quedó registrado."),
        "{}",
        page.body
    );
    let plain = send(&app, post_with("vote=b", &[("accept-language", "es")])).await;
    assert_eq!(plain.body, "Your vote for Dogs (b) is recorded.\n");
}
