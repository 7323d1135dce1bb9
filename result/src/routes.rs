use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use kit::labels::Labels;
use kit::language::Language;
use kit::readiness::Readiness;
use tokio_stream::wrappers::WatchStream;

use crate::AppState;
use crate::scores::{ScoresJson, Snapshot};
use crate::service_metrics::SSE_STREAMS_OPEN;
use crate::text::{Text, text};

#[derive(Template, WebTemplate)]
#[template(path = "result.html")]
struct ResultPage<'a> {
    lang: &'static str,
    t: &'static Text,
    labels: &'a Labels,
    /// "67%", or "–" for both with no votes: 50/50 would read as a tie.
    a_percent: String,
    b_percent: String,
    /// The bars' values: empty with no votes.
    a_value: i64,
    b_value: i64,
    total: String,
    stale: bool,
}

impl<'a> ResultPage<'a> {
    fn new(language: Language, labels: &'a Labels, snapshot: Snapshot) -> Self {
        let Snapshot { scores, stale } = snapshot;
        let t = text(language);
        let (a, b) = if scores.total() > 0 {
            scores.percents()
        } else {
            (0, 0)
        };
        let shown = |percent: i64| {
            if scores.total() > 0 {
                format!("{percent}%")
            } else {
                "–".to_owned()
            }
        };
        Self {
            lang: language.tag(),
            t,
            labels,
            a_percent: shown(a),
            b_percent: shown(b),
            a_value: a,
            b_value: b,
            total: t.total(scores),
            stale,
        }
    }
}

/// The results, complete without JavaScript, in the viewer's language.
pub async fn page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let snapshot = *state.scores.borrow();
    let language = state.language.for_request(&headers);
    state
        .language
        .mark(ResultPage::new(language, &state.labels, snapshot).into_response())
}

pub async fn api(State(state): State<AppState>) -> Json<ScoresJson> {
    let snapshot = *state.scores.borrow();
    Json(snapshot.into())
}

/// The current scores at once, then at every change; ends at shutdown.
pub async fn events(
    State(state): State<AppState>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let open = OpenStream::count();
    let stream = WatchStream::new(state.scores.clone())
        .map(move |snapshot: Snapshot| {
            // Owned by the stream, so the stream is counted until axum drops it: at shutdown
            // or when its client goes away.
            let _counted = &open;
            let json = serde_json::to_string(&ScoresJson::from(snapshot)).unwrap_or_default();
            Ok(Event::default().event("scores").data(json))
        })
        .take_until(state.shutdown.clone().cancelled_owned())
        .chain(futures_util::stream::once(async {
            Ok(Event::default().comment("closing"))
        }));
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// One open event stream in the [`SSE_STREAMS_OPEN`] gauge, for as long as it lives.
struct OpenStream;

impl OpenStream {
    fn count() -> Self {
        metrics::gauge!(SSE_STREAMS_OPEN.name).increment(1.0);
        Self
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        metrics::gauge!(SSE_STREAMS_OPEN.name).decrement(1.0);
    }
}

/// Why the result app is not ready; the watcher logs each failed read's own cause.
#[derive(Debug, thiserror::Error)]
#[error("the scores are stale: PostgreSQL could not be read lately")]
struct StaleScores;

/// Ready while the scores are fresh.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let stale = state.scores.borrow().stale;
    Readiness::new()
        .check(
            "scores are fresh",
            "PostgreSQL cannot be read; serving the last known results.",
            async move { if stale { Err(StaleScores) } else { Ok(()) } },
        )
        .answer()
        .await
}

pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/result.js"),
    )
        .into_response()
}
