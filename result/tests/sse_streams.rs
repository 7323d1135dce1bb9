//! `sse_streams_open` follows clients that leave. Alone in its test process: the gauge is
//! process-wide, and another test's streams would move it.

use std::time::Duration;

use kit::config::Env;
use result::Config;
use test_servers::http::{get_text, metric_total};
use test_servers::results::Results;
use test_servers::sse::EventReader;
use test_servers::{TestService, database, wait_until};

const STREAMS: usize = 50;

/// Generous: the server only has to notice 50 closed loopback connections.
const SETTLE_BUDGET: Duration = Duration::from_secs(20);

async fn streams_open(app: &TestService) -> f64 {
    metric_total(&get_text(&app.url("/metrics")).await, "sse_streams_open")
}

/// Opens `/events` and reads its first `scores` event.
async fn open_stream(client: &reqwest::Client, app: &TestService) -> EventReader {
    let mut events = EventReader::open(client, &app.url("/events")).await;
    let first: Option<Results> = events.next("scores", SETTLE_BUDGET).await;
    assert!(first.is_some(), "the stream ended before its first event");
    events
}

#[tokio::test]
async fn streams_whose_clients_went_away_are_no_longer_counted() {
    let db = database().await;
    let config =
        Config::from_env(&Env::from_pairs([("DATABASE_URL", db.url())])).expect("valid config");
    let server = TestService::start(|listener, shutdown| result::start(config, listener, shutdown));
    let before = streams_open(&server).await;

    let client = reqwest::Client::new();
    let mut streams = Vec::new();
    for _ in 0..STREAMS {
        streams.push(open_stream(&client, &server).await);
    }
    assert_eq!(streams_open(&server).await, before + STREAMS as f64);

    drop(streams);
    drop(client);
    wait_until(SETTLE_BUDGET, || async {
        streams_open(&server).await == before
    })
    .await;
}
