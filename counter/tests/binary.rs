//! The real `counter` binary: configuration errors, the healthcheck subcommand, and stopping
//! on SIGTERM the way `docker stop` asks.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use test_servers::{RedisServer, free_port, wait_until};

const BIN: &str = env!("CARGO_BIN_EXE_counter");

fn counter(envs: &[(&str, String)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in envs {
        command.env(k, v);
    }
    command
}

fn healthcheck(port: u16) -> bool {
    counter(&[("BIND_PORT", port.to_string())])
        .arg("healthcheck")
        .stderr(Stdio::null())
        .status()
        .expect("run healthcheck")
        .success()
}

#[test]
fn a_bad_variable_exits_2_with_one_line_naming_it() {
    for (var, value) in [
        ("BIND_PORT", "eighty"),
        ("REDIS_PORT", "99999"),
        ("REDIS_URL", "mysql://x"),
        ("LOG_FORMAT", "xml"),
    ] {
        let out = counter(&[(var, value.to_owned())]).output().expect("run");
        assert_eq!(out.status.code(), Some(2), "{var}={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(var), "{stderr}");
    }
}

#[tokio::test]
async fn serves_answers_healthcheck_and_exits_0_promptly_on_sigterm() {
    let redis = RedisServer::start().await;
    let port = free_port();
    assert!(!healthcheck(port), "nothing is listening yet");

    let mut child = counter(&[
        ("REDIS_HOST", redis.host().to_owned()),
        ("REDIS_PORT", redis.port().to_string()),
        ("BIND_PORT", port.to_string()),
    ])
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn counter");
    wait_until(Duration::from_secs(10), || async { healthcheck(port) }).await;

    let body = reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .expect("GET /")
        .text()
        .await
        .expect("body");
    assert_eq!(body, "Hello from Redis! I have been seen 1 times.");

    let stop = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            stop.elapsed() < Duration::from_secs(5),
            "still running after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert!(exit.success(), "{exit:?}");
    assert!(
        stop.elapsed() < Duration::from_secs(1),
        "took {:?}",
        stop.elapsed()
    );
    assert!(!healthcheck(port), "stopped means stopped");
}
