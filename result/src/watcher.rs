//! The one task that reads the scores from PostgreSQL, for every viewer at once.

use std::time::Duration;

use futures_util::StreamExt;
use kit::backoff::{ErrorCounter, Outage};
use kit::postgres_client::{ErrorChain, PgSettings};
use kit::schema::CHANGES_CHANNEL;
use tokio::sync::{mpsc, watch};
use tokio_postgres::AsyncMessage;
use tokio_util::sync::CancellationToken;

use crate::counts;
use crate::service_metrics::POSTGRES_ERRORS;
use crate::{Scores, Snapshot};

/// Re-read this often even without a notification: tables written by the original worker
/// notify nobody, and a missed notification must not freeze a page.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// A read that takes longer means the connection is not healthy.
const READ_DEADLINE: Duration = Duration::from_secs(2);

/// Each failed session adds one to this counter, the name dashboards know.
const READ_ERRORS: ErrorCounter = ErrorCounter {
    name: POSTGRES_ERRORS.name,
    labels: &[],
};

/// Why a session with PostgreSQL ended before shutdown.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("cannot connect: {}", ErrorChain(.0))]
    Connect(tokio_postgres::Error),
    #[error("LISTEN failed: {}", ErrorChain(.0))]
    Listen(tokio_postgres::Error),
    #[error("reading the scores failed: {}", ErrorChain(.0))]
    Read(tokio_postgres::Error),
    #[error("reading the scores took more than {READ_DEADLINE:?}")]
    Timeout,
    /// The connection ended; its task says why when it knows.
    #[error("the connection closed{}", why_closed(.cause))]
    Closed {
        cause: Option<tokio_postgres::Error>,
    },
}

fn why_closed(cause: &Option<tokio_postgres::Error>) -> String {
    cause
        .as_ref()
        .map(|e| format!(": {}", ErrorChain(e)))
        .unwrap_or_default()
}

/// Keeps `publish` up to date until `shutdown`. Reconnects by itself; while PostgreSQL cannot be
/// read, the last scores stay published with `stale` set.
pub async fn watch_scores(
    settings: PgSettings,
    publish: watch::Sender<Snapshot>,
    shutdown: CancellationToken,
) {
    let mut outage = Outage::new(
        "postgres",
        "serving the last known scores, marked stale, and retrying",
        READ_ERRORS,
    );
    while !shutdown.is_cancelled() {
        let mut read_once = false;
        let ended = session(&settings, &publish, &shutdown, &mut read_once).await;
        if read_once {
            outage.ok();
        }
        let Err(error) = ended else { return };
        publish.send_if_modified(|snapshot| !std::mem::replace(&mut snapshot.stale, true));
        outage.failed(&error, &shutdown).await;
    }
}

/// One connection's life: LISTEN, read now, then read at every notification and every tick.
/// Returns `Ok` only at shutdown.
async fn session(
    settings: &PgSettings,
    publish: &watch::Sender<Snapshot>,
    shutdown: &CancellationToken,
    read_once: &mut bool,
) -> Result<(), SessionError> {
    let (client, mut connection) = settings.connect().await.map_err(SessionError::Connect)?;
    // The connection must be polled for notifications to arrive; a task does that and
    // forwards them. It ends when the client is dropped or the server goes away, with the
    // connection's error if there was one.
    let (changed_tx, mut changed) = mpsc::unbounded_channel::<()>();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    let _ = changed_tx.send(());
                }
                Ok(_) => {}
                Err(e) => return Some(e),
            }
        }
        None
    });
    let result = async {
        client
            .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
            .await
            .map_err(SessionError::Listen)?;
        let mut tick = tokio::time::interval(POLL_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // The first tick fires at once: read as soon as connected.
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                _ = tick.tick() => {}
                notified = changed.recv() => {
                    if notified.is_none() {
                        return Err(SessionError::Closed { cause: None });
                    }
                    // A burst of commits needs one read, not one each.
                    while changed.try_recv().is_ok() {}
                }
            }
            let scores = tokio::time::timeout(READ_DEADLINE, counts::read_counts(&client))
                .await
                .map_err(|_| SessionError::Timeout)?
                .map_err(SessionError::Read)?;
            *read_once = true;
            let fresh = Snapshot {
                scores: Scores {
                    a: scores.0,
                    b: scores.1,
                },
                stale: false,
            };
            publish.send_if_modified(|current| {
                let changed = *current != fresh;
                *current = fresh;
                changed
            });
        }
    }
    .await;
    drop(client);
    // Only the connection's task knows why it closed.
    let driver_error = driver.await.ok().flatten();
    result.map_err(|e| match e {
        SessionError::Closed { .. } => SessionError::Closed {
            cause: driver_error,
        },
        other => other,
    })
}
