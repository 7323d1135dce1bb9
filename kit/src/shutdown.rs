//! Stopping on SIGTERM (what `docker stop` sends) or SIGINT (Ctrl-C), and serving until then.

use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How long in-flight requests may take to finish after a stop signal before the server returns
/// anyway; well under Docker's 10 s grace period.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// Resolves with the signal's name when SIGTERM or SIGINT arrives.
pub async fn signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                tracing::error!("cannot listen for stop signals; stop with SIGKILL");
                std::future::pending().await
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// A token cancelled at the first stop signal. Long-lived work (streams, loops) watches it.
pub fn on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        let name = signal().await;
        tracing::info!(signal = name, "stopping");
        trigger.cancel();
    });
    token
}

/// Serves `router` until `shutdown` is cancelled, then stops accepting, lets in-flight requests
/// finish for at most [`DRAIN_LIMIT`], and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let server =
        axum::serve(listener, router).with_graceful_shutdown(shutdown.clone().cancelled_owned());
    tokio::select! {
        result = server => result,
        () = async {
            shutdown.cancelled().await;
            tokio::time::sleep(DRAIN_LIMIT).await;
        } => {
            tracing::warn!("requests still running after {DRAIN_LIMIT:?}; exiting anyway");
            Ok(())
        }
    }
}
