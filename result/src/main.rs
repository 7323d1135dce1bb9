use std::process::ExitCode;

use anyhow::Context;
use kit::service::{self, Binary};
use result::{AppState, Config, Snapshot, app, watch_scores};
use tokio::sync::watch;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BINARY: Binary = Binary {
    name: "result",
    about: "the live results page; reads the tally from PostgreSQL",
    env_help: result::ENV_HELP,
};

fn main() -> ExitCode {
    service::main(
        BINARY,
        Config::from_env,
        |config| config.port,
        |config, shutdown| async move {
            let listener = service::listen(config.port).await?;
            tracing::info!(
                port = config.port,
                postgres = %config.postgres.display_addr(),
                "result listening"
            );
            let (publish, scores) = watch::channel(Snapshot::UNKNOWN);
            let watcher = tokio::spawn(watch_scores(config.postgres, publish, shutdown.clone()));
            let state = AppState::new(scores, config.labels, shutdown.clone());
            kit::server::serve(listener, app(state), shutdown).await?;
            watcher.await.context("score watcher task")?;
            Ok(())
        },
    )
}
