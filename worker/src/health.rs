//! The worker's small HTTP interface: `/healthz`, `/readyz`, `/metrics`.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use deadpool_postgres::Pool as PgPool;
use redis::aio::ConnectionManager;

const CHECK_DEADLINE: Duration = Duration::from_millis(1500);

/// What the readiness check talks to.
#[derive(Clone)]
pub struct HealthState {
    pub redis: ConnectionManager,
    pub postgres: PgPool,
}

impl std::fmt::Debug for HealthState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthState").finish_non_exhaustive()
    }
}

pub fn app(state: HealthState) -> Router {
    let router = Router::new()
        .route("/readyz", get(readyz))
        .with_state(state);
    kit::http::with_common_routes(router, 1024)
}

/// Ready when both Redis and PostgreSQL answer; the body says which one does not.
async fn readyz(State(state): State<HealthState>) -> (StatusCode, String) {
    let redis = tokio::time::timeout(CHECK_DEADLINE, kit::redis_client::ping(&state.redis));
    let postgres = tokio::time::timeout(CHECK_DEADLINE, async {
        let client = state.postgres.get().await.map_err(|e| e.to_string())?;
        client
            .simple_query("SELECT 1")
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    let (redis, postgres) = tokio::join!(redis, postgres);
    let mut problems = Vec::new();
    if !matches!(redis, Ok(Ok(()))) {
        problems.push("Redis is not reachable");
    }
    if !matches!(postgres, Ok(Ok(()))) {
        problems.push("PostgreSQL is not reachable");
    }
    if problems.is_empty() {
        (StatusCode::OK, "ready\n".to_owned())
    } else {
        tracing::warn!(?redis, ?postgres, "not ready");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}.\n", problems.join("; ")),
        )
    }
}
