//! The worker under failure: kill -9 at any instant, Redis and PostgreSQL restarts, SIGTERM.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::process::{BIN, spawn_worker};
use common::*;
use test_servers::http::get_text;
use test_servers::{
    PostgresServer, RedisServer, STARTUP_BUDGET, assert_config_error, database, send_signal,
    wait_until,
};

#[test]
fn a_bad_variable_exits_2_naming_it() {
    for (var, value) in [
        ("BATCH_SIZE", "0"),
        ("HEARTBEAT_TTL_MS", "5"),
        ("PGPORT", "x"),
        ("WORKER_ID", "a b"),
        ("REDIS_URL", "http://x"),
    ] {
        assert_config_error(BIN, var, value);
    }
}

/// 10,000 voters vote five times each: 50,000 messages, each voter's last one wins.
fn fifty_thousand_votes() -> (Vec<String>, Rows) {
    let mut messages = Vec::with_capacity(50_000);
    let mut last = HashMap::new();
    let mut seq = 1_000_000;
    for round in 0..5 {
        for voter in 0..10_000 {
            seq += 1;
            let vote = if (voter * 7 + round * 3) % 5 < 2 {
                "a"
            } else {
                "b"
            };
            let id = format!("voter-{voter:05}");
            messages.push(message(&id, vote, Some(seq)));
            last.insert(id, (vote.to_owned(), Some(seq)));
        }
    }
    (messages, last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_any_instant_loses_nothing_and_applies_nothing_out_of_order() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let (messages, expected) = fifty_thousand_votes();
    push(&redis, &messages).await;

    let mut kills = 0;
    let mut rng_state: u64 = 0x9e37_79b9_7f4a_7c15;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let mut worker = spawn_worker(&redis, &db.url(), &[]);
        // Kill after a pseudo-random 20-220 ms: early, mid-batch, between commit and ack.
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        tokio::time::sleep(Duration::from_millis(20 + rng_state % 200)).await;
        send_signal(worker.child(), "KILL");
        worker.child().wait().expect("reap");
        kills += 1;
        if kills >= 12 || pending(&redis).await == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "too slow");
    }

    // One last worker finishes, recovering the batches the killed ones left behind.
    let mut last = spawn_worker(&redis, &db.url(), &[]);
    wait_drained(&redis, Duration::from_secs(60)).await;
    let (status, _) = last.stop_with("TERM", STOP_WITHIN).await;
    assert!(status.success(), "{status:?}");

    let client = db.client().await;
    let rows = table(&client).await;
    assert!(kills >= 3, "only {kills} kills happened");
    assert_eq!(rows.len(), expected.len());
    let wrong: Vec<_> = expected
        .iter()
        .filter(|(id, want)| rows.get(*id) != Some(want))
        .take(5)
        .collect();
    assert!(
        wrong.is_empty(),
        "after {kills} kills, rows differ, e.g. {wrong:?}"
    );
    assert_eq!(tally(&client).await, original_counts(&client).await);
}

#[tokio::test]
async fn sigterm_exits_0_within_2_seconds_and_healthcheck_follows_the_process() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let mut worker = spawn_worker(&redis, &db.url(), &[]);
    wait_until(STARTUP_BUDGET, || async { worker.healthy() }).await;
    let ready = reqwest::get(worker.url("/readyz")).await.expect("readyz");
    assert_eq!(ready.status(), 200);
    let metrics = get_text(&worker.url("/metrics")).await;
    assert!(metrics.contains("worker_messages_taken_total"), "{metrics}");

    let (status, took) = worker.stop_with("TERM", STOP_WITHIN).await;
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert!(!worker.healthy());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_mid_run_loses_nothing() {
    let mut redis = RedisServer::start_persistent().await;
    let db = database().await;
    let worker = RunningWorker::start(&config(&redis.url(), &db.url(), &[("BATCH_SIZE", "100")]));
    let (messages, expected) = fifty_thousand_votes();
    let (first, second) = messages.split_at(25_000);
    push(&redis, first).await;
    redis.kill().await;
    tokio::time::sleep(Duration::from_millis(500)).await; // an outage the worker must ride out
    redis.start_again().await;
    push(&redis, second).await;
    wait_drained(&redis, Duration::from_secs(60)).await;
    // The worker is still running after the outage, and still takes new votes.
    push(&redis, &[message("late", "a", None)]).await;
    wait_drained(&redis, Duration::from_secs(10)).await;
    worker.stop().await;

    let rows = table(&db.client().await).await;
    assert_eq!(rows.len(), expected.len() + 1);
    assert!(expected.iter().all(|(id, want)| rows.get(id) == Some(want)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_mid_run_loses_nothing() {
    let redis = RedisServer::start().await;
    let mut postgres = PostgresServer::start().await;
    let db = postgres.create_database().await;
    let worker = RunningWorker::start(&config(&redis.url(), &db.url(), &[("BATCH_SIZE", "200")]));
    let (messages, expected) = fifty_thousand_votes();
    push(&redis, &messages[..10_000]).await;
    wait_drained(&redis, Duration::from_secs(30)).await;

    postgres.kill().await;
    push(&redis, &messages[10_000..]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await; // votes wait in Redis meanwhile
    assert!(
        pending(&redis).await > 0,
        "nothing can be applied while PostgreSQL is down"
    );
    postgres.start_again().await;
    wait_drained(&redis, Duration::from_secs(60)).await;
    worker.stop().await;

    let client = db.client().await;
    let rows = table(&client).await;
    assert_eq!(rows.len(), expected.len());
    assert!(expected.iter().all(|(id, want)| rows.get(id) == Some(want)));
    assert_eq!(tally(&client).await, original_counts(&client).await);
}

#[tokio::test]
async fn stopping_while_postgres_is_down_hands_the_batch_back() {
    let redis = RedisServer::start().await;
    let mut postgres = PostgresServer::start().await;
    let db = postgres.create_database().await;
    let worker = RunningWorker::start(&config(&redis.url(), &db.url(), &[]));
    push(&redis, &[message("first", "a", Some(1))]).await;
    wait_drained(&redis, Duration::from_secs(10)).await;

    postgres.kill().await;
    push(
        &redis,
        &[message("v1", "a", Some(2)), message("v2", "b", Some(3))],
    )
    .await;
    // Wait until the worker holds the batch in its processing list, retrying PostgreSQL.
    wait_taken(&redis, Duration::from_secs(10)).await;
    let stopping = Instant::now();
    worker.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "took {:?}",
        stopping.elapsed()
    );

    let queue = queued(&redis).await;
    assert_eq!(
        queue,
        vec![message("v1", "a", Some(2)), message("v2", "b", Some(3))],
        "back, in order"
    );
    assert_eq!(pending(&redis).await, 2, "and nowhere else");
}

/// What the issue allows for SIGTERM to exit, whatever the worker is doing.
const STOP_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn sigterm_ends_the_worker_within_5_seconds_while_its_commit_waits_on_a_lock() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let mut worker = spawn_worker(&redis, &db.url(), &[]);
    push(&redis, &[message("first", "a", Some(1))]).await;
    let locker = db.client().await;
    wait_until(Duration::from_secs(10), || async {
        table_once_created(&locker).await.contains_key("first")
    })
    .await;

    locker
        .batch_execute("BEGIN; LOCK TABLE votes IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock the votes table");
    let stuck = message("stuck", "b", Some(2));
    push(&redis, std::slice::from_ref(&stuck)).await;
    wait_taken(&redis, Duration::from_secs(10)).await;

    let (status, took) = worker.stop_with("TERM", STOP_WITHIN).await;
    assert!(status.success(), "{status:?}");
    eprintln!("stopped {took:?} after SIGTERM, its commit waiting on a lock");
    let queue = queued(&redis).await;
    assert_eq!(queue, vec![stuck], "the vote is back in the queue");
    locker.batch_execute("ROLLBACK").await.expect("unlock");
}
