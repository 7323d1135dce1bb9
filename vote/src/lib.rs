//! # vote
//!
//! The voting page of the lab, a replacement for the original Python vote app. `GET /` shows the
//! two options; `POST /` with `vote=a` or `vote=b` appends
//! `{"voter_id":"…","vote":"a","seq":…}` to the Redis list `votes` (the original's message plus
//! a sequence number, see [`queue`]) and sends a browser back to `/` (303), so a refresh never
//! votes twice; a client that does not ask for HTML (curl, `ab`) gets one line of text (200).
//! Only a successful RPUSH is reported as a recorded vote. Votes arriving together share one
//! RPUSH (see [`VoteQueue`]); while Redis's circuit breaker is open ([`kit::breaker`]), a vote
//! is answered "not recorded" at once, untried. Votes posted by other sites' pages are refused (see [`origin`]).
//! `/metrics` shows how many votes wait in the list for a worker (`vote_queue_depth`), also when
//! no worker runs.
//!
//! Run it: `REDIS_HOST=127.0.0.1 PORT=8080 cargo run -p vote`, then open http://127.0.0.1:8080.
//!
#![doc = include_str!("env.md")]

mod config;
mod error;
mod origin;
mod queue;
mod queue_depth;
mod routes;
mod service_metrics;
mod text;
mod voter;

pub use config::{Config, ENV_HELP};

/// The vote as its binary and the lab's combined binary run it (`kit::service::main`).
pub const SERVICE: kit::service::Service<Config> = kit::service!();
pub use error::VoteError;
pub use kit::labels::Labels;
pub use origin::{BadOrigin, CrossSite, TrustedOrigins};
pub use queue::{QueueError, VoteQueue};

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use kit::fault::FaultSwitch;
use kit::language::LanguageChoice;
use kit::service::{Running, StartError};
use redis::aio::ConnectionManager;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A vote form is a few bytes; anything near this is not one.
const BODY_LIMIT: usize = 4 * 1024;

/// Starts the vote app on `listener`, until `shutdown` is cancelled: what `main` and every test
/// run.
pub fn start(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    tracing::info!(redis = %config.redis.display_addr(), "recording votes in Redis");
    service_metrics::register();
    let redis = config.redis.shared_connection()?;
    let depth = queue_depth::sample(redis.clone(), shutdown.clone());
    let state = AppState(Arc::new(Shared {
        queue: VoteQueue::start(redis.clone()),
        redis,
        page: config.page,
        trusted_origins: config.trusted_origins,
    }));
    Ok(
        Running::serve("vote", listener, app(state, &config.faults), shutdown)?
            .with_task("queue depth sampler", depth),
    )
}

/// What the handlers share. Axum clones the state for every request: one reference count.
#[derive(Clone)]
struct AppState(Arc<Shared>);

struct Shared {
    redis: ConnectionManager,
    page: PageSettings,
    trusted_origins: TrustedOrigins,
    queue: VoteQueue,
}

/// What every page shows besides the voter's own state.
#[derive(Debug, Clone)]
pub struct PageSettings {
    pub labels: Labels,
    pub hostname: String,
    pub result_url: Option<String>,
    pub language: LanguageChoice,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("page", &self.0.page)
            .field("trusted_origins", &self.0.trusted_origins)
            .finish_non_exhaustive()
    }
}

/// The vote app's HTTP interface.
fn app(state: AppState, faults: &FaultSwitch) -> Router {
    let router = Router::new()
        .route("/", get(routes::show).post(routes::cast))
        .route("/readyz", get(routes::readyz))
        .with_state(state);
    kit::http::with_common_routes(router, BODY_LIMIT, faults)
}
