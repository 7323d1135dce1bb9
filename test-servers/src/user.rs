//! The user PostgreSQL runs as.
//!
//! `initdb` and `postgres` refuse to run as root. As root, they run as the `postgres` system
//! user that Debian's `postgresql` package creates, through `setpriv`, which execs the program
//! in place: the supervisor's `$!` is then the postmaster itself, so its signals reach it.
//! Any other user runs them as itself.

use std::ffi::OsString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

const SYSTEM_USER: &str = "postgres";

#[derive(Debug, Clone, Copy)]
struct Ids {
    uid: u32,
    gid: u32,
}

/// `None` when we are not root.
fn system_user() -> Option<Ids> {
    static IDS: OnceLock<Option<Ids>> = OnceLock::new();
    *IDS.get_or_init(|| {
        if effective_uid() != 0 {
            return None;
        }
        let ids = from_passwd_file().or_else(|| {
            let uid = id(&["-u", SYSTEM_USER])?;
            let gid = id(&["-g", SYSTEM_USER])?;
            Some(Ids { uid, gid })
        });
        match ids {
            Some(ids) => Some(ids),
            None => panic!(
                "running as root, and PostgreSQL refuses to run as root, but there is no \
                 `{SYSTEM_USER}` user to run it as: install `postgresql` with \
                 `apt-get install postgresql`, which creates it"
            ),
        }
    })
}

/// `/etc/passwd` first, which needs no program on PATH; `id` covers users from NSS.
fn from_passwd_file() -> Option<Ids> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != SYSTEM_USER {
            return None;
        }
        let uid = fields.nth(1)?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some(Ids { uid, gid })
    })
}

/// What to put before a PostgreSQL program's argv so that it does not run as root.
pub(crate) fn command_prefix() -> Vec<OsString> {
    match system_user() {
        None => Vec::new(),
        Some(Ids { uid, gid }) => vec![
            crate::binaries::setpriv().into(),
            format!("--reuid={uid}").into(),
            format!("--regid={gid}").into(),
            "--clear-groups".into(),
            "--".into(),
        ],
    }
}

/// Hands `path` to the user PostgreSQL runs as (a no-op unless we are root).
pub(crate) fn give_to_postgres(path: &Path) {
    if let Some(Ids { uid, gid }) = system_user() {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("cannot chown {} to {SYSTEM_USER}: {e}", path.display()));
    }
}

/// The owner of `/proc/self` is our effective uid; `id -u` covers systems without procfs.
fn effective_uid() -> u32 {
    std::fs::metadata("/proc/self")
        .map(|meta| meta.uid())
        .ok()
        .or_else(|| id(&["-u"]))
        .unwrap_or_else(|| panic!("cannot tell which user this process runs as"))
}

fn id(args: &[&str]) -> Option<u32> {
    let output = Command::new("id").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()?.trim().parse().ok()
}
