//! Messages far over the size limit: set aside inside Redis, once each, without stalling the
//! queue.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use kit::queue::{DEAD_LETTERS, QUEUE};
use redis::AsyncCommands;
use test_servers::{RedisServer, database, wait_until};

const BIG_BYTES: usize = 1 << 20;
const BIG_PER_RUN: usize = 100;
/// The issue asks for "within seconds"; this leaves room for a busy machine.
const GOOD_VOTES_APPLIED_WITHIN: Duration = Duration::from_secs(30);

fn big(n: usize) -> String {
    let pad = "x".repeat(BIG_BYTES);
    format!(r#"{{"voter_id":"big{n:03}","vote":"a","pad":"{pad}"}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_one_megabyte_messages_in_a_row_are_dead_lettered_once_and_the_votes_around_them_apply()
 {
    let redis = RedisServer::start().await;
    let db = database().await;
    let mut good = Vec::new();
    let mut expected = Rows::new();
    let mut good_votes = |run: usize| -> Vec<String> {
        (0..10)
            .map(|n| {
                let voter = format!("good{run}-{n}");
                let vote = if n % 2 == 0 { "a" } else { "b" };
                good.push(voter.clone());
                expected.insert(voter.clone(), (vote.to_owned(), None));
                message(&voter, vote, None)
            })
            .collect()
    };
    let mut conn = redis.client().await;
    push(&redis, &good_votes(0)).await;
    for run in 0..2 {
        for chunk in (0..BIG_PER_RUN).collect::<Vec<_>>().chunks(10) {
            let messages: Vec<String> = chunk.iter().map(|n| big(run * BIG_PER_RUN + n)).collect();
            conn.rpush::<_, _, ()>(QUEUE, messages)
                .await
                .expect("RPUSH big messages");
        }
        push(&redis, &good_votes(run + 1)).await;
    }

    let started = Instant::now();
    let worker = RunningWorker::start_until_empty(&config(&redis.url(), &db.url(), &[]));
    let client = db.client().await;
    wait_until(GOOD_VOTES_APPLIED_WITHIN, || async {
        table_once_created(&client).await.len() == good.len()
    })
    .await;
    let took = started.elapsed();
    eprintln!("the last good vote was applied {took:?} after the worker started");
    worker.finished(GOOD_VOTES_APPLIED_WITHIN).await;

    let rows = table(&client).await;
    for (voter, (vote, _)) in &expected {
        assert_eq!(&rows[voter].0, vote, "{voter}");
    }
    let dead: Vec<String> = conn.lrange(DEAD_LETTERS, 0, -1).await.expect("LRANGE");
    assert_eq!(dead.len(), 2 * BIG_PER_RUN);
    let mut voters = HashSet::new();
    for letter in &dead {
        assert!(
            letter.len() < 1024,
            "a dead letter keeps a summary: {letter}"
        );
        let letter: serde_json::Value = serde_json::from_str(letter).expect("JSON");
        assert!(
            letter["reason"]
                .as_str()
                .expect("reason")
                .contains("larger than"),
            "{letter}"
        );
        assert!(letter["bytes"].as_u64().expect("bytes") > BIG_BYTES as u64);
        let shown = letter["message"].as_str().expect("message");
        voters.insert(shown[..20].to_owned());
    }
    assert_eq!(voters.len(), 2 * BIG_PER_RUN, "each big message once");
}
