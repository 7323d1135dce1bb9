//! One client's HTTP/1.1 keep-alive connection, opened on first use and again after any
//! failure. A bare hyper connection rather than a pooled client: each simulated client owns
//! exactly one socket, as a browser tab or `wrk` connection would, and a request costs no pool
//! or cookie-store lookups, which matters at tens of thousands of requests per second.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::target::Target;

/// Why a request failed, grouped coarsely enough to be counted by kind in the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// No connection could be opened (the server is down, or refuses).
    Connect(String),
    /// No complete answer within `--timeout`.
    Timeout,
    /// The connection broke while sending or reading.
    Connection(String),
    /// An answer, but not the expected status.
    Status(u16),
    /// The expected status, but the answer is not what the service promises.
    BadAnswer(&'static str),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Connect(e) => write!(f, "connect: {e}"),
            Failure::Timeout => f.write_str("timeout"),
            Failure::Connection(e) => write!(f, "connection: {e}"),
            Failure::Status(code) => write!(f, "HTTP {code}"),
            Failure::BadAnswer(what) => write!(f, "bad answer: {what}"),
        }
    }
}

/// A response with its whole body read.
pub type FullResponse = Response<Bytes>;

#[derive(Debug)]
pub struct Connection {
    target: Arc<Target>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    pub fn new(target: Arc<Target>) -> Self {
        Self {
            target,
            sender: None,
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// A request for this target's path, with its `Host` header set.
    pub fn request(&self) -> hyper::http::request::Builder {
        Request::builder()
            .uri(self.target.path.as_str())
            .header(hyper::header::HOST, self.target.authority.as_str())
    }

    /// `GET`s the target's path asking for `accept`; only a 200 is a success.
    pub async fn get_ok(
        &mut self,
        accept: &str,
        timeout: Duration,
    ) -> Result<FullResponse, Failure> {
        let request = self
            .request()
            .method(hyper::Method::GET)
            .header(hyper::header::ACCEPT, accept)
            .body(Full::new(Bytes::new()))
            .map_err(|_| Failure::BadAnswer("cannot build the request"))?;
        let response = self.send(request, timeout).await?;
        if response.status() != hyper::StatusCode::OK {
            return Err(Failure::Status(response.status().as_u16()));
        }
        Ok(response)
    }

    /// Sends `request` and reads the whole answer within `timeout`. After a timeout or a broken
    /// connection the socket is dropped, since a late answer could otherwise be taken for the
    /// next request's.
    pub async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<FullResponse, Failure> {
        let outcome = tokio::time::timeout(timeout, self.exchange(request)).await;
        let result = outcome.unwrap_or(Err(Failure::Timeout));
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn exchange(&mut self, request: Request<Full<Bytes>>) -> Result<FullResponse, Failure> {
        let sender = self.ready().await?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| Failure::Connection(short(&e)))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| Failure::Connection(short(&e)))?
            .to_bytes();
        Ok(Response::from_parts(parts, body))
    }

    /// A connection ready for a request. A kept-alive connection the server has closed in the
    /// meantime fails here, before anything was sent, so reconnecting once is safe.
    async fn ready(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, Failure> {
        if let Some(sender) = self.sender.as_mut()
            && sender.ready().await.is_err()
        {
            self.sender = None;
        }
        if self.sender.is_none() {
            self.sender = Some(self.connect().await?);
        }
        let sender = self.sender.as_mut().expect("connected just above");
        sender
            .ready()
            .await
            .map_err(|e| Failure::Connection(short(&e)))?;
        Ok(sender)
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, Failure> {
        let stream = TcpStream::connect(self.target.authority.as_str())
            .await
            .map_err(|e| Failure::Connect(e.kind().to_string()))?;
        // Small requests and answers: waiting to coalesce them would only add latency.
        stream
            .set_nodelay(true)
            .map_err(|e| Failure::Connect(e.kind().to_string()))?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Failure::Connect(short(&e)))?;
        // The connection task ends by itself when the sender is dropped or the peer closes.
        tokio::spawn(connection);
        Ok(sender)
    }
}

/// hyper's error text without the source chain, which names addresses and would split one
/// kind of failure into many lines of the summary.
fn short(e: &hyper::Error) -> String {
    if e.is_incomplete_message() {
        "closed before a complete answer".to_owned()
    } else if e.is_closed() || e.is_canceled() {
        "closed".to_owned()
    } else if e.is_parse() {
        "not HTTP".to_owned()
    } else {
        e.to_string()
    }
}
