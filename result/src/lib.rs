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
mod watcher;

pub use config::{Config, ENV_HELP};
pub use scores::{Scores, Snapshot};
pub use watcher::watch_scores;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use kit::labels::Labels;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Nothing here takes a body: every route is a GET.
const BODY_LIMIT: usize = 1024;

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    scores: watch::Receiver<Snapshot>,
    labels: Arc<Labels>,
    /// Ends the event streams, which would otherwise keep graceful shutdown waiting forever.
    shutdown: CancellationToken,
}

impl AppState {
    pub fn new(
        scores: watch::Receiver<Snapshot>,
        labels: Labels,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            scores,
            labels: Arc::new(labels),
            shutdown,
        }
    }
}

/// The result app's HTTP interface.
pub fn app(state: AppState) -> Router {
    let router = Router::new()
        .route("/", get(routes::page))
        .route("/events", get(routes::events))
        .route("/api/results", get(routes::api))
        .route("/readyz", get(routes::readyz))
        .route("/static/result.js", get(routes::script))
        .with_state(state);
    kit::http::with_common_routes(router, BODY_LIMIT)
}
