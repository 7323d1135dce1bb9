use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use kit::redis_client;
use kit::vote::Choice;
use serde::Deserialize;

use crate::{AppState, PageSettings, VoteError, voter};

#[derive(Template, WebTemplate)]
#[template(path = "vote.html")]
struct VotePage<'a> {
    page: &'a PageSettings,
    chosen: Option<Choice>,
}

impl VotePage<'_> {
    fn is_chosen(&self, option: &str) -> bool {
        self.chosen.is_some_and(|c| c.as_str() == option)
    }
}

/// The ballot, with the voter's last choice marked. Works without Redis: only voting needs it.
pub async fn show(State(state): State<AppState>, jar: CookieJar) -> Response {
    let jar = match voter::voter_id(&jar) {
        Some(_) => jar,
        None => voter::remember_voter(jar, &voter::new_voter_id()),
    };
    let chosen = voter::last_vote(&jar);
    (
        jar,
        VotePage {
            page: &state.0.page,
            chosen,
        },
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct VoteForm {
    vote: Option<String>,
}

/// Records a vote, then sends the browser back to the ballot (303), so reloading the page
/// shows the ballot instead of posting again.
pub async fn cast(
    State(state): State<AppState>,
    jar: CookieJar,
    form: Result<Form<VoteForm>, FormRejection>,
) -> Result<Response, VoteError> {
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
    metrics::counter!("votes_recorded_total", "vote" => choice.as_str()).increment(1);
    let jar = voter::remember_vote(voter::remember_voter(jar, &voter_id), choice);
    Ok((jar, Redirect::to("/")).into_response())
}

pub async fn readyz(
    State(state): State<AppState>,
) -> Result<(StatusCode, &'static str), VoteError> {
    redis_client::ping(&state.0.redis).await?;
    Ok((StatusCode::OK, "ready\n"))
}
