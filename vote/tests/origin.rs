//! Cross-site vote POSTs are refused; the ballot's own form, curl and trusted origins are not.

mod common;

use axum::http::StatusCode;
use common::{BROWSER_ACCEPT, post_with, queued, send, vote_and_redis, vote_app};
use test_servers::RedisServer;

/// The vote app as the browser reaches it.
const HOST: &str = "127.0.0.1:8080";

#[tokio::test]
async fn cross_site_posts_are_refused_with_403_and_nothing_is_queued() {
    let (app, redis) = vote_and_redis(&[]).await;
    let refused: [&[(&str, &str)]; 6] = [
        // A form on another site, in today's browsers.
        &[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ],
        // A sibling subdomain is another origin.
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "http://other.127.0.0.1:8080"),
        ],
        // A sandboxed iframe or a data: page.
        &[("sec-fetch-site", "cross-site"), ("origin", "null")],
        &[("origin", "null")],
        // A browser that says it is cross-site but not from where.
        &[("sec-fetch-site", "cross-site")],
        // An older browser: no Sec-Fetch-Site, an Origin that is not this host.
        &[("origin", "http://evil.example")],
    ];
    for headers in refused {
        let mut headers = headers.to_vec();
        headers.extend([("host", HOST), ("accept", BROWSER_ACCEPT)]);
        let answer = send(&app, post_with("vote=a", &headers)).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{headers:?}");
        assert!(
            answer.body.contains("another site"),
            "{headers:?}: {}",
            answer.body
        );
        assert_eq!(answer.cookie("vote"), None, "{headers:?}");
    }
    assert!(queued(&redis).await.is_empty(), "no refused vote is queued");
}

#[tokio::test]
async fn the_ballots_own_form_curl_and_trusted_origins_are_accepted() {
    let (app, redis) = vote_and_redis(&[]).await;
    let accepted: [&[(&str, &str)]; 4] = [
        &[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:8080"),
        ],
        // Typed in the address bar or a bookmark.
        &[("sec-fetch-site", "none")],
        // An older browser on this very page.
        &[("origin", "http://127.0.0.1:8080")],
        // curl, ab, the original seed script: no browser, nobody else's cookies to ride on.
        &[],
    ];
    for headers in accepted {
        let mut headers = headers.to_vec();
        headers.push(("host", HOST));
        let answer = send(&app, post_with("vote=a", &headers)).await;
        assert!(
            answer.status.is_success() || answer.status.is_redirection(),
            "{headers:?}: {}",
            answer.status
        );
    }
    assert_eq!(queued(&redis).await.len(), 4);
}

#[tokio::test]
async fn trusted_origins_are_accepted_behind_a_proxy_that_rewrites_the_host() {
    let redis = RedisServer::start().await;
    let from_portal = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://portal.example.com"),
        ("host", "vote"),
    ];
    let strict = vote_app(&redis, &[]).await;
    let answer = send(&strict, post_with("vote=b", &from_portal)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);

    let trusting = vote_app(
        &redis,
        &[(
            "TRUSTED_ORIGINS",
            "https://vote.example.com, https://Portal.example.com",
        )],
    )
    .await;
    let answer = send(&trusting, post_with("vote=b", &from_portal)).await;
    assert_eq!(answer.status, StatusCode::OK);
    let stranger = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://portal.example.com.evil.example"),
        ("host", "vote"),
    ];
    let answer = send(&trusting, post_with("vote=b", &stranger)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(queued(&redis).await.len(), 1);
}
