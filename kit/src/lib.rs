//! The parts every service of the voting lab shares, so that each service's own code is only
//! what makes it different.
//!
//! - [`config`]: environment variables read once into typed settings, with one-line errors that
//!   name the variable;
//! - [`redis_client`] (feature `redis`) and [`postgres_client`] (feature `postgres`): the shared
//!   Redis connection, the PostgreSQL pool and dedicated connections, with bounded timeouts, so
//!   a dead backend turns into a quick error instead of a hung request; [`backoff`]: an outage
//!   logged once, retried with a capped backoff; [`breaker`]: a circuit breaker in front of a
//!   backend, so calls fail at once while it does not answer;
//! - [`telemetry`]: `tracing` logs (`RUST_LOG`, `LOG_FORMAT=json`) and the one Prometheus recorder,
//!   which serves every metric with its HELP text, the process's metrics and `{service}_build_info`;
//! - [`http`]: `/healthz`, `/metrics`, request metrics, the 404 fallback and body limits;
//!   [`readiness`]: `/readyz` from named checks;
//! - [`queue`]: the wire contract between the vote app and the workers (every Redis key, the
//!   message, the dead letters, the Lua scripts; the calls need feature `redis`);
//!   [`schema`] (feature `postgres`): the PostgreSQL tables the worker and the result app share;
//!   [`labels`]: the ballot's labels the vote and result pages show; [`language`]: the
//!   language of each page (`Accept-Language`, or `LAB_LANGUAGE` for the whole lab);
//! - [`server`]: serving HTTP with a header-read timeout and a connection cap, until a stop
//!   signal ([`shutdown`]);
//! - [`service`](mod@service): the shared `main` of every binary, including its `healthcheck`
//!   subcommand ([`healthcheck`]), and [`service::Running`], what each service crate's `start`
//!   returns.
//!
//! Every service crate has the same entry point, `start(config, listener, shutdown)`, named by
//! its `SERVICE` ([`service::Service`]): its binary (and the lab's combined one) runs that with
//! [`service::main`], which reads the process environment ([`config::Env::from_process`]) and
//! binds the port; tests call the same `start` with values of their own and a loopback listener.

pub mod backoff;
pub mod breaker;
pub mod config;
pub mod fault;
pub mod healthcheck;
pub mod host_check;
pub mod http;
pub mod labels;
pub mod language;
#[cfg(feature = "postgres")]
pub mod postgres_client;
pub mod queue;
pub mod readiness;
#[cfg(feature = "redis")]
pub mod redis_client;
pub mod request_metrics;
#[cfg(feature = "postgres")]
pub mod schema;
pub mod server;
pub mod service;
pub mod shutdown;
pub mod telemetry;
