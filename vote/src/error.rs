use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use kit::language::Language;
use kit::telemetry::REDIS_ERRORS;

use crate::service_metrics::VOTES_REFUSED_CROSS_SITE;
use crate::text::{Problem, Text, text};
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
struct ProblemPage {
    lang: &'static str,
    t: &'static Text,
    problem: Problem,
}

impl VoteError {
    /// The page that tells the voter, in `language`.
    pub fn page(self, language: Language) -> Response {
        let t = text(language);
        let (problem, status) = match &self {
            VoteError::BadChoice => (t.bad_choice, StatusCode::BAD_REQUEST),
            VoteError::TooLarge => (t.too_large, StatusCode::PAYLOAD_TOO_LARGE),
            VoteError::CrossSite(_) => {
                // Whoever sends these controls how many: no WARN line for each.
                tracing::debug!(error = %self, "vote refused");
                metrics::counter!(VOTES_REFUSED_CROSS_SITE.name).increment(1);
                (t.cross_site, StatusCode::FORBIDDEN)
            }
            VoteError::Queue(queue_error) => {
                metrics::counter!(REDIS_ERRORS.name).increment(1);
                let problem = match queue_error {
                    QueueError::Backlog => {
                        tracing::warn!(error = %self, "vote not sent");
                        t.not_sent
                    }
                    // the breaker logged its opening once; a line per vote would bury it
                    QueueError::NotTried(_) => {
                        tracing::debug!(error = %self, "vote not sent");
                        t.not_sent
                    }
                    QueueError::Redis(_) => {
                        tracing::warn!(error = %self, "vote not confirmed");
                        t.unconfirmed
                    }
                };
                (problem, StatusCode::SERVICE_UNAVAILABLE)
            }
        };
        let page = ProblemPage {
            lang: language.tag(),
            t,
            problem,
        }
        .render()
        .unwrap_or_else(|_| problem.sentence.to_owned());
        let mut response = (status, Html(page)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("2"));
        }
        response
    }
}

/// In English: what answers where no request's language is known.
impl IntoResponse for VoteError {
    fn into_response(self) -> Response {
        self.page(Language::English)
    }
}
