//! The scripts of [`super::scripts`] called with their keys and arguments, and the counts read
//! from the queue: every write to the queue's lists goes through here.

use std::sync::LazyLock;

use redis::aio::ConnectionLike;
use redis::{RedisResult, Script};

use super::keys::{
    DEAD_LETTERS, QUEUE, VOTE_SEQ_KEY, heartbeat_key, processing_key, processing_pattern,
};
use super::{DeadLetter, MAX_MESSAGE_BYTES, Rejection, SHOWN_BYTES, scripts};

static ENQUEUE: LazyLock<Script> = LazyLock::new(|| Script::new(scripts::ENQUEUE));
static TAKE: LazyLock<Script> = LazyLock::new(|| Script::new(scripts::TAKE));
static ACK: LazyLock<Script> = LazyLock::new(|| Script::new(scripts::ACK));
static RETURN_TO_QUEUE: LazyLock<Script> = LazyLock::new(|| Script::new(scripts::RETURN_TO_QUEUE));
static NOT_YET_COMMITTED: LazyLock<Script> =
    LazyLock::new(|| Script::new(scripts::NOT_YET_COMMITTED));

/// Appends messages, each given up to its `seq` ([`super::VoteMessage::head`]), numbering them
/// in order. Returns the first one's `seq`.
pub async fn enqueue<C>(conn: &mut C, heads: &[&str]) -> RedisResult<i64>
where
    C: ConnectionLike + Send,
{
    ENQUEUE
        .key(QUEUE)
        .key(VOTE_SEQ_KEY)
        .arg(heads)
        .invoke_async(conn)
        .await
}

/// How much one take may move.
#[derive(Debug, Clone, Copy)]
pub struct TakeLimits {
    /// At most this many messages.
    pub messages: usize,
    /// At most this many bytes of messages, past the first one.
    pub batch_bytes: usize,
    /// Stop reading the queue's head after this many bytes, dead-lettered ones included.
    pub scan_bytes: usize,
}

/// What one take did.
#[derive(Debug, Default)]
pub struct Taken {
    /// The batch, now in the worker's processing list.
    pub messages: Vec<Vec<u8>>,
    /// How many messages too large to take were moved to the dead letters instead.
    pub dead_lettered: u64,
}

/// Moves the queue's head into `worker_id`'s processing list, numbering messages without
/// `seq` and dead-lettering those over [`MAX_MESSAGE_BYTES`] (see [`scripts::TAKE`]).
pub async fn take<C>(conn: &mut C, worker_id: &str, limits: TakeLimits) -> RedisResult<Taken>
where
    C: ConnectionLike + Send,
{
    let (messages, dead_lettered) = TAKE
        .key(QUEUE)
        .key(processing_key(worker_id))
        .key(DEAD_LETTERS)
        .key(VOTE_SEQ_KEY)
        .arg(limits.messages)
        .arg(limits.batch_bytes)
        .arg(MAX_MESSAGE_BYTES)
        .arg(limits.scan_bytes)
        .arg(Rejection::TooLarge.to_string())
        .arg(SHOWN_BYTES)
        .invoke_async(conn)
        .await?;
    Ok(Taken {
        messages,
        dead_lettered,
    })
}

/// After the commit: records the dead letters and empties `worker_id`'s processing list,
/// atomically, and only if the list is still there. False when it was not: another worker
/// recovered the batch, or an earlier try of this ack ran but its answer was lost.
pub async fn ack<C>(conn: &mut C, worker_id: &str, dead: &[DeadLetter]) -> RedisResult<bool>
where
    C: ConnectionLike + Send,
{
    let letters: Vec<String> = dead.iter().map(DeadLetter::to_json).collect();
    ACK.key(processing_key(worker_id))
        .key(DEAD_LETTERS)
        .arg(letters)
        .invoke_async(conn)
        .await
}

/// Puts `worker_id`'s processing list back at the head of the queue. Returns how many messages
/// moved.
pub async fn hand_back<C>(conn: &mut C, worker_id: &str) -> RedisResult<i64>
where
    C: ConnectionLike + Send,
{
    RETURN_TO_QUEUE
        .key(processing_key(worker_id))
        .key(QUEUE)
        .invoke_async(conn)
        .await
}

/// Puts the processing list of `owner` back at the head of the queue unless its heartbeat is
/// there. Returns how many messages moved, `None` when the owner is alive.
pub async fn recover<C>(conn: &mut C, owner: &str) -> RedisResult<Option<i64>>
where
    C: ConnectionLike + Send,
{
    let moved: i64 = RETURN_TO_QUEUE
        .key(processing_key(owner))
        .key(QUEUE)
        .key(heartbeat_key(owner))
        .invoke_async(conn)
        .await?;
    Ok((moved >= 0).then_some(moved))
}

/// Votes not committed yet: in the queue or in any worker's processing list, counted in one
/// script (see [`scripts::NOT_YET_COMMITTED`]).
pub async fn not_yet_committed<C>(conn: &mut C) -> RedisResult<u64>
where
    C: ConnectionLike + Send,
{
    NOT_YET_COMMITTED
        .key(QUEUE)
        .arg(processing_pattern())
        .invoke_async(conn)
        .await
}

/// Messages waiting in the queue, not taken by any worker yet (`LLEN`): what the vote app
/// reports as its queue depth.
pub async fn depth<C>(conn: &mut C) -> RedisResult<u64>
where
    C: ConnectionLike + Send,
{
    redis::cmd("LLEN").arg(QUEUE).query_async(conn).await
}
