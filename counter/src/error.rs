use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Why a request could not be answered. The cause goes to the log; the visitor gets a short
/// sentence and 503, since every failure here means Redis is unavailable.
#[derive(Debug, thiserror::Error)]
pub enum CounterError {
    #[error("no Redis connection: {0}")]
    Pool(#[from] deadpool_redis::PoolError),
    #[error("Redis command failed: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("Redis did not answer in time")]
    Timeout,
}

impl IntoResponse for CounterError {
    fn into_response(self) -> Response {
        tracing::warn!(error = %self, "answering 503");
        metrics::counter!("redis_errors_total").increment(1);
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "1")],
            "Sorry, the visit counter cannot reach its Redis database right now. Please try again in a moment.\n",
        )
            .into_response()
    }
}
