//! Logs and metrics.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

pub use metrics::Unit;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::{ConfigError, Env};

/// Starts `tracing` output on stderr: filtered by `RUST_LOG` (default `info`), as text or, with
/// `LOG_FORMAT=json`, as one JSON object per line. A second call is a no-op.
pub fn init_tracing(env: &Env) -> Result<(), ConfigError> {
    let filter = match env.get("RUST_LOG") {
        Some(spec) => EnvFilter::try_new(spec)
            .map_err(|e| ConfigError::new("RUST_LOG", spec, format_args!("is not valid: {e}")))?,
        None => EnvFilter::new("info"),
    };
    // Colours only for a person at a terminal: in files and `docker logs` the escape codes
    // are noise.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // try_init fails only when a subscriber is already set, which is fine to keep.
    let _ = match env.get("LOG_FORMAT").unwrap_or("text") {
        "text" => builder.try_init(),
        "json" => builder.json().flatten_event(true).try_init(),
        other => {
            return Err(ConfigError::new(
                "LOG_FORMAT",
                other,
                "must be `text` or `json`",
            ));
        }
    };
    Ok(())
}

/// The git commit the binary was built from, shown by `{service}_build_info`: the `GIT_COMMIT`
/// variable at compile time (the images get it as a build argument: scripts/lab passes
/// `git rev-parse --short=12 HEAD`), else `unknown`. Read from the environment rather than from
/// git so that a commit rebuilds nothing: cargo recompiles kit, and all that depends on it,
/// only when `GIT_COMMIT` changes.
pub const COMMIT: &str = match option_env!("GIT_COMMIT") {
    Some(commit) if !commit.is_empty() => commit,
    _ => "unknown",
};

/// The HTTP metrics every service records ([`crate::request_metrics`], [`crate::server`]).
pub const HTTP_REQUESTS: MetricHelp = MetricHelp::counter(
    "http_requests_total",
    "HTTP requests answered, by route pattern (never the raw path), method and status code.",
);
pub const HTTP_REQUEST_DURATION: MetricHelp = MetricHelp::histogram(
    "http_request_duration_seconds",
    Unit::Seconds,
    "Time from a request's arrival to its response's headers, by route pattern; for an event \
     stream, until the stream opens.",
);
pub const HTTP_ACCEPT_ERRORS: MetricHelp = MetricHelp::counter(
    "http_accept_errors_total",
    "Connections the server could not accept, such as when out of file descriptors.",
);
pub const HTTP_CONNECTION_CAP_REACHED: MetricHelp = MetricHelp::counter(
    "http_connection_cap_reached_total",
    "Rounds (of up to 50 ms) a new connection waited because the server held as many \
     connections as it allows; each round asks idle ones to close.",
);
pub const HTTP_IDLE_CONNECTIONS_CLOSED: MetricHelp = MetricHelp::counter(
    "http_idle_connections_closed_total",
    "Idle keep-alive connections closed to make room for new ones at the connection cap.",
);
/// The counter's and the vote app's: each fails a request when Redis does.
pub const REDIS_ERRORS: MetricHelp = MetricHelp::counter(
    "redis_errors_total",
    "Requests answered 503 because Redis failed or did not answer in time.",
);

/// What Prometheus shows about a metric: its name (with its base unit, and `_total` for a
/// counter), its type and unit, and its HELP line. Each service lists its metrics in one table,
/// described when it starts ([`describe_service`]), so that `/metrics` explains every line.
#[derive(Debug, Clone, Copy)]
pub struct MetricHelp {
    pub name: &'static str,
    pub kind: MetricKind,
    pub unit: Unit,
    pub help: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
}

impl MetricHelp {
    /// A counter of events.
    pub const fn counter(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            kind: MetricKind::Counter,
            unit: Unit::Count,
            help,
        }
    }

    pub const fn gauge(name: &'static str, unit: Unit, help: &'static str) -> Self {
        Self {
            name,
            kind: MetricKind::Gauge,
            unit,
            help,
        }
    }

    pub const fn histogram(name: &'static str, unit: Unit, help: &'static str) -> Self {
        Self {
            name,
            kind: MetricKind::Histogram,
            unit,
            help,
        }
    }

    /// Creates the series with these labels at 0 when it does not exist yet (an existing one
    /// keeps its value): a dashboard then shows "0 errors" from the start, not "no data", and
    /// `rate()` sees the first event. A histogram has no such zero: its first sample creates it.
    pub fn start_at_zero(&self, labels: &'static [(&'static str, &'static str)]) {
        match self.kind {
            MetricKind::Counter => metrics::counter!(self.name, labels).increment(0),
            MetricKind::Gauge => metrics::gauge!(self.name, labels).increment(0.0),
            MetricKind::Histogram => {}
        }
    }
}

/// Gives the recorder, installed or being installed ([`recorder`]), the HELP text and unit of
/// each metric in `table`.
pub(crate) fn describe(table: &[MetricHelp]) {
    for metric in table {
        let MetricHelp {
            name, unit, help, ..
        } = *metric;
        match metric.kind {
            MetricKind::Counter => metrics::describe_counter!(name, unit, help),
            MetricKind::Gauge => metrics::describe_gauge!(name, unit, help),
            MetricKind::Histogram => metrics::describe_histogram!(name, unit, help),
        }
    }
}

/// Describes a service's metrics (`table`) and sets `{service}_build_info{version,commit}` to 1,
/// which tells a dashboard which build each instance runs. Every service's `start` calls it,
/// through [`describe_metrics!`](crate::describe_metrics).
pub fn describe_service(service: &'static str, version: &'static str, table: &[MetricHelp]) {
    prometheus();
    describe(table);
    let build_info = format!("{service}_build_info");
    metrics::describe_gauge!(
        build_info.clone(),
        Unit::Count,
        format!(
            "Always 1: its labels are the version and the git commit this {service} was built from."
        )
    );
    metrics::gauge!(build_info, "version" => version, "commit" => COMMIT).set(1.0);
}

/// [`describe_service`] for the calling crate, named and versioned by its `Cargo.toml`:
/// `kit::describe_metrics!(&METRICS)`.
#[macro_export]
macro_rules! describe_metrics {
    ($table:expr) => {
        $crate::telemetry::describe_service(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
            $table,
        )
    };
}

/// The process's Prometheus recorder. `metrics` allows one global recorder per process, and
/// tests run several apps in one process, so it is installed once, on first use.
pub fn prometheus() -> &'static PrometheusHandle {
    &recorder().handle
}

/// The recorder's handle, and what samples the process's CPU, memory, file descriptors and
/// start time at each scrape (`process_*`, as Prometheus's own clients name them).
struct Recorder {
    handle: PrometheusHandle,
    process: metrics_process::Collector,
}

fn recorder() -> &'static Recorder {
    static RECORDER: OnceLock<Recorder> = OnceLock::new();
    RECORDER.get_or_init(|| {
        // Histograms are latencies in seconds up to a few seconds, except `*_size` ones, which
        // count items, and `*_lag_seconds` ones, delays that a backlog or an outage stretches
        // to minutes.
        let builder = PrometheusBuilder::new()
            .set_buckets(&[
                0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                2.5,
            ])
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Suffix("_size".to_owned()),
                    &[1.0, 2.0, 5.0, 10.0, 50.0, 100.0, 500.0, 1000.0, 5000.0],
                )
            })
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Suffix("_lag_seconds".to_owned()),
                    &[
                        0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                        10.0, 30.0, 60.0, 300.0,
                    ],
                )
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics stays empty");
        }
        start_upkeep(handle.clone());
        let process = metrics_process::Collector::default();
        process.describe();
        let kit_metrics = [
            HTTP_REQUESTS,
            HTTP_REQUEST_DURATION,
            HTTP_ACCEPT_ERRORS,
            HTTP_CONNECTION_CAP_REACHED,
            HTTP_IDLE_CONNECTIONS_CLOSED,
        ];
        describe(&kit_metrics);
        for counter in [
            HTTP_ACCEPT_ERRORS,
            HTTP_CONNECTION_CAP_REACHED,
            HTTP_IDLE_CONNECTIONS_CLOSED,
        ] {
            counter.start_at_zero(&[]);
        }
        Recorder { handle, process }
    })
}
/// How often histogram samples are folded into their buckets.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(1);

/// The recorder keeps every histogram sample until upkeep folds it into the buckets; without a
/// scrape nothing did, and a busy service grew by 8 bytes a request (about 10 MiB a minute at
/// 20,000 requests a second). A thread, not a task: the recorder may be installed before any
/// runtime exists, and one sleeping thread costs nothing.
fn start_upkeep(handle: PrometheusHandle) {
    let started = std::thread::Builder::new()
        .name("metrics-upkeep".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                handle.run_upkeep();
            }
        });
    if let Err(e) = started {
        tracing::warn!(error = %e, "cannot start the metrics upkeep thread; histograms are folded at each scrape only");
    }
}

/// The Prometheus text exposition of every metric recorded so far.
pub fn render_metrics() -> String {
    let Recorder { handle, process } = recorder();
    process.collect();
    handle.run_upkeep();
    handle.render()
}
