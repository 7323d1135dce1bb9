//! A started service: its HTTP server and background tasks, until its shutdown token is
//! cancelled.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::{JoinError, JoinHandle};
use tokio_util::sync::CancellationToken;

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read the listener's address")]
    Listener(#[source] std::io::Error),
    #[cfg(feature = "redis")]
    #[error("cannot set up the Redis client")]
    Redis(#[from] redis::RedisError),
    #[cfg(feature = "postgres")]
    #[error("cannot set up the PostgreSQL pool")]
    Postgres(#[from] deadpool_postgres::BuildError),
}

/// Why a running service stopped other than by its shutdown token.
#[derive(Debug, thiserror::Error)]
pub enum Stopped {
    #[error("the HTTP server failed")]
    Server(#[source] std::io::Error),
    #[error("the {task} task panicked or was aborted")]
    Task {
        task: &'static str,
        #[source]
        source: JoinError,
    },
}

/// A service's tasks, started on the runtime: an HTTP server and background tasks. They stop
/// when the shutdown token the service was started with is cancelled (a background task may
/// also finish on its own); [`Running::stopped`] waits for all of them.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    server: JoinHandle<std::io::Result<()>>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Running {
    /// Serves `router` on `listener` with [`crate::server::serve`] until `shutdown`, and says
    /// so in the log as `{name} listening`.
    pub fn serve(
        name: &str,
        listener: TcpListener,
        router: Router,
        shutdown: CancellationToken,
    ) -> Result<Self, StartError> {
        let addr = listener.local_addr().map_err(StartError::Listener)?;
        tracing::info!(%addr, "{name} listening");
        Ok(Self {
            addr,
            server: tokio::spawn(crate::server::serve(listener, router, shutdown)),
            tasks: Vec::new(),
        })
    }

    /// Runs `task` beside the server; [`Running::stopped`] waits for it too.
    #[must_use]
    pub fn with_task(
        mut self,
        name: &'static str,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.tasks.push((name, tokio::spawn(task)));
        self
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits until the server and every task have finished.
    pub async fn stopped(self) -> Result<(), Stopped> {
        let mut first_error = None;
        for (task, handle) in self.tasks {
            if let Err(source) = handle.await {
                first_error.get_or_insert(Stopped::Task { task, source });
            }
        }
        let server = match self.server.await {
            Ok(served) => served.map_err(Stopped::Server),
            Err(source) => Err(Stopped::Task {
                task: "HTTP server",
                source,
            }),
        };
        match first_error {
            Some(error) => Err(error),
            None => server,
        }
    }
}
