//! What the worker's tests share: a worker wired to test servers, queue helpers, table reads.

#![allow(dead_code)]

pub mod process;

use std::collections::HashMap;
use std::time::Duration;

use kit::config::Env;
use kit::queue::QUEUE;
use redis::AsyncCommands;
use test_servers::{RedisServer, TestService, query_map, wait_until};
use worker::Config;

pub fn config(redis_url: &str, db_url: &str, extra: &[(&str, &str)]) -> Config {
    let pairs = [
        ("REDIS_URL", redis_url),
        ("DATABASE_URL", db_url),
        ("HEARTBEAT_TTL_MS", "1000"),
    ];
    let env = Env::from_pairs(pairs.into_iter().chain(extra.iter().copied()));
    Config::from_env(&env).expect("valid config")
}

/// A worker running in this process, started as its binary starts it; stopped when dropped.
pub struct RunningWorker(TestService);

impl RunningWorker {
    pub fn start(config: &Config) -> Self {
        let config = config.clone();
        Self(TestService::start(|listener, shutdown| {
            worker::start(config, listener, shutdown)
        }))
    }

    /// A worker that stops by itself once a take finds the queue empty (`EXIT_WHEN_EMPTY`).
    pub fn start_until_empty(config: &Config) -> Self {
        Self::start(&Config {
            exit_when_empty: true,
            ..config.clone()
        })
    }

    /// Waits for a worker started with [`Self::start_until_empty`] to empty the queue and stop
    /// by itself.
    pub async fn finished(self, within: Duration) {
        self.0.stopped_within(within).await;
    }

    pub async fn stop(self) {
        self.0.stop().await;
    }
}

pub async fn push(redis: &RedisServer, messages: &[String]) {
    let mut conn = redis.client().await;
    for chunk in messages.chunks(5000) {
        conn.rpush::<_, _, ()>(QUEUE, chunk).await.expect("RPUSH");
    }
}

pub fn message(voter: &str, vote: &str, seq: Option<i64>) -> String {
    match seq {
        Some(seq) => format!(r#"{{"voter_id":"{voter}","vote":"{vote}","seq":{seq}}}"#),
        None => format!(r#"{{"voter_id": "{voter}", "vote": "{vote}"}}"#),
    }
}

/// The messages waiting in the queue, head first.
pub async fn queued(redis: &RedisServer) -> Vec<String> {
    let mut conn = redis.client().await;
    conn.lrange(QUEUE, 0, -1).await.expect("LRANGE")
}

/// Waits until a worker has taken everything from the queue (into its processing list).
pub async fn wait_taken(redis: &RedisServer, within: Duration) {
    wait_until(within, || async {
        let mut conn = redis.client().await;
        conn.llen::<_, usize>(QUEUE).await.expect("LLEN") == 0
    })
    .await;
}

/// Votes still in Redis: the queue plus every worker's processing list.
pub async fn pending(redis: &RedisServer) -> u64 {
    redis.votes_not_yet_committed().await
}

pub async fn wait_drained(redis: &RedisServer, within: Duration) {
    wait_until(within, || async { pending(redis).await == 0 }).await;
}

/// `votes` as a map from voter to (vote, seq).
pub type Rows = HashMap<String, (String, Option<i64>)>;

pub async fn table(client: &tokio_postgres::Client) -> Rows {
    let rows = client
        .query("SELECT id, vote, seq FROM votes", &[])
        .await
        .expect("SELECT votes");
    rows_by_voter(rows)
}

/// `votes` as [`table`] reads it, empty while the worker has not created it yet.
pub async fn table_once_created(client: &tokio_postgres::Client) -> Rows {
    match client.query("SELECT id, vote, seq FROM votes", &[]).await {
        Ok(rows) => rows_by_voter(rows),
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE) => {
            Rows::new()
        }
        Err(e) => panic!("SELECT votes: {e:?}"),
    }
}

fn rows_by_voter(rows: Vec<tokio_postgres::Row>) -> Rows {
    rows.into_iter()
        .map(|row| (row.get(0), (row.get(1), row.get(2))))
        .collect()
}

/// The counts as the original result app reads them.
pub async fn original_counts(client: &tokio_postgres::Client) -> HashMap<String, i64> {
    query_map(
        client,
        "SELECT vote, COUNT(id) AS count FROM votes GROUP BY vote",
    )
    .await
}

pub async fn tally(client: &tokio_postgres::Client) -> HashMap<String, i64> {
    query_map(
        client,
        "SELECT vote, count FROM vote_tally WHERE count <> 0",
    )
    .await
}
