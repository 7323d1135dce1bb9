use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use kit::language::Language;
use kit::readiness::Readiness;
use kit::redis_client::{self, RedisUnavailable};

use crate::{AppState, CounterError, HITS_KEY};

#[derive(Template, WebTemplate)]
#[template(path = "counter.html")]
struct CounterPage {
    lang: &'static str,
    title: &'static str,
    sentence: String,
    count: i64,
}

/// The Flask app's sentence: the plain-text answer, byte for byte, in every language.
pub fn sentence(count: i64) -> String {
    format!("Hello from Redis! I have been seen {count} times.")
}

impl CounterPage {
    /// The page a browser gets, in its language.
    fn new(language: Language, count: i64) -> Self {
        let (title, sentence) = language.pick(
            ("Visit counter", sentence(count)),
            (
                "Contador de visitas",
                format!("¡Hola desde Redis! Me han visto {count} veces."),
            ),
        );
        Self {
            lang: language.tag(),
            title,
            sentence,
            count,
        }
    }
}

/// INCR returns the new value atomically, so concurrent visitors each get their own number.
pub async fn count_visit(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, CounterError> {
    // A Redis that stopped answering fails the visit at once instead of after the deadline.
    let permit = state.breaker.permit().map_err(RedisUnavailable::from)?;
    let counted: Result<i64, RedisUnavailable> = redis_client::with_connection_until(
        redis_client::request_deadline(),
        &state.redis,
        |mut conn| async move {
            redis::cmd("INCR")
                .arg(HITS_KEY)
                .query_async(&mut conn)
                .await
        },
    )
    .await;
    permit.record(&counted);
    let count = counted?;
    if wants_html(&headers) {
        let language = state.language.for_request(&headers);
        Ok(state
            .language
            .mark(CounterPage::new(language, count).into_response()))
    } else {
        Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            sentence(count),
        )
            .into_response())
    }
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    Readiness::new()
        .reachable("Redis", redis_client::ping(&state.redis))
        .answer()
        .await
}

/// Browsers list `text/html` in Accept; curl sends `*/*` and must get the exact plain text the
/// Flask app printed.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
