//! `loadgen vote --verify` against the real vote app and workers: no loss at the course's
//! scale and beyond, and a loud failure when a vote is lost.

mod common;

use std::time::Duration;

use common::{Lab, loadgen};
use loadgen::driver::Limits;
use loadgen::progress::Display;
use loadgen::target::Target;
use loadgen::verify::{VerifyOptions, verify};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_course_experiment_two_clients_of_100_at_once_keep_all_200() {
    let lab = Lab::start(1).await;
    let (url, db, redis) = (lab.vote_url(), lab.db.url(), lab.redis.url());
    let args = [
        url.as_str(),
        "--clients",
        "100",
        "--votes",
        "1",
        "--verify",
        &db,
        "--redis",
        &redis,
        "--quiet",
    ];
    let mut first = vec!["vote"];
    first.extend(args);
    // Two "client containers" at once; each checks its own 100 voters among the 200 rows.
    let (one, two) = tokio::join!(loadgen(&first), loadgen(&first));
    for report in [&one, &two] {
        assert!(report.passed, "{:?}", report.failures);
        let verdict = report.verify.as_ref().expect("verified");
        assert_eq!((verdict.voters, verdict.right), (100, 100));
        assert_eq!(verdict.queue_left, Some(0));
        assert_eq!(report.summary.as_ref().expect("summary").ok, 100);
    }
    assert_eq!(lab.rows().await.len(), 200);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_fresh_voters_from_20_clients_lose_nothing() {
    let lab = Lab::start(2).await;
    let report = loadgen(&[
        "vote",
        &lab.vote_url(),
        "--clients",
        "20",
        "--votes",
        "500",
        "--fresh-voters",
        "--verify",
        &lab.db.url(),
        "--redis",
        &lab.redis.url(),
        "--quiet",
    ])
    .await;
    assert!(report.passed, "{:?}", report.failures);
    let verdict = report.verify.expect("verified");
    assert_eq!((verdict.voters, verdict.right), (10_000, 10_000));
    assert_eq!(lab.rows().await.len(), 10_000);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voters_changing_their_minds_keep_their_last_vote_with_three_workers() {
    let lab = Lab::start(3).await;
    // No --redis: the table is read until every voter's row is right.
    let report = loadgen(&[
        "vote",
        &lab.vote_url(),
        "--clients",
        "20",
        "--votes",
        "50",
        "--verify",
        &lab.db.url(),
        "--quiet",
    ])
    .await;
    assert!(report.passed, "{:?}", report.failures);
    assert_eq!(report.summary.as_ref().expect("summary").ok, 1000);
    let verdict = report.verify.expect("verified");
    assert_eq!((verdict.voters, verdict.right), (20, 20));
    assert_eq!(verdict.queue_left, None);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_fails_when_a_row_is_deleted_or_changed() {
    let lab = Lab::start(1).await;
    let limits = Limits {
        clients: 5,
        per_client: 20,
        max_time: Duration::from_secs(30),
        rate: None,
        timeout: Duration::from_secs(5),
    };
    let target = Target::parse(&lab.vote_url()).expect("url");
    let run = loadgen::vote::run(target, limits, true, false, Display::Quiet)
        .await
        .expect("run");
    let options = VerifyOptions {
        database_url: lab.db.url(),
        redis_url: Some(lab.redis.url()),
        timeout: Duration::from_secs(30),
    };
    let verdict = verify(&run.ledger, &options).await.expect("verify");
    assert!(verdict.ok(), "{verdict}");
    assert_eq!(verdict.right, 100);

    let client = lab.db.client().await;
    let mut voters = run.ledger.iter().map(|(id, e)| (id.clone(), e.last));
    let (deleted, _) = voters.next().expect("a voter");
    let (changed, was) = voters.next().expect("another voter");
    client
        .execute("DELETE FROM votes WHERE id = $1", &[&deleted])
        .await
        .expect("DELETE");
    let other = if was == Some(kit::queue::Choice::A) {
        "b"
    } else {
        "a"
    };
    client
        .execute(
            "UPDATE votes SET vote = $2 WHERE id = $1",
            &[&changed, &other],
        )
        .await
        .expect("UPDATE");

    let verdict = verify(&run.ledger, &options).await.expect("verify");
    assert!(!verdict.ok());
    assert_eq!((verdict.lost, verdict.wrong, verdict.right), (1, 1, 98));
    let text = verdict.to_string();
    assert!(text.contains(&format!("LOST   voter {deleted}")), "{text}");
    assert!(
        text.contains(&format!("WRONG  voter {changed}"))
            && text.contains(&format!("row says {other}")),
        "{text}"
    );
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_fails_when_nothing_drains_the_queue() {
    let mut lab = Lab::start(0).await;
    let args = |redis: Option<String>| {
        let mut args = vec![
            "vote".to_owned(),
            lab.vote_url(),
            "--clients".to_owned(),
            "4".to_owned(),
            "--votes".to_owned(),
            "5".to_owned(),
            "--fresh-voters".to_owned(),
            "--verify".to_owned(),
            lab.db.url(),
            "--wait-seconds".to_owned(),
            "1".to_owned(),
            "--quiet".to_owned(),
        ];
        if let Some(redis) = redis {
            args.extend(["--redis".to_owned(), redis]);
        }
        args
    };
    let with_redis = args(Some(lab.redis.url()));
    let report = loadgen(&with_redis.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert!(!report.passed);
    let verdict = report.verify.expect("verified");
    assert_eq!(verdict.queue_left, Some(20));
    assert_eq!(verdict.lost, 20);

    // Without Redis to ask, the table is read until it stops changing: here it never fills.
    let without = args(None);
    let report = loadgen(&without.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert!(!report.passed);
    assert_eq!(report.verify.expect("verified").lost, 20);

    // A worker arriving late drains all 40 votes; a new run's voters then verify.
    lab.start_worker();
    let report = loadgen(&with_redis.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert!(report.passed, "{:?}", report.failures);
    assert_eq!(lab.rows().await.len(), 60);
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_ledger_is_verified_later_once_a_worker_has_drained_the_queue() {
    let mut lab = Lab::start(0).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let ledger = dir.path().join("voters.jsonl");
    let ledger = ledger.to_str().expect("utf-8 path");
    let report = loadgen(&[
        "vote",
        &lab.vote_url(),
        "--clients",
        "5",
        "--votes",
        "10",
        "--save-ledger",
        ledger,
        "--quiet",
    ])
    .await;
    assert!(report.passed, "{:?}", report.failures);
    let (db, redis) = (lab.db.url(), lab.redis.url());
    let verify = |wait: &'static str| {
        let (ledger, db, redis) = (ledger.to_owned(), db.clone(), redis.clone());
        async move {
            loadgen(&[
                "verify",
                "--ledger",
                &ledger,
                "--database",
                &db,
                "--redis",
                &redis,
                "--wait-seconds",
                wait,
            ])
            .await
        }
    };
    // Nothing has drained yet: the 50 votes of the 5 voters are still queued.
    let early = verify("1").await;
    assert!(!early.passed);
    assert_eq!(early.verify.expect("verdict").queue_left, Some(50));

    lab.start_worker();
    let later = verify("30").await;
    assert!(later.passed, "{:?}", later.failures);
    let verdict = later.verify.expect("verdict");
    assert_eq!((verdict.voters, verdict.right), (5, 5));
    lab.stop().await;
}
