//! Counting requests as they complete and summing them up: latency percentiles, errors by kind,
//! throughput.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies are kept in microseconds, from 1 µs to a minute, to three significant digits.
const LOWEST_US: u64 = 1;
const HIGHEST_US: u64 = 60_000_000;
const SIGNIFICANT_DIGITS: u8 = 3;

/// Clients record into one of a few shards, chosen by client number, so that recording is one
/// uncontended lock instead of a histogram per client (a histogram is about 140 KiB, and a run
/// may have thousands of clients).
const SHARDS: usize = 16;

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS)
        .expect("constant bounds are valid")
}

pub fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros())
        .unwrap_or(u64::MAX)
        .clamp(LOWEST_US, HIGHEST_US)
}

/// Latencies of successful requests, shared by all clients of a run.
#[derive(Debug)]
pub struct Latencies {
    shards: Vec<Mutex<Histogram<u64>>>,
}

impl Default for Latencies {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(new_histogram())).collect(),
        }
    }
}

impl Latencies {
    pub fn record(&self, client: usize, latency: Duration) {
        let mut shard = self.shards[client % SHARDS]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        shard.saturating_record(micros(latency));
    }

    pub fn merged(&self) -> Histogram<u64> {
        let mut all = new_histogram();
        for shard in &self.shards {
            let shard = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            all.add(&*shard).expect("same bounds");
        }
        all
    }
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Percentiles {
    pub fn of(histogram: &Histogram<u64>) -> Self {
        if histogram.is_empty() {
            return Self::default();
        }
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            max_ms: ms(histogram.max()),
        }
    }
}

impl fmt::Display for Percentiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.p50_ms, self.p90_ms, self.p99_ms, self.max_ms
        )
    }
}

/// What a run did, as printed at the end and written by `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub seconds: f64,
    pub requests_per_second: f64,
    pub latency: Percentiles,
    /// The run stopped at `--max-seconds` before sending everything it was asked to.
    pub stopped_by_time_limit: bool,
}

impl Summary {
    pub fn new(
        ok: u64,
        errors_by_kind: BTreeMap<String, u64>,
        elapsed: Duration,
        latencies: &Histogram<u64>,
        stopped_by_time_limit: bool,
    ) -> Self {
        let errors: u64 = errors_by_kind.values().sum();
        let requests = ok + errors;
        let seconds = elapsed.as_secs_f64();
        Self {
            requests,
            ok,
            errors,
            errors_by_kind,
            seconds,
            requests_per_second: if seconds > 0.0 {
                requests as f64 / seconds
            } else {
                0.0
            },
            latency: Percentiles::of(latencies),
            stopped_by_time_limit,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "requests    {} in {:.2} s ({:.0}/s){}",
            self.requests,
            self.seconds,
            self.requests_per_second,
            if self.stopped_by_time_limit {
                ", stopped by --max-seconds"
            } else {
                ""
            }
        )?;
        writeln!(f, "ok          {}", self.ok)?;
        writeln!(f, "errors      {}", self.errors)?;
        for (kind, count) in &self.errors_by_kind {
            writeln!(f, "  {count:>9}  {kind}")?;
        }
        write!(f, "latency     {}", self.latency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_all_shards() {
        let latencies = Latencies::default();
        for i in 1..=100u64 {
            latencies.record(i as usize, Duration::from_millis(i));
        }
        let p = Percentiles::of(&latencies.merged());
        assert!((p.p50_ms - 50.0).abs() < 0.1, "{p:?}");
        assert!((p.p99_ms - 99.0).abs() < 0.1, "{p:?}");
        assert!((p.max_ms - 100.0).abs() < 0.1, "{p:?}");
    }

    #[test]
    fn summary_counts_errors_as_requests() {
        let errors = BTreeMap::from([("timeout".to_owned(), 2), ("HTTP 503".to_owned(), 3)]);
        let s = Summary::new(95, errors, Duration::from_secs(2), &new_histogram(), false);
        assert_eq!((s.requests, s.errors), (100, 5));
        assert!((s.requests_per_second - 50.0).abs() < 1e-9);
        let text = s.to_string();
        assert!(text.contains("        3  HTTP 503"), "{text}");
    }
}
