//! The pages in a real browser: headless Chromium driven through chromedriver.
//!
//! Every wait is on a condition in the page, never a fixed sleep. Screenshots of each page go
//! to `target/e2e-screenshots/` for a person to look at.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kit::service::Running;
use test_lab::Lab;
use test_servers::{CHROMIUM_ARGS, ChromeDriver, TestService, free_port, wait_until};
use thirtyfour::prelude::*;

const SHOTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/e2e-screenshots");

/// A browser session of its own, with JavaScript on or off, in English.
async fn browser(driver: &ChromeDriver, profile: &str, javascript: bool) -> WebDriver {
    browser_in(driver, profile, javascript, "en-US,en").await
}

/// A browser session whose `Accept-Language` is `languages`: set through Chromium's
/// `intl.accept_languages` preference, since WebDriver cannot set request headers.
async fn browser_in(
    driver: &ChromeDriver,
    profile: &str,
    javascript: bool,
    languages: &str,
) -> WebDriver {
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(&driver.chromium().to_string_lossy())
        .expect("binary");
    for arg in CHROMIUM_ARGS {
        caps.add_arg(arg).expect("arg");
    }
    caps.add_arg(&format!(
        "--user-data-dir={}",
        driver.profile_dir(profile).display()
    ))
    .expect("profile");
    let mut prefs = serde_json::json!({ "intl.accept_languages": languages });
    if !javascript {
        prefs["profile.managed_default_content_settings.javascript"] = serde_json::json!(2);
    }
    caps.add_experimental_option("prefs", prefs).expect("prefs");
    WebDriver::new(driver.url(), caps)
        .await
        .expect("a Chromium session")
}

async fn screenshot(browser: &WebDriver, name: &str) {
    let dir = PathBuf::from(SHOTS);
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    browser
        .screenshot(&dir.join(format!("{name}.png")))
        .await
        .expect("screenshot");
}

async fn text(browser: &WebDriver, css: &str) -> String {
    match browser.find(By::Css(css)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn attr(browser: &WebDriver, css: &str, name: &str) -> Option<String> {
    browser
        .find(By::Css(css))
        .await
        .ok()?
        .attr(name)
        .await
        .ok()
        .flatten()
}

async fn click(browser: &WebDriver, css: &str) {
    browser
        .find(By::Css(css))
        .await
        .expect("element to click")
        .click()
        .await
        .expect("click");
}

/// Waits until the page shows `want` in `css`, polling the live DOM.
async fn wait_for_text(browser: &WebDriver, css: &str, want: &str, within: Duration) {
    let started = Instant::now();
    while text(browser, css).await != want {
        assert!(
            started.elapsed() < within,
            "{css} shows {:?}, not {want:?}, after {within:?}",
            text(browser, css).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Clicks the ballot's button for `choice` and waits until the page says the vote for
/// `label` is recorded.
async fn vote_for(browser: &WebDriver, choice: &str, label: &str) {
    click(browser, &format!("button[value={choice}]")).await;
    wait_for_text(
        browser,
        ".recorded",
        &format!("Your vote for {label} is recorded."),
        Duration::from_secs(5),
    )
    .await;
}

/// Where the result page's blocks sit, to prove changing numbers moves nothing.
async fn layout(browser: &WebDriver) -> serde_json::Value {
    browser
        .execute(
            "return ['#a-bar', '#b-bar', '#total', '#live'].map(function (s) { \
               var r = document.querySelector(s).getBoundingClientRect(); \
               return [r.top, r.left, r.width, r.height]; })",
            vec![],
        )
        .await
        .expect("script")
        .json()
        .clone()
}

/// The shared stylesheet really applies: a CSP mistake would drop it silently.
async fn assert_styled(browser: &WebDriver) {
    let font = browser
        .execute("return getComputedStyle(document.body).fontFamily", vec![])
        .await
        .expect("script")
        .json()
        .clone();
    assert!(
        font.as_str().is_some_and(|f| f.starts_with("system-ui")),
        "the stylesheet did not apply: font-family {font}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_result_page_follows_votes_live_without_reloading() {
    let lab = Lab::start(1).await;
    let driver = ChromeDriver::start().await;
    let browser = browser(&driver, "live", true).await;

    browser
        .goto(lab.result.url("/"))
        .await
        .expect("open result");
    wait_until(Duration::from_secs(10), || async {
        attr(&browser, "#live", "data-state").await.as_deref() == Some("live")
    })
    .await;
    assert_eq!(text(&browser, "#total").await, "No votes yet");
    // No votes is not a tie: no 50/50.
    assert_eq!(text(&browser, "#a-percent").await, "–");
    assert_eq!(
        attr(&browser, "#a-bar", "value").await.as_deref(),
        Some("0")
    );
    assert_eq!(text(&browser, "#live").await, "Live");
    assert_styled(&browser).await;
    screenshot(&browser, "result-empty").await;
    let result_window = browser.window().await.expect("window");
    let layout_before = layout(&browser).await;
    // A reload would wipe this: it proves the numbers change in place.
    browser
        .execute("window.e2eMarker = 'same page';", vec![])
        .await
        .expect("marker");

    let vote_window = browser.new_window().await.expect("new window");
    browser
        .switch_to_window(vote_window.clone())
        .await
        .expect("switch");
    browser.goto(lab.vote.url("/")).await.expect("open vote");
    assert_styled(&browser).await;
    screenshot(&browser, "vote-ballot").await;
    click(&browser, "button[value=a]").await;
    let voted = Instant::now();
    wait_for_text(
        &browser,
        ".recorded",
        "Your vote for Cats is recorded.",
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        attr(&browser, "button[value=a]", "aria-pressed")
            .await
            .as_deref(),
        Some("true")
    );
    screenshot(&browser, "vote-recorded").await;

    browser
        .switch_to_window(result_window.clone())
        .await
        .expect("switch");
    wait_for_text(&browser, "#total", "1 vote", Duration::from_secs(2)).await;
    let seen = voted.elapsed();
    assert_eq!(text(&browser, "#a-percent").await, "100%");
    assert_eq!(text(&browser, "#b-percent").await, "0%");
    assert_eq!(
        attr(&browser, "#a-bar", "value").await.as_deref(),
        Some("100")
    );
    screenshot(&browser, "result-live").await;
    assert_eq!(
        layout(&browser).await,
        layout_before,
        "the page moved when the numbers changed"
    );
    eprintln!("vote to result page: {seen:?}");

    // Changing one's mind: the page follows, and the ballot remembers after a reload.
    browser.switch_to_window(vote_window).await.expect("switch");
    vote_for(&browser, "b", "Dogs").await;
    browser.refresh().await.expect("reload");
    assert_eq!(
        attr(&browser, "button[value=b]", "aria-pressed")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        attr(&browser, "button[value=a]", "aria-pressed")
            .await
            .as_deref(),
        Some("false")
    );
    browser
        .switch_to_window(result_window)
        .await
        .expect("switch");
    wait_for_text(&browser, "#b-percent", "100%", Duration::from_secs(2)).await;
    assert_eq!(text(&browser, "#total").await, "1 vote");
    let marker = browser
        .execute("return window.e2eMarker;", vec![])
        .await
        .expect("marker")
        .json()
        .clone();
    assert_eq!(
        marker,
        serde_json::json!("same page"),
        "the result page reloaded"
    );

    browser.quit().await.expect("quit");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voting_and_results_work_with_javascript_disabled() {
    let lab = Lab::start(1).await;
    let driver = ChromeDriver::start().await;
    let browser = browser(&driver, "nojs", false).await;

    browser.goto(lab.vote.url("/")).await.expect("open vote");
    vote_for(&browser, "a", "Cats").await;
    screenshot(&browser, "vote-no-javascript").await;
    // The link the vote page offers when RESULT_URL is set.
    click(&browser, "main a").await;
    let started = Instant::now();
    while text(&browser, "#total").await != "1 vote" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the vote never showed"
        );
        browser.refresh().await.expect("reload");
    }
    assert_eq!(text(&browser, "#a-percent").await, "100%");
    assert_eq!(
        attr(&browser, "#a-bar", "value").await.as_deref(),
        Some("100")
    );
    assert_eq!(
        text(&browser, "#live").await,
        "Not live: reload the page for new results",
        "no script ran"
    );
    screenshot(&browser, "result-no-javascript").await;
    // A phone's width: the ballot stacks, nothing overflows.
    browser
        .set_window_rect(0, 0, 390, 844)
        .await
        .expect("resize");
    screenshot(&browser, "result-phone").await;
    browser.goto(lab.vote.url("/")).await.expect("open vote");
    let overflow = browser
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth",
            vec![],
        )
        .await
        .expect("script")
        .json()
        .clone();
    assert_eq!(
        overflow,
        serde_json::json!(false),
        "the page overflows on a phone"
    );
    screenshot(&browser, "vote-phone").await;
    browser.quit().await.expect("quit");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_stopped_the_vote_page_says_so_then_voting_works_again() {
    let mut lab = Lab::start(1).await;
    let driver = ChromeDriver::start().await;
    let browser = browser(&driver, "outage", true).await;

    browser.goto(lab.vote.url("/")).await.expect("open vote");
    lab.redis.kill().await;
    click(&browser, "button[value=b]").await;
    wait_for_text(
        &browser,
        "h1",
        "Your vote may not have been recorded",
        Duration::from_secs(5),
    )
    .await;
    assert!(
        text(&browser, "main p")
            .await
            .contains("Voting again is safe"),
        "{}",
        text(&browser, "main").await
    );
    assert_styled(&browser).await;
    screenshot(&browser, "vote-redis-down").await;

    lab.redis.start_again().await;
    click(&browser, "main a").await;
    vote_for(&browser, "b", "Dogs").await;
    wait_until(Duration::from_secs(10), || async {
        lab.scores().await.b == 1
    })
    .await;
    browser.quit().await.expect("quit");
    lab.stop().await;
}

/// Another site's page that makes its visitors vote as soon as it opens.
fn ballot_stuffing_page(vote_url: &str) -> axum::Router {
    let page = format!(
        r#"<!doctype html><title>Win a prize</title>
<form id="stuff" method="post" action="{vote_url}"><input type="hidden" name="vote" value="a"></form>
<script>document.getElementById("stuff").submit()</script>"#
    );
    axum::Router::new().route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(page) }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_another_origin_cannot_vote_through_its_visitors() {
    let lab = Lab::start(0).await;
    let page = ballot_stuffing_page(&lab.vote.url("/"));
    let other = TestService::start(|listener, shutdown| {
        Running::serve("ballot-stuffing page", listener, page, shutdown)
    });
    let driver = ChromeDriver::start().await;
    let browser = browser(&driver, "cross-site", true).await;
    // Another site (localhost is not 127.0.0.1), then another port of the same site.
    let pages = [
        format!("http://localhost:{}/", other.addr().port()),
        other.url("/"),
    ];
    for page in pages {
        browser.goto(&page).await.expect("open the other page");
        wait_for_text(&browser, "h1", "Vote refused", Duration::from_secs(10)).await;
        assert_eq!(lab.pending().await, 0, "{page} got a vote recorded");
    }
    screenshot(&browser, "vote-cross-site-refused").await;

    // The ballot's own form still votes.
    browser.goto(lab.vote.url("/")).await.expect("open vote");
    vote_for(&browser, "b", "Dogs").await;
    assert_eq!(lab.pending().await, 1);
    browser.quit().await.expect("quit");
    lab.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counter_page_counts_in_a_browser() {
    let lab = Lab::start(0).await;
    let driver = ChromeDriver::start().await;
    let browser = browser(&driver, "counter", true).await;
    browser
        .goto(lab.counter.url("/"))
        .await
        .expect("open counter");
    assert_eq!(
        text(&browser, "main p:last-child").await,
        "Hello from Redis! I have been seen 1 times."
    );
    browser.refresh().await.expect("reload");
    assert_eq!(text(&browser, ".count").await, "2");
    assert_styled(&browser).await;
    screenshot(&browser, "counter").await;
    browser.quit().await.expect("quit");
    lab.stop().await;
}

/// What each language's pages must show.
struct Sentences {
    lang: &'static str,
    accept_language: &'static str,
    choose_one: &'static str,
    recorded: &'static str,
    no_votes: &'static str,
    /// The total once this language's browser has voted, after the Spanish one.
    total_after: &'static str,
    live: &'static str,
    waiting: &'static str,
}

const SPANISH: Sentences = Sentences {
    lang: "es",
    accept_language: "es-AR,es",
    choose_one: "Elige una opción",
    recorded: "Tu voto por Cats quedó registrado.",
    no_votes: "Todavía no hay votos",
    total_after: "1 voto",
    live: "En vivo",
    waiting: "Esperando a la base de datos…",
};

const ENGLISH: Sentences = Sentences {
    lang: "en",
    accept_language: "en-US,en",
    choose_one: "Choose one",
    recorded: "Your vote for Cats is recorded.",
    no_votes: "No votes yet",
    total_after: "2 votes",
    live: "Live",
    waiting: "Waiting for the database…",
};

/// A result app whose database never answers: its scores stay stale from the start.
fn result_without_database() -> TestService {
    let url = format!("postgres://postgres@127.0.0.1:{}/postgres", free_port());
    let env = kit::config::Env::from_pairs([("DATABASE_URL", url)]);
    let config = result::Config::from_env(&env).expect("result config");
    TestService::start(|listener, shutdown| result::start(config, listener, shutdown))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_follow_the_browsers_language_spanish_or_english() {
    let lab = Lab::start(1).await;
    let stale = result_without_database();
    let driver = ChromeDriver::start().await;
    for (votes_before, want) in [(0, &SPANISH), (1, &ENGLISH)] {
        let lang = want.lang;
        let browser = browser_in(&driver, lang, true, want.accept_language).await;

        browser.goto(lab.vote.url("/")).await.expect("open vote");
        assert_eq!(attr(&browser, "html", "lang").await.as_deref(), Some(lang));
        assert_eq!(text(&browser, "legend").await, want.choose_one);
        assert_eq!(
            text(&browser, "h1").await,
            "Cats vs Dogs!",
            "labels stay as set"
        );
        screenshot(&browser, &format!("vote-{lang}")).await;

        browser
            .goto(lab.result.url("/"))
            .await
            .expect("open result");
        assert_eq!(attr(&browser, "html", "lang").await.as_deref(), Some(lang));
        if votes_before == 0 {
            wait_for_text(&browser, "#live", want.live, Duration::from_secs(10)).await;
            assert_eq!(text(&browser, "#total").await, want.no_votes);
            assert_eq!(text(&browser, "#b-percent").await, "–");
        }

        browser.goto(lab.vote.url("/")).await.expect("open vote");
        click(&browser, "button[value=a]").await;
        wait_for_text(&browser, ".recorded", want.recorded, Duration::from_secs(5)).await;
        screenshot(&browser, &format!("vote-recorded-{lang}")).await;

        browser
            .goto(lab.result.url("/"))
            .await
            .expect("open result");
        wait_for_text(&browser, "#live", want.live, Duration::from_secs(10)).await;
        wait_for_text(
            &browser,
            "#total",
            want.total_after,
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(text(&browser, "#a-percent").await, "100%");
        screenshot(&browser, &format!("result-{lang}")).await;

        // Stale scores: the warning shows, and the indicator does not also say "Live".
        browser
            .goto(stale.url("/"))
            .await
            .expect("open stale result");
        wait_until(Duration::from_secs(10), || async {
            attr(&browser, "#live", "data-state").await.as_deref() == Some("waiting")
        })
        .await;
        assert_eq!(text(&browser, "#live").await, want.waiting);
        assert!(
            !text(&browser, "#stale").await.is_empty(),
            "the stale warning is hidden"
        );
        assert_eq!(text(&browser, "#total").await, want.no_votes);
        assert_eq!(text(&browser, "#a-percent").await, "–");
        screenshot(&browser, &format!("result-stale-{lang}")).await;
        browser.quit().await.expect("quit");
    }
    stale.stop().await;
    lab.stop().await;
}
