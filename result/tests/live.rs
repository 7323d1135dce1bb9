//! The result app against a real PostgreSQL: page, API, live stream, outages, shutdown.

use std::time::{Duration, Instant};

use kit::config::Env;
use result::Config;
use test_servers::http::{LANGUAGE_CASES, assert_page_in, get_text, page_request};
use test_servers::results::{self, Results};
use test_servers::sse::EventReader;
use test_servers::{PostgresServer, TestService, database, wait_until};

/// How long the scores may take to reach the API or a stream after a change: the watcher
/// re-reads at least once a second; the rest is slack for a busy machine.
const UPDATE_BUDGET: Duration = Duration::from_secs(5);
/// How long a first event, or a recovery after PostgreSQL restarts, may take.
const SETTLE_BUDGET: Duration = Duration::from_secs(10);
/// The promise the page makes: a committed vote is on screen within a second (a notification
/// wakes the watcher); the tests allow this much before calling it broken.
/// Open streams end at a stop signal at once, so the server can stop well within Docker's
/// 10 s grace; this is that, with slack.
const STOP_BUDGET: Duration = Duration::from_secs(3);
const LIVE_PROMISE: Duration = Duration::from_millis(1500);

fn start_result(db_url: &str, extra: &[(&str, &str)]) -> TestService {
    let pairs = [("DATABASE_URL", db_url)]
        .into_iter()
        .chain(extra.iter().copied());
    let config = Config::from_env(&Env::from_pairs(pairs)).expect("valid config");
    TestService::start(|listener, shutdown| result::start(config, listener, shutdown))
}

async fn api(result: &TestService) -> Results {
    results::fetch(&reqwest::Client::new(), &result.url("/api/results")).await
}

/// `/events` of `result`, opened.
async fn events(result: &TestService) -> EventReader {
    EventReader::open(&reqwest::Client::new(), &result.url("/events")).await
}

/// The next `scores` event, or `None` when the stream ended.
async fn next_scores(events: &mut EventReader, within: Duration) -> Option<Results> {
    events.next("scores", within).await
}

async fn page(result: &TestService) -> String {
    get_text(&result.url("/")).await
}

/// The table the original worker writes, holding 2 votes for a and 1 for b.
async fn original_table_with_votes(client: &tokio_postgres::Client) {
    client
        .batch_execute(
            "CREATE TABLE votes (id VARCHAR(255) NOT NULL UNIQUE, vote VARCHAR(255) NOT NULL);
             INSERT INTO votes VALUES ('1', 'a'), ('2', 'a'), ('3', 'b');",
        )
        .await
        .expect("original table");
}

/// Asserts that less than `limit` has passed since `since`.
fn assert_within(since: Instant, limit: Duration, what: &str) {
    let took = since.elapsed();
    assert!(took < limit, "{what} took {took:?}, more than {limit:?}");
}

#[tokio::test]
async fn before_any_table_exists_it_shows_no_votes_yet() {
    let db = database().await;
    let result = start_result(&db.url(), &[]);
    wait_until(UPDATE_BUDGET, || async { !api(&result).await.stale }).await;
    let scores = api(&result).await;
    assert_eq!(scores.counts(), (0, 0));
    assert_eq!(scores.a_percent, 50);
    let page = page(&result).await;
    assert!(page.contains("No votes yet"), "{page}");
    assert!(page.contains("Cats") && page.contains("Dogs"));
    // 50/50 would read as a tie: the bars stay empty, the percentages blank.
    assert!(!page.contains("50%"), "{page}");
    assert!(page.contains(r#"id="a-bar" max="100" value="0""#), "{page}");
}

#[tokio::test]
async fn the_page_speaks_the_browsers_language_or_lab_language_the_api_stays_english() {
    let db = database().await;
    let client = db.client().await;
    original_table_with_votes(&client).await;
    let result = start_result(&db.url(), &[("OPTION_A", "Té"), ("OPTION_B", "Café")]);
    wait_until(UPDATE_BUDGET, || async { api(&result).await.total == 3 }).await;
    for &(accept_language, lang) in LANGUAGE_CASES {
        let (total, live) = if lang == "es" {
            (r#">3 votos<"#, r#"data-live="En vivo""#)
        } else {
            (r#">3 votes<"#, r#"data-live="Live""#)
        };
        let page = result.send(page_request("/", accept_language)).await;
        assert_page_in(&page, lang, total, true);
        assert_page_in(&page, lang, live, true);
        assert!(page.body.contains("Té vs Café"), "labels stay as set");
    }
    let api = result.send(page_request("/api/results", Some("es"))).await;
    assert!(
        api.body.contains(r#""total_text":"3 votes""#),
        "{}",
        api.body
    );

    let fixed = start_result(&db.url(), &[("LAB_LANGUAGE", "es")]);
    let page = fixed.send(page_request("/", Some("en"))).await;
    assert_page_in(&page, "es", "Sin actualización en vivo", false);
}

#[tokio::test]
async fn reads_a_table_written_by_the_original_worker_with_our_labels() {
    let db = database().await;
    let client = db.client().await;
    original_table_with_votes(&client).await;
    let result = start_result(&db.url(), &[("OPTION_A", "Tea"), ("OPTION_B", "Coffee")]);
    wait_until(UPDATE_BUDGET, || async { api(&result).await.total == 3 }).await;
    let scores = api(&result).await;
    assert_eq!(scores.counts(), (2, 1));
    assert_eq!((scores.a_percent, scores.b_percent), (67, 33));
    let page = page(&result).await;
    for text in ["Tea", "Coffee", "67%", "33%", "3 votes"] {
        assert!(page.contains(text), "{text} missing");
    }
    // No trigger notifies here: the once-a-second read must still catch a new row.
    let mut events = events(&result).await;
    let first = next_scores(&mut events, SETTLE_BUDGET).await;
    assert_eq!(first.expect("first event").total, 3);
    client
        .batch_execute("INSERT INTO votes VALUES ('4', 'b')")
        .await
        .expect("insert");
    let started = Instant::now();
    let event = next_scores(&mut events, UPDATE_BUDGET).await;
    assert_eq!(event.expect("an update").total, 4);
    assert_within(started, LIVE_PROMISE, "the once-a-second read");
}

#[tokio::test]
async fn a_committed_vote_reaches_an_open_stream_within_a_second() {
    let db = database().await;
    let mut client = db.client().await;
    kit::schema::migrate(&mut client).await.expect("schema");
    let result = start_result(&db.url(), &[]);
    let mut events = events(&result).await;
    let mut first = next_scores(&mut events, SETTLE_BUDGET).await;
    while first.as_ref().is_some_and(|scores| scores.stale) {
        first = next_scores(&mut events, SETTLE_BUDGET).await;
    }
    assert_eq!(first.expect("a fresh event").total, 0);
    for (n, (id, vote)) in (1_i64..).zip([("x", "a"), ("y", "b"), ("z", "a")]) {
        client
            .execute(
                "INSERT INTO votes (id, vote) VALUES ($1, $2)",
                &[&id, &vote],
            )
            .await
            .expect("insert");
        let committed = Instant::now();
        let event = next_scores(&mut events, UPDATE_BUDGET).await;
        assert_eq!(event.expect("an event").total, n);
        assert_within(committed, LIVE_PROMISE, "the notification");
    }
}

#[tokio::test]
async fn postgres_down_keeps_the_last_scores_marked_stale_and_recovers() {
    let mut postgres = PostgresServer::start().await;
    let db = postgres.create_database().await;
    let mut client = db.client().await;
    kit::schema::migrate(&mut client).await.expect("schema");
    client
        .batch_execute("INSERT INTO votes (id, vote) VALUES ('1', 'a'), ('2', 'b'), ('3', 'b')")
        .await
        .expect("insert");
    drop(client);
    let result = start_result(&db.url(), &[]);
    wait_until(UPDATE_BUDGET, || async { api(&result).await.total == 3 }).await;

    postgres.kill().await;
    wait_until(UPDATE_BUDGET, || async { api(&result).await.stale }).await;
    let scores = api(&result).await;
    assert_eq!(scores.total, 3, "the last known scores are still served");
    let page = reqwest::get(result.url("/")).await.expect("GET /");
    assert_eq!(page.status(), 200);
    let page = page.text().await.expect("body");
    assert!(
        page.contains("3 votes") && page.contains("may not be the latest"),
        "{page}"
    );
    let ready = reqwest::get(result.url("/readyz")).await.expect("readyz");
    assert_eq!(ready.status(), 503);

    postgres.start_again().await;
    wait_until(SETTLE_BUDGET, || async { !api(&result).await.stale }).await;
    let client = db.client().await;
    client
        .batch_execute("INSERT INTO votes (id, vote) VALUES ('4', 'a')")
        .await
        .expect("insert");
    wait_until(UPDATE_BUDGET, || async { api(&result).await.total == 4 }).await;
}

#[tokio::test]
async fn shutdown_ends_open_streams_so_the_server_can_stop() {
    let db = database().await;
    let result = start_result(&db.url(), &[]);
    let mut streams = Vec::new();
    for _ in 0..3 {
        let mut stream = events(&result).await;
        let first = next_scores(&mut stream, SETTLE_BUDGET).await;
        assert!(first.is_some(), "the stream ended before its first event");
        streams.push(stream);
    }
    let stopping = Instant::now();
    result.shutdown_token().cancel();
    for mut stream in streams {
        // Drain until the end of the stream; an open stream would time out here.
        while next_scores(&mut stream, STOP_BUDGET).await.is_some() {}
    }
    result.stopped().await;
    assert_within(stopping, STOP_BUDGET, "stopping the server and the watcher");
}

#[tokio::test]
async fn bad_requests_get_4xx_never_5xx() {
    let db = database().await;
    let result = start_result(&db.url(), &[]);
    let client = reqwest::Client::new();
    let cases = [
        (client.get(result.url("/nope")), 404),
        (client.post(result.url("/")), 405),
        (client.delete(result.url("/api/results")), 405),
        (
            client
                .post(result.url("/api/results"))
                .body(vec![b'x'; 100_000]),
            413,
        ),
        (client.get(result.url("/static/result.js")), 200),
    ];
    for (request, want) in cases {
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), want, "{}", response.url());
    }
}
