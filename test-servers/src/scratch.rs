//! Scratch directories for servers.

use std::fs::DirBuilder;
use std::io::ErrorKind;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use rand::Rng;
use rand::distr::Alphanumeric;

/// A new directory that nobody is in charge of yet: dropping it removes it, so that a panic
/// before a [`Supervisor`](crate::process::Supervisor) takes it over leaves nothing behind.
#[derive(Debug)]
pub(crate) struct ScratchDir {
    path: Option<PathBuf>,
}

impl ScratchDir {
    pub(crate) fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or_else(|| Path::new(""))
    }

    /// Hands the directory over to whoever removes it from now on.
    pub(crate) fn hand_over(mut self) -> PathBuf {
        self.path.take().unwrap_or_default()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

/// Creates `$TMPDIR/<prefix><random>`, readable by its owner only (PostgreSQL insists on that
/// for its data).
pub(crate) fn create_dir(prefix: &str) -> ScratchDir {
    let parent = std::env::temp_dir();
    for _ in 0..100 {
        let suffix: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(10)
            .map(char::from)
            .collect();
        let dir = parent.join(format!("{prefix}{suffix}"));
        match DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return ScratchDir { path: Some(dir) },
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("cannot create a directory in {}: {e}", parent.display()),
        }
    }
    panic!(
        "cannot find an unused directory name in {}",
        parent.display()
    )
}
