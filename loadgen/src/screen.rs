//! Vote-to-screen latency: how long after a vote's POST the result page's live stream
//! (`GET /events` on result) shows it.
//!
//! The stream sends the scores, with their `total`, at every change. With fresh voters every
//! recorded vote adds one to `total`, and the worker commits votes in queue order, so the k-th
//! vote acknowledged since the stream opened is on screen at the first event whose total is at
//! least the opening total plus k. Other voters voting at the same time would make votes seem
//! to arrive early: measure on a lab of your own.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use eventsource_stream::{Event, Eventsource};
use futures_util::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::stats::{Percentiles, micros, new_histogram};
use crate::vote::Ack;

/// An open `/events` stream, recording when each total was shown.
#[derive(Debug)]
pub struct Screen {
    base: i64,
    shown: Arc<Mutex<Vec<(Instant, i64)>>>,
    latest: watch::Receiver<Option<i64>>,
    reader: JoinHandle<()>,
}

impl Screen {
    /// Opens the stream and waits for its first event, whose total is the starting point.
    pub async fn open(url: &str, within: Duration) -> anyhow::Result<Self> {
        let response = reqwest::Client::new()
            .get(url)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .with_context(|| format!("cannot open the event stream {url}"))?;
        if !response.status().is_success() {
            bail!("{url} answered {}", response.status());
        }
        let shown = Arc::new(Mutex::new(Vec::new()));
        let (publish, mut latest) = watch::channel(None);
        let reader = tokio::spawn(read_events(response, shown.clone(), publish));
        let first = tokio::time::timeout(within, latest.wait_for(Option::is_some))
            .await
            .with_context(|| format!("no scores event from {url} within {within:?}"))?
            .context("the event stream closed")?
            .unwrap_or_default();
        Ok(Self {
            base: first,
            shown,
            latest,
            reader,
        })
    }

    /// Waits until the screen shows `votes` more than at the start; false if it did not
    /// within `within`.
    pub async fn wait_for_votes(&mut self, votes: usize, within: Duration) -> bool {
        let want = self.base + votes as i64;
        let reached = self
            .latest
            .wait_for(|total| total.is_some_and(|t| t >= want));
        matches!(tokio::time::timeout(within, reached).await, Ok(Ok(_)))
    }

    /// The latency of each acknowledged vote, from its POST to the event showing it.
    pub fn latencies(&self, acks: &[Ack]) -> ScreenLatency {
        let shown = self
            .shown
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        to_screen(self.base, &shown, acks)
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Vote-to-screen latencies.
#[derive(Debug, Clone, Serialize)]
pub struct ScreenLatency {
    pub votes: usize,
    /// Votes the screen never showed while we watched.
    pub unseen: usize,
    pub latency: Percentiles,
}

impl std::fmt::Display for ScreenLatency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "to screen   {} votes: {}", self.votes, self.latency)?;
        if self.unseen > 0 {
            write!(f, "; {} NEVER SHOWN", self.unseen)?;
        }
        Ok(())
    }
}

fn to_screen(base: i64, shown: &[(Instant, i64)], acks: &[Ack]) -> ScreenLatency {
    let mut acks = acks.to_vec();
    acks.sort_by_key(|a| a.acknowledged);
    let mut histogram = new_histogram();
    let mut event = 0;
    let mut unseen = 0;
    for (k, ack) in acks.iter().enumerate() {
        let needed = base + k as i64 + 1;
        while event < shown.len() && shown[event].1 < needed {
            event += 1;
        }
        let Some((at, _)) = shown.get(event) else {
            unseen = acks.len() - k;
            break;
        };
        histogram.saturating_record(micros(at.saturating_duration_since(ack.sent)));
    }
    ScreenLatency {
        votes: acks.len(),
        unseen,
        latency: Percentiles::of(&histogram),
    }
}

async fn read_events(
    response: reqwest::Response,
    shown: Arc<Mutex<Vec<(Instant, i64)>>>,
    publish: watch::Sender<Option<i64>>,
) {
    let mut totals = std::pin::pin!(scores_totals(response.bytes_stream()));
    while let Some(total) = totals.next().await {
        shown
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((Instant::now(), total));
        publish.send_replace(Some(total));
    }
}

/// The data of the result page's `scores` event: of its fields only the total tells which votes
/// are on screen.
#[derive(Debug, Deserialize)]
struct ScoresEvent {
    total: i64,
}

/// The `total` of each `scores` event of an event stream's body, skipping comments and other
/// events, until the body ends or breaks.
fn scores_totals<B: AsRef<[u8]>, E>(
    body: impl Stream<Item = Result<B, E>>,
) -> impl Stream<Item = i64> {
    body.eventsource()
        .take_while(|event| std::future::ready(event.is_ok()))
        .filter_map(|event| std::future::ready(event.ok().and_then(|e| scores_total(&e))))
}

fn scores_total(event: &Event) -> Option<i64> {
    if event.event != "scores" {
        return None;
    }
    serde_json::from_str::<ScoresEvent>(&event.data)
        .ok()
        .map(|scores| scores.total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_the_total_of_scores_events_only() {
        // Chunks cut where the network may cut them: inside a line, and between the two
        // newlines that end an event.
        let body = [
            ": keep-alive\n\nevent: scores\ndata: {\"a\":2,\"b\":1,",
            "\"total\":3}\n",
            "\nevent: other\ndata: {\"total\":4}\n\n",
            "event: scores\ndata: {\"a\":2,\"b\":3,\"total\":5}\n\n",
        ]
        .map(Ok::<_, std::convert::Infallible>);
        let totals: Vec<i64> = scores_totals(futures_util::stream::iter(body))
            .collect()
            .await;
        assert_eq!(totals, [3, 5]);
    }

    #[test]
    fn each_vote_is_shown_by_the_first_event_counting_it() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let ack = |sent, acked| Ack {
            sent: at(sent),
            acknowledged: at(acked),
        };
        // Base 10; votes acked at 1, 2, 3 ms; the screen shows 11 at 20 ms, 13 at 50 ms: the
        // votes took 20, 50 and 49 ms from their POST.
        let acks = [ack(1, 3), ack(0, 1), ack(0, 2)];
        let shown = [(at(20), 11), (at(50), 13)];
        let s = to_screen(10, &shown, &acks);
        assert_eq!((s.votes, s.unseen), (3, 0));
        assert!((s.latency.p50_ms - 49.0).abs() < 0.1, "{s:?}");
        assert!((s.latency.max_ms - 50.0).abs() < 0.1, "{s:?}");

        let s = to_screen(10, &shown[..1], &acks);
        assert_eq!(s.unseen, 2);
    }
}
