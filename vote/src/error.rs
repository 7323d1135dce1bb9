use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kit::telemetry::REDIS_ERRORS;

use crate::service_metrics::VOTES_REFUSED_CROSS_SITE;
use crate::{CrossSite, QueueError};

/// Why a vote was not confirmed. The cause goes to the log; the voter gets a page that says
/// plainly what is known and what to do.
#[derive(Debug, thiserror::Error)]
pub enum VoteError {
    #[error("vote is missing or not a or b")]
    BadChoice,
    #[error("the form is too large")]
    TooLarge,
    #[error("refused a cross-site vote: {0}")]
    CrossSite(#[from] CrossSite),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage<'a> {
    title: &'a str,
    sentence: &'a str,
}

/// Only a vote that was never sent is known not to be recorded. A Redis error or timeout may
/// come after Redis ran the command: then the vote is in the queue.
const UNCONFIRMED: (&str, &str) = (
    "Your vote may not have been recorded",
    "The vote queue did not confirm your vote in time, so it may not have been recorded. \
     Voting again is safe: only your last vote counts.",
);

const NOT_SENT: (&str, &str) = (
    "Your vote was not recorded",
    "The vote queue is too slow right now, so your vote was not sent. Please try again in a moment.",
);

impl IntoResponse for VoteError {
    fn into_response(self) -> Response {
        let ((title, sentence), status) = match &self {
            VoteError::BadChoice => (
                (
                    "Please choose an option",
                    "The form must send vote=a or vote=b. Nothing was recorded.",
                ),
                StatusCode::BAD_REQUEST,
            ),
            VoteError::TooLarge => (
                (
                    "That form is too large",
                    "A vote is a few bytes: vote=a or vote=b. Nothing was recorded.",
                ),
                StatusCode::PAYLOAD_TOO_LARGE,
            ),
            VoteError::CrossSite(_) => {
                // Whoever sends these controls how many: no WARN line for each.
                tracing::debug!(error = %self, "vote refused");
                metrics::counter!(VOTES_REFUSED_CROSS_SITE.name).increment(1);
                (
                    (
                        "Vote refused",
                        "This vote was sent by a form on another site, so it was not recorded. \
                         To vote, use the ballot on this site.",
                    ),
                    StatusCode::FORBIDDEN,
                )
            }
            VoteError::Queue(queue_error) => {
                metrics::counter!(REDIS_ERRORS.name).increment(1);
                let answer = match queue_error {
                    QueueError::Backlog => {
                        tracing::warn!(error = %self, "vote not sent");
                        NOT_SENT
                    }
                    QueueError::Redis(_) => {
                        tracing::warn!(error = %self, "vote not confirmed");
                        UNCONFIRMED
                    }
                };
                (answer, StatusCode::SERVICE_UNAVAILABLE)
            }
        };
        let page = ProblemPage { title, sentence }
            .render()
            .unwrap_or_else(|_| sentence.to_owned());
        let mut response = (status, Html(page)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("2"));
        }
        response
    }
}
