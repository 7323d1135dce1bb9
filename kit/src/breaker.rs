//! Circuit breakers where a service calls a backend: after [`FAILURES_TO_OPEN`] calls in a row
//! failed or timed out, the breaker opens and calls fail at once instead of waiting out their
//! deadline on a backend that does not answer (a frozen Redis held every vote until its
//! response timed out, and requests piled up behind it). After a cool-down one call, the probe, goes
//! through: its success closes the breaker, its failure opens it again.
//!
//! The policy (consecutive failures, the cool-down) and the three states are failsafe's. Its
//! half-open state lets every call through until one of them ends, which under load would send
//! every request of that moment to the frozen backend for its whole deadline; so [`Breaker`]
//! lets a half-open breaker have one call at a time.
//!
//! Each breaker shows its state on `/metrics` (`circuit_breaker_state{backend}`) and logs one
//! line per change of state.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use failsafe::backoff::{self, Constant};
use failsafe::failure_policy::{self, ConsecutiveFailures};
use failsafe::{Instrument, StateMachine};

use crate::telemetry::{self, MetricHelp};

/// Calls in a row that must fail before the breaker opens: one timed-out batch of votes is
/// enough, a single slow answer is not.
pub const FAILURES_TO_OPEN: u32 = 5;

/// How long an open breaker refuses calls before it lets a probe through: the first call after
/// the backend is back waits at most this long (plus the probe's own round trip).
pub const COOL_DOWN: Duration = Duration::from_millis(500);

pub const STATE: MetricHelp = MetricHelp::gauge(
    "circuit_breaker_state",
    metrics::Unit::Count,
    "The circuit breaker in front of a backend, by backend: 0 closed (calls go through), \
     1 half-open (one probe call goes through), 2 open (calls fail at once).",
);
pub const TRANSITIONS: MetricHelp = MetricHelp::counter(
    "circuit_breaker_transitions_total",
    "Changes of a circuit breaker's state, by backend and by the state it went to.",
);
pub const REJECTED: MetricHelp = MetricHelp::counter(
    "circuit_breaker_rejected_total",
    "Calls a circuit breaker refused without trying the backend, by backend.",
);

/// A breaker's state, as its gauge shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum BreakerState {
    Closed = 0,
    HalfOpen = 1,
    Open = 2,
}

impl BreakerState {
    fn from_u8(value: u8) -> Self {
        match value {
            1 => BreakerState::HalfOpen,
            2 => BreakerState::Open,
            _ => BreakerState::Closed,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::HalfOpen => "half_open",
            BreakerState::Open => "open",
        }
    }
}

/// A call the breaker refused: the backend was not tried.
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("{backend} was not tried: its circuit breaker is open (or its one probe is under way)")]
pub struct BreakerOpen {
    pub backend: &'static str,
}

/// The breaker in front of one backend. Clones share it.
#[derive(Clone)]
pub struct Breaker {
    inner: Arc<Shared>,
}

struct Shared {
    machine: StateMachine<ConsecutiveFailures<Constant>, Watch>,
    state: Arc<AtomicU8>,
    /// A half-open breaker's probe is under way: other calls are refused meanwhile.
    probing: AtomicBool,
    backend: &'static str,
}

impl std::fmt::Debug for Breaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Breaker")
            .field("backend", &self.inner.backend)
            .field("state", &self.state())
            .finish()
    }
}

impl Breaker {
    /// A closed breaker for `backend` (its metrics label), with the lab's policy.
    pub fn new(backend: &'static str) -> Self {
        Self::with_cool_down(backend, COOL_DOWN)
    }

    /// The same with another cool-down (tests).
    pub fn with_cool_down(backend: &'static str, cool_down: Duration) -> Self {
        telemetry::prometheus();
        telemetry::describe(&[STATE, TRANSITIONS, REJECTED]);
        let state = Arc::new(AtomicU8::new(BreakerState::Closed as u8));
        let watch = Watch {
            backend,
            cool_down,
            state: state.clone(),
        };
        let policy =
            failure_policy::consecutive_failures(FAILURES_TO_OPEN, backoff::constant(cool_down));
        // Its first event, closed, sets the gauge: 0 from the first scrape.
        let machine = StateMachine::new(policy, watch);
        metrics::counter!(REJECTED.name, "backend" => backend).increment(0);
        Self {
            inner: Arc::new(Shared {
                machine,
                state,
                probing: AtomicBool::new(false),
                backend,
            }),
        }
    }

    pub fn state(&self) -> BreakerState {
        BreakerState::from_u8(self.inner.state.load(Ordering::Acquire))
    }

    /// Permission for one call to the backend, or [`BreakerOpen`] at once. Tell the permit how
    /// the call went ([`Permit::record`]); a permit dropped untold counts as neither.
    pub fn permit(&self) -> Result<Permit, BreakerOpen> {
        let refused = BreakerOpen {
            backend: self.inner.backend,
        };
        if !self.inner.machine.is_call_permitted() {
            return Err(refused);
        }
        let probe = self.state() == BreakerState::HalfOpen;
        if probe && self.inner.probing.swap(true, Ordering::AcqRel) {
            metrics::counter!(REJECTED.name, "backend" => self.inner.backend).increment(1);
            return Err(refused);
        }
        Ok(Permit {
            breaker: self.clone(),
            probe,
        })
    }
}

/// One call the breaker let through.
#[must_use = "tell the permit how the call went"]
pub struct Permit {
    breaker: Breaker,
    probe: bool,
}

impl std::fmt::Debug for Permit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit")
            .field("backend", &self.breaker.inner.backend)
            .field("probe", &self.probe)
            .finish()
    }
}

impl Permit {
    /// Records the call's outcome: an error is a failure of the backend.
    pub fn record<T, E>(self, outcome: &Result<T, E>) {
        let machine = &self.breaker.inner.machine;
        match outcome {
            Ok(_) => machine.on_success(),
            Err(_) => machine.on_error(),
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if self.probe {
            self.breaker.inner.probing.store(false, Ordering::Release);
        }
    }
}

/// failsafe's events: the gauge, the counters and one log line per change of state.
struct Watch {
    backend: &'static str,
    cool_down: Duration,
    state: Arc<AtomicU8>,
}

impl Watch {
    fn enter(&self, state: BreakerState) {
        let before = BreakerState::from_u8(self.state.swap(state as u8, Ordering::AcqRel));
        metrics::gauge!(STATE.name, "backend" => self.backend).set(f64::from(state as u8));
        if before == state {
            return;
        }
        metrics::counter!(TRANSITIONS.name, "backend" => self.backend, "state" => state.as_str())
            .increment(1);
        match state {
            BreakerState::Open => tracing::warn!(
                backend = self.backend,
                "circuit breaker open: calls to {} fail at once for {:?}, then one probe",
                self.backend,
                self.cool_down
            ),
            BreakerState::HalfOpen => {
                tracing::info!(
                    backend = self.backend,
                    "circuit breaker half-open: one probe"
                )
            }
            BreakerState::Closed => tracing::info!(
                backend = self.backend,
                "circuit breaker closed: {} answers again",
                self.backend
            ),
        }
    }
}

impl Instrument for Watch {
    fn on_call_rejected(&self) {
        metrics::counter!(REJECTED.name, "backend" => self.backend).increment(1);
    }

    fn on_open(&self) {
        self.enter(BreakerState::Open);
    }

    fn on_half_open(&self) {
        self.enter(BreakerState::HalfOpen);
    }

    fn on_closed(&self) {
        self.enter(BreakerState::Closed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUICK: Duration = Duration::from_millis(20);

    fn fail(breaker: &Breaker) {
        breaker.permit().expect("a call").record(&Err::<(), ()>(()));
    }

    /// Awaits the end of the cool-down: the first permit granted after it.
    async fn probe_permit(breaker: &Breaker) -> Permit {
        loop {
            if let Ok(permit) = breaker.permit() {
                return permit;
            }
            tokio::task::yield_now().await;
        }
    }

    #[test]
    fn it_opens_after_failures_in_a_row_and_a_success_starts_the_count_again() {
        let breaker = Breaker::with_cool_down("test", Duration::from_secs(60));
        for _ in 1..FAILURES_TO_OPEN {
            fail(&breaker);
        }
        breaker.permit().unwrap().record(&Ok::<(), ()>(()));
        for _ in 1..FAILURES_TO_OPEN {
            fail(&breaker);
        }
        assert_eq!(breaker.state(), BreakerState::Closed);
        fail(&breaker);
        assert_eq!(breaker.state(), BreakerState::Open);
        let refused = breaker.permit().expect_err("an open breaker refuses");
        assert_eq!(refused.backend, "test");
    }

    #[tokio::test]
    async fn after_the_cool_down_one_probe_goes_through_and_its_success_closes() {
        let breaker = Breaker::with_cool_down("test", QUICK);
        for _ in 0..FAILURES_TO_OPEN {
            fail(&breaker);
        }
        let probe = probe_permit(&breaker).await;
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert!(breaker.permit().is_err(), "one probe at a time");
        probe.record(&Ok::<(), ()>(()));
        assert_eq!(breaker.state(), BreakerState::Closed);
        assert!(breaker.permit().is_ok());
    }

    #[tokio::test]
    async fn a_failed_probe_opens_it_again_and_an_untold_one_frees_the_turn() {
        let breaker = Breaker::with_cool_down("test", QUICK);
        for _ in 0..FAILURES_TO_OPEN {
            fail(&breaker);
        }
        probe_permit(&breaker).await.record(&Err::<(), ()>(()));
        assert_eq!(breaker.state(), BreakerState::Open);
        drop(probe_permit(&breaker).await);
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        let next = breaker.permit().expect("the dropped probe's turn is free");
        next.record(&Ok::<(), ()>(()));
        assert_eq!(breaker.state(), BreakerState::Closed);
    }
}
