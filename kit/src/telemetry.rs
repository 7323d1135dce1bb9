//! Logs and metrics.

use std::sync::OnceLock;

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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
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
        handle
    })
}

/// The Prometheus text exposition of every metric recorded so far.
pub fn render_metrics() -> String {
    let handle = prometheus();
    handle.run_upkeep();
    handle.render()
}
