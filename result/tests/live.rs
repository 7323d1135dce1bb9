//! The result app against a real PostgreSQL: page, API, live stream, outages, shutdown.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kit::config::Env;
use result::Config;
use test_servers::{PostgresServer, TestService, database, wait_until};

async fn start_result(db_url: &str, extra: &[(&str, &str)]) -> TestService {
    let mut pairs = vec![("DATABASE_URL".to_owned(), db_url.to_owned())];
    pairs.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let config = Config::from_env(&Env::from_pairs(pairs)).expect("valid config");
    TestService::start(|listener, shutdown| result::start(config, listener, shutdown))
}

async fn api(result: &TestService) -> serde_json::Value {
    reqwest::get(result.url("/api/results"))
        .await
        .expect("GET /api/results")
        .json()
        .await
        .expect("json")
}

/// Reads SSE `scores` events from `/events`.
struct EventStream {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl EventStream {
    async fn open(result: &TestService) -> Self {
        let response = reqwest::get(result.url("/events"))
            .await
            .expect("GET /events");
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The next `scores` event's data, or `None` when the stream ended.
    async fn next(&mut self, within: Duration) -> Option<serde_json::Value> {
        tokio::time::timeout(within, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let event: String = self.buffer.drain(..end + 2).collect();
                    if event.lines().any(|l| l == "event: scores") {
                        let data = event
                            .lines()
                            .find_map(|l| l.strip_prefix("data: "))
                            .expect("data");
                        return Some(serde_json::from_str(data).expect("json"));
                    }
                    continue;
                }
                match self.body.next().await {
                    Some(chunk) => self
                        .buffer
                        .push_str(&String::from_utf8_lossy(&chunk.expect("chunk"))),
                    None => return None,
                }
            }
        })
        .await
        .expect("no event in time")
    }
}

#[tokio::test]
async fn before_any_table_exists_it_shows_no_votes_yet() {
    let db = database().await;
    let result = start_result(&db.url(), &[]).await;
    wait_until(Duration::from_secs(5), || async {
        api(&result).await["stale"] == false
    })
    .await;
    let scores = api(&result).await;
    assert_eq!(
        (scores["a"].as_i64(), scores["b"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(scores["a_percent"], 50);
    let page = reqwest::get(result.url("/"))
        .await
        .expect("GET /")
        .text()
        .await
        .expect("body");
    assert!(page.contains("No votes yet"), "{page}");
    assert!(page.contains("Cats") && page.contains("Dogs"));
}

#[tokio::test]
async fn reads_a_table_written_by_the_original_worker_with_our_labels() {
    let db = database().await;
    let client = db.client().await;
    client
        .batch_execute(
            "CREATE TABLE votes (id VARCHAR(255) NOT NULL UNIQUE, vote VARCHAR(255) NOT NULL);
             INSERT INTO votes VALUES ('1', 'a'), ('2', 'a'), ('3', 'b');",
        )
        .await
        .expect("original table");
    let result = start_result(&db.url(), &[("OPTION_A", "Tea"), ("OPTION_B", "Coffee")]).await;
    wait_until(Duration::from_secs(5), || async {
        api(&result).await["total"] == 3
    })
    .await;
    let scores = api(&result).await;
    assert_eq!(
        (scores["a"].as_i64(), scores["b"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        (scores["a_percent"].as_i64(), scores["b_percent"].as_i64()),
        (Some(67), Some(33))
    );
    let page = reqwest::get(result.url("/"))
        .await
        .expect("GET /")
        .text()
        .await
        .expect("body");
    for text in ["Tea", "Coffee", "67%", "33%", "3 votes"] {
        assert!(page.contains(text), "{text} missing");
    }
    // No trigger notifies here: the once-a-second read must still catch a new row.
    let mut events = EventStream::open(&result).await;
    assert_eq!(
        events.next(Duration::from_secs(2)).await.expect("first")["total"],
        3
    );
    client
        .batch_execute("INSERT INTO votes VALUES ('4', 'b')")
        .await
        .expect("insert");
    let started = Instant::now();
    let event = events.next(Duration::from_secs(3)).await.expect("update");
    assert_eq!(event["total"], 4);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_committed_vote_reaches_an_open_stream_within_a_second() {
    let db = database().await;
    let mut client = db.client().await;
    kit::schema::migrate(&mut client).await.expect("schema");
    let result = start_result(&db.url(), &[]).await;
    let mut events = EventStream::open(&result).await;
    let first = events
        .next(Duration::from_secs(5))
        .await
        .expect("first event");
    let first = if first["stale"] == true {
        events.next(Duration::from_secs(5)).await.expect("fresh")
    } else {
        first
    };
    assert_eq!(first["total"], 0);
    for (n, (id, vote)) in [("x", "a"), ("y", "b"), ("z", "a")].into_iter().enumerate() {
        client
            .execute(
                "INSERT INTO votes (id, vote) VALUES ($1, $2)",
                &[&id, &vote],
            )
            .await
            .expect("insert");
        let committed = Instant::now();
        let event = events.next(Duration::from_secs(2)).await.expect("event");
        assert_eq!(event["total"], n + 1);
        assert!(
            committed.elapsed() < Duration::from_secs(1),
            "took {:?}",
            committed.elapsed()
        );
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
    let result = start_result(&db.url(), &[]).await;
    wait_until(Duration::from_secs(5), || async {
        api(&result).await["total"] == 3
    })
    .await;

    postgres.kill().await;
    wait_until(Duration::from_secs(5), || async {
        api(&result).await["stale"] == true
    })
    .await;
    let scores = api(&result).await;
    assert_eq!(scores["total"], 3, "the last known scores are still served");
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
    wait_until(Duration::from_secs(10), || async {
        api(&result).await["stale"] == false
    })
    .await;
    let client = db.client().await;
    client
        .batch_execute("INSERT INTO votes (id, vote) VALUES ('4', 'a')")
        .await
        .expect("insert");
    wait_until(Duration::from_secs(5), || async {
        api(&result).await["total"] == 4
    })
    .await;
}

#[tokio::test]
async fn shutdown_ends_open_streams_so_the_server_can_stop() {
    let db = database().await;
    let result = start_result(&db.url(), &[]).await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        let mut stream = EventStream::open(&result).await;
        stream
            .next(Duration::from_secs(5))
            .await
            .expect("first event");
        streams.push(stream);
    }
    let stopping = Instant::now();
    result.shutdown_token().cancel();
    for mut stream in streams {
        // Drain until the end of the stream; an open stream would time out here.
        while stream.next(Duration::from_secs(3)).await.is_some() {}
    }
    result.stopped().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "server and watcher took {:?} to stop",
        stopping.elapsed()
    );
}

#[tokio::test]
async fn bad_requests_get_4xx_never_5xx() {
    let db = database().await;
    let result = start_result(&db.url(), &[]).await;
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
