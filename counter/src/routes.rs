use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::{AppState, CounterError, HITS_KEY};

/// The whole Redis exchange of a request must fit in this, so a stalled Redis gives a 503
/// well within two seconds whatever the pool is doing.
const REDIS_DEADLINE: Duration = Duration::from_millis(1500);

#[derive(Template, WebTemplate)]
#[template(path = "counter.html")]
struct CounterPage {
    sentence: String,
    count: i64,
}

pub fn sentence(count: i64) -> String {
    format!("Hello from Redis! I have been seen {count} times.")
}

/// INCR returns the new value atomically, so concurrent visitors each get their own number.
pub async fn count_visit(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, CounterError> {
    let count: i64 = with_deadline(async {
        let mut conn = state.redis.get().await?;
        Ok(redis::cmd("INCR")
            .arg(HITS_KEY)
            .query_async(&mut *conn)
            .await?)
    })
    .await?;
    let sentence = sentence(count);
    if wants_html(&headers) {
        Ok(CounterPage { sentence, count }.into_response())
    } else {
        Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            sentence,
        )
            .into_response())
    }
}

pub async fn readyz(
    State(state): State<AppState>,
) -> Result<(StatusCode, &'static str), CounterError> {
    with_deadline(async {
        let mut conn = state.redis.get().await?;
        redis::cmd("PING").query_async::<()>(&mut *conn).await?;
        Ok(())
    })
    .await?;
    Ok((StatusCode::OK, "ready\n"))
}

async fn with_deadline<T>(
    work: impl Future<Output = Result<T, CounterError>>,
) -> Result<T, CounterError> {
    tokio::time::timeout(REDIS_DEADLINE, work)
        .await
        .map_err(|_| CounterError::Timeout)?
}

/// Browsers list `text/html` in Accept; curl sends `*/*` and must get the exact plain text the
/// Flask app printed.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
