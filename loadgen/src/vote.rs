//! Simulated voters against the vote app: `POST /` with `vote=a` or `vote=b`, as the ballot's
//! form does in a browser (which asks for HTML), expecting the 303 back to the ballot and the
//! `voter_id` cookie. (A client that does not ask for HTML gets a line of text instead.)
//!
//! A client is one browser: it keeps the `voter_id` cookie the vote app gives it and votes
//! again and again as the same voter (changing its mind at random), or, with fresh voters,
//! forgets the cookie before each vote so every vote is a new voter (the course's experiment,
//! where `curl` keeps no cookies). Either way the voter ids come from the vote app's
//! `Set-Cookie`, so the run knows exactly which rows PostgreSQL must hold.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{ACCEPT, CONTENT_TYPE, COOKIE, SET_COOKIE};
use hyper::{Method, StatusCode};
use kit::queue::Choice;

use crate::driver::{self, Limits, Session};
use crate::http::{Connection, Failure, FullResponse};
use crate::ledger::Ledger;
use crate::progress::Display;
use crate::stats::Summary;
use crate::target::Target;

const VOTER_COOKIE: &str = "voter_id";

/// What a browser asks for when it submits the ballot's form; it makes the vote app answer 303.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,*/*;q=0.8";

/// One acknowledged vote's timing, for the vote-to-screen measurement.
#[derive(Debug, Clone, Copy)]
pub struct Ack {
    pub sent: Instant,
    pub acknowledged: Instant,
}

/// One simulated browser.
#[derive(Debug)]
pub struct Voter {
    fresh: bool,
    voter: Option<String>,
    ledger: Ledger,
    acks: Option<Vec<Ack>>,
}

impl Voter {
    pub fn new(fresh: bool, keep_acks: bool) -> Self {
        Self {
            fresh,
            voter: None,
            ledger: Ledger::default(),
            acks: keep_acks.then(Vec::new),
        }
    }
}

impl Session for Voter {
    async fn step(&mut self, conn: &mut Connection, timeout: Duration) -> Result<(), Failure> {
        if self.fresh {
            self.voter = None;
        }
        let choice = if rand::random::<bool>() {
            Choice::A
        } else {
            Choice::B
        };
        let body: &'static [u8] = match choice {
            Choice::A => b"vote=a",
            Choice::B => b"vote=b",
        };
        let mut request = conn
            .request()
            .method(Method::POST)
            .header(ACCEPT, BROWSER_ACCEPT)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(id) = &self.voter {
            request = request.header(COOKIE, format!("{VOTER_COOKIE}={id}"));
        }
        let request = request
            .body(Full::new(Bytes::from_static(body)))
            .map_err(|_| Failure::BadAnswer("cannot build the request"))?;
        let sent = Instant::now();
        let outcome = conn.send(request, timeout).await.and_then(|r| recorded(&r));
        match outcome {
            Ok(id) => {
                self.ledger.acknowledged(&id, choice);
                if let Some(acks) = self.acks.as_mut() {
                    acks.push(Ack {
                        sent,
                        acknowledged: Instant::now(),
                    });
                }
                self.voter = Some(id);
                Ok(())
            }
            Err(failure) => {
                // A vote without a known voter cannot be checked; one with a voter may still
                // have been recorded.
                if let Some(id) = &self.voter {
                    self.ledger.uncertain(id, choice);
                }
                Err(failure)
            }
        }
    }
}

/// The voter id of a recorded vote: a 303 with the `voter_id` cookie.
fn recorded(response: &FullResponse) -> Result<String, Failure> {
    if response.status() != StatusCode::SEE_OTHER {
        return Err(Failure::Status(response.status().as_u16()));
    }
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(cookie_value)
        .map(str::to_owned)
        .ok_or(Failure::BadAnswer("no voter_id cookie on the 303"))
}

/// `voter_id=abc; Path=/; ...` gives `abc`.
fn cookie_value(set_cookie: &str) -> Option<&str> {
    let pair = set_cookie.split(';').next()?.trim();
    let (name, value) = pair.split_once('=')?;
    (name == VOTER_COOKIE && !value.is_empty()).then_some(value)
}

/// What a vote run leaves for the checks after it.
#[derive(Debug)]
pub struct VoteRun {
    pub summary: Summary,
    pub ledger: Ledger,
    /// Every acknowledged vote's timing, when asked for; in no particular order.
    pub acks: Vec<Ack>,
}

pub async fn run(
    target: Target,
    limits: Limits,
    fresh_voters: bool,
    keep_acks: bool,
    display: Display,
) -> anyhow::Result<VoteRun> {
    let voters = (0..limits.clients)
        .map(|_| Voter::new(fresh_voters, keep_acks))
        .collect();
    let run = driver::drive(target, limits, voters, display, "votes").await?;
    let mut ledger = Ledger::default();
    let mut acks = Vec::new();
    for voter in run.sessions {
        ledger.merge(voter.ledger);
        acks.extend(voter.acks.unwrap_or_default());
    }
    Ok(VoteRun {
        summary: run.summary,
        ledger,
        acks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_voter_cookie_only() {
        assert_eq!(
            cookie_value("voter_id=3f9c0a1b2c3d4e5f; Path=/; HttpOnly; SameSite=Lax"),
            Some("3f9c0a1b2c3d4e5f")
        );
        assert_eq!(cookie_value("vote=a; Path=/"), None);
        assert_eq!(cookie_value("voter_id=; Path=/"), None);
        assert_eq!(cookie_value("voter_idx=1"), None);
    }

    #[test]
    fn only_a_303_with_the_cookie_counts_as_recorded() {
        let response = |status: u16, cookie: Option<&str>| {
            let mut r = hyper::Response::builder().status(status);
            if let Some(c) = cookie {
                r = r.header(SET_COOKIE, "vote=b; Path=/").header(SET_COOKIE, c);
            }
            r.body(Bytes::new()).unwrap()
        };
        assert_eq!(
            recorded(&response(303, Some("voter_id=abc; Path=/"))),
            Ok("abc".to_owned())
        );
        assert_eq!(recorded(&response(503, None)), Err(Failure::Status(503)));
        assert!(matches!(
            recorded(&response(303, None)),
            Err(Failure::BadAnswer(_))
        ));
    }
}
