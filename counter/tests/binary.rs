//! The real `counter` binary: configuration errors, JSON logs, the healthcheck subcommand,
//! stopping on SIGTERM (`docker stop`) or SIGINT (Ctrl-C), and `/metrics` as Prometheus reads it.

use std::time::Duration;

use test_servers::http::get_text;
use test_servers::{
    RedisServer, ServiceProcess, assert_config_error, assert_metrics_pass_promtool, free_port,
};

const BIN: &str = env!("CARGO_BIN_EXE_counter");

#[test]
fn a_bad_variable_exits_2_with_one_line_naming_it() {
    for (var, value) in [
        ("BIND_PORT", "eighty"),
        ("REDIS_PORT", "99999"),
        ("REDIS_URL", "mysql://x"),
        ("LOG_FORMAT", "xml"),
        ("RUST_LOG", "[[["),
    ] {
        assert_config_error(BIN, var, value);
    }
}

/// How long a stop may take before the test gives up on it; what it should take is asserted
/// apart.
const STOP_BUDGET: Duration = Duration::from_secs(5);
/// A stop with nothing in flight is immediate; this is that, with slack.
const PROMPT_STOP: Duration = Duration::from_secs(1);

#[tokio::test]
async fn serves_answers_healthcheck_and_exits_0_promptly_on_sigterm_and_sigint() {
    let redis = RedisServer::start().await;
    for signal in ["TERM", "INT"] {
        let envs = [
            ("REDIS_HOST", redis.host().to_owned()),
            ("REDIS_PORT", redis.port().to_string()),
        ];
        let mut counter = ServiceProcess::start(BIN, "BIND_PORT", &envs).await;
        let body = get_text(&counter.url("/")).await;
        assert!(
            body.starts_with("Hello from Redis! I have been seen "),
            "{body}"
        );

        let (status, took) = counter.stop_with(signal, STOP_BUDGET).await;
        assert!(status.success(), "SIG{signal}: {status:?}");
        assert!(took < PROMPT_STOP, "SIG{signal} took {took:?}");
        assert!(!counter.healthy(), "stopped means stopped");
    }
}

#[tokio::test]
async fn metrics_pass_promtool_with_build_and_process_metrics() {
    let redis = RedisServer::start().await;
    let counter = ServiceProcess::start(BIN, "BIND_PORT", &[("REDIS_URL", redis.url())]).await;
    get_text(&counter.url("/")).await;
    assert_metrics_pass_promtool(&counter.url("/metrics"), "counter", &["redis_errors_total"])
        .await;
}

/// Runs the counter with `envs` until it is healthy, stops it, and returns what it logged.
async fn logs_of_a_run(envs: &[(&str, String)]) -> String {
    let mut counter = ServiceProcess::start(BIN, "BIND_PORT", envs).await;
    counter.stop_with("TERM", STOP_BUDGET).await;
    counter.log_to_the_end(STOP_BUDGET).await
}

#[tokio::test]
async fn log_format_json_writes_one_json_object_per_line() {
    let redis = RedisServer::start().await;
    let logs = logs_of_a_run(&[
        ("REDIS_URL", redis.url()),
        ("LOG_FORMAT", "json".to_owned()),
    ])
    .await;
    assert!(logs.lines().count() >= 2, "{logs}");
    for line in logs.lines() {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            entry["level"].is_string() && entry["timestamp"].is_string(),
            "{line}"
        );
    }
    assert!(logs.contains("counter listening"));
}

#[tokio::test]
async fn text_logs_have_no_colour_codes_when_stderr_is_not_a_terminal() {
    let logs = logs_of_a_run(&[]).await;
    assert!(logs.contains("counter listening"), "{logs}");
    assert!(!logs.contains('\x1b'), "escape codes in a pipe: {logs:?}");
}

/// Descriptors the counter may open in the flood test: the flood alone would use them all.
const SMALL_DESCRIPTOR_LIMIT: usize = 128;
/// Milliseconds when the machine is idle; generous for a busy one.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_flood_of_idle_and_half_sent_connections_never_stops_it_answering() {
    let envs = [("REDIS_PORT", free_port().to_string())];
    let mut counter =
        ServiceProcess::start_with_open_files(BIN, "BIND_PORT", &envs, SMALL_DESCRIPTOR_LIMIT)
            .await;
    let port = counter.port();

    let mut flood = Vec::new();
    for i in 0..SMALL_DESCRIPTOR_LIMIT * 2 {
        let connect = tokio::net::TcpStream::connect(("127.0.0.1", port));
        let Ok(connected) = tokio::time::timeout(ANSWER_WITHIN, connect).await else {
            panic!("connection {i} not accepted within {ANSWER_WITHIN:?}");
        };
        let mut conn = connected.expect("connect");
        if i % 2 == 0 {
            tokio::io::AsyncWriteExt::write_all(&mut conn, b"GET / HTTP/1.1\r\nHost: x")
                .await
                .expect("write half a request");
        }
        flood.push(conn);
    }
    let client = reqwest::Client::builder()
        .timeout(ANSWER_WITHIN)
        .build()
        .expect("client");
    for _ in 0..3 {
        let answer = client.get(counter.url("/healthz")).send().await;
        assert!(
            matches!(&answer, Ok(a) if a.status() == 200),
            "/healthz during the flood: {answer:?}"
        );
    }
    drop(flood);
    counter.stop_with("TERM", STOP_BUDGET).await;
}
