//! The tools a newcomer runs first, run as a newcomer runs them: `scripts/run-local` stopped
//! with Ctrl-C from a terminal, and `bench/run --help`.

use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use test_servers::free_port;

/// `initdb` and four services starting on two cores shared with other tests.
const LAB_START_BUDGET: Duration = Duration::from_secs(120);
/// Stopping takes about a second: the services, Redis, then PostgreSQL's fast shutdown.
const LAB_STOP_BUDGET: Duration = Duration::from_secs(30);
/// `--help` and a refused argument start nothing: they answer at once.
const USAGE_BUDGET: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);
const SERVICES: [&str; 4] = ["counter", "vote", "worker", "result"];
/// Bash's exit status after the script's SIGINT trap: 128 + 2.
const INTERRUPTED: i32 = 130;

#[tokio::test]
async fn run_local_stops_everything_at_ctrl_c_and_runs_again() {
    let scratch = Scratch::create();
    let ports: Vec<(&str, u16)> = [
        "LAB_REDIS_PORT",
        "LAB_PG_PORT",
        "LAB_COUNTER_PORT",
        "LAB_VOTE_PORT",
        "LAB_RESULT_PORT",
        "LAB_WORKER_PORT",
    ]
    .into_iter()
    .map(|name| (name, free_port()))
    .collect();
    let vote = format!("http://127.0.0.1:{}/", ports[3].1);
    for run in ["first", "second"] {
        let log = scratch.0.join(format!("{run}.log"));
        let mut lab = start_in_own_group(
            Command::new(repo_root().join("scripts/run-local"))
                .envs(ports.iter().map(|(name, port)| (name, port.to_string())))
                .env("LAB_BIN_DIR", service_bin_dir())
                .env("TMPDIR", scratch.tmp()),
            &log,
        );
        wait_for_page(&mut lab, &vote, &log).await;

        // What a terminal does at Ctrl-C: SIGINT to the whole foreground process group.
        interrupt_group(&lab);
        let status = exit_within(&mut lab, LAB_STOP_BUDGET, &log);
        assert_eq!(
            status.code(),
            Some(INTERRUPTED),
            "{run} run: {}",
            read(&log)
        );
        for (name, port) in &ports {
            assert!(
                TcpStream::connect(("127.0.0.1", *port)).is_err(),
                "{run} run: {name} {port} still answers after the lab stopped"
            );
        }
        let left = processes_naming(&scratch.tmp());
        assert!(left.is_empty(), "{run} run left processes: {left:?}");
        let files: Vec<_> = std::fs::read_dir(scratch.tmp())
            .expect("read the lab's TMPDIR")
            .collect();
        assert!(files.is_empty(), "{run} run left {files:?}");
    }
}

#[test]
fn bench_run_help_prints_the_usage_and_starts_nothing() {
    let (status, output) = run_bench("--help");
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(output.contains("Usage: bench/run"), "{output}");
    assert!(output.contains("--record"), "{output}");
}

#[test]
fn bench_run_refuses_an_unknown_argument() {
    let (status, output) = run_bench("--bogus");
    assert_eq!(status.code(), Some(2), "{output}");
    assert!(output.contains("--bogus"), "{output}");
}

/// `bench/run ARG`, which must answer within [`USAGE_BUDGET`]: its status and output.
fn run_bench(arg: &str) -> (ExitStatus, String) {
    let scratch = Scratch::create();
    let log = scratch.0.join("bench.log");
    let mut bench = start_in_own_group(Command::new(repo_root().join("bench/run")).arg(arg), &log);
    let status = exit_within(&mut bench, USAGE_BUDGET, &log);
    (status, read(&log))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e lives in the workspace")
        .to_owned()
}

/// The profile directory this test was built into (`target/debug`), with the four services
/// built there: `cargo test --workspace` builds them; `cargo test -p e2e` alone does not.
fn service_bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    // target/debug/deps/scripts-HASH
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/PROFILE/deps")
        .to_owned();
    if SERVICES.iter().any(|bin| !profile_dir.join(bin).exists()) {
        let target_dir = profile_dir.parent().expect("target/PROFILE");
        let mut build = Command::new(env!("CARGO"));
        build
            .current_dir(repo_root())
            .args(["build", "--quiet", "--target-dir"])
            .arg(target_dir);
        for bin in SERVICES {
            build.args(["--bin", bin]);
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "cargo build of the services failed");
    }
    profile_dir
}

/// Spawns `command` as the leader of a new process group, as a shell does for a foreground
/// job, with its output in `log`.
fn start_in_own_group(command: &mut Command, log: &Path) -> Child {
    let out = std::fs::File::create(log).expect("create the log");
    let err = out.try_clone().expect("clone the log file");
    command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

fn interrupt_group(child: &Child) {
    let ok = Command::new("kill")
        .args(["-s", "INT", "--", &format!("-{}", child.id())])
        .status()
        .expect("run kill")
        .success();
    assert!(ok, "kill -INT -{} failed", child.id());
}

async fn wait_for_page(lab: &mut Child, url: &str, log: &Path) {
    let started = Instant::now();
    loop {
        if let Ok(response) = reqwest::get(url).await
            && response.status().is_success()
        {
            return;
        }
        if let Some(status) = lab.try_wait().expect("poll run-local") {
            panic!(
                "run-local exited ({status}) before {url} answered:\n{}",
                read(log)
            );
        }
        if started.elapsed() > LAB_START_BUDGET {
            interrupt_group(lab);
            panic!(
                "{url} did not answer within {LAB_START_BUDGET:?}:\n{}",
                read(log)
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Waits for `child` to exit; past `within`, interrupts its group, as a user would, and fails.
fn exit_within(child: &mut Child, within: Duration, log: &Path) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            return status;
        }
        if started.elapsed() > within {
            interrupt_group(child);
            let _ = child.wait();
            panic!("still running after {within:?}:\n{}", read(log));
        }
        std::thread::sleep(POLL);
    }
}

/// Processes (pid, command line) whose command line names `path`: the lab's PostgreSQL and
/// Redis do.
fn processes_naming(path: &Path) -> Vec<(u32, String)> {
    let needle = path.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .expect("read /proc")
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            Some((pid, String::from_utf8_lossy(&cmdline).replace('\0', " ")))
        })
        .filter(|(_, cmdline)| cmdline.contains(&needle))
        .collect()
}

fn read(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

/// A directory of this test's own, removed at the end: logs, and `tmp/`, the TMPDIR the lab
/// makes its directory in. Readable by all: PostgreSQL runs as `postgres` when we are root.
struct Scratch(PathBuf);

impl Scratch {
    fn create() -> Self {
        let dir = tempdir_named(&format!("e2e-scripts-{}-", std::process::id()));
        std::fs::create_dir(dir.join("tmp")).expect("create tmp/");
        for path in [dir.clone(), dir.join("tmp")] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .expect("chmod 755");
        }
        Self(dir)
    }

    fn tmp(&self) -> PathBuf {
        self.0.join("tmp")
    }
}

impl Drop for Scratch {
    /// A failed run may have left its servers running: they are stopped with the directory.
    fn drop(&mut self) {
        for (pid, _) in processes_naming(&self.0) {
            let _ = Command::new("kill")
                .args(["-s", "TERM", &pid.to_string()])
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir_named(prefix: &str) -> PathBuf {
    for n in 0..1000 {
        let dir = std::env::temp_dir().join(format!("{prefix}{n}"));
        if std::fs::create_dir(&dir).is_ok() {
            return dir;
        }
    }
    panic!(
        "cannot create a directory in {}",
        std::env::temp_dir().display()
    );
}
