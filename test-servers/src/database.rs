//! Test databases.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio_postgres::{Client, NoTls};

use crate::postgres_server::{self, Durability, HOST, PostgresServer};
use crate::template::SUPERUSER;

/// How long dropping a [`TestDatabase`] waits for `DROP DATABASE`.
const DROP_TIMEOUT: Duration = Duration::from_secs(10);

/// A fresh, empty database in the cluster that this test process shares.
///
/// The cluster starts on first use, trades durability for speed (fsync off), and goes away
/// when the test process ends. Tests that stop PostgreSQL need a
/// [`PostgresServer`] of their own.
pub async fn database() -> TestDatabase {
    // Statics are never dropped: the supervisor removes this cluster when the process exits.
    static SHARED: OnceCell<PostgresServer> = OnceCell::const_new();
    SHARED
        .get_or_init(|| PostgresServer::launch(Durability::Fast))
        .await
        .create_database()
        .await
}

/// A database created for one test. Dropping it drops the database (terminating any
/// connections still open to it); the cluster's own cleanup removes it otherwise.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    port: u16,
    password: String,
    socket_dir: PathBuf,
}

impl TestDatabase {
    pub(crate) fn new(name: String, port: u16, password: String, socket_dir: PathBuf) -> Self {
        Self {
            name,
            port,
            password,
            socket_dir,
        }
    }

    /// `postgres://USER:PASSWORD@127.0.0.1:PORT/NAME`, over TCP with password authentication.
    pub fn url(&self) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@{HOST}:{}/{}",
            self.password, self.port, self.name
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Always `127.0.0.1`.
    pub fn host(&self) -> &str {
        HOST
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A superuser, so that migrations may do anything.
    pub fn user(&self) -> &str {
        SUPERUSER
    }

    pub fn password(&self) -> &str {
        &self.password
    }

    /// A connection through [`url`](Self::url) for assertions; its connection task runs on
    /// the current runtime. Panics if the server does not accept it.
    ///
    /// Keep the `TestDatabase` alive while using it: dropping the `TestDatabase` drops the
    /// database and ends this connection (so `database().await.client().await` is useless).
    pub async fn client(&self) -> Client {
        let (client, connection) = tokio_postgres::connect(&self.url(), NoTls)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to test database {}: {e}", self.name));
        tokio::spawn(connection);
        client
    }
}

impl Drop for TestDatabase {
    /// `Drop` cannot await, and the test's runtime may be shutting down: a thread with a
    /// runtime of its own drops the database while this one waits for it.
    fn drop(&mut self) {
        let name = self.name.clone();
        let socket_dir = self.socket_dir.clone();
        let port = self.port;
        let (done, finished) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("drop-test-database".to_owned())
            .spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async {
                    // A dedicated cluster may be down or gone already: nothing left to drop.
                    if let Ok(admin) = postgres_server::admin(&socket_dir, port).await {
                        let _ = admin
                            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .await;
                    }
                });
                let _ = done.send(());
            });
        if spawned.is_ok() {
            let _ = finished.recv_timeout(DROP_TIMEOUT);
        }
    }
}
