//! The original vote app's messages (no `seq`) with several workers: each voter's last vote
//! wins, though batches commit in any order and a dead worker's batch comes back late.

mod common;

use std::time::Duration;

use common::process::spawn_worker;
use common::*;
use redis::AsyncCommands;
use test_servers::{RedisServer, database, send_signal, wait_until};

const VOTERS: usize = 300;
/// Voters vote in groups, each group all its rounds in a row, so one voter's votes are a
/// batch or two apart in the queue: in the hands of different workers at the same time.
const GROUP: usize = 10;
const ROUNDS: usize = 6;
const BATCH_SIZE: &str = "5";
const DRAINED_WITHIN: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_workers_apply_each_original_app_voters_last_vote() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let mut messages = Vec::new();
    let mut expected = std::collections::HashMap::new();
    for group in 0..VOTERS / GROUP {
        for round in 0..ROUNDS {
            for member in 0..GROUP {
                let voter = format!("voter{}", group * GROUP + member);
                let vote = if (round + member) % 2 == 0 { "a" } else { "b" };
                messages.push(message(&voter, vote, None));
                expected.insert(voter, vote.to_owned());
            }
        }
    }
    push(&redis, &messages).await;

    // A worker killed while holding a batch: the others recover it once its heartbeat expires.
    let ghost_list = kit::queue::processing_key("ghost");
    let mut ghost = spawn_worker(
        &redis,
        &db.url(),
        &[("WORKER_ID", "ghost"), ("BATCH_SIZE", BATCH_SIZE)],
    );
    wait_until(DRAINED_WITHIN, || async {
        let mut conn = redis.client().await;
        conn.llen::<_, usize>(&ghost_list).await.expect("LLEN") > 0
    })
    .await;
    send_signal(ghost.child(), "KILL");
    ghost.child().wait().expect("reap");

    let config = config(&redis.url(), &db.url(), &[("BATCH_SIZE", BATCH_SIZE)]);
    let workers: Vec<RunningWorker> = (0..3).map(|_| RunningWorker::start(&config)).collect();
    wait_drained(&redis, DRAINED_WITHIN).await;
    for worker in workers {
        worker.stop().await;
    }

    let rows = table(&db.client().await).await;
    let wrong: Vec<_> = expected
        .iter()
        .filter(|(voter, vote)| rows.get(*voter).map(|row| &row.0) != Some(vote))
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {VOTERS} voters ended with an earlier vote, e.g. {:?}",
        wrong.len(),
        wrong.iter().take(5).collect::<Vec<_>>()
    );
}
