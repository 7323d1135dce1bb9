//! The `main` every service binary shares: parse the configuration, answer the `healthcheck`
//! subcommand, start logs, run the service until a stop signal.

use std::future::Future;
use std::process::ExitCode;

use std::net::Ipv4Addr;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::{ConfigError, Env};
use crate::{healthcheck, server, shutdown, telemetry};

/// What a service binary needs to say about itself.
#[derive(Debug, Clone, Copy)]
pub struct Binary {
    /// The binary's name, used in messages.
    pub name: &'static str,
    /// One line on what it does, for `--help`.
    pub about: &'static str,
    /// The environment variables it reads, for `--help`: the Markdown table (variable, default,
    /// meaning) that the crate's documentation includes too, so both say the same.
    pub env_help: &'static str,
}

/// [`run`] with this process's environment and arguments: what a `main` calls.
pub fn main<C, Fut>(
    binary: Binary,
    parse: impl FnOnce(&Env) -> Result<C, ConfigError>,
    health_port: impl FnOnce(&C) -> u16,
    serve: impl FnOnce(C, CancellationToken) -> Fut,
) -> ExitCode
where
    Fut: Future<Output = anyhow::Result<()>>,
{
    run(
        binary,
        Env::from_process(),
        std::env::args(),
        parse,
        health_port,
        serve,
    )
}

/// Listens on `port` on every IPv4 interface (containers publish ports from there).
pub async fn listen(port: u16) -> anyhow::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::UNSPECIFIED, port))
        .await
        .with_context(|| format!("cannot listen on port {port}"))
}

/// Runs a service binary. `parse` reads the typed configuration from `env`; a bad value stops
/// the process at once with exit code 2 and one line naming the variable. `health_port` says
/// where `healthcheck` should look. `serve` runs until `shutdown` is cancelled (at SIGTERM or
/// SIGINT) and returns; an error it returns is logged and gives exit code 1.
pub fn run<C, Fut>(
    binary: Binary,
    env: Env,
    args: impl IntoIterator<Item = String>,
    parse: impl FnOnce(&Env) -> Result<C, ConfigError>,
    health_port: impl FnOnce(&C) -> u16,
    serve: impl FnOnce(C, CancellationToken) -> Fut,
) -> ExitCode
where
    Fut: Future<Output = anyhow::Result<()>>,
{
    let name = binary.name;
    let args: Vec<String> = args.into_iter().skip(1).collect();
    let healthcheck = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => false,
        ["healthcheck"] => true,
        ["-h" | "--help" | "help"] => {
            println!(
                "{name}: {}\n\nUsage:\n  {name}              run the service\n  {name} healthcheck  exit 0 when the running service answers /healthz\n\nEnvironment:\n{}",
                binary.about,
                plain_table(&format!(
                    "{}\n| `TOKIO_WORKER_THREADS` | one per core | runtime threads |",
                    binary.env_help.trim_end()
                ))
            );
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{name}: unexpected arguments {args:?}; usage: {name} [healthcheck|--help]");
            return ExitCode::from(2);
        }
    };
    let config = match parse(&env) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{name}: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if healthcheck {
        return healthcheck::run(health_port(&config));
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
        let shutdown = shutdown::on_signal();
        match serve(config, shutdown).await {
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

/// A Markdown table as aligned plain text for a terminal: no pipes, no rule, no backticks.
fn plain_table(markdown: &str) -> String {
    let rows: Vec<Vec<String>> = markdown
        .lines()
        .filter_map(|line| line.trim().strip_prefix('|'))
        .map(|line| {
            let line = line.strip_suffix('|').unwrap_or(line);
            line.split('|')
                .map(|cell| cell.trim().replace('`', ""))
                .collect::<Vec<_>>()
        })
        .filter(|cells| {
            !cells
                .iter()
                .all(|cell| cell.chars().all(|c| matches!(c, '-' | ':')))
        })
        .collect();
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|cells| cells.get(i))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for cells in rows {
        let mut line = String::from(" ");
        for (cell, width) in cells.iter().zip(&widths) {
            line.push_str(&format!(" {cell:<width$} "));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_shows_a_markdown_table_as_aligned_text() {
        let markdown = "| variable | default | meaning |\n|---|:--|---|\n| `PORT` | `80` | HTTP port |\n| `RUST_LOG` | `info` | logs |\n";
        assert_eq!(
            plain_table(markdown),
            "  variable  default  meaning\n  PORT      80       HTTP port\n  RUST_LOG  info     logs\n"
        );
    }
}
