//! The whole pipeline over real sockets: vote app -> Redis -> workers -> PostgreSQL -> result.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kit::config::Env;
use test_servers::{RedisServer, TestApp, TestDatabase, database, wait_until};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

struct Lab {
    redis: RedisServer,
    db: TestDatabase,
    vote: TestApp,
    result: TestApp,
    stop: CancellationToken,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Lab {
    async fn start(workers: usize) -> Self {
        let redis = RedisServer::start().await;
        let db = database().await;
        let env = Env::from_pairs([
            ("REDIS_URL", redis.url()),
            ("DATABASE_URL", db.url()),
            ("HEARTBEAT_TTL_MS", "1000".to_owned()),
        ]);
        let stop = CancellationToken::new();

        let vote_config = vote::Config::from_env(&env).expect("vote config");
        let vote = TestApp::serve(vote::app(vote::AppState::new(
            vote_config.redis.pool(32).expect("pool"),
            vote_config.page,
        )))
        .await;

        let worker_config = worker::Config::from_env(&env).expect("worker config");
        let workers = (0..workers)
            .map(|_| {
                let w = worker::Worker::new(
                    &worker::Config {
                        worker_id: format!("test-{}", rand_suffix()),
                        ..worker_config.clone()
                    },
                    worker_config.redis.pool(4).expect("pool"),
                    worker_config.postgres.pool(2).expect("pool"),
                );
                tokio::spawn(worker::run(w, stop.clone()))
            })
            .collect();

        let result_config = result::Config::from_env(&env).expect("result config");
        let (publish, scores) = watch::channel(result::Snapshot::UNKNOWN);
        tokio::spawn(result::watch_scores(
            result_config.postgres,
            publish,
            stop.clone(),
        ));
        let result = TestApp::serve_until(
            result::app(result::AppState::new(
                scores,
                result_config.labels,
                stop.clone(),
            )),
            stop.clone(),
        )
        .await;
        Self {
            redis,
            db,
            vote,
            result,
            stop,
            workers,
        }
    }

    async fn scores(&self) -> serde_json::Value {
        reqwest::get(self.result.url("/api/results"))
            .await
            .expect("GET /api/results")
            .json()
            .await
            .expect("json")
    }

    async fn rows(&self) -> HashMap<String, String> {
        self.db
            .client()
            .await
            .query("SELECT id, vote FROM votes", &[])
            .await
            .expect("SELECT")
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }

    /// Votes not yet committed: in the queue or in a worker's processing list.
    async fn pending(&self) -> usize {
        let mut conn = self.redis.client().await;
        let mut keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", worker::PROCESSING_PREFIX))
            .query_async(&mut conn)
            .await
            .expect("KEYS");
        keys.push(kit::vote::QUEUE.to_owned());
        let mut total = 0;
        for key in keys {
            total += redis::cmd("LLEN")
                .arg(&key)
                .query_async::<usize>(&mut conn)
                .await
                .expect("LLEN");
        }
        total
    }

    async fn stop(self) {
        self.stop.cancel();
        for worker in self.workers {
            tokio::time::timeout(Duration::from_secs(5), worker)
                .await
                .expect("worker stops")
                .expect("task");
        }
        drop(self.redis);
    }
}

fn rand_suffix() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    )
}

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
        .form(&[("vote", choice)])
        .send()
        .await
        .expect("POST /");
    assert_eq!(response.status(), 200, "the 303 leads back to the ballot");
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
        lab.scores().await["a"] == 1
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
        let s = lab.scores().await;
        s["a"] == 0 && s["b"] == 1
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
                    assert_eq!(response.status(), 303);
                }
            });
            futures_util::future::join_all(posts).await;
        })
    };
    let (one, two) = tokio::join!(client(0), client(1));
    one.expect("client 1");
    two.expect("client 2");
    wait_until(Duration::from_secs(10), || async {
        lab.scores().await["total"] == 200
    })
    .await;
    assert_eq!(lab.rows().await.len(), 200);
    let scores = lab.scores().await;
    assert_eq!(
        (scores["a"].as_i64(), scores["b"].as_i64()),
        (Some(100), Some(100))
    );
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
                assert_eq!(response.status(), 303);
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
        let s = lab.scores().await;
        s["a"] == want_a && s["b"] == 10 - want_a
    })
    .await;
    lab.stop().await;
}
