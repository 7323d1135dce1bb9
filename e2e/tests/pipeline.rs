//! The whole pipeline over real sockets: vote app -> Redis -> workers -> PostgreSQL -> result.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use test_lab::Lab;
use test_servers::wait_until;

fn voter() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::limited(2))
        .build()
        .expect("client")
}

async fn cast(client: &reqwest::Client, lab: &Lab, choice: &str) {
    let response = client
        .post(lab.vote.url("/"))
        .header("accept", "text/html")
        .form(&[("vote", choice)])
        .send()
        .await
        .expect("POST /");
    assert_eq!(response.url().path(), "/");
    assert_eq!(response.status(), 200, "the 303 leads back to the ballot");
    let ballot = response.text().await.expect("body");
    assert!(ballot.contains(r#"name="vote""#), "{ballot}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_shows_up_on_the_result_page_api_and_stream() {
    let lab = Lab::start(1).await;
    let sse = reqwest::get(lab.result.url("/events"))
        .await
        .expect("GET /events");
    let mut sse = sse.bytes_stream();
    let alice = voter();
    cast(&alice, &lab, "a").await;
    let voted = Instant::now();
    wait_until(Duration::from_secs(5), || async {
        lab.scores().await.a == 1
    })
    .await;
    let seen = voted.elapsed();
    assert!(seen < Duration::from_secs(1), "took {seen:?}");

    let page = reqwest::get(lab.result.url("/"))
        .await
        .expect("GET /")
        .text()
        .await
        .expect("body");
    assert!(page.contains("100%") && page.contains("1 vote"), "{page}");
    let mut text = String::new();
    use futures_util::StreamExt;
    while !text.contains(r#""a":1"#) {
        let chunk = tokio::time::timeout(Duration::from_secs(2), sse.next())
            .await
            .expect("an event in time")
            .expect("stream open")
            .expect("chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }

    // Changing one's mind moves the vote; it is still one voter.
    cast(&alice, &lab, "b").await;
    wait_until(Duration::from_secs(5), || async {
        lab.scores().await.counts() == (0, 1)
    })
    .await;
    let ballot = alice
        .get(lab.vote.url("/"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(ballot.contains(r#"value="b" aria-pressed="true""#));
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_posting_100_votes_each_at_once_make_200_rows() {
    let lab = Lab::start(1).await;
    let client = |n: usize| {
        let url = lab.vote.url("/");
        tokio::spawn(async move {
            let posts = (0..100).map(|i| {
                // A new voter each time: no cookie store.
                let url = url.clone();
                async move {
                    let response = reqwest::Client::builder()
                        .redirect(reqwest::redirect::Policy::none())
                        .build()
                        .expect("client")
                        .post(url)
                        .form(&[("vote", if (i + n).is_multiple_of(2) { "a" } else { "b" })])
                        .send()
                        .await
                        .expect("POST");
                    // Not a browser: a line of text, no redirect.
                    assert_eq!(response.status(), 200);
                }
            });
            futures_util::future::join_all(posts).await;
        })
    };
    let (one, two) = tokio::join!(client(0), client(1));
    one.expect("client 1");
    two.expect("client 2");
    wait_until(Duration::from_secs(10), || async {
        lab.scores().await.total == 200
    })
    .await;
    assert_eq!(lab.rows().await.len(), 200);
    let scores = lab.scores().await;
    assert_eq!(scores.counts(), (100, 100));
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_voters_changing_their_vote_50_times_with_3_workers_keep_their_last_vote() {
    let lab = Lab::start(3).await;
    let voters = (0..10).map(|v| {
        let url = lab.vote.url("/");
        tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client");
            let id = format!("voter{v}");
            let mut last = "";
            for round in 0..50 {
                let choice = if (v * 31 + round * 17) % 3 == 0 {
                    "a"
                } else {
                    "b"
                };
                let response = client
                    .post(&url)
                    .header("cookie", format!("voter_id={id}"))
                    .form(&[("vote", choice)])
                    .send()
                    .await
                    .expect("POST");
                assert_eq!(response.status(), 200);
                last = choice;
            }
            (id, last.to_owned())
        })
    });
    let want: HashMap<String, String> = futures_util::future::join_all(voters)
        .await
        .into_iter()
        .map(|r| r.expect("voter"))
        .collect();
    let want_a = want.values().filter(|v| *v == "a").count() as i64;
    wait_until(Duration::from_secs(10), || async {
        lab.pending().await == 0
    })
    .await;
    assert_eq!(lab.rows().await, want);
    wait_until(Duration::from_secs(5), || async {
        lab.scores().await.counts() == (want_a, 10 - want_a)
    })
    .await;
    lab.stop().await;
}

#[tokio::test]
async fn every_page_carries_the_security_headers() {
    let lab = Lab::start(0).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let pages = [
        lab.vote.url("/"),
        lab.vote.url("/static/style.css"),
        lab.vote.url("/nope"),
        lab.result.url("/"),
        lab.result.url("/static/result.js"),
        lab.result.url("/api/results"),
        lab.counter.url("/"),
        lab.counter.url("/healthz"),
    ];
    for url in pages {
        let response = client
            .get(&url)
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET");
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("default-src 'self'"), "{url}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{url}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{url}");
        assert_eq!(headers["x-frame-options"], "DENY", "{url}");
        assert!(headers.contains_key("referrer-policy"), "{url}");
    }
    // Vote answers carry them too: a browser's redirect and curl's line of text.
    for (accept, status) in [("text/html", 303), ("*/*", 200)] {
        let posted = client
            .post(lab.vote.url("/"))
            .header("accept", accept)
            .form(&[("vote", "a")])
            .send()
            .await
            .expect("POST");
        assert_eq!(posted.status(), status, "{accept}");
        assert_eq!(posted.headers()["x-frame-options"], "DENY", "{accept}");
    }
    lab.stop().await;
}
