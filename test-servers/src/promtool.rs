//! `promtool check metrics`, the Prometheus project's own lint of a `/metrics` page: HELP text
//! on every metric, `_total` on counters and on nothing else, base units, snake_case names.
//! From Debian's `prometheus` package.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::binaries::promtool;
use crate::http::get_text;

/// What `promtool check metrics` finds in `exposition`, the Prometheus text format: `Ok` when
/// nothing, else its output (one line per problem: the metric and what is wrong).
pub fn promtool_check_metrics(exposition: &str) -> Result<(), String> {
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run promtool: {e}"));
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // A page promtool stopped reading (it reads all of it) is reported by its exit status.
    let _ = stdin.write_all(exposition.as_bytes());
    drop(stdin);
    let output = child.wait_with_output().expect("wait for promtool");
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "promtool check metrics: {}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// The families every service serves once it has answered a request: its process's and its
/// requests'.
const FAMILIES_OF_EVERY_SERVICE: [&str; 6] = [
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_open_fds",
    "process_start_time_seconds",
    "http_requests_total",
    "http_request_duration_seconds",
];

/// Fetches `url` (the `/metrics` of `service`) and returns the page, after checking that
/// promtool finds nothing in it, that `{service}_build_info` names a version and a commit (or
/// `unknown`), and that the families of every service and `families` are there. A metric never
/// recorded is absent from the page, and so unchecked: `families` names those the traffic
/// before this call must have created. Panics with promtool's findings or what is missing.
pub async fn assert_metrics_pass_promtool(url: &str, service: &str, families: &[&str]) -> String {
    let page = get_text(url).await;
    if let Err(findings) = promtool_check_metrics(&page) {
        panic!("{findings}\nin {url}:\n{page}");
    }
    let missing: Vec<&str> = FAMILIES_OF_EVERY_SERVICE
        .iter()
        .chain(families)
        .copied()
        .filter(|family| !page.contains(&format!("\n# TYPE {family} ")))
        .collect();
    assert!(
        missing.is_empty(),
        "{url} has no {missing:?} (no sample yet?):\n{page}"
    );
    let build_info = format!("\n{service}_build_info{{version=\"");
    let line = page
        .split_once(&build_info)
        .and_then(|(_, rest)| rest.lines().next())
        .unwrap_or_else(|| panic!("{url} has no {service}_build_info:\n{page}"));
    let commit = line
        .split_once(r#"",commit=""#)
        .and_then(|(_, rest)| rest.strip_suffix(r#""} 1"#));
    assert!(
        commit.is_some_and(is_commit_or_unknown),
        "{service}_build_info{{version=\"{line}"
    );
    page
}

/// Whether `commit` is what `{service}_build_info` may show: an abbreviated or full git commit
/// (`GIT_COMMIT` when the binary was compiled, as in the images), or `unknown` (not set, as
/// in `cargo test`).
fn is_commit_or_unknown(commit: &str) -> bool {
    commit == "unknown"
        || ((7..=40).contains(&commit.len()) && commit.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promtool_refuses_a_metric_without_help_and_a_counter_without_total() {
        let page = "# HELP votes_total Votes.\n# TYPE votes_total counter\nvotes_total 1\n\
                    # TYPE queue_depth gauge\nqueue_depth 3\n\
                    # HELP votes_seen Votes.\n# TYPE votes_seen counter\nvotes_seen 1\n";
        let findings = promtool_check_metrics(page).expect_err("two problems");
        assert!(findings.contains("queue_depth no help text"), "{findings}");
        assert!(
            findings.contains(r#"votes_seen counter metrics should have "_total" suffix"#),
            "{findings}"
        );
        assert!(!findings.contains("votes_total"), "{findings}");
    }

    #[test]
    fn build_info_shows_a_commit_or_unknown() {
        for commit in ["unknown", "d5c758d", "d5c758d0a1b2"] {
            assert!(is_commit_or_unknown(commit), "{commit}");
        }
        for commit in ["", "d5c7", "main", "d5c758d-dirty"] {
            assert!(!is_commit_or_unknown(commit), "{commit}");
        }
    }
}
