//! # counter
//!
//! A drop-in replacement for the Docker course's Flask visit counter: every `GET /` increments
//! the Redis key `hits` and answers `Hello from Redis! I have been seen N times.` as plain text
//! (a browser asking for HTML gets the same sentence on a small page, in Spanish when it
//! prefers Spanish).
//!
//! Run it against a local Redis:
//!
//! ```text
//! REDIS_HOST=127.0.0.1 BIND_PORT=5000 cargo run -p counter
//! curl http://127.0.0.1:5000/
//! ```
//!
//! Environment (the Flask image's variables, same defaults):
//!
#![doc = include_str!("env.md")]
//!
//! Routes: `GET /`, `/healthz` (alive), `/readyz` (Redis answers PING), `/metrics`.
//! When Redis is down, `/` answers 503 within about a second and recovers by itself. When it
//! hangs, the circuit breaker ([`kit::breaker`]) opens after a few failed visits, and the next
//! ones get their 503 at once until a probe finds Redis back.

mod config;
mod error;
mod routes;

pub use config::{Config, ENV_HELP};

/// The counter as its binary and the lab's combined binary run it (`kit::service::main`).
pub const SERVICE: kit::service::Service<Config> = kit::service!();
pub use error::CounterError;

use axum::Router;
use axum::routing::get;
use kit::breaker::Breaker;
use kit::fault::FaultSwitch;
use kit::language::LanguageChoice;
use kit::service::{Running, StartError};
use kit::telemetry::REDIS_ERRORS;
use redis::aio::ConnectionManager;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The Redis key the Flask app counts in; kept so both can share one Redis.
pub const HITS_KEY: &str = "hits";

/// Requests have no business sending bodies here; refuse large ones early.
const BODY_LIMIT: usize = 16 * 1024;

/// Starts the counter on `listener`, until `shutdown` is cancelled: what `main` and every test
/// run.
pub fn start(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    tracing::info!(redis = %config.redis.display_addr(), "counting in Redis");
    // Its only metric beside kit's HTTP and process ones.
    kit::describe_metrics!(&[REDIS_ERRORS]);
    REDIS_ERRORS.start_at_zero(&[]);
    let redis = config.redis.shared_connection()?;
    let state = AppState {
        redis,
        breaker: Breaker::new("redis"),
        language: config.language,
    };
    Running::serve("counter", listener, app(state, &config.faults), shutdown)
}

/// What the handlers share.
#[derive(Clone)]
struct AppState {
    redis: ConnectionManager,
    breaker: Breaker,
    language: LanguageChoice,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

/// The counter's HTTP interface.
fn app(state: AppState, faults: &FaultSwitch) -> Router {
    let router = Router::new()
        .route("/", get(routes::count_visit))
        .route("/readyz", get(routes::readyz))
        .with_state(state);
    kit::http::with_common_routes(router, BODY_LIMIT, faults)
}
