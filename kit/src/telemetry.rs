//! Logs and metrics.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

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

/// The process's Prometheus recorder. `metrics` allows one global recorder per process, and
/// tests run several apps in one process, so it is installed once, on first use.
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        // Histograms are latencies in seconds, except `*_size` ones, which count items.
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
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder was installed first; /metrics stays empty");
        }
        start_upkeep(handle.clone());
        handle
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
    let handle = prometheus();
    handle.run_upkeep();
    handle.render()
}
