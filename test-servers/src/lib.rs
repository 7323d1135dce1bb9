//! Real Redis and PostgreSQL servers for integration tests.
//!
//! Each test starts what it needs, on free loopback ports, in temporary directories, so tests
//! run in parallel without seeing each other:
//!
//! - [`RedisServer::start`] (or [`RedisServer::start_persistent`]) runs a `redis-server` of
//!   the test's own;
//! - [`database()`] creates a fresh database in a PostgreSQL cluster shared by the test
//!   process;
//! - [`PostgresServer::start`] runs a cluster of the test's own, for tests that
//!   [`kill`](PostgresServer::kill) and [`start_again`](PostgresServer::start_again) it.
//!
//! ```no_run
//! # async fn example() {
//! let redis = test_servers::RedisServer::start().await;
//! let db = test_servers::database().await;
//! // Point the service under test at redis.url() and db.url().
//! # }
//! ```
//!
//! # What to install
//!
//! - `redis-server` on `PATH`: `apt-get install redis-server`;
//! - PostgreSQL's `initdb` and `postgres`, on `PATH` or in `/usr/lib/postgresql/*/bin`:
//!   `apt-get install postgresql`. When the tests run as root, PostgreSQL runs as the
//!   `postgres` user that package creates, through `setpriv` (package `util-linux`), and
//!   `$TMPDIR` must be traversable by that user (`/tmp` is);
//! - `promtool` on `PATH`, which checks the services' `/metrics`: `apt-get install prometheus`.
//!
//! A missing program makes the test panic with the package to install: tests never skip.
//! Linux only (process liveness is read from `/proc`).
//!
//! # Cleanup
//!
//! Every server runs under a small `sh` supervisor whose stdin is a pipe held by the test
//! process. When the pipe closes (the server's owner is dropped, or the test process ends in
//! any way, panics and SIGKILL included, since the kernel then closes the pipe) the supervisor
//! stops the server, waits for it and removes its directory. Dropping a server also waits for
//! that, so cleanup is done when the test returns.
//!
//! # Cost
//!
//! Measured on two cores (`cargo run -p test-servers --example timings`): a Redis server
//! starts in about 15 ms. PostgreSQL runs `initdb` once per test process, into a template that
//! each cluster copies: the first [`database()`] of a process takes about 1.5 s, the next ones
//! about 20 ms (a `CREATE DATABASE` in the shared cluster); a [`PostgresServer`] takes about
//! 150 ms once the template exists.

mod binaries;
mod binary;
mod chromedriver;
mod database;
pub mod http;
mod port;
mod postgres_server;
mod process;
mod promtool;
mod redis_server;
pub mod results;
mod scratch;
mod service;
mod service_process;
pub mod sse;
mod stalled_login;
mod startup;
mod template;
mod user;
mod wait;

pub use binary::{assert_config_error, healthcheck, send_signal, service_command, stop_with};
pub use chromedriver::{CHROMIUM_ARGS, ChromeDriver};
pub use database::{TestDatabase, database, query_map, query_value};
pub use port::free_port;
pub use postgres_server::PostgresServer;
pub use promtool::{assert_metrics_pass_promtool, promtool_check_metrics};
pub use redis_server::RedisServer;
pub use service::TestService;
pub use service_process::{STARTUP_BUDGET, ServiceProcess};
pub use wait::wait_until;
