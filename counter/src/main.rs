use std::process::ExitCode;

use counter::{AppState, Config, app};
use kit::service::{self, Binary};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BINARY: Binary = Binary {
    name: "counter",
    about: "the Docker course's Redis visit counter",
    env_help: counter::ENV_HELP,
};

fn main() -> ExitCode {
    service::main(
        BINARY,
        Config::from_env,
        |config| config.bind_port,
        |config, shutdown| async move {
            let redis = config.redis.shared_connection()?;
            let listener = service::listen(config.bind_port).await?;
            tracing::info!(
                port = config.bind_port,
                redis = %config.redis.display_addr(),
                "counter listening"
            );
            kit::server::serve(listener, app(AppState::new(redis)), shutdown).await?;
            Ok(())
        },
    )
}
