//! The vote queue's grouping of votes into shared script calls, against a real Redis.

use std::time::Duration;

use kit::queue::{Choice, QUEUE, VoteMessage};
use kit::redis_client::RedisSettings;
use redis::AsyncCommands;
use test_servers::{RedisServer, wait_until};
use vote::VoteQueue;

fn queue_for(redis: &RedisServer) -> VoteQueue {
    let settings = RedisSettings::from_url(&redis.url()).expect("redis url");
    VoteQueue::start(settings.shared_connection().expect("redis connection"))
}

async fn queued(redis: &RedisServer) -> Vec<VoteMessage> {
    let messages: Vec<String> = redis
        .client()
        .await
        .lrange(QUEUE, 0, -1)
        .await
        .expect("LRANGE");
    messages
        .iter()
        .map(|m| VoteMessage::parse(m.as_bytes()).expect("a well-formed message"))
        .collect()
}

/// How many scripts Redis has run since it started.
async fn script_calls(redis: &RedisServer) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut redis.client().await)
        .await
        .expect("INFO");
    info.lines()
        .filter(|line| line.starts_with("cmdstat_evalsha:") || line.starts_with("cmdstat_eval:"))
        .filter_map(|line| {
            line.split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

#[tokio::test]
async fn votes_sent_together_share_script_calls_and_keep_one_order() {
    let redis = RedisServer::start().await;
    let queue = queue_for(&redis);
    let votes = 500;
    let pushes = (0..votes).map(|n| {
        let queue = queue.clone();
        tokio::spawn(async move {
            let choice = if n % 3 == 0 { Choice::A } else { Choice::B };
            let seq = queue.push(&format!("voter-{n}"), choice).await?;
            Ok::<_, vote::QueueError>((n, choice, seq))
        })
    });
    let mut answers = Vec::new();
    for push in pushes.collect::<Vec<_>>() {
        answers.push(push.await.expect("task").expect("vote recorded"));
    }

    let messages = queued(&redis).await;
    assert_eq!(messages.len(), votes);
    let seqs: Vec<i64> = messages.iter().map(|m| m.seq.expect("seq")).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "queue order is seq order"
    );
    for (n, choice, seq) in answers {
        let message = messages
            .iter()
            .find(|m| m.seq == Some(seq))
            .unwrap_or_else(|| panic!("the seq told to voter-{n} is in the queue"));
        assert_eq!(message.voter_id, format!("voter-{n}"));
        assert_eq!(message.vote, choice);
    }
    let calls = script_calls(&redis).await;
    assert!(
        calls < votes as u64,
        "{votes} concurrent votes took {calls} script calls: none were grouped"
    );
}

#[tokio::test]
async fn a_vote_whose_request_went_away_before_it_was_sent_is_not_sent() {
    let redis = RedisServer::start().await;
    let queue = queue_for(&redis);
    queue.push("warm-up", Choice::A).await.expect("recorded");
    let mut admin = redis.client().await;
    // Holds every script call for 800 ms: the first vote's call waits in Redis meanwhile.
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(800)
        .arg("WRITE")
        .query_async(&mut admin)
        .await
        .expect("CLIENT PAUSE");
    let held = tokio::spawn({
        let queue = queue.clone();
        async move { queue.push("held", Choice::A).await }
    });
    // The call carrying "held" is in Redis, paused.
    wait_until(Duration::from_secs(5), || async {
        let info: String = redis::cmd("INFO")
            .arg("clients")
            .query_async(&mut redis.client().await)
            .await
            .expect("INFO");
        info.lines().any(|line| line == "blocked_clients:1")
    })
    .await;
    // Polled once, the vote is handed to the queue's task and waits for its answer; then its
    // request goes away.
    let mut abandoned = Box::pin(queue.push("abandoned", Choice::B));
    assert!(futures_util::poll!(&mut abandoned).is_pending());
    drop(abandoned);

    held.await
        .expect("task")
        .expect("recorded once Redis resumes");
    queue.push("after", Choice::B).await.expect("recorded");
    let voters: Vec<String> = queued(&redis)
        .await
        .into_iter()
        .map(|m| m.voter_id)
        .collect();
    assert_eq!(voters, ["warm-up", "held", "after"]);
}

#[tokio::test]
async fn redis_gone_answers_every_waiting_vote_with_an_error_in_time() {
    let mut redis = RedisServer::start().await;
    let queue = queue_for(&redis);
    queue.push("before", Choice::A).await.expect("recorded");
    redis.kill().await;

    let started = std::time::Instant::now();
    let pushes: Vec<_> = (0..50)
        .map(|n| {
            let queue = queue.clone();
            tokio::spawn(async move { queue.push(&format!("v{n}"), Choice::B).await })
        })
        .collect();
    for push in pushes {
        assert!(push.await.expect("task").is_err(), "no Redis, no vote");
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered after {:?}",
        started.elapsed()
    );

    redis.start_again().await;
    // The failures opened Redis's circuit breaker: votes are refused untried until its
    // cool-down ends and one, the probe, finds Redis back.
    wait_until(Duration::from_secs(10), || async {
        queue.push("after", Choice::A).await.is_ok()
    })
    .await;
    let voters: Vec<String> = queued(&redis)
        .await
        .into_iter()
        .map(|m| m.voter_id)
        .collect();
    assert_eq!(voters, ["after"], "a fresh Redis holds only the new vote");
}
