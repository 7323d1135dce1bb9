use std::process::ExitCode;

use counter::Config;
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
        counter::start,
    )
}
