//! Settings that hold secrets, read from files as Docker and Kubernetes mount them
//! (`/run/secrets/...`): the worker binary reaches both servers with nothing secret in its
//! environment.

mod common;

use std::time::Duration;

use common::process::BIN;
use common::{message, push, table_once_created};
use test_servers::{RedisServer, ServiceProcess, TestDatabase, database, wait_until};

/// Generous for a start, a migration and one vote on a busy machine.
const WITHIN: Duration = Duration::from_secs(15);

/// A file holding `secret` followed by a newline, as `echo secret > file` writes it.
fn secret_file(secret: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(file.path(), format!("{secret}\n")).expect("write the secret file");
    file
}

fn path_of(file: &tempfile::NamedTempFile) -> String {
    file.path()
        .to_str()
        .expect("a UTF-8 temporary path")
        .to_owned()
}

/// Starts the worker binary with `envs`, pushes a vote, and waits until it is in the table.
async fn applies_a_vote(redis: &RedisServer, db: &TestDatabase, envs: &[(&str, String)]) {
    let mut envs = envs.to_vec();
    envs.push(("HEARTBEAT_TTL_MS", "600".to_owned()));
    let worker = ServiceProcess::spawn(BIN, "PORT", &envs);
    push(redis, &[message("from-files", "b", None)]).await;
    let client = db.client().await;
    wait_until(WITHIN, || async {
        table_once_created(&client)
            .await
            .get("from-files")
            .is_some_and(|(vote, _)| vote == "b")
    })
    .await;
    let log = worker.log();
    assert!(
        !log.contains(db.password()),
        "the password is in the log: {log}"
    );
}

#[tokio::test]
async fn database_url_file_and_redis_url_file_are_read_as_the_urls() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let database_url = secret_file(&db.url());
    let redis_url = secret_file(&redis.url());
    let envs = [
        ("DATABASE_URL_FILE", path_of(&database_url)),
        ("REDIS_URL_FILE", path_of(&redis_url)),
    ];
    applies_a_vote(&redis, &db, &envs).await;
}

#[tokio::test]
async fn pgpassword_file_is_read_as_the_password() {
    let redis = RedisServer::start().await;
    let db = database().await;
    let password = secret_file(db.password());
    let envs = [
        ("REDIS_URL", redis.url()),
        ("PGHOST", db.host().to_owned()),
        ("PGPORT", db.port().to_string()),
        ("PGUSER", db.user().to_owned()),
        ("PGDATABASE", db.name().to_owned()),
        ("PGPASSWORD_FILE", path_of(&password)),
    ];
    applies_a_vote(&redis, &db, &envs).await;
}
