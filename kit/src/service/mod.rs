//! The `main` every service binary shares, and the running service that each service crate's
//! `start` returns.
//!
//! A service crate has one entry point, `start(config, listener, shutdown)`, which wires the
//! service (its clients, router and background tasks) and returns a [`Running`] service. Its
//! `SERVICE` ([`Service`]) names that function; its binary and the lab's combined binary run it
//! with [`main`], and its tests call `start` on a loopback listener, so they run the production
//! wiring, never a copy of it.

mod help;
mod running;

pub use running::{Running, StartError, Stopped};

/// For [`service_main!`](crate::service_main): the services' allocator.
#[doc(hidden)]
pub use mimalloc::MiMalloc;

use std::net::Ipv4Addr;
use std::process::ExitCode;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, Env};
use crate::{fault, healthcheck, server, shutdown, telemetry};

/// What the binary was asked to do.
enum Command {
    /// Run the service.
    Serve,
    /// Ask the running one whether it is healthy.
    Healthcheck,
    /// Tell the running one to misbehave, or to stop ([`fault::cli`]).
    Fault,
}

/// A service as [`main`] runs it: its name and help, how it reads its configuration, where it
/// listens, and its `start`. Each service crate exports one, `SERVICE`, made by
/// [`service!`](crate::service!); its own binary and the lab's combined binary both run it.
#[derive(Debug)]
pub struct Service<C> {
    /// The binary's name, used in messages.
    pub name: &'static str,
    /// One line on what it does, for `--help`.
    pub about: &'static str,
    /// The environment variables it reads, for `--help`: the Markdown table (variable, default,
    /// meaning) that the crate's documentation includes too, so both say the same.
    pub env_help: &'static str,
    /// Reads the typed configuration.
    pub config: fn(&Env) -> Result<C, ConfigError>,
    /// Where it listens, and where the `healthcheck` subcommand looks.
    pub port: fn(&C) -> u16,
    /// Wires it and starts it on the listener, until the token is cancelled.
    pub start: fn(C, TcpListener, CancellationToken) -> Result<Running, StartError>,
}

/// Runs `service` with this process's environment and arguments. A bad configuration value
/// stops the process at once with exit code 2 and one line naming the variable. The service
/// listens on its port on every IPv4 interface (where containers publish ports from) and runs
/// until SIGTERM or SIGINT. A failure to start, or an error the service stops with, is logged
/// and gives exit code 1.
pub fn main<C>(service: &Service<C>) -> ExitCode {
    let name = service.name;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    let command = match words[..] {
        [] => Command::Serve,
        ["healthcheck"] => Command::Healthcheck,
        ["fault", ..] => Command::Fault,
        ["-h" | "--help" | "help"] => {
            println!("{}", help::usage(service));
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!(
                "{name}: unexpected arguments {args:?}; usage: {name} [healthcheck|fault ...|--help]"
            );
            return ExitCode::from(2);
        }
    };
    let env = Env::from_process();
    let config = match (service.config)(&env) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{name}: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let port = (service.port)(&config);
    match command {
        Command::Healthcheck => return healthcheck::run(port),
        Command::Fault => return fault::cli(name, port, &args[1..]),
        Command::Serve => {}
    }
    if let Err(e) = telemetry::init_tracing(&env) {
        eprintln!("{name}: configuration error: {e}");
        return ExitCode::from(2);
    }
    match server::raise_descriptor_limit() {
        Ok(limit) => tracing::debug!(limit, "open-files limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-files limit"),
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{name}: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let listener = match TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).await {
            Ok(listener) => listener,
            Err(e) => {
                tracing::error!("{name} failed: cannot listen on port {port}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let stopped = match (service.start)(config, listener, shutdown::on_signal()) {
            Ok(running) => running.stopped().await.map_err(anyhow::Error::from),
            Err(e) => Err(anyhow::Error::from(e)),
        };
        match stopped {
            Ok(()) => {
                tracing::info!("{name} stopped");
                ExitCode::SUCCESS
            }
            Err(e) => {
                tracing::error!("{name} failed: {e:#}");
                ExitCode::FAILURE
            }
        }
    })
}

/// The `SERVICE` of a service crate, from the names the crate defines: `Config` (with
/// `from_env` and a `port` field), `ENV_HELP` and `start`; the name and the one-line
/// description come from its `Cargo.toml`:
/// `pub const SERVICE: kit::service::Service<Config> = kit::service!();`
#[macro_export]
macro_rules! service {
    () => {
        $crate::service::Service {
            name: env!("CARGO_PKG_NAME"),
            about: env!("CARGO_PKG_DESCRIPTION"),
            env_help: ENV_HELP,
            config: Config::from_env,
            port: |config: &Config| config.port,
            start,
        }
    };
}

/// A binary's whole `main.rs` (`kit::service_main!(counter::SERVICE);`): runs the service with
/// [`main`], with mimalloc as the allocator (glibc malloc was a quarter of the vote app's CPU
/// under load).
#[macro_export]
macro_rules! service_main {
    ($service:path) => {
        #[global_allocator]
        static ALLOCATOR: $crate::service::MiMalloc = $crate::service::MiMalloc;

        fn main() -> ::std::process::ExitCode {
            $crate::service::main(&$service)
        }
    };
}
