//! Whether a connection is serving a request right now, and since when it has not been.
//!
//! A request counts from the moment its head is parsed until its response body is dropped
//! (fully sent, or abandoned), so an open event stream keeps its connection busy for as long as
//! it lasts, while a connection that sent nothing, or only half a head, is idle.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};
use tokio::time::Instant;

/// One connection's activity, shared by its task and its requests' guards.
#[derive(Debug)]
pub struct Activity {
    /// The process-wide reference point of the timestamps below.
    epoch: Instant,
    requests: AtomicUsize,
    /// Milliseconds after `epoch` when the connection last became idle.
    idle_since_ms: AtomicU64,
}

impl Activity {
    /// A new connection: idle since now.
    pub fn new(epoch: Instant) -> Arc<Self> {
        let activity = Arc::new(Self {
            epoch,
            requests: AtomicUsize::new(0),
            idle_since_ms: AtomicU64::new(0),
        });
        activity.mark_idle();
        activity
    }

    /// A request has begun; the guard ends it when dropped.
    pub fn begin(self: &Arc<Self>) -> RequestGuard {
        self.requests.fetch_add(1, Ordering::AcqRel);
        RequestGuard(self.clone())
    }

    pub fn is_idle(&self) -> bool {
        self.requests.load(Ordering::Acquire) == 0
    }

    /// Idle, and already at `cutoff`: the connection may be closed to make room.
    pub fn is_idle_since(&self, cutoff: Instant) -> bool {
        self.is_idle() && self.idle_since_ms.load(Ordering::Acquire) <= self.millis(cutoff)
    }

    fn mark_idle(&self) {
        self.idle_since_ms
            .store(self.millis(Instant::now()), Ordering::Release);
    }

    fn millis(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX)
    }
}

/// Ends its request when dropped.
#[derive(Debug)]
pub struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        if self.0.requests.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.mark_idle();
        }
    }
}

pin_project_lite::pin_project! {
    /// A response body that keeps its request counted until hyper drops it.
    pub struct TrackedBody {
        #[pin]
        inner: Body,
        guard: RequestGuard,
    }
}

impl TrackedBody {
    pub fn new(inner: Body, guard: RequestGuard) -> Self {
        Self { inner, guard }
    }
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_while_a_guard_lives_idle_after() {
        let activity = Activity::new(Instant::now());
        assert!(activity.is_idle());
        let first = activity.begin();
        let second = activity.begin();
        drop(first);
        assert!(!activity.is_idle());
        assert!(!activity.is_idle_since(Instant::now()));
        drop(second);
        assert!(activity.is_idle());
        assert!(activity.is_idle_since(Instant::now()));
    }
}
