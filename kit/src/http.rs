//! HTTP pieces every service mounts: `/healthz`, `/metrics`, request metrics, a plain 404,
//! request size limits, the `Host` check and the security headers.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tracing::Level;

use crate::fault::{self, FaultSwitch};
use crate::host_check::HostCheckLayer;
use crate::request_metrics::RequestMetricsLayer;
use crate::telemetry;

/// Adds the shared routes and layers to a service's router, and `faults`' `/fault` and
/// misbehaving to its own routes ([`crate::fault`]). Bodies larger than `body_limit` bytes are
/// refused with 413 before a handler sees them.
pub fn with_common_routes(router: Router, body_limit: usize, faults: &FaultSwitch) -> Router {
    // Installed now, not at the first scrape, so requests before it are counted.
    telemetry::prometheus();
    let router = fault::wrap(router, faults);
    // The last layer added is the outermost: what it adds reaches every response, including
    // the 400, 404, 405 and 413 answered by the layers and fallback inside it.
    router
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/static/style.css", get(stylesheet))
        .fallback(not_found)
        .layer(HostCheckLayer)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(RequestMetricsLayer)
        .layer(
            // Services log their own failures with the cause; a second, causeless ERROR line
            // per 503 would only hide it.
            TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(Level::DEBUG)),
        )
        // Every response carries these, unless its handler set its own.
        .layer(if_absent(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(if_absent(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(if_absent(header::REFERRER_POLICY, "same-origin"))
        .layer(if_absent(header::X_FRAME_OPTIONS, "DENY"))
}

/// Only this origin's own styles, scripts and event streams; no framing (clickjacking), no
/// `<base>` or form posts elsewhere. Pages therefore carry no inline script or style.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'self'; object-src 'none'";

fn if_absent(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
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
