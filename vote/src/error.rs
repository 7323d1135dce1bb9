use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kit::redis_client::RedisUnavailable;

use crate::QueueError;

/// Why a vote was not recorded. The cause goes to the log; the voter gets a page that says
/// plainly what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum VoteError {
    #[error("vote is missing or not a or b")]
    BadChoice,
    #[error("the form is too large")]
    TooLarge,
    #[error(transparent)]
    Redis(#[from] RedisUnavailable),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage<'a> {
    title: &'a str,
    sentence: &'a str,
}

impl IntoResponse for VoteError {
    fn into_response(self) -> Response {
        let (status, title, sentence) = match self {
            VoteError::BadChoice => (
                StatusCode::BAD_REQUEST,
                "Please choose an option",
                "The form must send vote=a or vote=b. Nothing was recorded.",
            ),
            VoteError::TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "That form is too large",
                "A vote is a few bytes: vote=a or vote=b. Nothing was recorded.",
            ),
            VoteError::Redis(_) | VoteError::Queue(_) => {
                tracing::warn!(error = %self, "vote not recorded");
                metrics::counter!("redis_errors_total").increment(1);
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Your vote was not recorded",
                    "The vote queue is unavailable right now, so your vote was not recorded. Please try again in a moment.",
                )
            }
        };
        let page = ProblemPage { title, sentence }
            .render()
            .unwrap_or_else(|_| sentence.to_owned());
        (status, [("retry-after", "2")], Html(page)).into_response()
    }
}
