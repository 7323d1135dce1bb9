use std::process::ExitCode;

use kit::service::{self, Binary};
use result::Config;

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
        result::start,
    )
}
