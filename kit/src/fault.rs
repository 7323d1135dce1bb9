//! Fault injection, the podinfo and emojivoto way: a service can be told to misbehave, so that
//! a class watches the load balancer, the breakers and the dashboards react. Off unless the
//! deployment turns it on (`FAULT_INJECTION=on`: the Compose lab does, the Swarm stack and the
//! Kubernetes manifests do not).
//!
//! A service told `error 0.5` answers half of its requests 500; `delay 300ms` answers each
//! 300 ms late; `unready` makes its `/readyz` answer 503 while it goes on serving; `stall`
//! holds the worker's commits; `off` ends them all. `/readyz` answers to `unready` only, and
//! `/healthz`, `/metrics` and `/fault` itself never misbehave. The service's own binary drives it, in its container, without a
//! shell: `docker compose exec --index 2 vote /usr/local/bin/vote fault error 0.5` sends
//! `POST /fault` to its loopback address. Requests from anywhere else are refused, so a
//! published port lets nobody on the network break the lab. Each change is logged and shown
//! on `/metrics` (`fault_injected{kind}`, where fault injection is on).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, Env};
use crate::telemetry::{self, MetricHelp, Unit};

/// The variable that allows fault injection: `on` or `off` (the default).
pub const VAR: &str = "FAULT_INJECTION";
/// The longest delay a fault may add: longer would only look like a hung service.
pub const LONGEST_DELAY: Duration = Duration::from_secs(30);

pub const INJECTED: MetricHelp = MetricHelp::gauge(
    "fault_injected",
    Unit::Count,
    "Faults this process was told to inject (FAULT_INJECTION=on), by kind: error (the share of \
     requests answered 500), delay_seconds (added to each request), unready (1: /readyz answers \
     503), stall (1: the worker holds its commits). All 0: it behaves.",
);

/// What a service is told to do wrong now.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// The share of requests answered 500, from 0 to 1.
    pub error_share: f64,
    pub delay: Duration,
    pub unready: bool,
    pub stall: bool,
}

impl std::fmt::Display for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if *self == Faults::default() {
            return f.write_str("no fault");
        }
        let mut parts = Vec::new();
        if self.error_share > 0.0 {
            parts.push(format!("error {}", self.error_share));
        }
        if !self.delay.is_zero() {
            parts.push(format!("delay {:?}", self.delay));
        }
        if self.unready {
            parts.push("unready".to_owned());
        }
        if self.stall {
            parts.push("stall".to_owned());
        }
        f.write_str(&parts.join(", "))
    }
}

/// One change, as the command line and `POST /fault` say it: `error 0.5`, `delay 300ms`,
/// `unready`, `stall`, `off`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultChange {
    Error(f64),
    Delay(Duration),
    Unready,
    Stall,
    Off,
}

/// The usage line every refusal of a bad change repeats.
pub const USAGE: &str =
    "error SHARE (0 to 1) | delay DURATION (300ms, 2s; at most 30s) | unready | stall | off";

impl FaultChange {
    pub fn parse(text: &str) -> Result<Self, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let bad = || format!("{text:?} is no fault: {USAGE}");
        match words[..] {
            ["error", share] => match share.parse::<f64>() {
                Ok(share) if (0.0..=1.0).contains(&share) => Ok(FaultChange::Error(share)),
                _ => Err(bad()),
            },
            ["delay", duration] => match parse_duration(duration) {
                Some(delay) if delay <= LONGEST_DELAY => Ok(FaultChange::Delay(delay)),
                _ => Err(bad()),
            },
            ["unready"] => Ok(FaultChange::Unready),
            ["stall"] => Ok(FaultChange::Stall),
            ["off"] => Ok(FaultChange::Off),
            _ => Err(bad()),
        }
    }
}

/// `300ms`, `2s`, `1.5s`.
fn parse_duration(text: &str) -> Option<Duration> {
    let (number, seconds_per_unit) = match text.strip_suffix("ms") {
        Some(number) => (number, 0.001),
        None => (text.strip_suffix('s')?, 1.0),
    };
    let value: f64 = number.parse().ok()?;
    (value.is_finite() && value >= 0.0).then(|| Duration::from_secs_f64(value * seconds_per_unit))
}

/// The faults of one process, shared by its routes and (the worker) its loop.
#[derive(Debug, Clone, Default)]
pub struct FaultSwitch {
    enabled: bool,
    faults: Arc<Mutex<Faults>>,
    /// Cancelled and replaced at every change: what waits on a stall wakes up.
    changed: Arc<Mutex<CancellationToken>>,
}

impl FaultSwitch {
    /// [`VAR`]: `on` allows faults, `off` or unset refuses them.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let enabled = match env.get(VAR) {
            None | Some("off") => false,
            Some("on") => true,
            Some(other) => return Err(ConfigError::new(VAR, other, "must be on or off")),
        };
        Ok(Self {
            enabled,
            ..Self::default()
        })
    }

    pub fn current(&self) -> Faults {
        *self.faults.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `change` and returns the faults now in force.
    pub fn apply(&self, change: FaultChange) -> Faults {
        let now = {
            let mut faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
            match change {
                FaultChange::Error(share) => faults.error_share = share,
                FaultChange::Delay(delay) => faults.delay = delay,
                FaultChange::Unready => faults.unready = true,
                FaultChange::Stall => faults.stall = true,
                FaultChange::Off => *faults = Faults::default(),
            }
            *faults
        };
        show_on_metrics(&now);
        let previous =
            std::mem::take(&mut *self.changed.lock().unwrap_or_else(PoisonError::into_inner));
        previous.cancel();
        tracing::warn!(faults = %now, "fault injection: {now}");
        now
    }

    /// Returns once the worker may commit: at once unless it was told to `stall`.
    pub async fn until_not_stalled(&self) {
        loop {
            let changed = self
                .changed
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            if !self.current().stall {
                return;
            }
            changed.cancelled().await;
        }
    }
}

fn show_on_metrics(faults: &Faults) {
    for (kind, value) in [
        ("error", faults.error_share),
        ("delay_seconds", faults.delay.as_secs_f64()),
        ("unready", f64::from(u8::from(faults.unready))),
        ("stall", f64::from(u8::from(faults.stall))),
    ] {
        metrics::gauge!(INJECTED.name, "kind" => kind).set(value);
    }
}

/// Adds `/fault` and the misbehaving to a service's own routes: to those already in `router`,
/// not to `/healthz` and `/metrics`, which [`crate::http::with_common_routes`] adds after.
pub fn wrap(router: Router, switch: &FaultSwitch) -> Router {
    if switch.enabled {
        telemetry::describe(&[INJECTED]);
        show_on_metrics(&switch.current());
    }
    router
        .layer(middleware::from_fn_with_state(switch.clone(), misbehave))
        .route("/fault", get(show).post(change).with_state(switch.clone()))
}

/// `/readyz` answers to `unready` only: a replica told `error 1.0` goes on passing its
/// readiness checks, as a broken one may; only what the load balancer sees in its answers can
/// tell (lb retries a 500 on another replica).
async fn misbehave(State(switch): State<FaultSwitch>, request: Request, next: Next) -> Response {
    let faults = switch.current();
    if request.uri().path() == "/readyz" {
        if faults.unready {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: an injected fault (fault unready)\n",
            )
                .into_response();
        }
        return next.run(request).await;
    }
    if !faults.delay.is_zero() {
        tokio::time::sleep(faults.delay).await;
    }
    if faults.error_share > 0.0 && rand::random::<f64>() < faults.error_share {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "Injected fault: this replica was told to fail {} of its requests (fault error).\n",
                faults.error_share
            ),
        )
            .into_response();
    }
    next.run(request).await
}

async fn show(State(switch): State<FaultSwitch>) -> String {
    format!("{}\n", switch.current())
}

async fn change(
    State(switch): State<FaultSwitch>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    body: String,
) -> Response {
    if !switch.enabled {
        return (
            StatusCode::FORBIDDEN,
            format!("fault injection is off here: the deployment must set {VAR}=on\n"),
        )
            .into_response();
    }
    if !peer.ip().is_loopback() {
        return (
            StatusCode::FORBIDDEN,
            "faults are injected from inside the container only (its binary's `fault` command)\n",
        )
            .into_response();
    }
    match FaultChange::parse(&body) {
        Ok(fault) => format!("{}\n", switch.apply(fault)).into_response(),
        Err(problem) => (StatusCode::BAD_REQUEST, format!("{problem}\n")).into_response(),
    }
}

/// The `fault` subcommand: `WORDS` (a [`FaultChange`], or nothing to show the faults in force)
/// sent to the service running on this host's `port`; prints its answer. Exit code 0 when it
/// took the change.
pub fn cli(service: &str, port: u16, words: &[String]) -> ExitCode {
    let body = words.join(" ");
    if !body.is_empty()
        && let Err(problem) = FaultChange::parse(&body)
    {
        eprintln!("{service} fault: {problem}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{service} fault: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(send(port, &body)) {
        Ok((200, answer)) => {
            print!("{service}: {answer}");
            ExitCode::SUCCESS
        }
        Ok((_, answer)) => {
            eprint!("{service} fault: {answer}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{service} fault: cannot reach 127.0.0.1:{port}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `POST /fault` with `body` (or `GET` for an empty one) on loopback: the status and the body.
async fn send(port: u16, body: &str) -> std::io::Result<(u16, String)> {
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let method = if body.is_empty() { "GET" } else { "POST" };
        let request = format!(
            "{method} /fault HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: text/plain\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await?;
        let (head, text) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        Ok((status, text.to_owned()))
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer within 5 s"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_read_as_the_command_line_says_them() {
        for (text, want) in [
            ("error 0.5", FaultChange::Error(0.5)),
            ("error 1", FaultChange::Error(1.0)),
            (
                "delay 300ms",
                FaultChange::Delay(Duration::from_millis(300)),
            ),
            (
                "delay 1.5s",
                FaultChange::Delay(Duration::from_millis(1500)),
            ),
            (" unready ", FaultChange::Unready),
            ("stall", FaultChange::Stall),
            ("off", FaultChange::Off),
        ] {
            assert_eq!(FaultChange::parse(text), Ok(want), "{text:?}");
        }
        for text in [
            "",
            "error",
            "error 2",
            "error -0.1",
            "delay 5",
            "delay 31s",
            "slow",
            "off now",
        ] {
            let problem = FaultChange::parse(text).expect_err(text);
            assert!(problem.contains(USAGE), "{problem}");
        }
    }

    #[test]
    fn it_is_off_unless_the_deployment_says_on() {
        assert!(!FaultSwitch::from_env(&Env::default()).unwrap().enabled);
        let on = FaultSwitch::from_env(&Env::from_pairs([(VAR, "on")])).unwrap();
        assert!(on.enabled);
        let err = FaultSwitch::from_env(&Env::from_pairs([(VAR, "yes")])).unwrap_err();
        assert_eq!(err.var, VAR);
    }

    #[tokio::test]
    async fn a_stall_holds_until_it_is_lifted_and_the_summary_says_what_is_on() {
        let switch = FaultSwitch::from_env(&Env::from_pairs([(VAR, "on")])).unwrap();
        switch.until_not_stalled().await;
        switch.apply(FaultChange::Stall);
        switch.apply(FaultChange::Error(0.25));
        assert_eq!(switch.current().to_string(), "error 0.25, stall");
        let waiting = tokio::spawn({
            let switch = switch.clone();
            async move { switch.until_not_stalled().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "a stalled worker waits");
        switch.apply(FaultChange::Off);
        waiting.await.expect("released by off");
        assert_eq!(switch.current().to_string(), "no fault");
    }
}
