//! A lab in this process for the load generator to load: the real vote app, workers and (when
//! asked) result app, on loopback sockets, with a Redis and a database of the test's own.

#![allow(dead_code)] // Each test file uses its own part of the lab.

use std::time::Duration;

use clap::Parser;
use kit::config::Env;
use loadgen::cli::Cli;
use loadgen::commands::Report;
use test_servers::{RedisServer, TestApp, TestDatabase, database, wait_until};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct Lab {
    pub redis: RedisServer,
    pub db: TestDatabase,
    pub vote: TestApp,
    env: Env,
    stop: CancellationToken,
    workers: Vec<JoinHandle<()>>,
}

impl Lab {
    pub async fn start(workers: usize) -> Self {
        let redis = RedisServer::start().await;
        let db = database().await;
        let env = Env::from_pairs([
            ("REDIS_URL", redis.url()),
            ("DATABASE_URL", db.url()),
            ("HEARTBEAT_TTL_MS", "1000".to_owned()),
        ]);
        let vote_config = vote::Config::from_env(&env).expect("vote config");
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
            vote,
            env,
            stop: CancellationToken::new(),
            workers: Vec::new(),
        };
        for _ in 0..workers {
            lab.start_worker();
        }
        lab
    }

    pub fn start_worker(&mut self) {
        let config = worker::Config::from_env(&self.env).expect("worker config");
        let config = worker::Config {
            worker_id: format!("loadgen-test-{}", self.workers.len()),
            ..config
        };
        let w = worker::Worker::new(
            &config,
            config.redis.shared_connection().expect("redis connection"),
            config.postgres.pool(2).expect("pool"),
        );
        self.workers
            .push(tokio::spawn(worker::run(w, self.stop.clone())));
    }

    /// The result app, for the vote-to-screen measurement.
    pub async fn result(&self) -> TestApp {
        let config = result::Config::from_env(&self.env).expect("result config");
        let (publish, scores) = watch::channel(result::Snapshot::UNKNOWN);
        tokio::spawn(result::watch_scores(
            config.postgres,
            publish,
            self.stop.clone(),
        ));
        TestApp::serve_until(
            result::app(result::AppState::new(
                scores,
                config.labels,
                self.stop.clone(),
            )),
            self.stop.clone(),
        )
        .await
    }

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

    pub async fn rows(&self) -> i64 {
        self.db
            .client()
            .await
            .query_one("SELECT count(*) FROM votes", &[])
            .await
            .expect("count")
            .get(0)
    }

    pub async fn stop(self) {
        self.stop.cancel();
        for worker in self.workers {
            tokio::time::timeout(Duration::from_secs(10), worker)
                .await
                .expect("worker stops")
                .expect("worker task");
        }
    }
}

/// Runs `loadgen ARGS...` in this process, as the binary would, and returns its report.
pub async fn loadgen(args: &[&str]) -> Report {
    let cli = Cli::try_parse_from(std::iter::once("loadgen").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("bad arguments {args:?}: {e}"));
    loadgen::commands::run(cli.command)
        .await
        .unwrap_or_else(|e| panic!("loadgen {args:?} failed to run: {e:#}"))
}
