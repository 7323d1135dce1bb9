//! Refusing votes that another site's page makes its visitors' browsers send (cross-site
//! request forgery). The voter cookie is `SameSite=Lax`, so such a POST arrives without it and
//! would be recorded as a fresh voter: any page could stuff the ballot box through its
//! visitors.
//!
//! Browsers say where a request comes from: `Sec-Fetch-Site` (all current ones) and `Origin`
//! (on every POST, for years). A request with neither is not a browser's (curl, ab, the
//! original seed script), has no one else's browser to ride on, and is accepted.

use axum::http::{HeaderMap, HeaderValue, header};

const SEC_FETCH_SITE: &str = "sec-fetch-site";

/// Origins besides the request's own whose pages may post votes (`TRUSTED_ORIGINS`): for a
/// proxy that rewrites `Host`, or a course page on another host that embeds the ballot's form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedOrigins(Vec<String>);

impl TrustedOrigins {
    /// A comma-separated list of `scheme://host[:port]`, compared without regard to case.
    pub fn parse(list: &str) -> Result<Self, BadOrigin> {
        let mut origins = Vec::new();
        for origin in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let origin = origin.to_ascii_lowercase();
            let authority = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"))
                .ok_or_else(|| BadOrigin::Scheme(origin.clone()))?;
            if authority.is_empty()
                || authority
                    .bytes()
                    .any(|b| matches!(b, b'/' | b'?' | b'#' | b'@') || b.is_ascii_whitespace())
            {
                return Err(BadOrigin::NotAnOrigin(origin));
            }
            origins.push(origin);
        }
        Ok(Self(origins))
    }

    fn contains(&self, origin: &str) -> bool {
        self.0
            .iter()
            .any(|trusted| trusted.eq_ignore_ascii_case(origin))
    }
}

/// Why a `TRUSTED_ORIGINS` entry is not an origin.
#[derive(Debug, thiserror::Error)]
pub enum BadOrigin {
    #[error("has {0:?}, which must start with https:// or http://")]
    Scheme(String),
    #[error(
        "has {0:?}, which is not an origin (scheme://host[:port], without path, user or query)"
    )]
    NotAnOrigin(String),
}

/// Why a vote was refused as cross-site.
#[derive(Debug, thiserror::Error)]
pub enum CrossSite {
    #[error("Origin {0:?} is neither this host nor in TRUSTED_ORIGINS")]
    ForeignOrigin(String),
    #[error("Origin is null: a sandboxed frame or a page without an origin")]
    NullOrigin,
    #[error("Sec-Fetch-Site is {0:?} and no Origin says from where")]
    NoOrigin(String),
}

/// Accepts the vote POST when it comes from the ballot's own origin, from a trusted one, or
/// from no browser at all.
pub fn check(headers: &HeaderMap, trusted: &TrustedOrigins) -> Result<(), CrossSite> {
    let site = headers.get(SEC_FETCH_SITE).map(text);
    if matches!(site.as_deref(), Some("same-origin" | "none")) {
        return Ok(());
    }
    match headers.get(header::ORIGIN).map(text) {
        Some(origin) if origin == "null" => Err(CrossSite::NullOrigin),
        Some(origin) if is_own(&origin, headers) || trusted.contains(&origin) => Ok(()),
        Some(origin) => Err(CrossSite::ForeignOrigin(origin)),
        None => match site {
            Some(site) => Err(CrossSite::NoOrigin(site)),
            None => Ok(()),
        },
    }
}

/// `http://host:port` against the request's `Host`, whatever the scheme: behind a TLS proxy
/// the app itself sees plain HTTP.
fn is_own(origin: &str, headers: &HeaderMap) -> bool {
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match (authority, headers.get(header::HOST)) {
        (Some(authority), Some(host)) => authority.as_bytes().eq_ignore_ascii_case(host.as_bytes()),
        _ => false,
    }
}

/// A header as text; bytes that are not visible ASCII never match anything allowed.
fn text(value: &HeaderValue) -> String {
    String::from_utf8_lossy(value.as_bytes()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    axum::http::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn the_rules() {
        let trusted = TrustedOrigins::parse("https://vote.example.com").expect("valid");
        let host = ("host", "vote:80");
        let cases: [(&[(&str, &str)], bool); 11] = [
            (&[], true),
            (&[("sec-fetch-site", "same-origin")], true),
            (&[("sec-fetch-site", "none")], true),
            (&[("sec-fetch-site", "cross-site")], false),
            (&[("sec-fetch-site", "same-site")], false),
            (&[("origin", "null")], false),
            (&[("origin", "http://VOTE:80")], true),
            (&[("origin", "https://vote:80")], true),
            (&[("origin", "http://vote")], false),
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://vote.example.com"),
                ],
                true,
            ),
            (
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://vote.example.com:444"),
                ],
                false,
            ),
        ];
        for (pairs, allowed) in cases {
            let mut pairs = pairs.to_vec();
            pairs.push(host);
            let outcome = check(&headers(&pairs), &trusted);
            assert_eq!(outcome.is_ok(), allowed, "{pairs:?}: {outcome:?}");
        }
    }

    #[test]
    fn trusted_origins_are_origins() {
        assert_eq!(
            TrustedOrigins::parse("").expect("empty"),
            TrustedOrigins::default()
        );
        let list =
            TrustedOrigins::parse(" https://A.example , http://b.example:8080,").expect("valid");
        assert_eq!(list.0, ["https://a.example", "http://b.example:8080"]);
        for bad in [
            "a.example",
            "ftp://a.example",
            "https://a.example/",
            "https://",
            "https://user@a.example",
            "https://a.example, b.example",
        ] {
            assert!(TrustedOrigins::parse(bad).is_err(), "{bad}");
        }
    }
}
