//! Plain GETs of any page (the ballot, the result page, `/api/results`), expecting 200: for
//! latency at a chosen rate, which `wrk` cannot hold (it only runs flat out, where the
//! 99th percentile measures the queue, not the service).

use std::time::Duration;

use crate::driver::{self, Limits, Session};
use crate::http::{Connection, Failure};
use crate::progress::Display;
use crate::stats::Summary;
use crate::target::Target;

#[derive(Debug, Default)]
pub struct Reader;

impl Session for Reader {
    async fn step(&mut self, conn: &mut Connection, timeout: Duration) -> Result<(), Failure> {
        conn.get_ok("text/html,*/*", timeout).await?;
        Ok(())
    }
}

pub async fn run(target: Target, limits: Limits, display: Display) -> anyhow::Result<Summary> {
    let readers = (0..limits.clients).map(|_| Reader).collect();
    Ok(driver::drive(target, limits, readers, display, "pages")
        .await?
        .summary)
}
