//! The PostgreSQL side of the worker: turning a batch of raw messages into one upsert.

use std::collections::HashMap;

use deadpool_postgres::Client;
use kit::queue::{DeadLetter, VoteMessage};

/// What a batch of raw messages amounts to.
pub struct Plan {
    /// At most one vote per voter, sorted by voter id so that concurrent workers lock rows in
    /// the same order and cannot deadlock.
    pub votes: Vec<VoteMessage>,
    pub dead: Vec<DeadLetter>,
}

/// Validates and de-duplicates a batch, in queue order. Of one voter's votes, the one with the
/// highest `seq` wins; without `seq`, the later one in the queue.
pub fn plan(raw: Vec<Vec<u8>>) -> Plan {
    let mut latest: HashMap<String, VoteMessage> = HashMap::with_capacity(raw.len());
    let mut dead = Vec::new();
    for message in raw {
        match VoteMessage::parse(&message) {
            Ok(vote) => match latest.get(&vote.voter_id) {
                Some(kept) if is_older(&vote, kept) => {}
                _ => {
                    latest.insert(vote.voter_id.clone(), vote);
                }
            },
            Err(reason) => dead.push(DeadLetter {
                reason: reason.to_string(),
                message,
            }),
        }
    }
    let mut votes: Vec<VoteMessage> = latest.into_values().collect();
    votes.sort_unstable_by(|a, b| a.voter_id.cmp(&b.voter_id));
    Plan { votes, dead }
}

/// `later` came after `kept` in the queue; it loses only to a strictly newer `seq`.
fn is_older(later: &VoteMessage, kept: &VoteMessage) -> bool {
    matches!((later.seq, kept.seq), (Some(l), Some(k)) if l < k)
}

/// Applies the votes in one transaction. Returns the rows inserted or changed.
pub async fn apply(
    client: &mut Client,
    votes: &[VoteMessage],
) -> Result<u64, tokio_postgres::Error> {
    if votes.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = votes.iter().map(|v| v.voter_id.as_str()).collect();
    let choices: Vec<&str> = votes.iter().map(|v| v.vote.as_str()).collect();
    let seqs: Vec<Option<i64>> = votes.iter().map(|v| v.seq).collect();
    let tx = client.transaction().await?;
    let upsert = tx.prepare_cached(kit::schema::UPSERT_VOTES).await?;
    let changed = tx.execute(&upsert, &[&ids, &choices, &seqs]).await?;
    tx.commit().await?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kit::queue::Choice;

    fn msg(id: &str, vote: &str, seq: Option<i64>) -> Vec<u8> {
        match seq {
            Some(s) => format!(r#"{{"voter_id":"{id}","vote":"{vote}","seq":{s}}}"#),
            None => format!(r#"{{"voter_id": "{id}", "vote": "{vote}"}}"#),
        }
        .into_bytes()
    }

    #[test]
    fn keeps_each_voters_latest_vote() {
        let plan = plan(vec![
            msg("v1", "a", Some(1)),
            msg("v2", "a", None),
            msg("v1", "b", Some(3)),
            msg("v2", "b", None),
            msg("v1", "a", Some(2)), // recovered late: older than seq 3
        ]);
        let got: Vec<(&str, Choice)> = plan
            .votes
            .iter()
            .map(|v| (v.voter_id.as_str(), v.vote))
            .collect();
        assert_eq!(got, vec![("v1", Choice::B), ("v2", Choice::B)]);
        assert!(plan.dead.is_empty());
    }

    #[test]
    fn poison_is_set_aside_with_reasons_and_good_votes_stay() {
        let plan = plan(vec![
            msg("ok1", "a", None),
            b"garbage".to_vec(),
            msg("bad", "c", None),
            msg("ok2", "b", Some(9)),
        ]);
        assert_eq!(plan.votes.len(), 2);
        let reasons: Vec<&str> = plan.dead.iter().map(|d| d.reason.as_str()).collect();
        assert_eq!(
            reasons,
            vec![
                "message is not a JSON object",
                "vote is missing or not \"a\" or \"b\""
            ]
        );
    }

    #[test]
    fn votes_are_sorted_by_voter_for_lock_order() {
        let plan = plan(vec![
            msg("z", "a", None),
            msg("a", "a", None),
            msg("m", "b", None),
        ]);
        let ids: Vec<&str> = plan.votes.iter().map(|v| v.voter_id.as_str()).collect();
        assert_eq!(ids, vec!["a", "m", "z"]);
    }
}
