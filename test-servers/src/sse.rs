//! A service's Server-Sent Events read as a browser's `EventSource` reads them, with a
//! maintained parser (`eventsource-stream`), never a hand-written one.

use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};
use serde::de::DeserializeOwned;

type Events = Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<reqwest::Error>>> + Send>>;

/// An open event stream.
pub struct EventReader {
    url: String,
    events: Events,
}

impl std::fmt::Debug for EventReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventReader")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl EventReader {
    /// Opens `url`; panics unless it answers 200 with `text/event-stream`.
    pub async fn open(client: &reqwest::Client, url: &str) -> Self {
        let response = client
            .get(url)
            .header(reqwest::header::ACCEPT, "text/event-stream")
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        assert_eq!(response.status(), 200, "GET {url}");
        assert_eq!(
            response.headers()[reqwest::header::CONTENT_TYPE],
            "text/event-stream",
            "GET {url}"
        );
        Self {
            url: url.to_owned(),
            events: Box::pin(response.bytes_stream().eventsource()),
        }
    }

    /// The data of the next event called `name`, as JSON of type `T`, skipping other events;
    /// `None` when the stream ended first. Panics when nothing came within `within`.
    pub async fn next<T: DeserializeOwned>(&mut self, name: &str, within: Duration) -> Option<T> {
        let url = &self.url;
        let next = async {
            while let Some(event) = self.events.next().await {
                let event = event.unwrap_or_else(|e| panic!("reading {url}: {e}"));
                if event.event == name {
                    return Some(serde_json::from_str(&event.data).unwrap_or_else(|e| {
                        panic!(
                            "{name} event of {url} is not the JSON expected: {e}: {}",
                            event.data
                        )
                    }));
                }
            }
            None
        };
        tokio::time::timeout(within, next)
            .await
            .unwrap_or_else(|_| panic!("no {name} event from {url} within {within:?}"))
    }
}
