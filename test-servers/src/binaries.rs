//! Finding the server programs.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where Debian's `postgresql` package puts its programs, one directory per major version.
const DEBIAN_POSTGRES_ROOT: &str = "/usr/lib/postgresql";

pub(crate) fn redis_server() -> PathBuf {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    FOUND
        .get_or_init(|| on_path("redis-server"))
        .clone()
        .unwrap_or_else(|| {
            panic!("redis-server not found on PATH: install it with `apt-get install redis-server`")
        })
}

pub(crate) fn promtool() -> PathBuf {
    on_path("promtool").unwrap_or_else(|| {
        panic!("promtool not found on PATH: install it with `apt-get install prometheus`")
    })
}

pub(crate) fn chromedriver() -> PathBuf {
    on_path("chromedriver").unwrap_or_else(|| {
        panic!("chromedriver not found on PATH: install it with `apt-get install chromium-driver`")
    })
}

pub(crate) fn chromium() -> PathBuf {
    on_path("chromium").unwrap_or_else(|| {
        panic!("chromium not found on PATH: install it with `apt-get install chromium`")
    })
}

#[derive(Debug, Clone)]
pub(crate) struct PostgresPrograms {
    pub(crate) initdb: PathBuf,
    pub(crate) postgres: PathBuf,
}

pub(crate) fn postgres() -> PostgresPrograms {
    static FOUND: OnceLock<Option<PostgresPrograms>> = OnceLock::new();
    FOUND.get_or_init(find_postgres).clone().unwrap_or_else(|| {
        panic!(
            "PostgreSQL server binaries (initdb, postgres) not found on PATH or in \
                 {DEBIAN_POSTGRES_ROOT}/*/bin: install them with `apt-get install postgresql`"
        )
    })
}

pub(crate) fn setpriv() -> PathBuf {
    on_path("setpriv").unwrap_or_else(|| {
        panic!(
            "setpriv not found on PATH (needed to run PostgreSQL as the `postgres` user when \
             running as root): install it with `apt-get install util-linux`"
        )
    })
}

/// PATH wins, so a developer can pick a version; otherwise the newest Debian install.
fn find_postgres() -> Option<PostgresPrograms> {
    if let (Some(initdb), Some(postgres)) = (on_path("initdb"), on_path("postgres")) {
        return Some(PostgresPrograms { initdb, postgres });
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_POSTGRES_ROOT)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    versions.into_iter().find_map(|(_, bin)| {
        let initdb = bin.join("initdb");
        let postgres = bin.join("postgres");
        (is_executable(&initdb) && is_executable(&postgres))
            .then_some(PostgresPrograms { initdb, postgres })
    })
}

fn on_path(name: impl AsRef<OsStr>) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name.as_ref()))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
