//! Driving a service's real binary: its environment, signals, and how fast it exits.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A command for `binary` with only `PATH` and the given variables: nothing of the developer's
/// environment leaks into what is tested.
pub fn service_command(binary: &str, envs: &[(&str, String)]) -> Command {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (name, value) in envs {
        command.env(name, value);
    }
    command
}

/// Asserts that `binary` refuses `var=value` at start: exit code 2 and one line on stderr that
/// names the variable.
pub fn assert_config_error(binary: &str, var: &str, value: &str) {
    let out = service_command(binary, &[(var, value.to_owned())])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{var}={value}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{var}={value}: {stderr}");
    assert!(stderr.contains(var), "{var}={value}: {stderr}");
}

/// Runs `binary healthcheck` against `port`; true when it exits 0.
pub fn healthcheck(binary: &str, port_var: &str, port: u16) -> bool {
    service_command(binary, &[(port_var, port.to_string())])
        .arg("healthcheck")
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {binary} healthcheck: {e}"))
        .success()
}

/// Sends `signal` (`TERM`, `INT`, `KILL`...) to the child with `kill`.
pub fn send_signal(child: &Child, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("cannot run kill: {e}"))
        .success();
    assert!(ok, "kill -{signal} {} failed", child.id());
}

/// Sends `signal` and waits for the child to exit; returns its status and how long it took.
/// Panics when it is still running after `within`.
pub async fn stop_with(
    child: &mut Child,
    signal: &str,
    within: Duration,
) -> (ExitStatus, Duration) {
    let started = Instant::now();
    send_signal(child, signal);
    loop {
        if let Some(status) = child
            .try_wait()
            .unwrap_or_else(|e| panic!("cannot wait for the child: {e}"))
        {
            return (status, started.elapsed());
        }
        if started.elapsed() > within {
            let _ = child.kill();
            panic!("still running {within:?} after SIG{signal}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
