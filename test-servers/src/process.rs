//! Supervised server processes: the cleanup that survives panics and killed test processes.
//!
//! Statics are never dropped and a SIGKILLed process runs no `Drop`, so cleanup cannot live in
//! this process. Each server runs under a small `sh` supervisor instead, whose stdin is a pipe
//! that only this process holds. Lines on that pipe start and stop the server. When the pipe
//! closes, because the owner was dropped or because this process ended in any way (the kernel
//! closes its descriptors even after SIGKILL), the supervisor stops the server, waits for it and
//! removes the server's directory.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::scratch::ScratchDir;

/// Arguments: the directory to remove at the end, the signal that stops the server, then the
/// server's argv. Replies go to stdout, one line per command.
///
/// The server's stdin is /dev/null so it never holds our pipe open. SIGPIPE is ignored so that
/// a reply nobody reads any more cannot kill the supervisor before it cleans up.
const SCRIPT: &str = r#"
trap '' PIPE
dir=$1 signal=$2
shift 2
pid=
running() {
    read -r stat <"/proc/$pid/stat" || return 1
    state=${stat##*) }
    [ "${state%% *}" != Z ]
}
stop() {
    if [ -n "$pid" ]; then
        kill -s "$signal" "$pid" 2>/dev/null
        # Background jobs start with SIGINT and SIGQUIT ignored: a server stopped before it
        # installed its own handlers never sees $signal. SIGKILL it after 10 s. Until `wait`
        # reaps it, its pid cannot be reused, so the SIGKILL cannot hit another process.
        ticks=0
        while running && [ "$ticks" -lt 1000 ]; do
            ticks=$((ticks + 1))
            command -p sleep 0.01
        done
        kill -s KILL "$pid" 2>/dev/null
        wait "$pid"
        pid=
    fi
}
while read -r command; do
    case $command in
    start)
        stop
        "$@" </dev/null >>"$dir/server.log" 2>&1 &
        pid=$!
        echo "started $pid"
        ;;
    stop)
        stop
        echo stopped
        ;;
    esac
done
stop
# `command -p`: cleanup must not depend on the PATH the tests run with. Retried because a
# program this process ran into the directory (initdb, cp) may outlive it for a moment and
# recreate files while rm works.
tries=0
until command -p rm -rf "$dir" 2>/dev/null || [ "$tries" -ge 50 ]; do
    tries=$((tries + 1))
    command -p sleep 0.1
done
"#;

/// How long a stop may take. PostgreSQL's immediate shutdown SIGKILLs stragglers after 5 s.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long dropping waits for the supervisor to finish cleaning up.
const DROP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(crate) struct Supervisor {
    child: Child,
    commands: Option<ChildStdin>,
    replies: Option<BufReader<ChildStdout>>,
    dir: PathBuf,
    server_pid: Option<u32>,
}

impl Supervisor {
    /// Takes charge of `dir` (removing it at the end) and of `server`, which runs only on
    /// [`start`](Self::start). With an empty `server`, it just removes `dir` at the end.
    ///
    /// `stop_signal` is a `kill -s` name: `KILL`, or `QUIT` for PostgreSQL's immediate shutdown.
    pub(crate) fn spawn(dir: ScratchDir, stop_signal: &str, server: &[OsString]) -> Self {
        let spawned = Command::new("/bin/sh")
            .arg("-c")
            .arg(SCRIPT)
            .arg("test-servers-supervisor")
            .arg(dir.path())
            .arg(stop_signal)
            .args(server)
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Out of our process group: a Ctrl-C aimed at the tests must not kill the supervisor
            // before it has cleaned up.
            .process_group(0)
            .spawn();
        let mut child = spawned
            .unwrap_or_else(|e| panic!("cannot run /bin/sh to supervise a test server: {e}"));
        Self {
            commands: child.stdin.take(),
            replies: child.stdout.take().map(BufReader::new),
            child,
            dir: dir.hand_over(),
            server_pid: None,
        }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts the server (stopping it first if it runs) and returns its pid.
    pub(crate) async fn start(&mut self) -> u32 {
        self.send("start");
        let reply = self.reply().await;
        let pid = reply
            .strip_prefix("started ")
            .and_then(|pid| pid.parse().ok())
            .unwrap_or_else(|| panic!("unexpected reply from a supervisor: {reply:?}"));
        self.server_pid = Some(pid);
        pid
    }

    /// Sends the stop signal and returns once the server has exited.
    pub(crate) async fn stop(&mut self) {
        self.send("stop");
        let reply = self.reply().await;
        assert_eq!(reply, "stopped", "unexpected reply from a supervisor");
        self.server_pid = None;
    }

    /// Sends `signal` (a name `kill -s` takes: STOP, CONT) to the running server.
    pub(crate) fn signal_server(&self, signal: &str) {
        let Some(pid) = self.server_pid else {
            panic!(
                "no server runs under {} to send SIG{signal}",
                self.dir.display()
            );
        };
        let sent = Command::new("kill")
            .args(["-s", signal, &pid.to_string()])
            .status();
        assert!(
            sent.as_ref().is_ok_and(|status| status.success()),
            "kill -s {signal} {pid}: {sent:?}"
        );
    }

    pub(crate) fn server_running(&self) -> bool {
        self.server_pid.is_some_and(is_running)
    }

    /// The server's stdout and stderr so far, for error messages.
    pub(crate) fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn send(&mut self, command: &str) {
        let sent = match self.commands.as_mut() {
            Some(pipe) => writeln!(pipe, "{command}").and_then(|()| pipe.flush()),
            None => Ok(()),
        };
        if let Err(e) = sent {
            panic!("the supervisor of {} is gone: {e}", self.dir.display());
        }
    }

    /// Blocking reads go to the blocking pool: tests usually run on a current-thread runtime,
    /// where a blocked thread would also stall the service under test.
    async fn reply(&mut self) -> String {
        let Some(mut replies) = self.replies.take() else {
            panic!(
                "the supervisor of {} did not answer an earlier command",
                self.dir.display()
            );
        };
        let reading = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            let read = replies.read_line(&mut line);
            (replies, read.map(|_| line))
        });
        let (replies, line) = tokio::time::timeout(REPLY_TIMEOUT, reading)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "the supervisor of {} did not answer within {REPLY_TIMEOUT:?}",
                    self.dir.display()
                )
            })
            .unwrap_or_else(|e| panic!("reading a supervisor's reply failed: {e}"));
        self.replies = Some(replies);
        match line {
            Ok(line) if !line.is_empty() => line.trim_end().to_owned(),
            Ok(_) => panic!("the supervisor of {} exited", self.dir.display()),
            Err(e) => panic!("reading a supervisor's reply failed: {e}"),
        }
    }
}

impl Drop for Supervisor {
    /// Closing the pipe is all the cleanup needs; waiting makes it finish before the test does
    /// and reaps the supervisor.
    fn drop(&mut self) {
        drop(self.commands.take());
        let deadline = Instant::now() + DROP_TIMEOUT;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Ok(Some(_)) | Err(_) => return,
            }
        }
    }
}

/// A server that died stays a zombie until its supervisor waits for it: that counts as dead.
fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']))
    })
}
