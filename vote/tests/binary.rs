//! The real `vote` binary: configuration errors, healthcheck, SIGTERM, `/metrics` as Prometheus
//! reads it, the queue depth it reports. A process per test: its metrics are its own.

use std::time::Duration;

use kit::queue::QUEUE;
use redis::AsyncCommands;
use test_servers::http::get_text;
use test_servers::{
    RedisServer, ServiceProcess, assert_config_error, assert_metrics_pass_promtool,
    promtool_check_metrics, wait_until,
};

const BIN: &str = env!("CARGO_BIN_EXE_vote");
/// How long a stop may take before the test gives up on it.
const STOP_BUDGET: Duration = Duration::from_secs(5);
/// A stop with nothing in flight is immediate; this is that, with slack.
const PROMPT_STOP: Duration = Duration::from_secs(1);
/// Several of vote's depth samples (every 2 s), on a busy machine.
const SAMPLED_WITHIN: Duration = Duration::from_secs(15);

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
            "vote_queue_depth",
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

/// The page's `vote_queue_depth` sample; `None` when there is none.
fn queue_depth(page: &str) -> Option<f64> {
    page.lines()
        .find_map(|line| line.strip_prefix("vote_queue_depth ")?.parse().ok())
}

#[tokio::test]
async fn the_queue_depth_shows_what_waits_with_no_worker_and_nan_while_redis_is_gone() {
    let mut redis = RedisServer::start().await;
    let vote = ServiceProcess::start(BIN, "PORT", &[("REDIS_URL", redis.url())]).await;
    let metrics = vote.url("/metrics");
    let depth_is = |want: f64| {
        let metrics = &metrics;
        move || async move { queue_depth(&get_text(metrics).await) == Some(want) }
    };
    wait_until(SAMPLED_WITHIN, depth_is(0.0)).await;

    // Pushed by another client (as the original vote app writes them), and no worker runs.
    let waiting: Vec<String> = (0..7)
        .map(|i| format!(r#"{{"voter_id": "voter-{i}", "vote": "a"}}"#))
        .collect();
    let _: () = redis
        .client()
        .await
        .rpush(QUEUE, &waiting)
        .await
        .expect("RPUSH");
    wait_until(SAMPLED_WITHIN, depth_is(7.0)).await;

    // Not the last depth seen, as if it were current: NaN, as its HELP says, which promtool
    // and Prometheus read as a number.
    redis.kill().await;
    wait_until(SAMPLED_WITHIN, || async {
        queue_depth(&get_text(&metrics).await).is_some_and(f64::is_nan)
    })
    .await;
    let page = get_text(&metrics).await;
    if let Err(findings) = promtool_check_metrics(&page) {
        panic!("{findings}\n{page}");
    }
    let help = page
        .lines()
        .find(|line| line.starts_with("# HELP vote_queue_depth "))
        .unwrap_or_else(|| panic!("no HELP for vote_queue_depth:\n{page}"));
    assert!(help.contains("NaN while Redis does not answer"), "{help}");

    // Back, empty (it kept nothing): the samples follow.
    redis.start_again().await;
    wait_until(SAMPLED_WITHIN, depth_is(0.0)).await;
}
