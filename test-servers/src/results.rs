//! The result app's JSON (`GET /api/results` and each `scores` event), typed, so that tests
//! assert on fields rather than on string keys into a JSON value.

use serde::Deserialize;

/// What the result app shows.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Results {
    pub a: i64,
    pub b: i64,
    pub total: i64,
    pub a_percent: i64,
    pub b_percent: i64,
    pub total_text: String,
    /// PostgreSQL could not be read lately: these are the last known numbers.
    pub stale: bool,
}

impl Results {
    /// `(a, b)`.
    pub fn counts(&self) -> (i64, i64) {
        (self.a, self.b)
    }
}

/// `GET url` (a result app's `/api/results`), typed.
pub async fn fetch(client: &reqwest::Client, url: &str) -> Results {
    client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: not the results JSON: {e}"))
}
