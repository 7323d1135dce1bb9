//! The wire contract against a real Redis: what its scripts write is what its types write and
//! read.

use kit::queue::{
    self, Choice, DEAD_LETTERS, DeadLetter, MAX_MESSAGE_BYTES, QUEUE, Rejection, TakeLimits,
    VoteMessage,
};
use redis::AsyncCommands;
use test_servers::RedisServer;

const LIMITS: TakeLimits = TakeLimits {
    messages: 100,
    batch_bytes: 1 << 20,
    scan_bytes: 1 << 22,
};

#[tokio::test]
async fn what_the_enqueue_script_writes_is_the_serde_message_and_parses_back_to_it() {
    let redis = RedisServer::start().await;
    let mut conn = redis.client().await;
    let long_id = "é".repeat(255);
    let votes = [
        ("3f9c0a1b2c3d4e5", Choice::A),
        ("quote\" backslash\\ slash/", Choice::B),
        ("tab\t newline\n nul-free \u{1F5F3}", Choice::A),
        (long_id.as_str(), Choice::B),
    ];
    let heads: Vec<String> = votes
        .iter()
        .map(|(voter_id, vote)| VoteMessage::head(voter_id, *vote))
        .collect();
    let heads: Vec<&str> = heads.iter().map(String::as_str).collect();
    let first = queue::enqueue(&mut conn, &heads).await.expect("enqueue");

    let written: Vec<String> = conn.lrange(QUEUE, 0, -1).await.expect("LRANGE");
    assert_eq!(written.len(), votes.len());
    for ((seq, (voter_id, vote)), raw) in (first..).zip(votes).zip(&written) {
        let sent = VoteMessage {
            voter_id: voter_id.to_owned(),
            vote,
            seq: Some(seq),
        };
        assert_eq!(raw, &sent.to_json());
        assert_eq!(VoteMessage::parse(raw.as_bytes()), Ok(sent));
    }
}

#[tokio::test]
async fn the_take_script_numbers_the_original_apps_message_so_that_it_parses_with_a_seq() {
    let redis = RedisServer::start().await;
    let mut conn = redis.client().await;
    conn.rpush::<_, _, ()>(QUEUE, r#"{"voter_id": "3f9c0a1b2c3d4e5", "vote": "a"}"#)
        .await
        .expect("RPUSH");
    let taken = queue::take(&mut conn, "w", LIMITS).await.expect("take");
    assert_eq!(taken.messages.len(), 1);
    let message = VoteMessage::parse(&taken.messages[0]).expect("a valid message");
    assert_eq!(message.voter_id, "3f9c0a1b2c3d4e5");
    assert_eq!(message.vote, Choice::A);
    assert!(message.seq.is_some(), "{message:?}");
}

#[tokio::test]
async fn what_the_take_script_dead_letters_is_what_a_dead_letter_writes() {
    let redis = RedisServer::start().await;
    let mut conn = redis.client().await;
    let oversized = format!(
        r#"{{"voter_id":"big","vote":"a","pad":"é\n{}"}}"#,
        "x".repeat(MAX_MESSAGE_BYTES)
    );
    conn.rpush::<_, _, ()>(QUEUE, &oversized)
        .await
        .expect("RPUSH");
    let taken = queue::take(&mut conn, "w", LIMITS).await.expect("take");
    assert!(taken.messages.is_empty());
    assert_eq!(taken.dead_lettered, 1);

    let letters: Vec<String> = conn.lrange(DEAD_LETTERS, 0, -1).await.expect("LRANGE");
    let written = DeadLetter {
        reason: Rejection::TooLarge.to_string(),
        message: oversized.into_bytes(),
    }
    .to_json();
    let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).expect("JSON");
    assert_eq!(letters.len(), 1);
    assert_eq!(json(&letters[0]), json(&written));
}
