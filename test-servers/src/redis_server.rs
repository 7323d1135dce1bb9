//! Redis servers, one process per test.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use kit::redis_client::RedisSettings;
use redis::aio::MultiplexedConnection;

use crate::process::Supervisor;
use crate::startup::{self, StartError};
use crate::{binaries, scratch};

const HOST: &str = "127.0.0.1";
/// How long the connection of [`RedisServer::client`] may take to connect and each of its
/// commands to answer: a test machine busy compiling and running other tests stalls that long
/// at times, and an assertion should fail on a wrong answer, not on a slow one.
const CLIENT_PATIENCE: Duration = Duration::from_secs(10);
/// The program, as failures name it.
const SERVER: &str = "redis-server";

/// A `redis-server` of its own, on a free loopback port, in a temporary directory.
///
/// Dropping it stops the server and removes the directory; so does the end of the test process,
/// however it ends (see the [crate docs](crate)).
#[derive(Debug)]
pub struct RedisServer {
    supervisor: Supervisor,
    port: u16,
}

impl RedisServer {
    /// A server without persistence: after [`kill`](Self::kill) and
    /// [`start_again`](Self::start_again) it is empty.
    pub async fn start() -> Self {
        Self::launch(false).await
    }

    /// A server with `appendonly yes` and `appendfsync always`: every acknowledged write
    /// survives [`kill`](Self::kill) and [`start_again`](Self::start_again).
    pub async fn start_persistent() -> Self {
        Self::launch(true).await
    }

    async fn launch(persistent: bool) -> Self {
        let program = &binaries::redis_server();
        startup::on_a_free_port(SERVER, |port| async move {
            let dir = scratch::create_dir("test-servers-redis-");
            let argv = argv(program, port, dir.path(), persistent);
            let mut server = Self {
                supervisor: Supervisor::spawn(dir, "KILL", &argv),
                port,
            };
            server.boot().await.map(|()| server)
        })
        .await
    }

    async fn boot(&mut self) -> Result<(), StartError> {
        let pid = self.supervisor.start().await;
        let url = self.url();
        startup::until_ready(&self.supervisor, || answers_as(url.clone(), pid)).await
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Always `127.0.0.1`.
    pub fn host(&self) -> &str {
        HOST
    }

    /// `redis://127.0.0.1:PORT/`
    pub fn url(&self) -> String {
        format!("redis://{HOST}:{}/", self.port)
    }

    /// A connection for assertions. Panics if the server does not accept it.
    ///
    /// Its commands may take [`CLIENT_PATIENCE`], not the redis crate's default 500 ms.
    pub async fn client(&self) -> MultiplexedConnection {
        let url = self.url();
        RedisSettings::from_url(&url)
            .unwrap_or_else(|e| panic!("invalid Redis URL {url}: {e}"))
            .patient_connection(CLIENT_PATIENCE)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test Redis at {url}: {e}"))
    }

    /// Votes not committed to PostgreSQL yet: in the queue or in a worker's processing list
    /// (`kit::queue::not_yet_committed`).
    pub async fn votes_not_yet_committed(&self) -> u64 {
        kit::queue::not_yet_committed(&mut self.client().await)
            .await
            .unwrap_or_else(|e| panic!("cannot count the votes not yet committed: {e}"))
    }

    /// SIGKILLs the server, like a crash, and returns once its port refuses connections.
    pub async fn kill(&mut self) {
        startup::kill(&mut self.supervisor, self.port, SERVER).await;
    }

    /// SIGSTOPs the server: it keeps its connections open and answers nothing, like a hung
    /// process, until [`thaw`](Self::thaw). (Stopping or dropping a frozen server still works:
    /// SIGKILL ends a stopped process.)
    pub fn freeze(&self) {
        self.supervisor.signal_server("STOP");
    }

    /// SIGCONTs a [frozen](Self::freeze) server: it answers what waited, then the rest.
    pub fn thaw(&self) {
        self.supervisor.signal_server("CONT");
    }

    /// Starts the server again on the same port and directory, killing it first if it runs,
    /// and returns once it answers PING (after loading its append-only file, if persistent).
    pub async fn start_again(&mut self) {
        let outcome = self.boot().await;
        startup::expect_started_again(outcome, SERVER, self.port);
    }
}

fn argv(program: &Path, port: u16, dir: &Path, persistent: bool) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec![program.into()];
    let mut set = |name: &str, value: &str| {
        argv.push(format!("--{name}").into());
        argv.push(value.into());
    };
    set("port", &port.to_string());
    set("bind", HOST);
    set("daemonize", "no");
    // Empty: log to stdout, which the supervisor sends to server.log.
    set("logfile", "");
    // No RDB snapshots: they would bring data back after a restart of a non-persistent server.
    set("save", "");
    if persistent {
        set("appendonly", "yes");
        set("appendfsync", "always");
    } else {
        set("appendonly", "no");
    }
    argv.push("--dir".into());
    argv.push(dir.into());
    argv
}

/// PING answered by the process we started (checked by pid), not by one that took the port.
async fn answers_as(url: String, pid: u32) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    let Ok(mut connection) = client.get_multiplexed_async_connection().await else {
        return false;
    };
    // A server still loading its append-only file answers PING with LOADING.
    let pong: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut connection).await;
    if pong.is_err() {
        return false;
    }
    let info: redis::RedisResult<String> = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut connection)
        .await;
    let own_pid = format!("process_id:{pid}");
    info.is_ok_and(|info| info.lines().any(|line| line.trim() == own_pid))
}
