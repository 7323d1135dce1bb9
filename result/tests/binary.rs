//! The real `result` binary: configuration errors, healthcheck, SIGTERM with streams open.

use std::process::Stdio;
use std::time::Duration;

use futures_util::StreamExt;
use test_servers::{
    assert_config_error, database, free_port, healthcheck, service_command, stop_with, wait_until,
};

const BIN: &str = env!("CARGO_BIN_EXE_result");

#[test]
fn a_bad_variable_exits_2_naming_it() {
    for (var, value) in [
        ("PORT", "0"),
        ("DATABASE_URL", "postgres://u:p@h:port/x"),
        ("PGPORT", "x"),
    ] {
        assert_config_error(BIN, var, value);
    }
}

#[tokio::test]
async fn sigterm_stops_it_at_once_even_with_live_streams_open() {
    let db = database().await;
    let port = free_port();
    let mut child = service_command(
        BIN,
        &[("DATABASE_URL", db.url()), ("PORT", port.to_string())],
    )
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn result");
    wait_until(Duration::from_secs(10), || async {
        healthcheck(BIN, "PORT", port)
    })
    .await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        let response = reqwest::get(format!("http://127.0.0.1:{port}/events"))
            .await
            .expect("GET /events");
        let mut body = response.bytes_stream();
        let first = tokio::time::timeout(Duration::from_secs(5), body.next())
            .await
            .expect("an event");
        assert!(first.is_some());
        streams.push(body);
    }
    let (status, took) = stop_with(&mut child, "TERM", Duration::from_secs(5)).await;
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(!healthcheck(BIN, "PORT", port));
}
