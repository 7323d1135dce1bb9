//! Where the load goes: a plain `http://host:port/path` URL, split once so that each request
//! costs no parsing.

use anyhow::{Context, bail};
use hyper::Uri;

/// A parsed `http://` URL. The lab's services speak plain HTTP/1.1 (in compose, behind no
/// proxy), so there is no TLS here.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port`, for connecting and for the `Host` header.
    pub authority: String,
    /// The path and query, `/` when the URL has none.
    pub path: String,
}

impl Target {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let uri: Uri = url.parse().with_context(|| format!("{url} is not a URL"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => bail!("{url}: only http:// is supported, not {other}://"),
            None => bail!("{url}: give a full URL such as http://127.0.0.1:8080/"),
        }
        let Some(authority) = uri.authority() else {
            bail!("{url} has no host");
        };
        let host = authority.host();
        let port = authority.port_u16().unwrap_or(80);
        let authority = if host.contains(':') && !host.starts_with('[') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let path = uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let path = if path.is_empty() {
            "/".to_owned()
        } else {
            path
        };
        Ok(Self { authority, path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_host_port_and_path() {
        let t = Target::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            (t.authority.as_str(), t.path.as_str()),
            ("127.0.0.1:8080", "/")
        );
        let t = Target::parse("http://vote/?x=1").unwrap();
        assert_eq!(
            (t.authority.as_str(), t.path.as_str()),
            ("vote:80", "/?x=1")
        );
        let t = Target::parse("http://localhost:5000").unwrap();
        assert_eq!(t.path, "/");
    }

    #[test]
    fn refuses_what_it_cannot_load() {
        for url in ["https://example.org/", "127.0.0.1:8080", "not a url"] {
            assert!(Target::parse(url).is_err(), "{url}");
        }
    }
}
