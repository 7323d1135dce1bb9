use std::process::ExitCode;

use kit::service::{self, Binary};
use vote::Config;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BINARY: Binary = Binary {
    name: "vote",
    about: "the voting page; records votes on the Redis list `votes`",
    env_help: vote::ENV_HELP,
};

fn main() -> ExitCode {
    service::main(BINARY, Config::from_env, |config| config.port, vote::start)
}
