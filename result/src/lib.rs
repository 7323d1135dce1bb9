//! # result
//!
//! The live results page of the lab, a replacement for the original Node result app.
//!
//! One background task ([`watch_scores`]) keeps the current scores: it `LISTEN`s on
//! `votes_changed` (notified by the tally triggers when a vote commits) and also re-reads once
//! a second, which covers tables written by the original worker. Pages, the JSON API and every
//! open Server-Sent Events stream read that one value: viewers never cost a query each. When
//! PostgreSQL is down, the last known scores keep being served, marked stale.
//!
//! - `GET /`: the results, rendered on the server (right with JavaScript off); a small script
//!   keeps them live;
//! - `GET /events`: SSE, one `scores` event now and one at every change;
//! - `GET /api/results`: `{"a": 3, "b": 1, ...}` (the original app's `scores` shape, plus more);
//! - `/healthz`, `/readyz` (the scores are fresh), `/metrics`.
//!
//! Run it: `DATABASE_URL=postgres://postgres:postgres@127.0.0.1/postgres PORT=8081 cargo run -p result`.
//!
#![doc = include_str!("env.md")]

mod config;
mod counts;
mod routes;
mod scores;
mod service_metrics;
mod text;
mod watcher;

pub use config::{Config, ENV_HELP};

/// The result as its binary and the lab's combined binary run it (`kit::service::main`).
pub const SERVICE: kit::service::Service<Config> = kit::service!();
pub use scores::{Scores, Snapshot};

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use kit::fault::FaultSwitch;
use kit::labels::Labels;
use kit::language::LanguageChoice;
use kit::service::{Running, StartError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use watcher::watch_scores;

/// Nothing here takes a body: every route is a GET.
const BODY_LIMIT: usize = 1024;

/// Starts the result app on `listener`, with its score watcher, until `shutdown` is cancelled:
/// what `main` and every test run.
pub fn start(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    service_metrics::register();
    let (publish, scores) = watch::channel(Snapshot::UNKNOWN);
    let state = AppState {
        scores,
        labels: Arc::new(config.labels),
        language: config.language,
        shutdown: shutdown.clone(),
    };
    tracing::info!(postgres = %config.postgres.display_addr(), "reading scores from PostgreSQL");
    let running = Running::serve(
        "result",
        listener,
        app(state, &config.faults),
        shutdown.clone(),
    )?;
    Ok(running.with_task(
        "score watcher",
        watch_scores(config.postgres, publish, shutdown),
    ))
}

/// What the handlers share.
#[derive(Debug, Clone)]
struct AppState {
    scores: watch::Receiver<Snapshot>,
    labels: Arc<Labels>,
    language: LanguageChoice,
    /// Ends the event streams, which would otherwise keep graceful shutdown waiting forever.
    shutdown: CancellationToken,
}

/// The result app's HTTP interface.
fn app(state: AppState, faults: &FaultSwitch) -> Router {
    let router = Router::new()
        .route("/", get(routes::page))
        .route("/events", get(routes::events))
        .route("/api/results", get(routes::api))
        .route("/readyz", get(routes::readyz))
        .route("/static/result.js", get(routes::script))
        .with_state(state);
    kit::http::with_common_routes(router, BODY_LIMIT, faults)
}
