//! The voter's cookies: `voter_id` (who votes; the original app's cookie) and `vote` (what
//! they chose last, so the page can mark it after a reload).

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use kit::queue::Choice;
use time::Duration;

const VOTER_ID: &str = "voter_id";
const LAST_VOTE: &str = "vote";

/// The voter id from the cookie when it is well formed (1 to 64 of `[0-9A-Za-z_-]`).
pub fn voter_id(jar: &CookieJar) -> Option<String> {
    jar.get(VOTER_ID)
        .map(Cookie::value)
        .filter(|id| is_well_formed(id))
        .map(str::to_owned)
}

pub fn is_well_formed(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// 64 random bits in hex, the shape of the original app's ids.
pub fn new_voter_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

pub fn last_vote(jar: &CookieJar) -> Option<Choice> {
    jar.get(LAST_VOTE).and_then(|c| Choice::parse(c.value()))
}

pub fn remember_voter(jar: CookieJar, voter_id: &str) -> CookieJar {
    jar.add(long_lived(VOTER_ID, voter_id.to_owned()))
}

pub fn remember_vote(jar: CookieJar, choice: Choice) -> CookieJar {
    jar.add(long_lived(LAST_VOTE, choice.as_str().to_owned()))
}

fn long_lived(name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        // A voter stays the same voter for the whole course. Max-Age alone (no Expires date,
        // which every browser since IE 8 ignores when Max-Age is there) spares a clock read
        // and a date format per vote.
        .max_age(Duration::days(20 * 365))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_ids() {
        assert!(is_well_formed("3f9c0a1b2c3d4e5"));
        assert!(is_well_formed("A_b-9"));
        assert!(is_well_formed(&"x".repeat(64)));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed(&"x".repeat(65)));
        assert!(!is_well_formed("a b"));
        assert!(!is_well_formed("é"));
        assert!(!is_well_formed("a;b"));
    }

    #[test]
    fn new_ids_are_16_hex_digits_and_differ() {
        let (a, b) = (new_voter_id(), new_voter_id());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
