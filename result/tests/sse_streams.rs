//! `sse_streams_open` follows clients that leave. Alone in its test process: the gauge is
//! process-wide, and another test's streams would move it.

use std::time::Duration;

use futures_util::StreamExt;
use kit::config::Env;
use kit::labels::Labels;
use result::{AppState, Scores, Snapshot, app};
use test_servers::{TestApp, wait_until};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

const STREAMS: usize = 50;

/// Generous: the server only has to notice 50 closed loopback connections.
const SETTLE_BUDGET: Duration = Duration::from_secs(20);

async fn streams_open(app: &TestApp) -> f64 {
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics text");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("sse_streams_open "))
        .map_or(0.0, |value| value.parse().expect("a number"))
}

/// Opens `/events` and reads up to its first `scores` event.
async fn open_stream(
    client: &reqwest::Client,
    app: &TestApp,
) -> impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + use<> {
    let response = client
        .get(app.url("/events"))
        .send()
        .await
        .expect("GET /events");
    assert_eq!(response.status(), 200);
    let mut body = Box::pin(response.bytes_stream());
    let mut text = String::new();
    tokio::time::timeout(SETTLE_BUDGET, async {
        while !text.contains("event: scores") {
            let chunk = body.next().await.expect("stream open").expect("chunk");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await
    .expect("a first event in time");
    body
}

#[tokio::test]
async fn streams_whose_clients_went_away_are_no_longer_counted() {
    let (_publish, scores) = watch::channel(Snapshot {
        scores: Scores { a: 2, b: 1 },
        stale: false,
    });
    let stop = CancellationToken::new();
    let labels = Labels::from_env(&Env::default());
    let server = TestApp::serve_until(app(AppState::new(scores, labels, stop.clone())), stop).await;
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
