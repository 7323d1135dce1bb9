//! A service's router asked in process, one request at a time, as a client on the wire would
//! ask it: for tests of what a handler answers, without sockets.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// What the router answered, body read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ascii cookie"))
            .collect()
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies().iter().find_map(|c| {
            c.split(';')
                .next()
                .and_then(|pair| pair.strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        })
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .map_or("", |v| v.to_str().expect("ascii content type"))
    }
}

/// `request` with the `Host` header every HTTP/1.1 client sends (`localhost` unless it has one):
/// the services refuse HTTP/1.1 requests without it.
pub fn with_host(mut request: Request<Body>) -> Request<Body> {
    if !request.headers().contains_key(header::HOST) {
        request
            .headers_mut()
            .insert(header::HOST, HeaderValue::from_static("localhost"));
    }
    request
}

/// Sends `request` ([`with_host`]) to `app` and reads the whole answer.
pub async fn send(app: &axum::Router, request: Request<Body>) -> Answer {
    let response = app
        .clone()
        .oneshot(with_host(request))
        .await
        .expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}
