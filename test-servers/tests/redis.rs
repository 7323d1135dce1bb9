//! Redis servers: isolation, and what survives a crash.

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use test_servers::RedisServer;

async fn refuses_connections(port: u16) -> bool {
    tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
}

/// Kills the server, checks that it is down (its port refused, `client` cut off), starts it
/// again, and returns a new connection to it, on the same port.
async fn crash_and_restart(
    server: &mut RedisServer,
    mut client: MultiplexedConnection,
) -> MultiplexedConnection {
    let port = server.port();
    server.kill().await;
    assert!(refuses_connections(port).await, "killed, yet accepting");
    let failed: redis::RedisResult<i64> = client.get("visits").await;
    assert!(failed.is_err(), "a killed server answered: {failed:?}");

    server.start_again().await;
    assert_eq!(server.port(), port);
    server.client().await
}

#[tokio::test]
async fn two_servers_started_in_parallel_are_independent() {
    let (a, b) = tokio::join!(RedisServer::start(), RedisServer::start());
    assert_ne!(a.port(), b.port());
    let (mut a, mut b) = (a.client().await, b.client().await);

    let () = a.set("shared-name", "a").await.expect("SET on a");
    let () = b.set("shared-name", "b").await.expect("SET on b");
    let () = a.set("only-on-a", 1).await.expect("SET on a");

    let on_a: String = a.get("shared-name").await.expect("GET on a");
    let on_b: String = b.get("shared-name").await.expect("GET on b");
    assert_eq!((on_a.as_str(), on_b.as_str()), ("a", "b"));
    let leaked: bool = b.exists("only-on-a").await.expect("EXISTS on b");
    assert!(
        !leaked,
        "a key written to one server showed up on the other"
    );
}

#[tokio::test]
async fn url_and_host_reach_the_server() {
    let server = RedisServer::start().await;
    assert_eq!(server.host(), "127.0.0.1");
    assert_eq!(
        server.url(),
        format!("redis://127.0.0.1:{}/", server.port())
    );

    let client = redis::Client::open(server.url()).expect("the URL parses");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("the URL connects");
    let pong: String = redis::cmd("PING")
        .query_async(&mut connection)
        .await
        .expect("PING");
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn without_persistence_a_restart_comes_back_empty() {
    let mut server = RedisServer::start().await;
    let mut client = server.client().await;
    let () = client.set("visits", 3).await.expect("SET");

    let mut client = crash_and_restart(&mut server, client).await;
    let keys: i64 = redis::cmd("DBSIZE")
        .query_async(&mut client)
        .await
        .expect("DBSIZE");
    assert_eq!(
        keys, 0,
        "a server without persistence kept data across a crash"
    );
}

#[tokio::test]
async fn with_persistence_a_restart_keeps_acknowledged_writes() {
    let mut server = RedisServer::start_persistent().await;
    let mut client = server.client().await;
    let () = client.set("visits", 3).await.expect("SET");
    let () = client.rpush("votes", &["a", "b"]).await.expect("RPUSH");

    let mut client = crash_and_restart(&mut server, client).await;
    let visits: i64 = client.get("visits").await.expect("GET");
    let votes: Vec<String> = client.lrange("votes", 0, -1).await.expect("LRANGE");
    assert_eq!(visits, 3);
    assert_eq!(votes, ["a", "b"]);
}
