//! Waiting for a condition instead of sleeping a fixed time.

use std::future::Future;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(20);

/// Checks `condition` every 20 ms until it holds; panics when it still does not after `within`.
pub async fn wait_until<F, Fut>(within: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    loop {
        if condition().await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "condition still false after {within:?}"
        );
        tokio::time::sleep(POLL).await;
    }
}
