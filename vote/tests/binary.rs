//! The real `vote` binary: configuration errors, healthcheck, SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use test_servers::{
    RedisServer, assert_config_error, free_port, healthcheck, service_command, stop_with,
    wait_until,
};

const BIN: &str = env!("CARGO_BIN_EXE_vote");

#[test]
fn a_bad_variable_exits_2_naming_it() {
    for (var, value) in [
        ("PORT", "http"),
        ("REDIS_URL", "nope"),
        ("RESULT_URL", "ftp://x"),
        ("TRUSTED_ORIGINS", "vote.example.com"),
    ] {
        assert_config_error(BIN, var, value);
    }
}

#[tokio::test]
async fn healthcheck_follows_the_process_and_sigterm_stops_it_at_once() {
    let redis = RedisServer::start().await;
    let port = free_port();
    let mut child = service_command(
        BIN,
        &[("REDIS_URL", redis.url()), ("PORT", port.to_string())],
    )
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn vote");
    wait_until(Duration::from_secs(10), || async {
        healthcheck(BIN, "PORT", port)
    })
    .await;
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    let (status, took) = stop_with(&mut child, "TERM", Duration::from_secs(5)).await;
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(!healthcheck(BIN, "PORT", port));
}
