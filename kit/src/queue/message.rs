//! The message on the list [`super::QUEUE`]: its type, its validation, and the writer's form.
//!
//! The original Python vote app pushes `{"voter_id": "3f9c0a1b2c3d4e5", "vote": "a"}`. Ours adds
//! `seq`, a number that grows with every vote cast, so that when one voter votes several times
//! the last vote wins even when several workers apply batches out of order or a batch is
//! replayed after a crash. The vote app sends [`VoteMessage::head`] and the enqueue script
//! ([`super::scripts::ENQUEUE`]) closes it with the `seq` from Redis's clock. Messages without
//! `seq` (the original app's) get one from the same clock when a worker first takes them
//! ([`super::scripts::TAKE`]), so they are ordered by when they were taken, not when they were
//! pushed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The longest message worth parsing; the original's are under 60 bytes.
pub const MAX_MESSAGE_BYTES: usize = 4096;
/// `votes.id` is `VARCHAR(255)`.
pub const MAX_VOTER_ID_CHARS: usize = 255;

/// One of the two options on the ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    A,
    B,
}

impl Choice {
    pub fn as_str(self) -> &'static str {
        match self {
            Choice::A => "a",
            Choice::B => "b",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "a" => Some(Choice::A),
            "b" => Some(Choice::B),
            _ => None,
        }
    }
}

/// A valid vote message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteMessage {
    pub voter_id: String,
    pub vote: Choice,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
}

/// Why a message can never be applied; the worker moves it to [`super::DEAD_LETTERS`] with this
/// text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("message is larger than {MAX_MESSAGE_BYTES} bytes")]
    TooLarge,
    #[error("message is not a JSON object")]
    NotJson,
    #[error("voter_id is missing or not a string")]
    NoVoterId,
    #[error("voter_id is empty")]
    EmptyVoterId,
    #[error("voter_id is longer than {MAX_VOTER_ID_CHARS} characters")]
    LongVoterId,
    /// PostgreSQL text cannot hold NUL: such a row would fail its whole batch, forever.
    #[error("voter_id contains a NUL character")]
    NulInVoterId,
    #[error("vote is missing or not \"a\" or \"b\"")]
    BadVote,
    #[error("seq is not a positive integer")]
    BadSeq,
}

impl VoteMessage {
    /// Validates a raw message from the queue, field by field, so each rejection says why.
    pub fn parse(raw: &[u8]) -> Result<Self, Rejection> {
        if raw.len() > MAX_MESSAGE_BYTES {
            return Err(Rejection::TooLarge);
        }
        let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(raw) else {
            return Err(Rejection::NotJson);
        };
        let voter_id = match fields.get("voter_id") {
            Some(Value::String(id)) => id,
            _ => return Err(Rejection::NoVoterId),
        };
        if voter_id.is_empty() {
            return Err(Rejection::EmptyVoterId);
        }
        if voter_id.chars().count() > MAX_VOTER_ID_CHARS {
            return Err(Rejection::LongVoterId);
        }
        if voter_id.contains('\0') {
            return Err(Rejection::NulInVoterId);
        }
        let vote = match fields.get("vote") {
            Some(Value::String(v)) => Choice::parse(v).ok_or(Rejection::BadVote)?,
            _ => return Err(Rejection::BadVote),
        };
        let seq = match fields.get("seq") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_i64().filter(|s| *s > 0).ok_or(Rejection::BadSeq)?),
        };
        Ok(Self {
            voter_id: voter_id.clone(),
            vote,
            seq,
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// What the vote app sends for a vote: the message as [`Self::to_json`] writes it, up to the
    /// value of `seq`, which the enqueue script appends with the closing brace.
    pub fn head(voter_id: &str, vote: Choice) -> String {
        let unnumbered = Self {
            voter_id: voter_id.to_owned(),
            vote,
            seq: None,
        };
        let mut head = unnumbered.to_json();
        head.pop();
        head.push_str(r#","seq":"#);
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_original_apps_message_byte_for_byte() {
        let raw = br#"{"voter_id": "3f9c0a1b2c3d4e5", "vote": "a"}"#;
        let msg = VoteMessage::parse(raw).unwrap();
        assert_eq!(msg.voter_id, "3f9c0a1b2c3d4e5");
        assert_eq!(msg.vote, Choice::A);
        assert_eq!(msg.seq, None);
    }

    #[test]
    fn round_trips_with_seq_and_keeps_original_field_names() {
        let msg = VoteMessage {
            voter_id: "x_y-1".into(),
            vote: Choice::B,
            seq: Some(42),
        };
        let json = msg.to_json();
        assert_eq!(json, r#"{"voter_id":"x_y-1","vote":"b","seq":42}"#);
        assert_eq!(VoteMessage::parse(json.as_bytes()).unwrap(), msg);
    }

    #[test]
    fn rejects_each_kind_of_poison_with_its_reason() {
        let long_id = format!(r#"{{"voter_id":"{}","vote":"a"}}"#, "x".repeat(256));
        let huge = format!(
            r#"{{"voter_id":"v","vote":"a","pad":"{}"}}"#,
            "x".repeat(5000)
        );
        let cases: Vec<(&[u8], Rejection)> = vec![
            (b"not json", Rejection::NotJson),
            (b"[1,2]", Rejection::NotJson),
            (br#"{"vote":"a"}"#, Rejection::NoVoterId),
            (br#"{"voter_id":7,"vote":"a"}"#, Rejection::NoVoterId),
            (br#"{"voter_id":"","vote":"a"}"#, Rejection::EmptyVoterId),
            (
                br#"{"voter_id":"x\u0000","vote":"a"}"#,
                Rejection::NulInVoterId,
            ),
            (long_id.as_bytes(), Rejection::LongVoterId),
            (br#"{"voter_id":"v"}"#, Rejection::BadVote),
            (br#"{"voter_id":"v","vote":"c"}"#, Rejection::BadVote),
            (br#"{"voter_id":"v","vote":"A"}"#, Rejection::BadVote),
            (
                br#"{"voter_id":"v","vote":"a","seq":-1}"#,
                Rejection::BadSeq,
            ),
            (
                br#"{"voter_id":"v","vote":"a","seq":"1"}"#,
                Rejection::BadSeq,
            ),
            (huge.as_bytes(), Rejection::TooLarge),
        ];
        for (raw, want) in cases {
            assert_eq!(
                VoteMessage::parse(raw),
                Err(want),
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn a_255_character_voter_id_is_fine() {
        let raw = format!(r#"{{"voter_id":"{}","vote":"b"}}"#, "é".repeat(255));
        assert!(VoteMessage::parse(raw.as_bytes()).is_ok());
    }

    #[test]
    fn the_head_is_the_serde_message_up_to_its_seq() {
        let voter_id = "quote\" backslash\\ é";
        let head = VoteMessage::head(voter_id, Choice::A);
        let whole = VoteMessage {
            voter_id: voter_id.to_owned(),
            vote: Choice::A,
            seq: Some(7),
        };
        assert_eq!(format!("{head}7}}"), whole.to_json());
    }
}
