//! How many connections a service keeps open, and how long a connection may stay silent.

use std::time::Duration;

/// What a server allows its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections at most; at this many, idle ones are closed to make room, and new ones
    /// wait in the listen backlog while every connection is busy.
    pub max_connections: usize,
    /// How long a connection may take to send a request's head, counted from when the server
    /// starts waiting for it: for a new connection and between requests on a kept-alive one.
    /// So it is the header-read timeout and the idle keep-alive timeout at once.
    pub header_read_timeout: Duration,
    /// A connection idle for less than this is never closed to make room: a client that just
    /// connected has time to send its request.
    pub idle_grace: Duration,
}

/// Well above a classroom's browsers (each opens about six connections), well below what the
/// memory of a small container holds (a kept-alive connection costs about 20 KiB).
pub const MAX_CONNECTIONS: usize = 16_384;
/// A browser sends its request within milliseconds of connecting, and keeps a connection idle
/// for reuse; ten seconds covers both without letting silent connections pile up.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Short, because a flood of connections waits in the listen backlog ahead of real clients, and
/// each round of making room frees at most the cap's worth of them.
pub const IDLE_GRACE: Duration = Duration::from_millis(250);

/// Descriptors kept for everything else a service opens: backend connections, files, the
/// listener, and connections accepted while idle ones are being closed.
const RESERVED_DESCRIPTORS: u64 = 64;

impl ConnectionLimits {
    /// The defaults, with the connection cap below this process's descriptor limit, so a flood
    /// of connections never leaves the service unable to accept, or to open a backend
    /// connection (`Too many open files`).
    pub fn for_this_process() -> Self {
        let descriptors = descriptor_limit();
        Self {
            max_connections: cap_below(descriptors),
            header_read_timeout: HEADER_READ_TIMEOUT,
            idle_grace: IDLE_GRACE,
        }
    }
}

/// Raises this process's soft limit on open descriptors to its hard limit (containers and
/// shells often start services with a soft limit of 1024 under a far higher hard one). Returns
/// the limit now in force.
pub fn raise_descriptor_limit() -> std::io::Result<u64> {
    let (_, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    rlimit::increase_nofile_limit(hard)
}

fn descriptor_limit() -> u64 {
    match rlimit::getrlimit(rlimit::Resource::NOFILE) {
        Ok((soft, _)) => soft,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the open-files limit; assuming 1024");
            1024
        }
    }
}

/// The connection cap for a soft descriptor limit.
fn cap_below(descriptors: u64) -> usize {
    let reserve = RESERVED_DESCRIPTORS.max(descriptors / 10);
    let available = descriptors.saturating_sub(reserve).max(1);
    usize::try_from(available).map_or(MAX_CONNECTIONS, |n| n.min(MAX_CONNECTIONS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_descriptors_for_the_rest() {
        assert_eq!(cap_below(256), 192);
        assert_eq!(cap_below(1024), 922);
        assert_eq!(cap_below(20_000), 16_384);
        assert_eq!(cap_below(1 << 20), MAX_CONNECTIONS);
        assert_eq!(cap_below(10), 1);
    }
}
