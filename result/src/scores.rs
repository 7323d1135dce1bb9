//! The numbers a results page shows.

use serde::Serialize;

/// Votes for each option.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Scores {
    pub a: i64,
    pub b: i64,
}

impl Scores {
    pub fn total(self) -> i64 {
        self.a + self.b
    }

    /// `a% = round(a / total * 100)`, `b% = 100 - a%`, so they always add up to 100; 50/50
    /// when nobody voted yet.
    pub fn percents(self) -> (i64, i64) {
        let total = self.total();
        if total <= 0 {
            return (50, 50);
        }
        // Integer rounding, half up, without floating point.
        let a = (self.a * 200 + total) / (total * 2);
        (a, 100 - a)
    }

    pub fn total_text(self) -> String {
        match self.total() {
            0 => "No votes yet".to_owned(),
            1 => "1 vote".to_owned(),
            n => format!("{n} votes"),
        }
    }
}

/// The scores as last read, and whether that read is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub scores: Scores,
    /// PostgreSQL could not be read lately: these are the last known numbers.
    pub stale: bool,
}

impl Snapshot {
    /// Before the first read: nothing known yet, so not fresh.
    pub const UNKNOWN: Snapshot = Snapshot {
        scores: Scores { a: 0, b: 0 },
        stale: true,
    };
}

/// The JSON of `/api/results` and of each `scores` event.
#[derive(Debug, Serialize)]
pub struct ScoresJson {
    pub a: i64,
    pub b: i64,
    pub total: i64,
    pub a_percent: i64,
    pub b_percent: i64,
    pub total_text: String,
    pub stale: bool,
}

impl From<Snapshot> for ScoresJson {
    fn from(snapshot: Snapshot) -> Self {
        let Snapshot { scores, stale } = snapshot;
        let (a_percent, b_percent) = scores.percents();
        Self {
            a: scores.a,
            b: scores.b,
            total: scores.total(),
            a_percent,
            b_percent,
            total_text: scores.total_text(),
            stale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(a: i64, b: i64) -> (i64, i64) {
        Scores { a, b }.percents()
    }

    #[test]
    fn percentages_round_and_add_up_to_100() {
        assert_eq!(pct(0, 0), (50, 50));
        assert_eq!(pct(1, 0), (100, 0));
        assert_eq!(pct(0, 3), (0, 100));
        assert_eq!(pct(1, 1), (50, 50));
        assert_eq!(pct(1, 2), (33, 67));
        assert_eq!(pct(2, 1), (67, 33));
        assert_eq!(pct(1, 7), (13, 87)); // 12.5 rounds half up
        assert_eq!(pct(5, 995), (1, 99)); // 0.5 rounds half up
        assert_eq!(pct(4, 995), (0, 100));
        for a in 0..50 {
            for b in 0..50 {
                let (pa, pb) = pct(a, b);
                assert_eq!(pa + pb, 100);
                if a + b > 0 {
                    // |pa - 100a/total| <= 1/2, in integers: |pa*total - 100a| * 2 <= total.
                    let total = a + b;
                    assert!((pa * total - 100 * a).abs() * 2 <= total, "{a}/{b}");
                }
            }
        }
    }

    #[test]
    fn total_reads_naturally() {
        assert_eq!(Scores { a: 0, b: 0 }.total_text(), "No votes yet");
        assert_eq!(Scores { a: 0, b: 1 }.total_text(), "1 vote");
        assert_eq!(Scores { a: 2, b: 1 }.total_text(), "3 votes");
    }
}
