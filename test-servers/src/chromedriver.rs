//! A `chromedriver` of the test process's own, for browser tests, and the Chromium it drives.
//!
//! Chromium is started by chromedriver, one browser per WebDriver session, each with a profile
//! under this server's directory ([`ChromeDriver::profile_dir`]). A session that a failing test
//! never quit would outlive chromedriver, so stopping the server also kills every process whose
//! command line names that profile directory.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::process::Supervisor;
use crate::{binaries, port, scratch};

/// Runs chromedriver; on TERM also kills the browsers whose profiles live in `$dir/profiles`.
/// The pattern is written `profile[s]` so that it matches Chromium's command lines but not this
/// script's own text.
const WRAPPER: &str = r#"
dir=$1 port=$2 driver=$3
trap 'kill -TERM "$d" 2>/dev/null; pkill -KILL -f "$dir/profile[s]"; wait "$d"; exit 0' TERM
"$driver" --port="$port" --log-path="$dir/chromedriver.log" & d=$!
wait "$d"
"#;

/// Flags every test browser needs here: no sandbox (root), no GPU, and no background network
/// calls, which this machine's closed network would refuse by the dozen.
pub const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--window-size=1280,900",
];

/// A running chromedriver on a free loopback port.
#[derive(Debug)]
pub struct ChromeDriver {
    supervisor: Supervisor,
    port: u16,
}

impl ChromeDriver {
    pub async fn start() -> Self {
        let driver = binaries::chromedriver();
        binaries::chromium();
        let port = port::free_port();
        let dir = scratch::create_dir("test-servers-chromedriver-");
        let argv: Vec<OsString> = vec![
            "/bin/sh".into(),
            "-c".into(),
            WRAPPER.into(),
            "chromedriver-wrapper".into(),
            dir.path().into(),
            port.to_string().into(),
            driver.into(),
        ];
        let mut supervisor = Supervisor::spawn(dir, "TERM", &argv);
        std::fs::create_dir_all(supervisor.dir().join("profiles"))
            .unwrap_or_else(|e| panic!("cannot create the profiles directory: {e}"));
        supervisor.start().await;
        let started = Instant::now();
        while kit::healthcheck::probe(port, "/status").await.is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not answer within 20 s; its output:\n{}",
                supervisor.server_log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { supervisor, port }
    }

    /// The WebDriver endpoint.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A fresh, empty browser profile directory named `name` (use one per session).
    pub fn profile_dir(&self, name: &str) -> PathBuf {
        let dir = self.supervisor.dir().join("profiles").join(name);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        dir
    }

    /// The Chromium program the sessions should run.
    pub fn chromium(&self) -> PathBuf {
        binaries::chromium()
    }
}
