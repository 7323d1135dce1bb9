//! The worker's small HTTP interface: `/healthz`, `/readyz`, `/metrics`.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use deadpool_postgres::Pool as PgPool;
use kit::fault::FaultSwitch;
use kit::readiness::Readiness;
use kit::{postgres_client, redis_client};
use redis::aio::ConnectionManager;

/// Nothing here takes a body: every route is a GET.
const BODY_LIMIT: usize = 1024;

/// What the readiness check talks to.
#[derive(Clone)]
pub struct AppState {
    pub redis: ConnectionManager,
    pub postgres: PgPool,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

pub fn app(state: AppState, faults: &FaultSwitch) -> Router {
    let router = Router::new()
        .route("/readyz", get(readyz))
        .with_state(state);
    kit::http::with_common_routes(router, BODY_LIMIT, faults)
}

/// Ready when both Redis and PostgreSQL answer; the body says which one does not.
async fn readyz(State(state): State<AppState>) -> Response {
    Readiness::new()
        .reachable("Redis", redis_client::ping(&state.redis))
        .reachable("PostgreSQL", postgres_client::ping(&state.postgres))
        .answer()
        .await
}
