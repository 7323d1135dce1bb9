//! Plain GETs of any page (the ballot, the result page, `/api/results`), expecting 200: for
//! latency at a chosen rate, which `wrk` cannot hold (it only runs flat out, where the
//! 99th percentile measures the queue, not the service).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::ACCEPT;
use hyper::{Method, StatusCode};

use crate::driver::{self, Limits, Session};
use crate::http::{Connection, Failure};
use crate::progress::Display;
use crate::stats::Summary;
use crate::target::Target;

#[derive(Debug, Default)]
pub struct Reader;

impl Session for Reader {
    async fn step(&mut self, conn: &mut Connection, timeout: Duration) -> Result<(), Failure> {
        let request = conn
            .request()
            .method(Method::GET)
            .header(ACCEPT, "text/html,*/*")
            .body(Full::new(Bytes::new()))
            .map_err(|_| Failure::BadAnswer("cannot build the request"))?;
        let response = conn.send(request, timeout).await?;
        if response.status() != StatusCode::OK {
            return Err(Failure::Status(response.status().as_u16()));
        }
        Ok(())
    }
}

pub async fn run(target: Target, limits: Limits, display: Display) -> anyhow::Result<Summary> {
    let readers = (0..limits.clients).map(|_| Reader).collect();
    Ok(driver::drive(target, limits, readers, display, "pages")
        .await?
        .summary)
}
