//! A service started by its crate's own `start` function on a loopback port: the wiring its
//! binary runs, in the test's process.

use std::net::SocketAddr;

use axum::body::Body;
use axum::http::Request;
use kit::service::{Running, StartError, Stopped};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::http::{self, Answer};

/// How long a stopped service may take to finish: its server drains for at most
/// `kit::server::DRAIN_LIMIT`, and the worker hands its batch back within a second or so.
const STOP_BUDGET: std::time::Duration = std::time::Duration::from_secs(15);

/// A running service; stopped (its shutdown token cancelled) when dropped.
#[derive(Debug)]
pub struct TestService {
    addr: SocketAddr,
    shutdown: CancellationToken,
    stopped: Option<JoinHandle<Result<(), Stopped>>>,
}

impl TestService {
    /// Runs `start` (a service crate's `start` with its config bound in) on a free loopback
    /// port with a shutdown token of the test's.
    /// Needs a Tokio runtime.
    pub fn start(
        start: impl FnOnce(TcpListener, CancellationToken) -> Result<Running, StartError>,
    ) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| {
                listener.set_nonblocking(true)?;
                TcpListener::from_std(listener)
            })
            .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
        let shutdown = CancellationToken::new();
        let running = start(listener, shutdown.clone())
            .unwrap_or_else(|e| panic!("the service did not start: {}", chain(&e)));
        Self {
            addr: running.addr(),
            shutdown,
            stopped: Some(tokio::spawn(running.stopped())),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends `request` on a new connection and reads the whole answer.
    pub async fn send(&self, request: Request<Body>) -> Answer {
        http::send(self.addr, request).await
    }

    /// [`TestService::send`] without adding `Host`: for tests of requests that lack it.
    pub async fn send_exactly(&self, request: Request<Body>) -> Answer {
        http::send_exactly(self.addr, request).await
    }

    /// The token the service stops on, for tests that stop it and watch what happens.
    pub fn shutdown_token(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// Waits until the service has stopped after [`TestService::stop`]; panics when it failed
    /// or took longer than [`STOP_BUDGET`].
    pub async fn stopped(self) {
        self.stopped_within(STOP_BUDGET).await;
    }

    /// Waits until the service has stopped, by itself (a worker with `EXIT_WHEN_EMPTY`) or
    /// after [`TestService::stop`]; panics when it failed or took longer than `within`.
    pub async fn stopped_within(mut self, within: std::time::Duration) {
        if let Some(stopped) = self.stopped.take() {
            match tokio::time::timeout(within, stopped).await {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => panic!("the service failed: {}", chain(&e)),
                Ok(Err(e)) => panic!("the service's waiter failed: {e}"),
                Err(_) => panic!("the service did not stop within {within:?}"),
            }
        }
    }

    /// Cancels the service's shutdown token and waits until it has stopped.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.stopped().await;
    }
}

impl Drop for TestService {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// `error: cause: cause`, as a log line shows it.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
