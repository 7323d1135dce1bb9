use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use kit::queue::Choice;
use kit::readiness::Readiness;
use kit::redis_client;
use serde::Deserialize;

use crate::service_metrics::VOTES_RECORDED;
use crate::text::{Text, text};
use crate::{AppState, PageSettings, VoteError, origin, voter};

#[derive(Template, WebTemplate)]
#[template(path = "vote.html")]
struct VotePage<'a> {
    lang: &'static str,
    t: &'static Text,
    page: &'a PageSettings,
    chosen: Option<Choice>,
}

impl VotePage<'_> {
    fn is_chosen(&self, option: &str) -> bool {
        self.chosen.is_some_and(|c| c.as_str() == option)
    }
}

/// The container that answered, as the ballot's footer shows it ("Processed by container ID"),
/// in a header that reads the same in every page language: the checkpoints and the lab tell
/// replicas apart by it, and `curl -sI` shows it.
pub const CONTAINER_ID: HeaderName = HeaderName::from_static("container-id");

/// The ballot, with the voter's last choice marked. Works without Redis: only voting needs it.
pub async fn show(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    let languages = state.0.page.language;
    let language = languages.for_request(&headers);
    let jar = match voter::voter_id(&jar) {
        Some(_) => jar,
        None => voter::remember_voter(jar, &voter::new_voter_id()),
    };
    let chosen = voter::last_vote(&jar);
    // the configuration refused a HOSTNAME that is no header value
    let container_id = HeaderValue::from_str(&state.0.page.hostname).ok();
    languages.mark(
        (
            jar,
            container_id.map(|id| [(CONTAINER_ID, id)]),
            VotePage {
                lang: language.tag(),
                t: text(language),
                page: &state.0.page,
                chosen,
            },
        )
            .into_response(),
    )
}

#[derive(Deserialize)]
pub struct VoteForm {
    vote: Option<String>,
}

/// Records a vote, then sends a browser back to the ballot (303), so reloading the page shows
/// the ballot instead of posting again. Other clients (curl, the original seed script's `ab`)
/// get one line of text saying what was recorded, in English whatever their language: a
/// script may read it. A vote that fails gets a page in the voter's language.
pub async fn cast(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    form: Result<Form<VoteForm>, FormRejection>,
) -> Response {
    let languages = state.0.page.language;
    match record(&state, &headers, jar, form).await {
        Ok(response) => response,
        Err(error) => languages.mark(error.page(languages.for_request(&headers))),
    }
}

async fn record(
    state: &AppState,
    headers: &HeaderMap,
    jar: CookieJar,
    form: Result<Form<VoteForm>, FormRejection>,
) -> Result<Response, VoteError> {
    origin::check(headers, &state.0.trusted_origins)?;
    let Form(form) = form.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            VoteError::TooLarge
        } else {
            VoteError::BadChoice
        }
    })?;
    let choice = form
        .vote
        .as_deref()
        .and_then(Choice::parse)
        .ok_or(VoteError::BadChoice)?;
    let voter_id = voter::voter_id(&jar).unwrap_or_else(voter::new_voter_id);
    state.0.queue.push(&voter_id, choice).await?;
    metrics::counter!(VOTES_RECORDED.name, "vote" => choice.as_str()).increment(1);
    let jar = voter::remember_vote(voter::remember_voter(jar, &voter_id), choice);
    if wants_html(headers) {
        return Ok((jar, Redirect::to("/")).into_response());
    }
    let labels = &state.0.page.labels;
    let label = match choice {
        Choice::A => &labels.a,
        Choice::B => &labels.b,
    };
    let line = format!("Your vote for {label} ({}) is recorded.\n", choice.as_str());
    Ok((jar, line).into_response())
}

/// Browsers list `text/html` in Accept, a form POST included; curl and `ab` send `*/*`.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    Readiness::new()
        .reachable("Redis", redis_client::ping(&state.0.redis))
        .answer()
        .await
}
