//! What the worker binary says on stderr: the causes of errors, and no noise.

mod common;

use std::time::Duration;

use common::process::spawn_worker;
use common::{message, push, table_once_created};
use test_servers::{RedisServer, database, send_signal, wait_until};

/// Generous for a start, a migration and one vote on a busy machine.
const WITHIN: Duration = Duration::from_secs(15);

async fn run_until_a_vote_is_applied(redis: &RedisServer, db_url: &str, voter: &str) -> String {
    let mut worker = spawn_worker(redis, db_url, &[]);
    push(redis, &[message(voter, "a", None)]).await;
    let db = tokio_postgres::connect(db_url, tokio_postgres::NoTls).await;
    let (client, connection) = db.expect("connect to the test database");
    tokio::spawn(connection);
    wait_until(WITHIN, || async {
        table_once_created(&client).await.contains_key(voter)
    })
    .await;
    send_signal(worker.child(), "TERM");
    worker.log_to_the_end(WITHIN).await
}

#[tokio::test]
async fn a_second_start_on_the_same_database_logs_no_already_exists_notice() {
    let redis = RedisServer::start().await;
    let db = database().await;
    run_until_a_vote_is_applied(&redis, &db.url(), "first").await;
    let log = run_until_a_vote_is_applied(&redis, &db.url(), "second").await;
    assert!(
        log.contains("worker starting"),
        "stderr was not read: {log}"
    );
    assert!(!log.contains("already exists"), "{log}");
}

#[tokio::test]
async fn a_login_failure_logs_what_postgresql_said_and_not_the_password() {
    const WRONG: &str = "not-the-password-5e1f";
    let redis = RedisServer::start().await;
    let db = database().await;
    let url = db.url_with_password(WRONG);
    let worker = spawn_worker(&redis, &url, &[]);
    let cause = format!("password authentication failed for user \"{}\"", db.user());
    worker.wait_for_log(&cause, WITHIN).await;
    let log = worker.log();
    assert!(!log.contains(WRONG), "{log}");
}
