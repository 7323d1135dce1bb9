use std::process::ExitCode;

use anyhow::Context;
use kit::service::{self, Binary};
use worker::{Config, HealthState, Worker, app, run};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BINARY: Binary = Binary {
    name: "worker",
    about: "moves votes from the Redis list `votes` into the PostgreSQL table `votes`",
    env_help: worker::ENV_HELP,
};

fn main() -> ExitCode {
    service::main(
        BINARY,
        Config::from_env,
        |config| config.port,
        |config, shutdown| async move {
            let redis = config.redis.shared_connection()?;
            let postgres = config.postgres.pool(4)?;
            let listener = service::listen(config.port).await?;
            tracing::info!(
                port = config.port,
                redis = %config.redis.display_addr(),
                postgres = %config.postgres.display_addr(),
                "worker health endpoints listening"
            );
            let health = app(HealthState {
                redis: redis.clone(),
                postgres: postgres.clone(),
            });
            let server = tokio::spawn(kit::server::serve(listener, health, shutdown.clone()));
            run(Worker::new(&config, redis, postgres), shutdown).await;
            server.await.context("health server task")??;
            Ok(())
        },
    )
}
