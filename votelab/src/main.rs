//! # votelab
//!
//! The lab's five programs in one binary, for the one container image every service of the lab
//! runs: `docker compose up --build` then compiles the workspace once, and the image holds one
//! copy of what the programs share (Tokio, hyper, the Redis and PostgreSQL clients...), so it
//! stays small. The program is chosen by the name it is run under, as busybox does: the image
//! has `counter`, `vote`, `worker`, `result` and `loadgen` as links to `votelab`. Each behaves
//! exactly as its own binary (`cargo run -p vote`), which runs the same library code.

use std::path::Path;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: kit::service::MiMalloc = kit::service::MiMalloc;

/// The names this binary answers to.
const PROGRAMS: &str = "counter, vote, worker, result or loadgen";

fn main() -> ExitCode {
    let invoked = std::env::args_os().next().unwrap_or_default();
    let name = Path::new(&invoked)
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    match name {
        "counter" => kit::service::main(&counter::SERVICE),
        "vote" => kit::service::main(&vote::SERVICE),
        "worker" => kit::service::main(&worker::SERVICE),
        "result" => kit::service::main(&result::SERVICE),
        "loadgen" => loadgen::main(),
        _ => {
            eprintln!(
                "votelab: run me as {PROGRAMS} (a link of that name to this file), not as {name:?}"
            );
            ExitCode::from(2)
        }
    }
}
