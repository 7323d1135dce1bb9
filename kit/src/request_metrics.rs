//! Counting and timing every request by route pattern (never by raw path, which would let any
//! client create unbounded label values), method and status.
//!
//! A plain tower layer rather than `axum::middleware::from_fn`, which clones the inner service
//! and boxes a future on every request: on the hottest path of every service.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::Response;
use tower::{Layer, Service};

use crate::telemetry::{HTTP_REQUEST_DURATION, HTTP_REQUESTS};

/// Adds [`RequestMetrics`] around a service.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestMetricsLayer;

impl<S> Layer<S> for RequestMetricsLayer {
    type Service = RequestMetrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestMetrics { inner }
    }
}

/// Records `http_requests_total{route,method,status}` and
/// `http_request_duration_seconds{route}` for each request `S` answers.
#[derive(Debug, Clone)]
pub struct RequestMetrics<S> {
    inner: S,
}

impl<S> Service<Request> for RequestMetrics<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Measured<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("unmatched", MatchedPath::as_str)
            .to_owned();
        let method = method_label(request.method());
        Measured {
            inner: self.inner.call(request),
            started: Instant::now(),
            route: Some(route),
            method,
        }
    }
}

/// The standard methods by name; anything else as one label value, so that clients cannot
/// invent new series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`RequestMetrics`].
    #[derive(Debug)]
    pub struct Measured<F> {
        #[pin]
        inner: F,
        started: Instant,
        route: Option<String>,
        method: &'static str,
    }
}

impl<F, E> Future for Measured<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let (Ok(response), Some(route)) = (&result, this.route.take()) {
            let status = response.status().as_str().to_owned();
            metrics::histogram!(HTTP_REQUEST_DURATION.name, "route" => route.clone())
                .record(this.started.elapsed().as_secs_f64());
            metrics::counter!(
                HTTP_REQUESTS.name,
                "route" => route,
                "method" => *this.method,
                "status" => status
            )
            .increment(1);
        }
        Poll::Ready(result)
    }
}
