//! What PostgreSQL must end up holding for the voters this run created: one row per voter,
//! with the voter's last acknowledged choice.
//!
//! A request that failed may still have been recorded (a timeout after the server's RPUSH, for
//! instance), so its choice is also accepted for that voter, and a voter none of whose votes was
//! acknowledged may have no row at all. With no failed request, the check is exact.

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use kit::queue::Choice;
use serde::{Deserialize, Serialize};

/// One voter's expected row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    /// The choice of the voter's last vote the vote app acknowledged (303).
    pub last: Option<Choice>,
    /// Choices of votes whose outcome is unknown: accepted too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maybe: Vec<Choice>,
}

/// One line of a saved ledger.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    voter: String,
    #[serde(flatten)]
    expected: Expected,
}

impl Expected {
    fn maybe(&mut self, choice: Choice) {
        if !self.maybe.contains(&choice) {
            self.maybe.push(choice);
        }
    }

    /// Whether a row holding `found` (`None`: no row) is right for this voter.
    pub fn accepts(&self, found: Option<Choice>) -> bool {
        match found {
            None => self.last.is_none(),
            Some(choice) => self.last == Some(choice) || self.maybe.contains(&choice),
        }
    }
}

/// Voter id (from the `voter_id` cookie) to expected row.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    voters: HashMap<String, Expected>,
}

impl Ledger {
    /// The vote app answered 303: this is now the voter's latest vote. Votes are sent one after
    /// the other per voter, and `seq` grows with each, so the newest acknowledged one wins.
    pub fn acknowledged(&mut self, voter: &str, choice: Choice) {
        match self.voters.get_mut(voter) {
            Some(expected) => expected.last = Some(choice),
            None => {
                self.voters.insert(
                    voter.to_owned(),
                    Expected {
                        last: Some(choice),
                        maybe: Vec::new(),
                    },
                );
            }
        }
    }

    /// A vote by a known voter failed: it may or may not have been recorded, and even ordered
    /// after a later acknowledged one (a request still running on the server after the
    /// client gave up), so its choice stays acceptable.
    pub fn uncertain(&mut self, voter: &str, choice: Choice) {
        self.voters
            .entry(voter.to_owned())
            .or_default()
            .maybe(choice);
    }

    /// Adds another client's voters. Voter ids are random 64-bit numbers, so two clients
    /// sharing one is next to impossible; if it happens, either client's choice is accepted.
    pub fn merge(&mut self, other: Ledger) {
        for (voter, theirs) in other.voters {
            match self.voters.get_mut(&voter) {
                None => {
                    self.voters.insert(voter, theirs);
                }
                Some(ours) => {
                    for choice in theirs.last.into_iter().chain(theirs.maybe) {
                        ours.maybe(choice);
                    }
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.voters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.voters.is_empty()
    }

    pub fn get(&self, voter: &str) -> Option<&Expected> {
        self.voters.get(voter)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Expected)> {
        self.voters.iter()
    }

    /// Saves the ledger as JSON lines, `{"voter":"…","last":"a"}`, for `loadgen verify` to
    /// check later (after the worker was started, or restarted, say).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let file = std::fs::File::create(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let mut out = BufWriter::new(file);
        for (voter, expected) in &self.voters {
            let line = Line {
                voter: voter.clone(),
                expected: expected.clone(),
            };
            serde_json::to_writer(&mut out, &line)?;
            out.write_all(b"\n")?;
        }
        out.flush()
            .with_context(|| format!("cannot write {}", path.display()))
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut ledger = Ledger::default();
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.with_context(|| format!("cannot read {}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            let Line { voter, expected } = serde_json::from_str(&line)
                .with_context(|| format!("{} line {}: not a ledger line", path.display(), n + 1))?;
            let mut one = Ledger::default();
            one.voters.insert(voter, expected);
            ledger.merge(one);
        }
        Ok(ledger)
    }

    /// Voters with at least one acknowledged vote.
    pub fn acknowledged_voters(&self) -> usize {
        self.voters.values().filter(|e| e.last.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_acknowledged_vote_is_expected() {
        let mut ledger = Ledger::default();
        ledger.acknowledged("v", Choice::A);
        ledger.acknowledged("v", Choice::B);
        let e = ledger.get("v").unwrap();
        assert!(e.accepts(Some(Choice::B)));
        assert!(!e.accepts(Some(Choice::A)));
        assert!(!e.accepts(None), "an acknowledged vote must have a row");
    }

    #[test]
    fn an_uncertain_vote_widens_what_is_accepted() {
        let mut ledger = Ledger::default();
        ledger.uncertain("v", Choice::A);
        let e = ledger.get("v").unwrap();
        assert!(e.accepts(None) && e.accepts(Some(Choice::A)));
        assert!(!e.accepts(Some(Choice::B)));
        ledger.acknowledged("v", Choice::B);
        let e = ledger.get("v").unwrap();
        assert!(e.accepts(Some(Choice::A)) && e.accepts(Some(Choice::B)));
        assert!(!e.accepts(None));
    }

    #[test]
    fn a_saved_ledger_loads_back_the_same() {
        let mut ledger = Ledger::default();
        ledger.acknowledged("v1", Choice::A);
        ledger.uncertain("v2", Choice::B);
        ledger.acknowledged("v3", Choice::B);
        ledger.uncertain("v3", Choice::A);
        let dir = std::env::temp_dir().join(format!("loadgen-ledger-{}", std::process::id()));
        ledger.save(&dir).unwrap();
        let loaded = Ledger::load(&dir).unwrap();
        let _ = std::fs::remove_file(&dir);
        assert_eq!(loaded.len(), 3);
        for id in ["v1", "v2", "v3"] {
            assert_eq!(loaded.get(id), ledger.get(id), "{id}");
        }
    }

    #[test]
    fn merging_keeps_every_clients_voters() {
        let mut one = Ledger::default();
        one.acknowledged("x", Choice::A);
        let mut two = Ledger::default();
        two.acknowledged("y", Choice::B);
        two.acknowledged("x", Choice::B);
        one.merge(two);
        assert_eq!(one.len(), 2);
        assert!(one.get("x").unwrap().accepts(Some(Choice::B)));
        assert!(one.get("x").unwrap().accepts(Some(Choice::A)));
        assert_eq!(one.acknowledged_voters(), 2);
    }
}
