//! `/readyz` answers, the same in every service: named checks, run at once, each bounded.
//!
//! A readiness probe is asked by an orchestrator or an operator, not by a visitor: its answer
//! is plain text, says which backend is missing, and stays out of the visitor-facing pages,
//! logs and error metrics of the service.
//!
//! ```no_run
//! # async fn example(redis: redis::aio::ConnectionManager) -> axum::response::Response {
//! kit::readiness::Readiness::new()
//!     .reachable("Redis", kit::redis_client::ping(&redis))
//!     .answer()
//!     .await
//! # }
//! ```

use std::error::Error;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::future::{BoxFuture, FutureExt, join_all};

/// The longest a check may take: longer than the backends' own request bounds (so their own
/// error, which says more, normally wins) and shorter than a Docker healthcheck's timeout.
pub const CHECK_DEADLINE: Duration = Duration::from_secs(2);

/// Why one check failed; goes to the log, never to the answer.
#[derive(Debug, thiserror::Error)]
pub enum CheckFailure {
    #[error(transparent)]
    Failed(Box<dyn Error + Send + Sync>),
    #[error("no answer within {CHECK_DEADLINE:?}")]
    TimedOut,
}

struct Check<'a> {
    /// What the check is about, for the log.
    name: &'static str,
    /// The line the answer gives when the check fails.
    failure: String,
    probe: BoxFuture<'a, Result<(), CheckFailure>>,
}

/// The checks of one `/readyz` request.
#[derive(Default)]
pub struct Readiness<'a> {
    checks: Vec<Check<'a>>,
}

impl std::fmt::Debug for Readiness<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.checks.iter().map(|check| check.name))
            .finish()
    }
}

impl<'a> Readiness<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A backend that must answer; when it does not, the answer says "`backend` is not
    /// reachable."
    pub fn reachable<E>(
        self,
        backend: &'static str,
        probe: impl Future<Output = Result<(), E>> + Send + 'a,
    ) -> Self
    where
        E: Error + Send + Sync + 'static,
    {
        self.check(backend, format!("{backend} is not reachable."), probe)
    }

    /// Any condition, named `name` in the log, with its own `failure` line for the answer.
    pub fn check<E>(
        mut self,
        name: &'static str,
        failure: impl Into<String>,
        probe: impl Future<Output = Result<(), E>> + Send + 'a,
    ) -> Self
    where
        E: Error + Send + Sync + 'static,
    {
        let probe = async move {
            match tokio::time::timeout(CHECK_DEADLINE, probe).await {
                Ok(outcome) => outcome.map_err(|e| CheckFailure::Failed(Box::new(e))),
                Err(_) => Err(CheckFailure::TimedOut),
            }
        };
        self.checks.push(Check {
            name,
            failure: failure.into(),
            probe: probe.boxed(),
        });
        self
    }

    /// Runs every check concurrently: 200 `ready`, or 503 with one line per failed check. The
    /// causes are logged in one WARN line.
    pub async fn answer(self) -> Response {
        let outcomes = join_all(self.checks.into_iter().map(|check| async move {
            let outcome = check.probe.await;
            (check.name, check.failure, outcome)
        }))
        .await;
        let mut causes = Vec::new();
        let mut answer = String::new();
        for (name, failure, outcome) in outcomes {
            if let Err(cause) = outcome {
                causes.push(format!("{name}: {cause}"));
                answer.push_str(&failure);
                answer.push('\n');
            }
        }
        if causes.is_empty() {
            return (StatusCode::OK, "ready\n").into_response();
        }
        tracing::warn!(causes = %causes.join("; "), "not ready");
        (StatusCode::SERVICE_UNAVAILABLE, answer).into_response()
    }
}

#[cfg(test)]
mod tests {
    use axum::http::header;

    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("down")]
    struct Down;

    async fn text(response: Response) -> (StatusCode, String, String) {
        let status = response.status();
        let content_type = response.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .to_owned();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        (
            status,
            content_type,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    #[tokio::test]
    async fn all_checks_passing_is_ready() {
        let answer = Readiness::new()
            .reachable("Redis", async { Ok::<_, Down>(()) })
            .reachable("PostgreSQL", async { Ok::<_, Down>(()) })
            .answer()
            .await;
        assert_eq!(
            text(answer).await,
            (
                StatusCode::OK,
                "text/plain; charset=utf-8".into(),
                "ready\n".into()
            )
        );
    }

    #[tokio::test]
    async fn each_failed_or_silent_check_gets_its_line() {
        let answer = Readiness::new()
            .reachable("Redis", async { Err::<(), _>(Down) })
            .reachable("Cache", async { Ok::<_, Down>(()) })
            .check(
                "scores are fresh",
                "PostgreSQL cannot be read.",
                std::future::pending::<Result<(), Down>>(),
            )
            .answer()
            .await;
        let (status, content_type, body) = text(answer).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        assert_eq!(
            body,
            "Redis is not reachable.\nPostgreSQL cannot be read.\n"
        );
    }
}
