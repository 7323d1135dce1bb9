//! Waiting for a freshly started server to answer.

use std::time::{Duration, Instant};

use crate::port;
use crate::process::Supervisor;

/// Generous: two cores shared by parallel tests, and PostgreSQL may be replaying its WAL.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// One probe may hang on a server that accepted but does not answer yet.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a server may lose the race for its port before we give up.
const START_ATTEMPTS: usize = 5;

#[derive(Debug)]
pub(crate) enum StartError {
    /// Another process bound the port between our choosing it and the server binding it.
    PortTaken(String),
    Failed(String),
}

impl StartError {
    pub(crate) fn message(self) -> String {
        match self {
            Self::PortTaken(log) => format!("its port was taken; its output:\n{log}"),
            Self::Failed(message) => message,
        }
    }
}

/// Calls `start` with a free port until the server it starts answers, and returns that server.
/// A server that lost its port to another process is dropped and `start` tried again, with
/// another port, up to [`START_ATTEMPTS`] times; any other failure panics naming `server`.
pub(crate) async fn on_a_free_port<S, F, Fut>(server: &str, mut start: F) -> S
where
    F: FnMut(u16) -> Fut,
    Fut: Future<Output = Result<S, StartError>>,
{
    let mut last_error = String::new();
    for _ in 0..START_ATTEMPTS {
        let port = port::free_port();
        match start(port).await {
            Ok(started) => return started,
            Err(StartError::PortTaken(log)) => last_error = log,
            Err(StartError::Failed(message)) => {
                panic!("{server} failed to start on port {port}: {message}")
            }
        }
    }
    panic!(
        "{server} lost the race for a free port {START_ATTEMPTS} times; last output:\n\
         {last_error}"
    )
}

/// Stops the server with its supervisor's signal and returns once `port` refuses connections.
pub(crate) async fn kill(supervisor: &mut Supervisor, port: u16, server: &str) {
    supervisor.stop().await;
    port::wait_until_refused(port, server).await;
}

/// Panics, naming `server` and its port, unless it started again.
pub(crate) fn expect_started_again(outcome: Result<(), StartError>, server: &str, port: u16) {
    if let Err(e) = outcome {
        panic!(
            "{server} failed to start again on port {port}: {}",
            e.message()
        );
    }
}

/// Polls `probe` until it says the server answers, the server exits, or time runs out.
///
/// `probe` must check that the answer comes from *this* server: if another process took the
/// port, it would answer while ours dies on "Address already in use".
pub(crate) async fn until_ready<F, Fut>(
    supervisor: &Supervisor,
    mut probe: F,
) -> Result<(), StartError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if tokio::time::timeout(PROBE_TIMEOUT, probe()).await == Ok(true) {
            return Ok(());
        }
        if !supervisor.server_running() {
            let log = supervisor.server_log();
            return Err(if log.contains("Address already in use") {
                StartError::PortTaken(log)
            } else {
                StartError::Failed(format!("it exited; its output:\n{log}"))
            });
        }
        if Instant::now() >= deadline {
            return Err(StartError::Failed(format!(
                "it did not answer within {READY_TIMEOUT:?}; its output:\n{}",
                supervisor.server_log()
            )));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
