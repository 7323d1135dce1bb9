//! PostgreSQL: isolated databases, password authentication, and what survives a crash.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use test_servers::{PostgresServer, database};
use tokio_postgres::NoTls;

/// A drop takes about 0.1 s (DROP DATABASE forces a checkpoint); stalled, it took 10 s.
const DROP_BUDGET: Duration = Duration::from_secs(5);

#[tokio::test]
async fn two_databases_are_independent() {
    let (a, b) = tokio::join!(database(), database());
    assert_ne!(a.name(), b.name());
    assert_eq!(a.port(), b.port(), "both should live in the shared cluster");

    let (ca, cb) = (a.client().await, b.client().await);
    // The second CREATE TABLE would fail if both names led to one database.
    ca.batch_execute("CREATE TABLE votes (choice text); INSERT INTO votes VALUES ('a')")
        .await
        .expect("create and fill in a");
    cb.batch_execute("CREATE TABLE votes (choice text)")
        .await
        .expect("create in b");

    let in_a: i64 = ca
        .query_one("SELECT count(*) FROM votes", &[])
        .await
        .expect("count in a")
        .get(0);
    let in_b: i64 = cb
        .query_one("SELECT count(*) FROM votes", &[])
        .await
        .expect("count in b")
        .get(0);
    assert_eq!((in_a, in_b), (1, 0));
}

#[tokio::test]
async fn the_url_connects_over_tcp_with_the_password() {
    let db = database().await;
    let expected = format!(
        "postgres://{}:{}@127.0.0.1:{}/{}",
        db.user(),
        db.password(),
        db.port(),
        db.name()
    );
    assert_eq!(db.url(), expected);
    assert_eq!(db.host(), "127.0.0.1");

    let (client, connection) = tokio_postgres::connect(&db.url(), NoTls)
        .await
        .expect("the URL connects");
    tokio::spawn(connection);
    let row = client
        .query_one("SELECT current_database(), inet_server_addr()::text", &[])
        .await
        .expect("query");
    assert_eq!(row.get::<_, String>(0), db.name());
    assert_eq!(
        row.get::<_, String>(1),
        "127.0.0.1/32",
        "not a TCP connection"
    );

    let wrong = format!(
        "postgres://{}:not-the-password@127.0.0.1:{}/{}",
        db.user(),
        db.port(),
        db.name()
    );
    assert!(
        tokio_postgres::connect(&wrong, NoTls).await.is_err(),
        "a wrong password was accepted: TCP should need the password"
    );
}

#[tokio::test]
async fn dropping_a_test_database_drops_it_even_with_connections_open() {
    let witness_db = database().await;
    let witness = witness_db.client().await;
    let doomed = database().await;
    let name = doomed.name().to_owned();
    let _still_open = doomed.client().await;

    drop(doomed);

    assert_gone(&witness, &name).await;
}

/// A service whose login is half done when the test ends (its task on the runtime that the drop
/// blocks) must not hold the drop up: DROP DATABASE waits for every backend to accept a
/// ProcSignalBarrier, and one waiting for its client's password never does.
#[tokio::test]
async fn dropping_a_test_database_does_not_wait_for_a_stalled_login() {
    let witness_db = database().await;
    let witness = witness_db.client().await;
    let doomed = database().await;
    let name = doomed.name().to_owned();
    let _stalled = start_login_and_stall(doomed.port(), doomed.user(), &name);

    let started = Instant::now();
    drop(doomed);
    let took = started.elapsed();

    assert_gone(&witness, &name).await;
    assert!(took < DROP_BUDGET, "dropping {name} took {took:?}");
}

async fn assert_gone(witness: &tokio_postgres::Client, name: &str) {
    let left: i64 = witness
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .expect("query pg_database")
        .get(0);
    assert_eq!(left, 0, "database {name} outlived its TestDatabase");
}

/// Sends a startup message and reads the server's request for a password, which it never
/// answers: the backend stays in authentication while the socket is open.
fn start_login_and_stall(port: u16, user: &str, database: &str) -> TcpStream {
    const PROTOCOL_3_0: u32 = 196_608;
    let mut body = PROTOCOL_3_0.to_be_bytes().to_vec();
    for part in ["user", user, "database", database, ""] {
        body.extend_from_slice(part.as_bytes());
        body.push(0);
    }
    let length = u32::try_from(body.len() + 4).expect("a short startup message");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to PostgreSQL");
    stream
        .write_all(&[length.to_be_bytes().as_slice(), &body].concat())
        .expect("send the startup message");
    let mut kind = [0u8; 1];
    stream.read_exact(&mut kind).expect("read the answer");
    assert_eq!(kind[0], b'R', "expected an authentication request");
    stream
}

#[tokio::test]
async fn a_commit_survives_kill_and_start_again() {
    let mut server = PostgresServer::start().await;
    let db = server.create_database().await;
    assert_eq!(db.port(), server.port());
    let client = db.client().await;
    let fsync: String = client
        .query_one("SHOW fsync", &[])
        .await
        .expect("SHOW fsync")
        .get(0);
    assert_eq!(
        fsync, "on",
        "a dedicated cluster must be as durable as a real one"
    );
    client
        .batch_execute("CREATE TABLE counts (n int); INSERT INTO counts VALUES (42)")
        .await
        .expect("commit");

    server.kill().await;
    assert!(
        client.query_one("SELECT 1", &[]).await.is_err(),
        "a connection survived kill"
    );
    assert!(tokio_postgres::connect(&db.url(), NoTls).await.is_err());

    server.start_again().await;
    let client = db.client().await;
    let n: i32 = client
        .query_one("SELECT n FROM counts", &[])
        .await
        .expect("the table survived")
        .get(0);
    assert_eq!(n, 42);
}

#[tokio::test]
async fn a_dedicated_cluster_is_not_the_shared_one() {
    let server = PostgresServer::start().await;
    let shared = database().await;
    assert_ne!(server.port(), shared.port());
    let own = server.create_database().await;
    let client = own.client().await;
    let visible: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&shared.name()],
        )
        .await
        .expect("query pg_database")
        .get(0);
    assert_eq!(visible, 0);
}
