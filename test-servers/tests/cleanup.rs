//! Servers and their directories go away when a test process panics or is SIGKILLed.
//!
//! Each test runs this test binary again as a child process that runs only [`probe`], with
//! `TMPDIR` pointing at a fresh directory. The probe starts one server of every kind, then
//! panics or waits to be SIGKILLed. Afterwards no process may have its working directory or
//! command line in that directory, and the directory must be empty.

use std::fs::Permissions;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use test_servers::{PostgresServer, RedisServer, database};

const PROBE_MODE: &str = "TEST_SERVERS_PROBE_MODE";
const READY_LINE: &str = "probe: servers are up";

#[tokio::test]
#[ignore = "a helper, run in a child process by the other tests of this file"]
async fn probe() {
    let Ok(mode) = std::env::var(PROBE_MODE) else {
        return;
    };
    let _redis = RedisServer::start_persistent().await;
    let mut stopped_redis = RedisServer::start().await;
    stopped_redis.kill().await;
    let _shared = database().await;
    let postgres = PostgresServer::start().await;
    let _dedicated = postgres.create_database().await;
    println!("{READY_LINE}");
    match mode.as_str() {
        "panic" => panic!("the probe panics on purpose"),
        "wait" => loop {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        },
        other => panic!("unknown {PROBE_MODE} {other:?}"),
    }
}

#[test]
fn a_panicking_test_process_leaves_nothing_behind() {
    let run = Probe::start("panic");
    let (status, output) = run.finish(|_| {});
    assert!(!status.success(), "the probe should have failed:\n{output}");
    assert!(
        output.contains("the probe panics on purpose"),
        "the probe failed for another reason:\n{output}"
    );
}

#[test]
fn a_sigkilled_test_process_leaves_nothing_behind() {
    let run = Probe::start("wait");
    let (status, output) = run.finish(|child| child.kill().expect("SIGKILL the probe"));
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "the probe should have died of SIGKILL:\n{output}"
    );
}

struct Probe {
    tmp: tempfile::TempDir,
    child: Child,
}

impl Probe {
    /// Runs the probe and returns once its servers are up, after checking that they can be
    /// seen: otherwise finding nothing afterwards would prove nothing.
    fn start(mode: &str) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("test-servers-cleanup-")
            .tempdir()
            .expect("create a temporary directory");
        // Like /tmp: the postgres user (when we are root) creates and removes directories here.
        std::fs::set_permissions(tmp.path(), Permissions::from_mode(0o1777))
            .expect("chmod the temporary directory");
        let mut child = Command::new(std::env::current_exe().expect("current_exe"))
            .args(["probe", "--exact", "--ignored", "--nocapture"])
            .env(PROBE_MODE, mode)
            .env("TMPDIR", tmp.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the probe");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let ready = lines.any(|line| line.is_ok_and(|line| line == READY_LINE));
        assert!(ready, "the probe ended before its servers were up");
        // Keeps the probe from blocking on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));

        let running = leftover_processes(tmp.path());
        assert!(
            running.len() >= 4,
            "expected supervisors and servers in {}, found only {running:?}",
            tmp.path().display()
        );
        assert!(!is_empty(tmp.path()), "expected server directories");
        Self { tmp, child }
    }

    /// Ends the probe with `end`, waits for it, then for the cleanup; returns the probe's exit
    /// status and stderr.
    fn finish(mut self, end: impl FnOnce(&mut Child)) -> (std::process::ExitStatus, String) {
        end(&mut self.child);
        let mut output = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut output);
        }
        let status = self.child.wait().expect("wait for the probe");

        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let processes = leftover_processes(self.tmp.path());
            let empty = is_empty(self.tmp.path());
            if processes.is_empty() && empty {
                return (status, output);
            }
            assert!(
                Instant::now() < deadline,
                "left behind: processes {processes:?}, files {:?}",
                std::fs::read_dir(self.tmp.path()).map(|dir| dir
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .collect::<Vec<_>>())
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none())
}

/// Processes whose working directory or command line is inside `dir` (what `pgrep -f` would
/// see, plus PostgreSQL's children, whose command lines do not name their directory).
fn leftover_processes(dir: &Path) -> Vec<String> {
    let dir = dir.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|entry| {
            let cwd = std::fs::read_link(entry.path().join("cwd"))
                .map(|cwd| cwd.to_string_lossy().into_owned())
                .unwrap_or_default();
            let cmdline = std::fs::read(entry.path().join("cmdline"))
                .map(|raw| String::from_utf8_lossy(&raw).replace('\0', " "))
                .unwrap_or_default();
            (cwd.starts_with(&dir) || cmdline.contains(&dir)).then(|| {
                format!(
                    "{} {} (in {cwd})",
                    entry.file_name().to_string_lossy(),
                    cmdline.trim()
                )
            })
        })
        .collect()
}
