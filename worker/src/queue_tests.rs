//! The queue's scripts against a real Redis: acknowledging exactly once, and recovering a
//! batch only from a worker that stays silent.

use std::time::Duration;

use kit::queue::{DEAD_LETTERS, QUEUE, heartbeat_key, processing_key};
use kit::redis_client::RedisSettings;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use test_servers::RedisServer;
use tokio::time::Instant;

use crate::apply;
use crate::housekeeping::recover_orphans;
use crate::orphans::MissingOwners;
use crate::queue::Queue;

const TTL: Duration = Duration::from_millis(400);

fn queue(redis: &RedisServer, id: &str) -> Queue {
    let settings = RedisSettings::from_url(&redis.url()).expect("redis url");
    let shared = settings.shared_connection().expect("redis connection");
    Queue::new(settings, shared, id)
}

/// A Redis whose vote queue holds `messages`, and the queues of two workers on it.
struct Workers {
    redis: RedisServer,
    owner: Queue,
    other: Queue,
    conn: MultiplexedConnection,
}

impl Workers {
    async fn with_queued(messages: &[&str]) -> Self {
        let redis = RedisServer::start().await;
        let mut conn = redis.client().await;
        conn.rpush::<_, _, ()>(QUEUE, messages)
            .await
            .expect("RPUSH");
        Self {
            owner: queue(&redis, "owner"),
            other: queue(&redis, "other"),
            redis,
            conn,
        }
    }
}

async fn dead_letters(redis: &RedisServer) -> Vec<String> {
    let mut conn = redis.client().await;
    conn.lrange(DEAD_LETTERS, 0, -1).await.expect("LRANGE")
}

/// Takes, "commits" and acknowledges one batch; returns whether the ack found its list.
async fn handle_one_batch(queue: &Queue) -> bool {
    let taken = queue.take(10).await.expect("take");
    let plan = apply::plan(taken.messages);
    queue.ack(&plan.dead).await.expect("ack")
}

#[tokio::test]
async fn a_batch_recovered_between_commit_and_ack_is_dead_lettered_once() {
    let Workers {
        redis,
        owner,
        other,
        ..
    } = Workers::with_queued(&["not json", r#"{"voter_id":"v","vote":"a"}"#]).await;

    let taken = owner.take(10).await.expect("take");
    assert_eq!(taken.messages.len(), 2);
    let plan = apply::plan(taken.messages);
    // The owner is committing; its heartbeat is gone (a Redis stall) and another worker
    // recovers its list, twice half a TTL apart, as it would.
    let mut missing = MissingOwners::new(Duration::ZERO);
    assert_eq!(
        recover_orphans(&other, &mut missing)
            .await
            .expect("recover"),
        2
    );
    let acknowledged = owner.ack(&plan.dead).await.expect("ack");
    assert!(handle_one_batch(&other).await);
    assert_eq!(dead_letters(&redis).await.len(), 1);
    assert!(
        !acknowledged,
        "the list was recovered: nothing to acknowledge"
    );
}

#[tokio::test]
async fn an_ack_retried_after_its_answer_was_lost_adds_nothing() {
    let Workers { redis, owner, .. } = Workers::with_queued(&["not json"]).await;
    let plan = apply::plan(owner.take(10).await.expect("take").messages);
    assert!(owner.ack(&plan.dead).await.expect("ack"));
    let retried = owner.ack(&plan.dead).await.expect("retried ack");
    assert_eq!(dead_letters(&redis).await.len(), 1);
    assert!(!retried);
}

#[tokio::test]
async fn a_heartbeat_missing_once_then_back_is_not_recovered() {
    let Workers {
        redis: _running,
        owner,
        other,
        mut conn,
    } = Workers::with_queued(&[r#"{"voter_id":"v","vote":"a"}"#]).await;
    owner.take(10).await.expect("take");
    let mut missing = MissingOwners::new(TTL);

    // A stall expired the owner's heartbeat: seen missing, not recovered yet.
    assert_eq!(
        recover_orphans(&other, &mut missing)
            .await
            .expect("recover"),
        0
    );
    // The owner beats again before the grace is over: it is forgiven.
    owner.beat(TTL).await.expect("beat");
    assert_eq!(
        recover_orphans(&other, &mut missing)
            .await
            .expect("recover"),
        0
    );
    conn.del::<_, ()>(heartbeat_key("owner"))
        .await
        .expect("DEL");

    // Now it stays silent: recovered only after two sightings at least TTL/2 apart.
    let first_sighting = Instant::now();
    assert_eq!(
        recover_orphans(&other, &mut missing)
            .await
            .expect("recover"),
        0
    );
    loop {
        let moved = recover_orphans(&other, &mut missing)
            .await
            .expect("recover");
        if moved > 0 {
            assert_eq!(moved, 1);
            break;
        }
        assert!(first_sighting.elapsed() < 10 * TTL, "never recovered");
        tokio::task::yield_now().await;
    }
    assert!(first_sighting.elapsed() >= TTL / 2);
    let left: usize = conn.llen(processing_key("owner")).await.expect("LLEN");
    assert_eq!(left, 0);
}
