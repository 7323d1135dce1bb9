//! The `loadgen` binary: its exit status is what scripts and the compose seed profile check.

mod common;

use std::process::Output;

use common::{Lab, verified_vote};

async fn loadgen(args: &[impl AsRef<std::ffi::OsStr>]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_loadgen"))
        .args(args)
        .output()
        .await
        .expect("run loadgen")
}

fn output_text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exits_non_zero_and_names_the_voter_when_the_worker_loses_a_vote() {
    let lab = Lab::start(1).await;
    lab.schema_ready().await;
    // A lossy worker, as the original was: the fifth row it writes silently vanishes.
    lab.db
        .client()
        .await
        .batch_execute(
            "CREATE SEQUENCE lose_one;
             CREATE FUNCTION lose_the_fifth() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
               IF nextval('lose_one') = 5 THEN RETURN NULL; END IF;
               RETURN NEW;
             END $$;
             CREATE TRIGGER lose_the_fifth BEFORE INSERT ON votes
               FOR EACH ROW EXECUTE FUNCTION lose_the_fifth();",
        )
        .await
        .expect("install the lossy trigger");
    let redis = lab.redis.url();
    let output = loadgen(&verified_vote(
        &lab,
        4,
        5,
        &["--fresh-voters", "--redis", &redis],
    ))
    .await;
    let text = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("1 lost") && text.contains("LOST   voter"),
        "{text}"
    );
    assert!(text.contains("FAILED: verification: 1 lost"), "{text}");
    assert_eq!(lab.rows().await.len(), 19);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counter_hands_out_every_number_once_and_loadgen_says_so() {
    let redis = test_servers::RedisServer::start().await;
    let app = test_lab::counter_on(&redis.url());
    let url = app.url("/");
    // The course's experiment: 200 visitors at once.
    let output = loadgen(&["counter", &url, "--clients", "200", "--requests", "1"]).await;
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("200 received, 1 to 200: all distinct, none missing"),
        "{text}"
    );
    // Then more, over kept-alive connections: the numbers go on from 201.
    let output = loadgen(&["counter", &url, "--clients", "8", "--requests", "100"]).await;
    let text = output_text(&output);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("800 received, 201 to 1000"), "{text}");
    assert!(text.contains("requests    800 in"), "{text}");
}

#[tokio::test]
async fn refuses_to_run_without_a_count() {
    let output = loadgen(&["vote", "http://127.0.0.1:9/", "--clients", "2"]).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output_text(&output).contains("--votes"),
        "{}",
        output_text(&output)
    );
}

#[tokio::test]
async fn an_unreachable_service_is_a_failure_with_its_kind_counted() {
    let port = test_servers::free_port();
    let url = format!("http://127.0.0.1:{port}/");
    let output = loadgen(&["counter", &url, "--clients", "2", "--requests", "3"]).await;
    let text = output_text(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("errors      6"), "{text}");
    assert!(text.contains("6  connect: connection refused"), "{text}");
}
