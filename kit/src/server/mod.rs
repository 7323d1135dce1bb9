//! Serving a router over HTTP/1.1 until a stop signal, with the limits `axum::serve` lacks: a
//! header-read (and idle keep-alive) timeout and a cap on open connections below the
//! descriptor limit, so idle or slow clients can neither hold connections forever nor use up
//! the descriptors the service needs to answer everyone else.
//!
//! At the cap, connections idle for longer than [`ConnectionLimits::idle_grace`] are closed to
//! make room (nginx does the same with its kept-alive connections); busy ones, event streams
//! included, are never cut. After a stop signal the server stops accepting, closes idle
//! connections, lets requests in progress finish for at most [`DRAIN_LIMIT`], and returns.

mod activity;
mod limits;

pub use limits::{ConnectionLimits, raise_descriptor_limit};

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use activity::{Activity, TrackedBody};

use crate::telemetry::{
    HTTP_ACCEPT_ERRORS, HTTP_CONNECTION_CAP_REACHED, HTTP_IDLE_CONNECTIONS_CLOSED,
};

/// How long requests in progress may take to finish after a stop signal before the server
/// returns anyway; well under Docker's 10 s grace period.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// How long the accept loop waits for a connection to close, after asking idle ones to, before
/// asking again (a connection may have become idle meanwhile).
const ROOM_RECHECK: Duration = Duration::from_millis(50);

/// After a failed accept (out of descriptors, say), wait this long before the next: retrying at
/// once would spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// [`serve_with`] with [`ConnectionLimits::for_this_process`].
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    serve_with(
        listener,
        router,
        ConnectionLimits::for_this_process(),
        shutdown,
    )
    .await
}

/// Serves `router` on `listener` within `limits` until `shutdown` is cancelled, then drains.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let room = Arc::new(Semaphore::new(limits.max_connections));
    // Carries the latest "close if idle since" cutoff to every connection.
    let (make_room, _) = watch::channel(Instant::now());
    let connections = TaskTracker::new();
    let epoch = Instant::now();
    let mut at_cap_logged = false;
    loop {
        let Some(permit) =
            reserve_room(&room, &make_room, limits, &shutdown, &mut at_cap_logged).await
        else {
            break;
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    metrics::counter!(HTTP_ACCEPT_ERRORS.name).increment(1);
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        connections.spawn(serve_connection(
            stream,
            router.clone(),
            limits,
            Activity::new(epoch),
            make_room.subscribe(),
            shutdown.clone(),
            permit,
        ));
    }
    drop(listener);
    connections.close();
    if tokio::time::timeout(DRAIN_LIMIT, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("requests still running after {DRAIN_LIMIT:?}; exiting anyway");
    }
    Ok(())
}

/// A place for one more connection. At the cap, asks connections idle for longer than the
/// grace to close, until one does. `None` at shutdown.
async fn reserve_room(
    room: &Arc<Semaphore>,
    make_room: &watch::Sender<Instant>,
    limits: ConnectionLimits,
    shutdown: &CancellationToken,
    at_cap_logged: &mut bool,
) -> Option<OwnedSemaphorePermit> {
    if let Ok(permit) = room.clone().try_acquire_owned() {
        return Some(permit);
    }
    if !std::mem::replace(at_cap_logged, true) {
        tracing::warn!(
            max_connections = limits.max_connections,
            "connection cap reached; closing idle connections to make room"
        );
    }
    loop {
        // `checked_sub`: a grace longer than the clock has run would panic; everyone idle
        // qualifies then.
        let cutoff = Instant::now().checked_sub(limits.idle_grace);
        make_room.send_replace(cutoff.unwrap_or_else(Instant::now));
        metrics::counter!(HTTP_CONNECTION_CAP_REACHED.name).increment(1);
        tokio::select! {
            permit = room.clone().acquire_owned() => {
                return permit.ok();
            }
            () = tokio::time::sleep(ROOM_RECHECK) => {}
            () = shutdown.cancelled() => return None,
        }
    }
}

/// Serves one connection until the client closes it, it times out, it is idle when room is
/// needed, or the service stops.
async fn serve_connection(
    (stream, peer): (TcpStream, SocketAddr),
    router: Router,
    limits: ConnectionLimits,
    activity: Arc<Activity>,
    mut make_room: watch::Receiver<Instant>,
    shutdown: CancellationToken,
    _permit: OwnedSemaphorePermit,
) {
    let tracked = activity.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let guard = tracked.begin();
        let mut request = request.map(axum::body::Body::new);
        // who sent it: `/fault` takes changes from this host only
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = router.clone().oneshot(request);
        async move {
            let response = response.await?;
            Ok::<_, Infallible>(response.map(|body| TrackedBody::new(body, guard)))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
    make_room.mark_unchanged();
    let mut stopping = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            changed = make_room.changed(), if !stopping => {
                let cutoff = *make_room.borrow_and_update();
                if changed.is_err() || activity.is_idle_since(cutoff) {
                    metrics::counter!(HTTP_IDLE_CONNECTIONS_CLOSED.name).increment(1);
                    return;
                }
            }
            () = shutdown.cancelled(), if !stopping => {
                stopping = true;
                if activity.is_idle() {
                    return;
                }
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
