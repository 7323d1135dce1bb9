//! The real `vote` binary: configuration errors, healthcheck, SIGTERM, `/metrics` as Prometheus
//! reads it.

use std::time::Duration;

use test_servers::{
    RedisServer, ServiceProcess, assert_config_error, assert_metrics_pass_promtool,
};

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

#[tokio::test]
async fn metrics_pass_promtool_and_count_votes_per_option() {
    let redis = RedisServer::start().await;
    let vote = ServiceProcess::start(BIN, "PORT", &[("REDIS_URL", redis.url())]).await;
    let recorded = reqwest::Client::new()
        .post(vote.url("/"))
        .form(&[("vote", "b")])
        .send()
        .await
        .expect("POST /");
    assert_eq!(recorded.status(), 200);
    let page = assert_metrics_pass_promtool(
        &vote.url("/metrics"),
        "vote",
        &[
            "votes_recorded_total",
            "vote_batch_size",
            "votes_not_sent_total",
            "votes_refused_cross_site_total",
            "redis_errors_total",
        ],
    )
    .await;
    // Both options from the start, so a dashboard shows the one nobody chose yet as 0.
    for series in [
        "votes_recorded_total{vote=\"a\"} 0",
        "votes_recorded_total{vote=\"b\"} 1",
    ] {
        assert!(page.contains(series), "no {series}:\n{page}");
    }
}
