//! A service's router served on a real loopback socket, for tests that need real connections
//! (concurrency, streams, shutdown) rather than `oneshot`.

use std::net::SocketAddr;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A router served on `127.0.0.1` with the services' own graceful serving
/// ([`kit::server::serve`]); stopped when dropped.
#[derive(Debug)]
pub struct TestApp {
    addr: SocketAddr,
    stop: CancellationToken,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub async fn serve(router: axum::Router) -> Self {
        Self::serve_until(router, CancellationToken::new()).await
    }

    /// Serves until `stop` is cancelled: the same token a service gives its streams.
    pub async fn serve_until(router: axum::Router, stop: CancellationToken) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("cannot read the bound address: {e}"));
        let task = tokio::spawn(kit::server::serve(listener, router, stop.clone()));
        Self {
            addr,
            stop,
            task: Some(task),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Waits until the server has returned (after its stop token was cancelled).
    pub async fn stopped(mut self) {
        if let Some(task) = self.task.take() {
            task.await
                .unwrap_or_else(|e| panic!("server task failed: {e}"))
                .unwrap_or_else(|e| panic!("server failed: {e}"));
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
