//! The worker against real Redis and PostgreSQL: formats, poison, ordering, several workers.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use kit::queue::{DEAD_LETTERS, VOTE_SEQ_KEY};
use redis::AsyncCommands;
use test_servers::{RedisServer, database, query_value};

/// Time for a worker to empty a test's queue and stop, with room for a busy machine.
const EMPTIED_WITHIN: Duration = Duration::from_secs(60);

#[tokio::test]
async fn applies_the_original_vote_apps_message_byte_for_byte() {
    let redis = RedisServer::start().await;
    let db = database().await;
    push(
        &redis,
        &[r#"{"voter_id": "3f9c0a1b2c3d4e5", "vote": "a"}"#.to_owned()],
    )
    .await;
    RunningWorker::start_until_empty(&config(&redis.url(), &db.url(), &[]))
        .finished(EMPTIED_WITHIN)
        .await;

    let client = db.client().await;
    let rows = table(&client).await;
    let (vote, seq) = &rows["3f9c0a1b2c3d4e5"];
    assert_eq!(vote, "a");
    assert!(
        seq.is_some(),
        "numbered when taken, to keep the order of several workers"
    );
    assert_eq!(
        original_counts(&client).await,
        HashMap::from([("a".to_owned(), 1)])
    );
}

#[tokio::test]
async fn with_exit_when_empty_the_worker_stops_by_itself_once_the_queue_is_empty_and_leaves_nothing_behind()
 {
    let redis = RedisServer::start().await;
    let db = database().await;
    let mut messages: Vec<String> = (0..500)
        .map(|n| {
            let vote = if n % 2 == 0 { "a" } else { "b" };
            let seq = (n % 3 != 0).then_some(n + 1);
            message(&format!("v{n}"), vote, seq)
        })
        .collect();
    messages.push("not json".to_owned());
    push(&redis, &messages).await;
    let config = config(
        &redis.url(),
        &db.url(),
        &[("BATCH_SIZE", "50"), ("EXIT_WHEN_EMPTY", "true")],
    );
    // Its stop token is never cancelled: only the empty queue ends it.
    RunningWorker::start(&config).finished(EMPTIED_WITHIN).await;

    assert_eq!(pending(&redis).await, 0);
    let mut keys: Vec<String> = redis.client().await.keys("*").await.expect("KEYS");
    keys.sort_unstable();
    assert_eq!(
        keys,
        [DEAD_LETTERS, VOTE_SEQ_KEY],
        "no processing list, no heartbeat"
    );
    assert_eq!(table(&db.client().await).await.len(), 500);
}

#[tokio::test]
async fn poison_goes_to_the_dead_letter_list_and_the_good_votes_around_it_apply() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let worker = RunningWorker::start(&config(&redis.url(), &db.url(), &[]));
    let poison = [
        "not json".to_owned(),
        r#"{"vote": "a"}"#.to_owned(),
        r#"{"voter_id": "", "vote": "a"}"#.to_owned(),
        format!(r#"{{"voter_id": "{}", "vote": "a"}}"#, "x".repeat(256)),
        r#"{"voter_id": "v", "vote": "c"}"#.to_owned(),
        r#"{"voter_id": "nul\u0000", "vote": "a"}"#.to_owned(),
        format!(
            r#"{{"voter_id": "v", "vote": "a", "pad": "{}"}}"#,
            "x".repeat(1 << 20)
        ),
    ];
    let mut messages = vec![message("good1", "a", None)];
    messages.extend(poison.iter().cloned());
    messages.push(message("good2", "b", Some(5)));
    push(&redis, &messages).await;
    wait_drained(&redis, Duration::from_secs(10)).await;

    let client = db.client().await;
    let rows = table(&client).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows["good1"].0, "a");
    assert_eq!(rows["good2"].0, "b");

    let mut conn = redis.client().await;
    let dead: Vec<String> = conn.lrange(DEAD_LETTERS, 0, -1).await.expect("LRANGE");
    assert_eq!(dead.len(), poison.len());
    let reasons: Vec<String> = dead
        .iter()
        .map(|d| {
            serde_json::from_str::<serde_json::Value>(d).expect("json")["reason"]
                .as_str()
                .expect("reason")
                .to_owned()
        })
        .collect();
    for expected in [
        "not a JSON object",
        "voter_id is missing",
        "voter_id is empty",
        "longer than 255",
        "vote is missing or not",
        "NUL",
        "larger than",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "{expected:?} not in {reasons:?}"
        );
    }

    // Still alive and working after all that.
    push(&redis, &[message("good3", "a", None)]).await;
    wait_drained(&redis, Duration::from_secs(10)).await;
    assert_eq!(table(&client).await.len(), 3);
    worker.stop().await;
}

#[tokio::test]
async fn the_newest_seq_wins_whatever_the_order_of_arrival_and_replays_change_nothing() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let config = config(&redis.url(), &db.url(), &[("BATCH_SIZE", "3")]);
    // Out of order across batches of 3, as after a crash recovery; then a replay of old votes.
    let messages = vec![
        message("v1", "b", Some(30)),
        message("v2", "a", Some(11)),
        message("v3", "b", Some(12)),
        message("v1", "a", Some(10)),
        message("v2", "b", Some(5)),
        message("v1", "a", Some(20)),
        message("v3", "b", Some(12)),
    ];
    push(&redis, &messages).await;
    RunningWorker::start_until_empty(&config)
        .finished(EMPTIED_WITHIN)
        .await;
    let client = db.client().await;
    let rows = table(&client).await;
    assert_eq!(rows["v1"], ("b".to_owned(), Some(30)));
    assert_eq!(rows["v2"], ("a".to_owned(), Some(11)));
    assert_eq!(rows["v3"], ("b".to_owned(), Some(12)));
    assert_eq!(tally(&client).await, original_counts(&client).await);
}

#[tokio::test]
async fn without_seq_the_later_vote_in_the_queue_wins() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let messages: Vec<String> = ["a", "b", "a", "b", "b", "a", "b"]
        .iter()
        .map(|v| message("orig", v, None))
        .collect();
    push(&redis, &messages).await;
    RunningWorker::start_until_empty(&config(&redis.url(), &db.url(), &[("BATCH_SIZE", "2")]))
        .finished(EMPTIED_WITHIN)
        .await;
    assert_eq!(table(&db.client().await).await["orig"].0, "b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_workers_drain_one_queue_and_the_last_vote_of_each_voter_wins() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let config = config(&redis.url(), &db.url(), &[("BATCH_SIZE", "50")]);
    let mut expected = HashMap::new();
    let mut messages = Vec::new();
    let mut seq = 1_000;
    for round in 0..50 {
        for voter in 0..200 {
            seq += 1;
            let vote = if (round + voter) % 3 == 0 { "a" } else { "b" };
            messages.push(message(&format!("voter{voter}"), vote, Some(seq)));
            expected.insert(format!("voter{voter}"), (vote.to_owned(), Some(seq)));
        }
    }
    push(&redis, &messages).await;
    let workers: Vec<RunningWorker> = (0..3)
        .map(|_| RunningWorker::start_until_empty(&config))
        .collect();
    for worker in workers {
        worker.finished(EMPTIED_WITHIN).await;
    }
    let client = db.client().await;
    assert_eq!(table(&client).await, expected);
    assert_eq!(tally(&client).await, original_counts(&client).await);
}

#[tokio::test]
async fn migrations_race_safely_when_workers_start_together() {
    let db = database().await;
    let migrations = (0..6).map(|_| {
        let url = db.url();
        tokio::spawn(async move {
            let (mut client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .expect("connect");
            tokio::spawn(connection);
            kit::schema::migrate(&mut client).await
        })
    });
    for result in futures_util::future::join_all(migrations).await {
        result.expect("task").expect("migration");
    }
    let query = "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'vote_tally_%'";
    let triggers: i64 = query_value(&db.client().await, query, &[]).await;
    assert_eq!(triggers, 4);
}

#[tokio::test]
async fn takes_over_a_table_written_by_the_original_worker() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let client = db.client().await;
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS votes (id VARCHAR(255) NOT NULL UNIQUE, vote VARCHAR(255) NOT NULL);
             INSERT INTO votes (id, vote) VALUES ('o1', 'a'), ('o2', 'a'), ('o3', 'b');",
        )
        .await
        .expect("original schema and rows");
    push(
        &redis,
        &[message("o3", "a", Some(7)), message("n1", "b", Some(8))],
    )
    .await;
    RunningWorker::start_until_empty(&config(&redis.url(), &db.url(), &[]))
        .finished(EMPTIED_WITHIN)
        .await;

    // The original worker keeps writing its way, next to ours: the tally follows it too.
    client
        .batch_execute("INSERT INTO votes (id, vote) VALUES ('o4', 'b'); UPDATE votes SET vote = 'b' WHERE id = 'o1';")
        .await
        .expect("original worker's statements");
    let counts = original_counts(&client).await;
    assert_eq!(
        counts,
        HashMap::from([("a".to_owned(), 2), ("b".to_owned(), 3)])
    );
    assert_eq!(tally(&client).await, counts);
    client
        .batch_execute("TRUNCATE votes")
        .await
        .expect("truncate");
    assert!(
        tally(&client).await.is_empty(),
        "a reset table resets the tally"
    );
}

#[tokio::test]
async fn a_database_recreated_empty_under_a_running_worker_gets_its_tables_back() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let worker = RunningWorker::start(&config(&redis.url(), &db.url(), &[]));
    push(&redis, &[message("before", "a", Some(1))]).await;
    wait_drained(&redis, Duration::from_secs(10)).await;

    // What `docker rm -f db` without a volume does to the worker's world.
    let client = db.client().await;
    client
        .batch_execute("DROP TABLE votes; DROP TABLE vote_tally;")
        .await
        .expect("drop");
    push(&redis, &[message("after", "b", Some(2))]).await;
    wait_drained(&redis, Duration::from_secs(10)).await;
    worker.stop().await;

    let rows = table(&client).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows["after"].0, "b");
    assert_eq!(tally(&client).await, original_counts(&client).await);
}

#[tokio::test]
async fn a_worker_restarted_under_the_same_id_first_returns_what_its_last_run_left() {
    let redis = RedisServer::start().await;
    let db = database().await;
    // A run of worker "w1" crashed holding three votes it had not committed.
    let left: Vec<String> = (1..=3)
        .map(|n| format!(r#"{{"voter_id":"left{n}","vote":"a","seq":{n}}}"#))
        .collect();
    let mut conn = redis.client().await;
    conn.rpush::<_, _, ()>(kit::queue::processing_key("w1"), &left)
        .await
        .expect("RPUSH");
    push(
        &redis,
        &[
            r#"{"voter_id":"new1","vote":"b","seq":10}"#.to_owned(),
            r#"{"voter_id":"new2","vote":"b","seq":11}"#.to_owned(),
        ],
    )
    .await;

    RunningWorker::start_until_empty(&config(&redis.url(), &db.url(), &[("WORKER_ID", "w1")]))
        .finished(EMPTIED_WITHIN)
        .await;

    let rows = table(&db.client().await).await;
    let mut voters: Vec<&str> = rows.keys().map(String::as_str).collect();
    voters.sort_unstable();
    assert_eq!(voters, ["left1", "left2", "left3", "new1", "new2"]);
}
