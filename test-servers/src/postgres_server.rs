//! PostgreSQL clusters.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio_postgres::{Client, NoTls};

use crate::database::TestDatabase;
use crate::process::Supervisor;
use crate::startup::{self, StartError};
use crate::template::{self, SUPERUSER};
use crate::{binaries, scratch, user};

pub(crate) const HOST: &str = "127.0.0.1";
/// The program, as failures name it.
const SERVER: &str = "postgres";

/// What a crash may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// PostgreSQL's defaults: a committed transaction survives [`PostgresServer::kill`].
    Real,
    /// No fsync, asynchronous commit: for the shared cluster, which is never killed.
    Fast,
}

/// A PostgreSQL cluster of its own, on a free loopback port, in a temporary directory.
///
/// Use it for tests that stop and restart PostgreSQL; other tests share one cluster per test
/// process through [`database`](crate::database()). Dropping it stops the server and removes
/// the directory; so does the end of the test process, however it ends.
#[derive(Debug)]
pub struct PostgresServer {
    supervisor: Supervisor,
    port: u16,
    password: String,
}

impl PostgresServer {
    /// A dedicated cluster with PostgreSQL's default durability settings.
    pub async fn start() -> Self {
        Self::launch(Durability::Real).await
    }

    pub(crate) async fn launch(durability: Durability) -> Self {
        let programs = &binaries::postgres();
        let template = template::template().await;
        startup::on_a_free_port(SERVER, |port| async move {
            let dir = scratch::create_dir("test-servers-pg-");
            let argv = argv(&programs.postgres, port, dir.path(), durability);
            let mut server = Self {
                supervisor: Supervisor::spawn(dir, "QUIT", &argv),
                port,
                password: template.password().to_owned(),
            };
            user::give_to_postgres(server.supervisor.dir());
            template.copy_to(&server.data_dir()).await;
            server.boot().await.map(|()| server)
        })
        .await
    }

    async fn boot(&mut self) -> Result<(), StartError> {
        self.supervisor.start().await;
        let config = self.tcp_config("postgres");
        let cluster_name = cluster_name(self.supervisor.dir());
        startup::until_ready(&self.supervisor, || {
            answers_as(config.clone(), cluster_name.clone())
        })
        .await
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Always `127.0.0.1`.
    pub fn host(&self) -> &str {
        HOST
    }

    /// The superuser that [`TestDatabase::url`] connects as.
    pub fn user(&self) -> &str {
        SUPERUSER
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    /// A new, empty database in this cluster.
    pub async fn create_database(&self) -> TestDatabase {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let name = format!("test_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let admin = admin(self.supervisor.dir(), self.port)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        TestDatabase::new(
            name,
            self.port,
            self.password.clone(),
            self.supervisor.dir().to_owned(),
        )
    }

    /// Stops the server the way `pg_ctl stop -m immediate` does (SIGQUIT: no checkpoint, crash
    /// recovery on the next start) and returns once every server process has exited and the
    /// port refuses connections.
    pub async fn kill(&mut self) {
        startup::kill(&mut self.supervisor, self.port, SERVER).await;
    }

    /// Starts the server again on the same port and data, killing it first if it runs, and
    /// returns once it accepts connections (after crash recovery).
    pub async fn start_again(&mut self) {
        let outcome = self.boot().await;
        startup::expect_started_again(outcome, SERVER, self.port);
    }

    fn data_dir(&self) -> PathBuf {
        self.supervisor.dir().join("data")
    }

    fn tcp_config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host(HOST)
            .port(self.port)
            .user(SUPERUSER)
            .password(&self.password)
            .dbname(dbname);
        config
    }
}

fn argv(program: &Path, port: u16, dir: &Path, durability: Durability) -> Vec<OsString> {
    let mut argv = user::command_prefix();
    argv.push(program.into());
    argv.push("-D".into());
    argv.push(dir.join("data").into());
    argv.push("-p".into());
    argv.push(port.to_string().into());
    // The socket goes in our directory, so nothing touches /var/run/postgresql.
    argv.push("-k".into());
    argv.push(dir.into());
    let mut settings = vec![
        format!("listen_addresses={HOST}"),
        // Names the processes in `ps` and lets readiness checks recognize this server.
        format!("cluster_name={}", cluster_name(dir)),
        // Dropping a database finds the logins stuck halfway by their titles (the default).
        "update_process_title=on".to_owned(),
        // Several services, each with a pool, may share one cluster.
        "max_connections=200".to_owned(),
    ];
    if durability == Durability::Fast {
        settings.extend(
            [
                "fsync=off",
                "synchronous_commit=off",
                "full_page_writes=off",
            ]
            .map(str::to_owned),
        );
    }
    for setting in settings {
        argv.push("-c".into());
        argv.push(setting.into());
    }
    argv
}

pub(crate) fn cluster_name(dir: &Path) -> String {
    dir.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Accepts our password and reports our cluster name: a server that took our port would not.
async fn answers_as(config: tokio_postgres::Config, cluster_name: String) -> bool {
    let Ok((client, connection)) = config.connect(NoTls).await else {
        return false;
    };
    tokio::spawn(connection);
    client
        .query_one("SHOW cluster_name", &[])
        .await
        .is_ok_and(|row| row.get::<_, String>(0) == cluster_name)
}

/// A superuser connection over the cluster's unix socket, which needs no password.
pub(crate) async fn admin(socket_dir: &Path, port: u16) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::Config::new()
        .host_path(socket_dir)
        .port(port)
        .user(SUPERUSER)
        .dbname("postgres")
        .connect(NoTls)
        .await?;
    tokio::spawn(connection);
    Ok(client)
}
