//! PostgreSQL: isolated databases, password authentication, and what survives a crash.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use test_servers::{PostgresServer, TestDatabase, database, query_value};
use tokio_postgres::config::Host;
use tokio_postgres::{Client, NoTls};

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

    let count = "SELECT count(*) FROM votes";
    let in_a: i64 = query_value(&ca, count, &[]).await;
    let in_b: i64 = query_value(&cb, count, &[]).await;
    assert_eq!((in_a, in_b), (1, 0));
}

#[tokio::test]
async fn the_url_connects_over_tcp_with_the_password() {
    let db = database().await;
    let config: tokio_postgres::Config = db.url().parse().expect("the URL parses");
    assert_eq!(config.get_hosts(), [Host::Tcp("127.0.0.1".to_owned())]);
    assert_eq!(config.get_ports(), [db.port()]);
    assert_eq!(config.get_user(), Some(db.user()));
    assert_eq!(config.get_password(), Some(db.password().as_bytes()));
    assert_eq!(config.get_dbname(), Some(db.name()));
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

    let wrong = db.url_with_password("not-the-password");
    assert!(
        tokio_postgres::connect(&wrong, NoTls).await.is_err(),
        "a wrong password was accepted: TCP should need the password"
    );
}

#[tokio::test]
async fn dropping_a_test_database_drops_it_even_with_connections_open() {
    let doomed = Doomed::new().await;
    let _still_open = doomed.database.client().await;

    doomed.drop_and_assert_gone().await;
}

/// A service whose login is half done when the test ends (its task on the runtime that the drop
/// blocks) must not hold the drop up: DROP DATABASE waits for every backend to accept a
/// ProcSignalBarrier, and one waiting for its client's password never does.
#[tokio::test]
async fn dropping_a_test_database_does_not_wait_for_a_stalled_login() {
    let doomed = Doomed::new().await;
    let db = &doomed.database;
    let _stalled = start_login_and_stall(db.port(), db.user(), db.name());

    let took = doomed.drop_and_assert_gone().await;

    assert!(took < DROP_BUDGET, "dropping took {took:?}");
}

/// A test database to drop, and a connection to another database of the cluster, open before
/// the drop, that must see it gone.
struct Doomed {
    database: TestDatabase,
    witness: (TestDatabase, Client),
}

impl Doomed {
    async fn new() -> Self {
        let witness_db = database().await;
        let witness = witness_db.client().await;
        Self {
            database: database().await,
            witness: (witness_db, witness),
        }
    }

    /// Drops the test database, asserts that the cluster no longer has it, and says how long
    /// the drop took.
    async fn drop_and_assert_gone(self) -> Duration {
        let name = self.database.name().to_owned();
        let started = Instant::now();
        drop(self.database);
        let took = started.elapsed();
        let (_witness_db, witness) = &self.witness;
        assert_eq!(
            databases_named(witness, &name).await,
            0,
            "{name} outlived its TestDatabase"
        );
        took
    }
}

async fn databases_named(client: &Client, name: &str) -> i64 {
    let query = "SELECT count(*) FROM pg_database WHERE datname = $1";
    query_value(client, query, &[&name]).await
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
    let fsync: String = query_value(&client, "SHOW fsync", &[]).await;
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
    let n: i32 = query_value(&db.client().await, "SELECT n FROM counts", &[]).await;
    assert_eq!(n, 42, "the committed row did not survive");
}

#[tokio::test]
async fn a_dedicated_cluster_is_not_the_shared_one() {
    let server = PostgresServer::start().await;
    let shared = database().await;
    assert_ne!(server.port(), shared.port());
    let own = server.create_database().await;
    assert_eq!(databases_named(&own.client().await, shared.name()).await, 0);
}
