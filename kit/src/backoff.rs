//! A backend outage seen by a loop that retries: logged once when it begins and once when it
//! ends, not once per retry, with the retries backing off.

use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// The wait after the first failure: short, since most outages are a single dropped
/// connection.
pub const FIRST_DELAY: Duration = Duration::from_millis(100);
/// The longest wait between tries, so a backend that comes back is used again within seconds.
pub const MAX_DELAY: Duration = Duration::from_secs(3);

/// The Prometheus counter each failure adds one to. Given by the service, so every service
/// keeps the metric names its dashboards know.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCounter {
    pub name: &'static str,
    pub labels: &'static [(&'static str, &'static str)],
}

/// The state of one backend as seen by one retrying loop.
#[derive(Debug)]
pub struct Outage {
    backend: &'static str,
    /// What the service does until the backend is back, for the line that opens the outage.
    meanwhile: &'static str,
    errors: ErrorCounter,
    since: Option<Instant>,
    delay: Duration,
}

impl Outage {
    pub fn new(backend: &'static str, meanwhile: &'static str, errors: ErrorCounter) -> Self {
        Self {
            backend,
            meanwhile,
            errors,
            since: None,
            delay: FIRST_DELAY,
        }
    }

    /// Records a failure (logged at ERROR only when an outage begins) and waits before the
    /// next try, doubling the wait up to [`MAX_DELAY`]. Returns early when `shutdown` fires.
    pub async fn failed(
        &mut self,
        error: &(dyn std::fmt::Display + Sync),
        shutdown: &CancellationToken,
    ) {
        metrics::counter!(self.errors.name, self.errors.labels).increment(1);
        if self.since.is_none() {
            self.since = Some(Instant::now());
            tracing::error!(backend = self.backend, %error, "backend unavailable; {}", self.meanwhile);
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

    /// How long the next failure will wait.
    pub fn next_delay(&self) -> Duration {
        self.delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COUNTER: ErrorCounter = ErrorCounter {
        name: "test_backend_errors_total",
        labels: &[("backend", "test")],
    };

    /// Far below the 10.7 s the seven waits below would take if shutdown did not cut them.
    const CUT_WAITS_BUDGET: Duration = Duration::from_secs(3);

    #[tokio::test]
    async fn the_wait_doubles_up_to_the_cap_shutdown_cuts_it_and_a_success_resets_it() {
        let mut outage = Outage::new("test", "retrying", COUNTER);
        let shutdown = CancellationToken::new();
        shutdown.cancel();
        let start = Instant::now();
        let mut waits = vec![outage.next_delay()];
        for _ in 0..6 {
            outage.failed(&"down", &shutdown).await;
            waits.push(outage.next_delay());
        }
        assert!(start.elapsed() < CUT_WAITS_BUDGET, "{:?}", start.elapsed());
        let ms = Duration::from_millis;
        assert_eq!(
            waits,
            [
                ms(100),
                ms(200),
                ms(400),
                ms(800),
                ms(1600),
                MAX_DELAY,
                MAX_DELAY
            ]
        );
        outage.ok();
        assert_eq!(outage.next_delay(), FIRST_DELAY);
    }
}
