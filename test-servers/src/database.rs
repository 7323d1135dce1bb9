//! Test databases.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use tokio::sync::OnceCell;
use tokio_postgres::types::{FromSqlOwned, ToSql};
use tokio_postgres::{Client, NoTls};

use crate::postgres_server::{self, Durability, HOST, PostgresServer};
use crate::stalled_login;
use crate::template::SUPERUSER;

/// A safety net: `DROP DATABASE` takes about 0.1 s (it forces a checkpoint).
const DROP_BUDGET: Duration = Duration::from_secs(30);
/// How often a drop looks for logins stuck halfway while `DROP DATABASE` waits.
const SWEEP_INTERVAL: Duration = Duration::from_millis(20);

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
        self.url_with_password(&self.password)
    }

    /// [`url`](Self::url) with another password: to see a login fail.
    pub fn url_with_password(&self, password: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{password}@{HOST}:{}/{}",
            self.port, self.name
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

/// The value of a query that returns one row of one column, for assertions. Panics naming the
/// query if it fails or returns another number of rows.
pub async fn query_value<T: FromSqlOwned>(
    client: &Client,
    query: &str,
    params: &[&(dyn ToSql + Sync)],
) -> T {
    client
        .query_one(query, params)
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .get(0)
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
                runtime.block_on(drop_database(&socket_dir, port, &name));
                let _ = done.send(());
            });
        if spawned.is_ok() && finished.recv_timeout(DROP_BUDGET).is_err() {
            eprintln!(
                "test-servers: database {} still not dropped after {DROP_BUDGET:?}",
                self.name
            );
        }
    }
}

/// `DROP DATABASE … WITH (FORCE)` ends the sessions of the database, but waits for every
/// backend to accept a barrier, which a backend waiting for its client's password never does:
/// while it runs, a second connection ends such logins to this database.
async fn drop_database(socket_dir: &Path, port: u16, name: &str) {
    // A dedicated cluster may be down or gone already: nothing left to drop.
    let (Ok(dropper), Ok(sweeper)) = tokio::join!(
        postgres_server::admin(socket_dir, port),
        postgres_server::admin(socket_dir, port)
    ) else {
        return;
    };
    let cluster = postgres_server::cluster_name(socket_dir);
    let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let drop = dropper.batch_execute(&statement);
    tokio::pin!(drop);
    loop {
        tokio::select! {
            _ = &mut drop => return,
            () = tokio::time::sleep(SWEEP_INTERVAL) => {
                for pid in stalled_login::backends(&cluster, name) {
                    let _ = sweeper.execute("SELECT pg_terminate_backend($1)", &[&pid]).await;
                }
            }
        }
    }
}

/// The rows of `sql`, whose two columns are a key and a value, as a map: for assertions on a
/// table's content.
pub async fn query_map<K, V>(client: &Client, sql: &str) -> std::collections::HashMap<K, V>
where
    K: tokio_postgres::types::FromSqlOwned + Eq + std::hash::Hash,
    V: tokio_postgres::types::FromSqlOwned,
{
    client
        .query(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
        .into_iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect()
}
