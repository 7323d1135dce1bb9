//! The server's limits over real loopback connections: silent and half-sent requests are cut
//! off, a flood of idle connections never stops it answering, busy connections (event streams)
//! are never cut to make room, and a stop closes idle connections at once.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use futures_util::{StreamExt, stream};
use kit::server::{ConnectionLimits, serve_with};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Generous bounds for what takes milliseconds when the machine is not busy.
const PROMPTLY: Duration = Duration::from_secs(5);
const SHORT_TIMEOUT: Duration = Duration::from_millis(300);

struct Server {
    addr: std::net::SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

async fn start(limits: ConnectionLimits) -> Server {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/stream",
            get(|| async {
                // A first chunk, then nothing until the client goes: an event stream.
                let chunks = stream::once(async { Ok::<_, std::io::Error>("first\n") })
                    .chain(stream::pending());
                Body::from_stream(chunks)
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let stop = CancellationToken::new();
    let task = tokio::spawn(serve_with(listener, router, limits, stop.clone()));
    Server { addr, stop, task }
}

async fn connect(server: &Server) -> TcpStream {
    TcpStream::connect(server.addr).await.expect("connect")
}

/// Sends a GET and reads the answer up to its known end; returns the status line.
async fn get_on(stream: &mut TcpStream, path: &str) -> String {
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut answer = Vec::new();
    let mut buf = [0_u8; 1024];
    // `ok` ends a /healthz answer; `first` is the stream's first chunk (chunked encoding).
    while !answer.ends_with(b"ok\n") && !String::from_utf8_lossy(&answer).contains("first\n") {
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed before answering: {answer:?}");
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A new connection's GET /healthz, answered within [`PROMPTLY`].
async fn healthz(server: &Server) -> String {
    tokio::time::timeout(PROMPTLY, async {
        let mut stream = connect(server).await;
        get_on(&mut stream, "/healthz").await
    })
    .await
    .expect("GET /healthz answered promptly")
}

/// Waits for the server to close `stream` (end of file or reset).
async fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0_u8; 64];
    loop {
        match tokio::time::timeout(PROMPTLY, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn a_half_sent_request_and_an_idle_kept_alive_connection_are_closed() {
    let server = start(ConnectionLimits {
        max_connections: 100,
        header_read_timeout: SHORT_TIMEOUT,
        idle_grace: SHORT_TIMEOUT,
    })
    .await;
    let mut half = connect(&server).await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: te")
        .await
        .expect("write");
    let mut kept_alive = connect(&server).await;
    assert_eq!(get_on(&mut kept_alive, "/healthz").await, "HTTP/1.1 200 OK");
    let mut silent = connect(&server).await;

    assert!(closed_by_server(&mut half).await, "half a request");
    assert!(closed_by_server(&mut kept_alive).await, "idle keep-alive");
    assert!(closed_by_server(&mut silent).await, "never sent anything");
    assert_eq!(healthz(&server).await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn a_flood_of_idle_connections_never_stops_it_answering_nor_cuts_a_stream() {
    const CAP: usize = 40;
    let server = start(ConnectionLimits {
        max_connections: CAP,
        // Long: only making room can free the places, not the timeout.
        header_read_timeout: Duration::from_secs(600),
        idle_grace: Duration::from_millis(100),
    })
    .await;
    let mut stream_conn = connect(&server).await;
    assert_eq!(get_on(&mut stream_conn, "/stream").await, "HTTP/1.1 200 OK");

    let mut flood = Vec::new();
    for i in 0..(CAP * 10) {
        let mut conn = connect(&server).await;
        if i % 2 == 0 {
            conn.write_all(b"GET / HTTP/1.1\r\n").await.expect("write");
        }
        flood.push(conn);
    }
    for _ in 0..5 {
        assert_eq!(healthz(&server).await, "HTTP/1.1 200 OK");
    }
    // The stream, busy all along, was not cut: it still holds its connection open.
    let mut buf = [0_u8; 16];
    let still_open = tokio::time::timeout(Duration::from_millis(200), stream_conn.read(&mut buf));
    assert!(
        still_open.await.is_err(),
        "the stream's connection was closed or sent more"
    );
    drop(flood);
}

#[tokio::test]
async fn a_stop_closes_idle_connections_at_once_and_returns() {
    let server = start(ConnectionLimits {
        max_connections: 100,
        header_read_timeout: Duration::from_secs(600),
        idle_grace: Duration::from_secs(600),
    })
    .await;
    let mut idle = connect(&server).await;
    assert_eq!(get_on(&mut idle, "/healthz").await, "HTTP/1.1 200 OK");
    server.stop.cancel();
    assert!(closed_by_server(&mut idle).await);
    tokio::time::timeout(PROMPTLY, server.task)
        .await
        .expect("the server returns promptly")
        .expect("server task")
        .expect("server");
}
