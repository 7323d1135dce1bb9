//! A service's real binary as a child process, its logs (stderr) collected as they come: for
//! the tests of what only the binary does (configuration errors, signals, logs, healthcheck).

use std::io::{BufRead, BufReader};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::binary::{healthcheck, service_command, stop_with};
use crate::port::free_port;
use crate::wait::wait_until;

/// How long a service binary may take from spawn to a passing healthcheck on a busy machine.
pub const STARTUP_BUDGET: Duration = Duration::from_secs(10);

/// A running service binary; killed when dropped.
#[derive(Debug)]
pub struct ServiceProcess {
    binary: String,
    port_var: &'static str,
    port: u16,
    child: Child,
    log: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl ServiceProcess {
    /// Starts `binary` with only `envs` (see [`service_command`]) and `port_var` set to a free
    /// port, and waits until its `healthcheck` subcommand passes.
    pub async fn start(binary: &str, port_var: &'static str, envs: &[(&str, String)]) -> Self {
        Self::healthy_after(Self::spawn_limited(binary, port_var, envs, None)).await
    }

    /// [`ServiceProcess::start`] with at most `open_files` descriptors (`ulimit -n`, soft and
    /// hard: the service cannot raise it).
    pub async fn start_with_open_files(
        binary: &str,
        port_var: &'static str,
        envs: &[(&str, String)],
        open_files: usize,
    ) -> Self {
        Self::healthy_after(Self::spawn_limited(
            binary,
            port_var,
            envs,
            Some(open_files),
        ))
        .await
    }

    /// [`ServiceProcess::start`] without waiting: for a binary that may never become healthy.
    pub fn spawn(binary: &str, port_var: &'static str, envs: &[(&str, String)]) -> Self {
        Self::spawn_limited(binary, port_var, envs, None)
    }

    async fn healthy_after(service: Self) -> Self {
        wait_until(STARTUP_BUDGET, || async { service.healthy() }).await;
        service
    }

    fn spawn_limited(
        binary: &str,
        port_var: &'static str,
        envs: &[(&str, String)],
        open_files: Option<usize>,
    ) -> Self {
        let port = free_port();
        let mut envs = envs.to_vec();
        envs.push((port_var, port.to_string()));
        let mut command = match open_files {
            None => service_command(binary, &envs),
            Some(limit) => {
                let mut shell = service_command("sh", &envs);
                shell.args(["-c", &format!("ulimit -n {limit} && exec \"$0\""), binary]);
                shell
            }
        };
        let mut child = command
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {binary}: {e}"));
        let stderr = child.stderr.take().expect("stderr is piped");
        let log = Arc::new(Mutex::new(String::new()));
        let sink = log.clone();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { return };
                let mut log = sink.lock().expect("log lock");
                log.push_str(&line);
                log.push('\n');
            }
        });
        Self {
            binary: binary.to_owned(),
            port_var,
            port,
            child,
            log,
            reader,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Whether `binary healthcheck` passes against this process's port.
    pub fn healthy(&self) -> bool {
        healthcheck(&self.binary, self.port_var, self.port)
    }

    /// Sends `signal` and waits for the exit (see [`stop_with`]).
    pub async fn stop_with(&mut self, signal: &str, within: Duration) -> (ExitStatus, Duration) {
        stop_with(&mut self.child, signal, within).await
    }

    /// The process, for signals of a test's own.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log lock").clone()
    }

    pub async fn wait_for_log(&self, text: &str, within: Duration) {
        wait_until(within, || async { self.log().contains(text) }).await;
    }

    /// Waits for the process to exit and its whole log to be read; returns the log.
    pub async fn log_to_the_end(mut self, within: Duration) -> String {
        self.child.wait().expect("wait for the process");
        wait_until(within, || async { self.reader.is_finished() }).await;
        self.log()
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
