//! Appending votes to the Redis list `votes`, many at a time.
//!
//! Handlers give their vote to one task, which sends every vote waiting at that moment in one
//! script call and tells each handler how it went. Under load one round trip and one script run
//! carry dozens of votes instead of one (group commit); an idle app sends each vote alone, at
//! once. A handler answers "recorded" only after Redis confirmed the RPUSH holding its vote.
//!
//! The message and the script that numbers and appends it are the wire contract's
//! ([`kit::queue::VoteMessage::head`], [`kit::queue::enqueue`]).

use std::sync::Arc;

use kit::breaker::{Breaker, BreakerOpen};
use kit::queue::{self, Choice, VoteMessage};
use kit::redis_client::{self, RedisUnavailable};
use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::service_metrics::{VOTE_BATCH_SIZE, VOTES_NOT_SENT};

/// The most votes one script call carries. A call of this size runs in well under a
/// millisecond, so it never holds up Redis's other clients for long.
const MAX_BATCH: usize = 256;

/// Votes waiting for the task beyond this make handlers wait their turn to hand theirs over.
const WAITING_LIMIT: usize = 4 * MAX_BATCH;

/// Why a vote was not appended. Cloned to every handler whose vote was in the failed call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Redis(Arc<RedisUnavailable>),
    /// The vote was never sent: its handler's deadline passed while earlier calls held the
    /// connection (a stalled Redis).
    #[error(
        "the vote waited {:?} behind earlier votes and was not sent",
        redis_client::REQUEST_DEADLINE
    )]
    Backlog,
    /// The vote was never sent: Redis's circuit breaker is open.
    #[error(transparent)]
    NotTried(#[from] BreakerOpen),
}

/// The handle handlers push votes through. Cloning it is cheap; the task sending the votes
/// ends once every clone is dropped and the votes it holds are answered.
#[derive(Debug, Clone)]
pub struct VoteQueue {
    waiting: mpsc::Sender<Waiting>,
    breaker: Breaker,
}

#[derive(Debug)]
struct Waiting {
    /// The message up to its `seq`.
    head: String,
    /// When its handler must have an answer.
    deadline: Instant,
    reply: oneshot::Sender<Result<i64, QueueError>>,
}

impl VoteQueue {
    /// Starts the task that sends votes over `redis`. Needs a Tokio runtime.
    pub fn start(redis: ConnectionManager) -> Self {
        let (waiting, receiver) = mpsc::channel(WAITING_LIMIT);
        tokio::spawn(send_votes(redis, receiver));
        Self {
            waiting,
            breaker: Breaker::new("redis"),
        }
    }

    /// Appends the vote; returns its `seq` once Redis has it. Answers within
    /// [`redis_client::REQUEST_DEADLINE`], and at once while Redis's circuit breaker is open.
    pub async fn push(&self, voter_id: &str, choice: Choice) -> Result<i64, QueueError> {
        let permit = self.breaker.permit()?;
        let pushed = self.send(voter_id, choice).await;
        // A vote that waited out its turn says nothing about Redis: the calls before it do.
        if !matches!(pushed, Err(QueueError::Backlog)) {
            permit.record(&pushed);
        }
        pushed
    }

    async fn send(&self, voter_id: &str, choice: Choice) -> Result<i64, QueueError> {
        let deadline = Instant::now() + redis_client::REQUEST_DEADLINE;
        let (reply, answer) = oneshot::channel();
        let waiting = Waiting {
            head: VoteMessage::head(voter_id, choice),
            deadline,
            reply,
        };
        match tokio::time::timeout_at(deadline, self.waiting.send(waiting)).await {
            Ok(Ok(())) => {}
            // The task only stops when every handle is gone, so a handler never sees this
            // closed; had it happened, the vote was not sent.
            Ok(Err(_)) | Err(_) => return Err(QueueError::Backlog),
        }
        // The task answers by the deadline at the latest; a dropped reply means it never sent
        // the vote.
        answer.await.unwrap_or(Err(QueueError::Backlog))
    }
}

/// The task behind [`VoteQueue`]: takes whatever votes are waiting, sends them in one call,
/// answers their handlers, and again. Votes whose handler gave up (deadline passed or request
/// dropped) are left out, so nobody is told "not recorded" about a vote that then is.
async fn send_votes(redis: ConnectionManager, mut receiver: mpsc::Receiver<Waiting>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let now = Instant::now();
        batch.retain(|vote: &Waiting| {
            let waited_out = vote.deadline <= now;
            if waited_out {
                metrics::counter!(VOTES_NOT_SENT.name).increment(1);
            }
            !waited_out && !vote.reply.is_closed()
        });
        let Some(deadline) = batch.iter().map(|vote| vote.deadline).min() else {
            continue;
        };
        metrics::histogram!(VOTE_BATCH_SIZE.name).record(batch.len() as f64);
        let heads: Vec<&str> = batch.iter().map(|vote| vote.head.as_str()).collect();
        let pushed = redis_client::with_connection_until(deadline, &redis, |mut conn| {
            let heads = &heads;
            async move { queue::enqueue(&mut conn, heads).await }
        })
        .await
        .map_err(|e| QueueError::Redis(Arc::new(e)));
        for (position, vote) in (0_i64..).zip(batch.drain(..)) {
            // A handler that stopped waiting needs no answer.
            let _ = vote
                .reply
                .send(pushed.clone().map(|first| first + position));
        }
    }
}
