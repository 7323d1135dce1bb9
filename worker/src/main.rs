use std::process::ExitCode;

use kit::service::{self, Binary};
use worker::Config;

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
        worker::start,
    )
}
