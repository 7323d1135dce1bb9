//! One `initdb` per test process: every cluster starts as a copy of this one.
//!
//! `initdb` takes about a second of CPU; copying its result takes a tenth of that.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use rand::Rng;
use rand::distr::Alphanumeric;
use tokio::sync::OnceCell;

use crate::process::Supervisor;
use crate::{binaries, scratch, user};

/// The superuser of every cluster; tests connect as it.
pub(crate) const SUPERUSER: &str = "postgres";

#[derive(Debug)]
pub(crate) struct Template {
    /// Runs no server: it only removes the template when this process ends.
    supervisor: Supervisor,
    password: String,
}

pub(crate) async fn template() -> &'static Template {
    static TEMPLATE: OnceCell<Template> = OnceCell::const_new();
    TEMPLATE.get_or_init(Template::create).await
}

impl Template {
    async fn create() -> Self {
        let programs = binaries::postgres();
        let dir = scratch::create_dir("test-servers-pg-template-");
        let supervisor = Supervisor::spawn(dir, "KILL", &[]);
        let dir = supervisor.dir().to_owned();
        user::give_to_postgres(&dir);
        let password: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(24)
            .map(char::from)
            .collect();
        let password_file = dir.join("password");
        std::fs::write(&password_file, &password)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", password_file.display()));
        user::give_to_postgres(&password_file);
        let args: Vec<OsString> = vec![
            "--pgdata".into(),
            dir.join("data").into(),
            format!("--username={SUPERUSER}").into(),
            format!("--pwfile={}", password_file.display()).into(),
            // The unix socket sits in the cluster's private directory: trusting it lets this
            // crate administer without a password exchange. TCP, which the services use,
            // needs the password.
            "--auth-local=trust".into(),
            "--auth-host=scram-sha-256".into(),
            "--encoding=UTF8".into(),
            // English messages: readiness checks look for "Address already in use".
            "--locale=C".into(),
            // Only a machine crash could lose the unsynced template, and the tests with it.
            "--no-sync".into(),
        ];
        if let Err(e) = run_as_postgres(&programs.initdb, args, &dir).await {
            panic!("initdb failed: {e}");
        }
        let _ = std::fs::remove_file(&password_file);
        Self {
            supervisor,
            password,
        }
    }

    pub(crate) fn password(&self) -> &str {
        &self.password
    }

    /// Copies the template's data directory to `data`, owned by the PostgreSQL user.
    pub(crate) async fn copy_to(&self, data: &Path) {
        let source = self.supervisor.dir().join("data");
        let args = vec!["-a".into(), source.into(), data.into()];
        let cwd = data.parent().unwrap_or(data);
        if let Err(e) = run_as_postgres(Path::new("cp"), args, cwd).await {
            panic!(
                "cannot copy the template cluster to {}: {e}",
                data.display()
            );
        }
    }
}

async fn run_as_postgres(program: &Path, args: Vec<OsString>, cwd: &Path) -> Result<(), String> {
    let mut argv = user::command_prefix();
    argv.push(program.into());
    argv.extend(args);
    let cwd: PathBuf = cwd.into();
    let shown = argv
        .iter()
        .map(|arg| arg.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let output = tokio::task::spawn_blocking(move || {
        let (program, args) = argv.split_first().unwrap_or_else(|| unreachable!());
        Command::new(program).args(args).current_dir(cwd).output()
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "`{shown}` failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}
