//! The worker's real binary, with its logs at hand.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use test_servers::{service_command, wait_until};

pub const BIN: &str = env!("CARGO_BIN_EXE_worker");

/// The worker binary's command, pointed at the test servers, health endpoints on `port`.
pub fn worker_command(redis_url: &str, db_url: &str, port: u16, extra: &[(&str, &str)]) -> Command {
    let mut envs = vec![
        ("REDIS_URL", redis_url.to_owned()),
        ("DATABASE_URL", db_url.to_owned()),
        ("PORT", port.to_string()),
        ("BATCH_SIZE", "500".to_owned()),
        ("HEARTBEAT_TTL_MS", "600".to_owned()),
    ];
    envs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    service_command(BIN, &envs)
}

/// A running worker process whose stderr (its logs) is collected as it comes.
pub struct LoggedProcess {
    pub child: Child,
    log: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
}

impl LoggedProcess {
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the worker binary");
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
        Self { child, log, reader }
    }

    /// Everything logged so far.
    pub fn log(&self) -> String {
        self.log.lock().expect("log lock").clone()
    }

    pub async fn wait_for_log(&self, text: &str, within: Duration) {
        wait_until(within, || async { self.log().contains(text) }).await;
    }

    /// Waits for the reader to see the end of stderr, after the process exited.
    pub async fn wait_for_end_of_log(&mut self, within: Duration) {
        self.child.wait().expect("wait for the worker");
        wait_until(within, || async { self.reader.is_finished() }).await;
    }
}

impl Drop for LoggedProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
