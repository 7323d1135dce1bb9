//! The one task that reads the scores from PostgreSQL, for every viewer at once.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kit::postgres_client::{ErrorChain, PgSettings};
use kit::schema::{self, CHANGES_CHANNEL};
use tokio::sync::{mpsc, watch};
use tokio_postgres::AsyncMessage;
use tokio_util::sync::CancellationToken;

use crate::{Scores, Snapshot};

/// Re-read this often even without a notification: tables written by the original worker
/// notify nobody, and a missed notification must not freeze a page.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// A read that takes longer means the connection is not healthy.
const READ_DEADLINE: Duration = Duration::from_secs(2);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(3);

/// Keeps `publish` up to date until `shutdown`. Reconnects by itself; while PostgreSQL cannot be
/// read, the last scores stay published with `stale` set.
pub async fn watch_scores(
    settings: PgSettings,
    publish: watch::Sender<Snapshot>,
    shutdown: CancellationToken,
) {
    let mut down_since: Option<Instant> = None;
    let mut delay = Duration::from_millis(100);
    while !shutdown.is_cancelled() {
        let mut read_once = false;
        let error = session(&settings, &publish, &shutdown, &mut read_once).await;
        if read_once {
            delay = Duration::from_millis(100);
            if let Some(since) = down_since.take() {
                tracing::info!(down_for = ?since.elapsed(), "PostgreSQL is back");
            }
        }
        let Err(error) = error else { return };
        publish.send_if_modified(|snapshot| !std::mem::replace(&mut snapshot.stale, true));
        metrics::counter!("postgres_errors_total").increment(1);
        if down_since.is_none() {
            down_since = Some(Instant::now());
            tracing::error!(%error, "cannot read the scores; serving the last known ones and retrying");
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = shutdown.cancelled() => return,
        }
        delay = (delay * 2).min(MAX_RETRY_DELAY);
    }
}

/// One connection's life: LISTEN, read now, then read at every notification and every tick.
/// Returns `Ok` only at shutdown.
async fn session(
    settings: &PgSettings,
    publish: &watch::Sender<Snapshot>,
    shutdown: &CancellationToken,
    read_once: &mut bool,
) -> Result<(), String> {
    let (client, mut connection) = settings
        .connect()
        .await
        .map_err(|e| ErrorChain(&e).to_string())?;
    // The connection must be polled for notifications to arrive; a task does that and
    // forwards them. It ends when the client is dropped or the server goes away.
    let (changed_tx, mut changed) = mpsc::unbounded_channel::<()>();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    let _ = changed_tx.send(());
                }
                Ok(_) => {}
                Err(e) => return ErrorChain(&e).to_string(),
            }
        }
        "the connection closed".to_owned()
    });
    let result = async {
        client
            .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
            .await
            .map_err(|e| ErrorChain(&e).to_string())?;
        let mut tick = tokio::time::interval(POLL_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // The first tick fires at once: read as soon as connected.
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                _ = tick.tick() => {}
                notified = changed.recv() => {
                    if notified.is_none() {
                        return Err("the connection closed".to_owned());
                    }
                    // A burst of commits needs one read, not one each.
                    while changed.try_recv().is_ok() {}
                }
            }
            let scores = tokio::time::timeout(READ_DEADLINE, schema::read_counts(&client))
                .await
                .map_err(|_| "reading the scores timed out".to_owned())?
                .map_err(|e| ErrorChain(&e).to_string())?;
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
    let driver_error = driver.await.unwrap_or_default();
    result.map_err(|e| {
        if e == "the connection closed" {
            driver_error
        } else {
            e
        }
    })
}
