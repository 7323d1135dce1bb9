//! End-to-end tests of the whole lab: the real services, wired in this process exactly as
//! their `main`s wire them, against real Redis and PostgreSQL servers from `test-servers`.
//!
//! - `tests/pipeline.rs`: vote → Redis → workers → PostgreSQL → result, over HTTP;
//! - `tests/browser.rs`: the pages in headless Chromium through chromedriver
//!   (`apt-get install chromium chromium-driver`); screenshots go to
//!   `target/e2e-screenshots/`;
//! - `tests/scripts.rs`: `scripts/run-local` stopped with Ctrl-C as a terminal sends it, and
//!   `bench/run`'s command line;
//! - `tests/docs.rs`: every variable a service reads is in its `--help` and the README.
//!
//! Run them with `cargo test -p e2e`.

use std::collections::HashMap;
use std::time::Duration;

use kit::config::Env;
use test_servers::{RedisServer, TestApp, TestDatabase, database, wait_until};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The whole lab in this process: counter, vote, `workers` workers and result, sharing one
/// Redis (as the counter's and the queue's) and one fresh database.
#[derive(Debug)]
pub struct Lab {
    pub redis: RedisServer,
    pub db: TestDatabase,
    pub counter: TestApp,
    pub vote: TestApp,
    pub result: TestApp,
    worker_config: worker::Config,
    stop: CancellationToken,
    workers: Vec<JoinHandle<()>>,
}

impl Lab {
    pub async fn start(workers: usize) -> Self {
        let redis = RedisServer::start().await;
        let db = database().await;
        let stop = CancellationToken::new();
        let env = Env::from_pairs([
            ("REDIS_URL", redis.url()),
            ("DATABASE_URL", db.url()),
            ("HEARTBEAT_TTL_MS", "1000".to_owned()),
            ("HOSTNAME", "e2e-host".to_owned()),
        ]);

        let counter_config = counter::Config::from_env(&env).expect("counter config");
        let counter = TestApp::serve(counter::app(counter::AppState::new(
            counter_config
                .redis
                .shared_connection()
                .expect("redis connection"),
        )))
        .await;

        let result_config = result::Config::from_env(&env).expect("result config");
        let (publish, scores) = watch::channel(result::Snapshot::UNKNOWN);
        tokio::spawn(result::watch_scores(
            result_config.postgres,
            publish,
            stop.clone(),
        ));
        let result = TestApp::serve_until(
            result::app(result::AppState::new(
                scores,
                result_config.labels,
                stop.clone(),
            )),
            stop.clone(),
        )
        .await;

        let vote_env = Env::from_pairs([
            ("REDIS_URL", redis.url()),
            ("HOSTNAME", "e2e-host".to_owned()),
            ("RESULT_URL", result.url("/")),
        ]);
        let vote_config = vote::Config::from_env(&vote_env).expect("vote config");
        let vote = TestApp::serve(vote::app(vote::AppState::new(
            vote_config
                .redis
                .shared_connection()
                .expect("redis connection"),
            vote_config.page,
        )))
        .await;

        let mut lab = Self {
            redis,
            db,
            counter,
            vote,
            result,
            worker_config: worker::Config::from_env(&env).expect("worker config"),
            stop,
            workers: Vec::new(),
        };
        for _ in 0..workers {
            lab.start_worker();
        }
        lab
    }

    /// One more worker, with an id of its own.
    pub fn start_worker(&mut self) {
        let config = worker::Config {
            worker_id: format!("{}-{}", self.worker_config.worker_id, self.workers.len()),
            ..self.worker_config.clone()
        };
        let worker = worker::Worker::new(
            &config,
            config.redis.shared_connection().expect("redis connection"),
            config.postgres.pool(2).expect("pool"),
        );
        self.workers
            .push(tokio::spawn(worker::run(worker, self.stop.clone())));
    }

    /// The ballot's address, where votes are posted.
    pub fn vote_url(&self) -> String {
        self.vote.url("/")
    }

    /// Waits until a worker has created the schema.
    pub async fn schema_ready(&self) {
        let client = self.db.client().await;
        wait_until(Duration::from_secs(10), || async {
            client
                .query_one("SELECT to_regclass('votes') IS NOT NULL", &[])
                .await
                .is_ok_and(|row| row.get::<_, bool>(0))
        })
        .await;
    }

    /// `GET /api/results` of the result app.
    pub async fn scores(&self) -> serde_json::Value {
        reqwest::get(self.result.url("/api/results"))
            .await
            .expect("GET /api/results")
            .json()
            .await
            .expect("json")
    }

    /// The `votes` table: voter id to vote.
    pub async fn rows(&self) -> HashMap<String, String> {
        self.db
            .client()
            .await
            .query("SELECT id, vote FROM votes", &[])
            .await
            .expect("SELECT votes")
            .into_iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect()
    }

    /// Votes not committed yet: in the queue or in a worker's processing list.
    pub async fn pending(&self) -> usize {
        let mut conn = self.redis.client().await;
        let count = kit::queue::not_yet_committed(&mut conn)
            .await
            .expect("count the votes not yet committed");
        usize::try_from(count).expect("a count fits in usize")
    }

    /// Stops the workers and the result's streams, and waits for the workers to finish.
    pub async fn stop(self) {
        self.stop.cancel();
        for worker in self.workers {
            tokio::time::timeout(Duration::from_secs(5), worker)
                .await
                .expect("worker stops within 5 s")
                .expect("worker task");
        }
    }
}
