//! Appending a vote to the Redis list `votes`.
//!
//! Each message carries `seq`, taken from Redis's clock in microseconds and forced to grow by
//! at least one per vote, in the same script as the RPUSH. So the order of `seq` is the order
//! of the queue, whichever vote app replica pushed, and it keeps growing when Redis is
//! re-created empty (a counter would restart at 1 and make new votes look older than the
//! rows already in PostgreSQL).

use kit::vote::{Choice, QUEUE};

/// Where the last `seq` handed out is kept.
pub const VOTE_SEQ_KEY: &str = "votes:seq";

const ENQUEUE: &str = r"
local now = redis.call('TIME')
local seq = tonumber(now[1]) * 1000000 + tonumber(now[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if seq <= last then seq = last + 1 end
local text = string.format('%.0f', seq)
redis.call('SET', KEYS[2], text)
redis.call('RPUSH', KEYS[1], ARGV[1] .. text .. '}')
return seq
";

pub fn enqueue_script() -> redis::Script {
    redis::Script::new(ENQUEUE)
}

/// Appends the vote; returns its `seq`.
pub async fn enqueue(
    script: &redis::Script,
    conn: &mut impl redis::aio::ConnectionLike,
    voter_id: &str,
    choice: Choice,
) -> redis::RedisResult<i64> {
    let voter_id = serde_json::Value::from(voter_id).to_string();
    let head = format!(
        r#"{{"voter_id":{voter_id},"vote":"{}","seq":"#,
        choice.as_str()
    );
    // Lua numbers are doubles: exact for integers up to 2^53, centuries of microseconds away.
    script
        .key(QUEUE)
        .key(VOTE_SEQ_KEY)
        .arg(head)
        .invoke_async(conn)
        .await
}
