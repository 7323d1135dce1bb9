//! The whole lab in a test's process, for tests of the services together (`e2e`, `loadgen`):
//! each service started by its crate's own `start`, as its binary starts it, against real
//! Redis and PostgreSQL servers from `test-servers`.

use std::collections::HashMap;
use std::time::Duration;

use kit::config::Env;
use test_servers::results::{self, Results};
use test_servers::{RedisServer, TestDatabase, TestService, database, query_map, wait_until};

/// The whole lab in this process: counter, vote, `workers` workers and result, sharing one
/// Redis (as the counter's and the queue's) and one fresh database.
#[derive(Debug)]
pub struct Lab {
    pub redis: RedisServer,
    pub db: TestDatabase,
    pub counter: TestService,
    pub vote: TestService,
    pub result: TestService,
    worker_config: worker::Config,
    workers: Vec<TestService>,
}

impl Lab {
    pub async fn start(workers: usize) -> Self {
        let redis = RedisServer::start().await;
        let db = database().await;
        let env = Env::from_pairs([
            ("REDIS_URL", redis.url()),
            ("DATABASE_URL", db.url()),
            ("HEARTBEAT_TTL_MS", "1000".to_owned()),
            ("HOSTNAME", "e2e-host".to_owned()),
        ]);
        let config = counter::Config::from_env(&env).expect("counter config");
        let counter =
            TestService::start(|listener, shutdown| counter::start(config, listener, shutdown));
        let config = result::Config::from_env(&env).expect("result config");
        let result =
            TestService::start(|listener, shutdown| result::start(config, listener, shutdown));
        let vote_env = Env::from_pairs([
            ("REDIS_URL", redis.url()),
            ("HOSTNAME", "e2e-host".to_owned()),
            ("RESULT_URL", result.url("/")),
        ]);
        let config = vote::Config::from_env(&vote_env).expect("vote config");
        let vote = TestService::start(|listener, shutdown| vote::start(config, listener, shutdown));

        let mut lab = Self {
            redis,
            db,
            counter,
            vote,
            result,
            worker_config: worker::Config::from_env(&env).expect("worker config"),
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
        self.workers.push(TestService::start(|listener, shutdown| {
            worker::start(config, listener, shutdown)
        }));
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
    pub async fn scores(&self) -> Results {
        results::fetch(&reqwest::Client::new(), &self.result.url("/api/results")).await
    }

    /// The `votes` table: voter id to vote.
    pub async fn rows(&self) -> HashMap<String, String> {
        query_map(&self.db.client().await, "SELECT id, vote FROM votes").await
    }

    /// Votes not committed yet: in the queue or in a worker's processing list.
    pub async fn pending(&self) -> u64 {
        self.redis.votes_not_yet_committed().await
    }

    /// Stops the workers (each hands back what it has not committed) and the result app (its
    /// streams end), and waits for them.
    pub async fn stop(self) {
        for worker in self.workers {
            worker.stop().await;
        }
        self.result.stop().await;
    }
}

/// The counter alone, counting in the Redis at `redis_url`.
pub fn counter_on(redis_url: &str) -> TestService {
    let env = Env::from_pairs([("REDIS_URL", redis_url)]);
    let config = counter::Config::from_env(&env).expect("counter config");
    TestService::start(|listener, shutdown| counter::start(config, listener, shutdown))
}
