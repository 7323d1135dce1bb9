//! `/readyz` answers as in every other service: one line per backend that does not answer.

mod common;

use common::config;
use test_servers::{RedisServer, TestService, database, free_port};
use worker::Config;

async fn readyz(config: &Config) -> (u16, String) {
    let config = config.clone();
    let worker = TestService::start(|listener, shutdown| worker::start(config, listener, shutdown));
    let answer = reqwest::get(worker.url("/readyz")).await.expect("readyz");
    let status = answer.status().as_u16();
    (status, answer.text().await.expect("body"))
}

#[tokio::test]
async fn readyz_names_each_backend_that_does_not_answer_on_its_own_line() {
    let mut redis = RedisServer::start().await;
    let db = database().await;
    assert_eq!(
        readyz(&config(&redis.url(), &db.url(), &[])).await,
        (200, "ready\n".to_owned())
    );

    redis.kill().await;
    let no_postgres = format!(
        "postgres://{}:{}@127.0.0.1:{}/{}",
        db.user(),
        db.password(),
        free_port(),
        db.name()
    );
    assert_eq!(
        readyz(&config(&redis.url(), &no_postgres, &[])).await,
        (
            503,
            "Redis is not reachable.\nPostgreSQL is not reachable.\n".to_owned()
        )
    );
}
