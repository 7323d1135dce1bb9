use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kit::redis_client::RedisUnavailable;
use kit::telemetry::REDIS_ERRORS;

/// Why a request could not be answered: every failure here means Redis is unavailable. The
/// cause goes to the log; the visitor gets a short sentence and 503.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct CounterError(#[from] RedisUnavailable);

impl IntoResponse for CounterError {
    fn into_response(self) -> Response {
        match &self.0 {
            // the breaker logged its opening once; a line per refused visit would bury it
            RedisUnavailable::NotTried(_) => tracing::debug!(error = %self, "answering 503"),
            _ => tracing::warn!(error = %self, "answering 503"),
        }
        metrics::counter!(REDIS_ERRORS.name).increment(1);
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "1")],
            "Sorry, the visit counter cannot reach its Redis database right now. Please try again in a moment.\n",
        )
            .into_response()
    }
}
