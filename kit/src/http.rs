//! HTTP pieces every service mounts: `/healthz`, `/metrics`, request metrics, a plain 404, and
//! request size limits.

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::Level;

use crate::telemetry;

/// Adds the shared routes and layers to a service's router. Bodies larger than `body_limit`
/// bytes are refused with 413 before a handler sees them.
pub fn with_common_routes(router: Router, body_limit: usize) -> Router {
    // Installed now, not at the first scrape, so requests before it are counted.
    telemetry::prometheus();
    router
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/static/style.css", get(stylesheet))
        .fallback(not_found)
        .layer(middleware::from_fn(track_metrics))
        .layer(middleware::from_fn(security_headers))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(
            // Services log their own failures with the cause; a second, causeless ERROR line
            // per 503 would only hide it.
            TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(Level::DEBUG)),
        )
}

/// Only this origin's own styles, scripts and event streams; no framing (clickjacking), no
/// `<base>` or form posts elsewhere. Pages therefore carry no inline script or style.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'self'; object-src 'none'";

/// Adds the security headers every response carries, unless the handler set its own.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    response
}

/// Liveness: answers without touching any backend, so a slow database never gets a healthy
/// process restarted.
pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        telemetry::render_metrics(),
    )
        .into_response()
}

/// The stylesheet all pages share, compiled into the binary: pages work offline.
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/style.css"),
    )
        .into_response()
}

pub async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "Not found.\n")
}

/// Counts requests by route pattern (never by raw path, which would let any client create
/// unbounded label values), method and status.
async fn track_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
