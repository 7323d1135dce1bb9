//! Logging a backend outage once, not once per retry, and backing off.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(3);

/// The state of one backend as seen by the worker loop.
pub struct Outage {
    backend: &'static str,
    since: Option<Instant>,
    delay: Duration,
}

impl Outage {
    pub fn new(backend: &'static str) -> Self {
        Self {
            backend,
            since: None,
            delay: FIRST_DELAY,
        }
    }

    /// Records a failure (logged only when an outage begins) and waits before the next try,
    /// doubling the wait up to [`MAX_DELAY`]. Returns early when `shutdown` fires.
    pub async fn failed(
        &mut self,
        error: &(dyn std::fmt::Display + Sync),
        shutdown: &CancellationToken,
    ) {
        metrics::counter!("worker_backend_errors_total", "backend" => self.backend).increment(1);
        if self.since.is_none() {
            self.since = Some(Instant::now());
            tracing::error!(backend = self.backend, %error, "backend unavailable; retrying with backoff, votes are kept");
        } else {
            tracing::debug!(backend = self.backend, %error, "still unavailable");
        }
        tokio::select! {
            () = tokio::time::sleep(self.delay) => {}
            () = shutdown.cancelled() => {}
        }
        self.delay = (self.delay * 2).min(MAX_DELAY);
    }

    /// Records a success, logging the end of an outage.
    pub fn ok(&mut self) {
        if let Some(since) = self.since.take() {
            tracing::info!(backend = self.backend, down_for = ?since.elapsed(), "backend is back");
        }
        self.delay = FIRST_DELAY;
    }
}
