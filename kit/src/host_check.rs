//! Refusing HTTP/1.1 requests without exactly one `Host` header, as RFC 9112 (3.2) requires:
//! a request that names no host, or two, is ambiguous to every proxy and cache in its path.
//!
//! HTTP/1.0 requests may omit it (they predate it), but may not send two either.

use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready, ready};
use tower::{Layer, Service};

/// Adds [`HostCheck`] around a service.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostCheckLayer;

impl<S> Layer<S> for HostCheckLayer {
    type Service = HostCheck<S>;

    fn layer(&self, inner: S) -> Self::Service {
        HostCheck { inner }
    }
}

/// Answers 400 to a request with a missing or repeated `Host`; passes the others on.
#[derive(Debug, Clone)]
pub struct HostCheck<S> {
    inner: S,
}

impl<S> Service<Request> for HostCheck<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if has_valid_host(&request) {
            Either::Right(self.inner.call(request))
        } else {
            Either::Left(ready(Ok(bad_host())))
        }
    }
}

fn has_valid_host(request: &Request) -> bool {
    let hosts = request.headers().get_all(header::HOST).iter().count();
    match request.version() {
        Version::HTTP_11 => hosts == 1,
        // HTTP/2 and 3 carry the authority in the request line; 1.0 and 0.9 may omit it.
        _ => hosts <= 1,
    }
}

fn bad_host() -> Response {
    (
        StatusCode::BAD_REQUEST,
        "Bad request: an HTTP/1.1 request needs exactly one Host header.\n",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(version: Version, hosts: &[&str]) -> Request {
        let mut builder = Request::builder().version(version).uri("/");
        for host in hosts {
            builder = builder.header(header::HOST, *host);
        }
        builder.body(Body::empty()).expect("a valid request")
    }

    #[test]
    fn http_1_1_needs_exactly_one_host() {
        assert!(has_valid_host(&request(Version::HTTP_11, &["a"])));
        assert!(!has_valid_host(&request(Version::HTTP_11, &[])));
        assert!(!has_valid_host(&request(Version::HTTP_11, &["a", "b"])));
    }

    #[test]
    fn http_1_0_may_omit_it_but_not_repeat_it() {
        assert!(has_valid_host(&request(Version::HTTP_10, &[])));
        assert!(has_valid_host(&request(Version::HTTP_10, &["a"])));
        assert!(!has_valid_host(&request(Version::HTTP_10, &["a", "a"])));
    }
}
