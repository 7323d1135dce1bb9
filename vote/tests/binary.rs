//! The real `vote` binary: configuration errors, healthcheck, SIGTERM.

use std::time::Duration;

use test_servers::{RedisServer, ServiceProcess, assert_config_error};

const BIN: &str = env!("CARGO_BIN_EXE_vote");
/// How long a stop may take before the test gives up on it.
const STOP_BUDGET: Duration = Duration::from_secs(5);
/// A stop with nothing in flight is immediate; this is that, with slack.
const PROMPT_STOP: Duration = Duration::from_secs(1);

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
    let mut vote = ServiceProcess::start(BIN, "PORT", &[("REDIS_URL", redis.url())]).await;
    let ready = reqwest::get(vote.url("/readyz")).await.expect("readyz");
    assert_eq!(ready.status(), 200);
    let (status, took) = vote.stop_with("TERM", STOP_BUDGET).await;
    assert!(status.success(), "{status:?}");
    assert!(took < PROMPT_STOP, "took {took:?}");
    assert!(!vote.healthy());
}
