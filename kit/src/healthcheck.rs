//! The `healthcheck` subcommand: asks the running service on this host for `/healthz`, so a
//! Docker HEALTHCHECK needs no curl in the image.

use std::process::ExitCode;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Exit code 0 when `http://127.0.0.1:{port}/healthz` answers 200 within [`TIMEOUT`].
pub fn run(port: u16) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("unhealthy: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(probe(port, "/healthz")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("unhealthy: {problem}");
            ExitCode::FAILURE
        }
    }
}

/// Why a probe found the service unhealthy.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot connect to 127.0.0.1:{port}: {source}")]
    Connect { port: u16, source: std::io::Error },
    #[error("cannot send the request: {0}")]
    Send(std::io::Error),
    #[error("cannot read the answer: {0}")]
    Read(std::io::Error),
    #[error("{path} answered {status_line:?}")]
    Status { path: String, status_line: String },
    #[error("no answer from 127.0.0.1:{port}{path} within {TIMEOUT:?}")]
    Timeout { port: u16, path: String },
}

/// One GET on loopback; `Ok` only for status 200.
pub async fn probe(port: u16, path: &str) -> Result<(), ProbeError> {
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|source| ProbeError::Connect { port, source })?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(ProbeError::Send)?;
        // Only the status line matters; some servers keep the connection open after it.
        let mut head = Vec::with_capacity(256);
        let mut chunk = [0u8; 256];
        while !head.contains(&b'\n') && head.len() < 4096 {
            let n = stream.read(&mut chunk).await.map_err(ProbeError::Read)?;
            if n == 0 {
                break;
            }
            head.extend_from_slice(&chunk[..n]);
        }
        let status_line = head.split(|b| *b == b'\n').next().unwrap_or_default();
        let status_line = String::from_utf8_lossy(status_line);
        match status_line.split_whitespace().nth(1) {
            Some("200") => Ok(()),
            _ => Err(ProbeError::Status {
                path: path.to_owned(),
                status_line: status_line.trim().to_owned(),
            }),
        }
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| ProbeError::Timeout {
            port,
            path: path.to_owned(),
        })?
}
