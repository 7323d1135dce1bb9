use std::process::ExitCode;

use kit::service::{self, Binary};
use vote::{AppState, Config, app};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BINARY: Binary = Binary {
    name: "vote",
    about: "the voting page; records votes on the Redis list `votes`",
    env_help: vote::ENV_HELP,
};

fn main() -> ExitCode {
    service::main(
        BINARY,
        Config::from_env,
        |config| config.port,
        |config, shutdown| async move {
            let redis = config.redis.shared_connection()?;
            let listener = service::listen(config.port).await?;
            tracing::info!(
                port = config.port,
                redis = %config.redis.display_addr(),
                "vote listening"
            );
            kit::server::serve(
                listener,
                app(AppState::trusting(
                    redis,
                    config.page,
                    config.trusted_origins,
                )),
                shutdown,
            )
            .await?;
            Ok(())
        },
    )
}
