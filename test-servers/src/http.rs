//! One request on a connection of its own, as a client on the wire sends it, and the answer
//! read whole: for tests of what a service answers.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

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

/// Sends `request` ([`with_host`]) to the server at `addr` on a new HTTP/1.1 connection and
/// reads the whole answer.
pub async fn send(addr: SocketAddr, request: Request<Body>) -> Answer {
    send_exactly(addr, with_host(request)).await
}

/// [`send`] without adding `Host`: for tests of requests that lack it.
pub async fn send_exactly(addr: SocketAddr, request: Request<Body>) -> Answer {
    let stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap_or_else(|e| panic!("HTTP handshake with {addr}: {e}"));
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .unwrap_or_else(|e| panic!("no answer from {addr}: {e}"));
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("reading the body from {addr}: {e}"))
        .to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// `GET url` with reqwest, its body as text; panics unless it answers at all.
pub async fn get_text(url: &str) -> String {
    reqwest::get(url)
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: reading the body: {e}"))
}

/// The sum of every series of the metric `name` in a Prometheus text page (`/metrics`); 0 when
/// absent.
pub fn metric_total(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .filter(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(' ') || rest.starts_with('{'))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// `Accept-Language` headers as browsers send them, and the `<html lang>` of the page each
/// must get: Spanish for any Spanish preferred, English for the rest.
pub const LANGUAGE_CASES: &[(Option<&str>, &str)] = &[
    (Some("es"), "es"),
    (Some("es-AR;q=0.9"), "es"),
    (Some("es-AR,es;q=0.9,en;q=0.8"), "es"),
    (Some("en-US,en;q=0.9,es;q=0.8"), "en"),
    (Some("en"), "en"),
    (Some("fr"), "en"),
    (None, "en"),
];

/// A browser's `GET path`, asking for HTML, with `Accept-Language` when given.
pub fn page_request(path: &str, accept_language: Option<&str>) -> Request<Body> {
    let mut request = Request::get(path).header(
        header::ACCEPT,
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    );
    if let Some(languages) = accept_language {
        request = request.header(header::ACCEPT_LANGUAGE, languages);
    }
    request.body(Body::empty()).expect("request")
}

/// Asserts that `page` is an HTML page in `lang` (`<html lang>`) holding `text`, marked
/// `Vary: Accept-Language` when its language was `negotiated` (not fixed by `LAB_LANGUAGE`).
pub fn assert_page_in(page: &Answer, lang: &str, text: &str, negotiated: bool) {
    assert!(
        page.body.contains(&format!(r#"<html lang="{lang}">"#)),
        "not a page in {lang}: {}",
        page.body
    );
    assert!(
        page.body.contains(text),
        "{text:?} missing in {}",
        page.body
    );
    let varies = page.headers.get_all(header::VARY).iter().any(|value| {
        value
            .to_str()
            .is_ok_and(|v| v.eq_ignore_ascii_case("accept-language"))
    });
    assert_eq!(
        varies,
        negotiated,
        "Vary: {:?}",
        page.headers.get_all(header::VARY)
    );
}
