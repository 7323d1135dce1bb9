//! Simulated visitors of the counter: `GET /`, each answer `Hello from Redis! I have been seen
//! N times.`, and the course's check that concurrent visitors all got different numbers with
//! none skipped.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::driver::{self, Limits, Session};
use crate::http::{Connection, Failure};
use crate::progress::Display;
use crate::stats::Summary;
use crate::target::Target;

/// One visitor: remembers the numbers it was given.
#[derive(Debug, Default)]
pub struct Visitor {
    seen: Vec<i64>,
}

impl Session for Visitor {
    async fn step(&mut self, conn: &mut Connection, timeout: Duration) -> Result<(), Failure> {
        // What curl sends: the plain-text answer, as the Flask app printed it.
        let response = conn.get_ok("*/*", timeout).await?;
        let n = parse_count(response.body()).ok_or(Failure::BadAnswer(
            "not \"Hello from Redis! I have been seen N times.\"",
        ))?;
        self.seen.push(n);
        Ok(())
    }
}

/// N from `Hello from Redis! I have been seen N times.`
pub fn parse_count(body: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(body).ok()?.trim_end();
    text.strip_prefix("Hello from Redis! I have been seen ")?
        .strip_suffix(" times.")?
        .parse()
        .ok()
}

/// Whether the numbers handed out are distinct and contiguous.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Numbers {
    pub count: usize,
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Numbers given to more than one request: INCR would never do that.
    pub duplicates: Vec<i64>,
    /// Numbers inside the range that nobody here got (another visitor, or a request that
    /// failed after the INCR).
    pub missing: u64,
}

impl Numbers {
    pub fn check(mut seen: Vec<i64>) -> Self {
        seen.sort_unstable();
        let mut duplicates = Vec::new();
        let mut missing = 0u64;
        for pair in seen.windows(2) {
            let gap = pair[1] - pair[0];
            if gap == 0 {
                if duplicates.last() != Some(&pair[0]) {
                    duplicates.push(pair[0]);
                }
            } else {
                missing += u64::try_from(gap - 1).unwrap_or(0);
            }
        }
        Self {
            count: seen.len(),
            first: seen.first().copied(),
            last: seen.last().copied(),
            duplicates,
            missing,
        }
    }

    pub fn ok(&self) -> bool {
        self.duplicates.is_empty() && self.missing == 0
    }
}

impl fmt::Display for Numbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return f.write_str("numbers     none received");
        };
        write!(
            f,
            "numbers     {} received, {first} to {last}: ",
            self.count
        )?;
        if self.ok() {
            return f.write_str("all distinct, none missing");
        }
        if !self.duplicates.is_empty() {
            let shown: Vec<String> = self
                .duplicates
                .iter()
                .take(10)
                .map(i64::to_string)
                .collect();
            write!(
                f,
                "{} DUPLICATED (e.g. {}) ",
                self.duplicates.len(),
                shown.join(", ")
            )?;
        }
        if self.missing > 0 {
            write!(
                f,
                "{} MISSING inside the range (another visitor, or a failed request)",
                self.missing
            )?;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub struct CounterRun {
    pub summary: Summary,
    pub numbers: Numbers,
}

pub async fn run(target: Target, limits: Limits, display: Display) -> anyhow::Result<CounterRun> {
    let visitors = (0..limits.clients).map(|_| Visitor::default()).collect();
    let run = driver::drive(target, limits, visitors, display, "visits").await?;
    let seen = run.sessions.into_iter().flat_map(|v| v.seen).collect();
    Ok(CounterRun {
        summary: run.summary,
        numbers: Numbers::check(seen),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_flask_sentence() {
        assert_eq!(
            parse_count(b"Hello from Redis! I have been seen 42 times.\n"),
            Some(42)
        );
        assert_eq!(
            parse_count(b"Hello from Redis! I have been seen many times."),
            None
        );
        assert_eq!(parse_count(b"<html>"), None);
    }

    #[test]
    fn contiguous_distinct_numbers_pass() {
        let n = Numbers::check(vec![5, 3, 4, 6]);
        assert!(n.ok(), "{n}");
        assert_eq!((n.first, n.last, n.count), (Some(3), Some(6), 4));
    }

    #[test]
    fn duplicates_and_gaps_fail() {
        let n = Numbers::check(vec![1, 2, 2, 2, 5]);
        assert!(!n.ok());
        assert_eq!(n.duplicates, vec![2]);
        assert_eq!(n.missing, 2);
        let text = n.to_string();
        assert!(
            text.contains("DUPLICATED") && text.contains("2 MISSING"),
            "{text}"
        );
    }
}
