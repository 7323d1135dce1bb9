//! Free loopback ports.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Ports this process has handed out. A server that is down between `kill` and
/// `start_again` leaves its port free, and the kernel may offer it again: remembering them keeps
/// two servers of one test process from ever being given the same port.
static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// A loopback port that nothing listened on a moment ago. Another process may still take it
/// before the server binds it: callers retry with a new port when the server reports
/// "Address already in use".
pub fn free_port() -> u16 {
    for _ in 0..100 {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .unwrap_or_else(|e| panic!("cannot bind a loopback TCP port: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("cannot read the address of a bound socket: {e}"))
            .port();
        if HANDED_OUT
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(port)
        {
            return port;
        }
    }
    panic!("the kernel kept offering loopback ports this process already uses")
}

/// Waits until nothing accepts connections on `port` any more.
pub(crate) async fn wait_until_refused(port: u16, server: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port))
        .await
        .is_ok()
    {
        assert!(
            Instant::now() < deadline,
            "{server} still accepts connections on port {port} after it was stopped"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
