//! `loadgen vote --verify` against the real vote app and workers: no loss at the course's
//! scale and beyond, and a loud failure when a vote is lost.

mod common;

use std::time::Duration;

use common::{Lab, loadgen, verified_vote};
use loadgen::driver::Limits;
use loadgen::progress::Display;
use loadgen::target::Target;
use loadgen::verify::{VerifyOptions, verify};

// Budgets with wide slack for a shared 2-core machine: each run here takes well under a second.
/// How long 100 votes may take to send.
const LOAD_BUDGET: Duration = Duration::from_secs(30);
/// How long one vote may take to answer.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a worker may take to bring the votes to the table.
const ARRIVAL_BUDGET: Duration = Duration::from_secs(30);
/// The wait for votes that cannot arrive (no worker): it need only end.
const NEVER_DRAINED: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_course_experiment_two_clients_of_100_at_once_keep_all_200() {
    let lab = Lab::start(1).await;
    let redis = lab.redis.url();
    let args = verified_vote(&lab, 100, 1, &["--redis", &redis, "--quiet"]);
    // Two "client containers" at once; each checks its own 100 voters among the 200 rows.
    let (one, two) = tokio::join!(loadgen(&args), loadgen(&args));
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
    let redis = lab.redis.url();
    let flags = ["--fresh-voters", "--redis", &redis, "--quiet"];
    let report = loadgen(&verified_vote(&lab, 20, 500, &flags)).await;
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
    let report = loadgen(&verified_vote(&lab, 20, 50, &["--quiet"])).await;
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
        max_time: LOAD_BUDGET,
        rate: None,
        timeout: REQUEST_TIMEOUT,
    };
    let target = Target::parse(&lab.vote_url()).expect("url");
    let run = loadgen::vote::run(target, limits, true, false, Display::Quiet)
        .await
        .expect("run");
    let options = VerifyOptions {
        database_url: lab.db.url(),
        redis_url: Some(lab.redis.url()),
        timeout: ARRIVAL_BUDGET,
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
    let wait = NEVER_DRAINED.as_secs().to_string();
    let flags = ["--fresh-voters", "--wait-seconds", &wait, "--quiet"];
    let without = verified_vote(&lab, 4, 5, &flags);
    let with_redis = [without.clone(), vec!["--redis".to_owned(), lab.redis.url()]].concat();
    let report = loadgen(&with_redis).await;
    assert!(!report.passed);
    let verdict = report.verify.expect("verified");
    assert_eq!(verdict.queue_left, Some(20));
    assert_eq!(verdict.lost, 20);

    // Without Redis to ask, the table is read until it stops changing: here it never fills.
    let report = loadgen(&without).await;
    assert!(!report.passed);
    assert_eq!(report.verify.expect("verified").lost, 20);

    // A worker arriving late drains all 40 votes; a new run's voters then verify.
    lab.start_worker();
    let report = loadgen(&with_redis).await;
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
    let verify_waiting = |wait: Duration| {
        let verify = [
            "verify",
            "--ledger",
            ledger,
            "--database",
            &db,
            "--redis",
            &redis,
        ];
        let mut args = verify.map(str::to_owned).to_vec();
        args.extend(["--wait-seconds".to_owned(), wait.as_secs().to_string()]);
        args
    };
    // Nothing has drained yet: the 50 votes of the 5 voters are still queued.
    let early = loadgen(&verify_waiting(NEVER_DRAINED)).await;
    assert!(!early.passed);
    assert_eq!(early.verify.expect("verdict").queue_left, Some(50));

    lab.start_worker();
    let later = loadgen(&verify_waiting(ARRIVAL_BUDGET)).await;
    assert!(later.passed, "{:?}", later.failures);
    let verdict = later.verify.expect("verdict");
    assert_eq!((verdict.voters, verdict.right), (5, 5));
    lab.stop().await;
}
