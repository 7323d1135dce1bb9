//! Logins that a client left halfway, found by the backends' process titles.
//!
//! `DROP DATABASE` waits until every backend of the cluster has accepted a ProcSignalBarrier.
//! A backend that is waiting for its client's password accepts none, and it is invisible to
//! `pg_stat_activity` until the login is done. When that client is a task of the runtime whose
//! thread is blocked in [`TestDatabase`](crate::TestDatabase)'s `Drop`, nothing would ever end
//! the wait; so the drop ends those logins itself.

/// What PostgreSQL titles a backend while it authenticates its client, after
/// `postgres: CLUSTER: USER DATABASE HOST(PORT)`.
const AUTHENTICATING: &str = "authentication";

/// Process ids of the backends of `cluster` still authenticating a client of `database`.
pub(crate) fn backends(cluster: &str, database: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let prefix = format!("postgres: {cluster}: ");
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let title = std::fs::read(entry.path().join("cmdline")).ok()?;
            let title = String::from_utf8_lossy(&title);
            let rest = title.trim_end_matches(['\0', ' ']).strip_prefix(&prefix)?;
            is_login_to(rest, database).then_some(pid)
        })
        .collect()
}

/// `rest` is a title after its cluster name: `USER DATABASE HOST(PORT) STATE`.
fn is_login_to(rest: &str, database: &str) -> bool {
    let words: Vec<&str> = rest.split_whitespace().collect();
    matches!(words.as_slice(), [_, name, _, AUTHENTICATING] if *name == database)
}

#[cfg(test)]
mod tests {
    use super::is_login_to;

    #[test]
    fn only_an_authenticating_backend_of_that_database_matches() {
        assert!(is_login_to(
            "postgres test_1 127.0.0.1(57650) authentication",
            "test_1"
        ));
        assert!(!is_login_to(
            "postgres test_12 127.0.0.1(57650) authentication",
            "test_1"
        ));
        assert!(!is_login_to(
            "postgres test_1 127.0.0.1(57650) idle",
            "test_1"
        ));
        assert!(!is_login_to(
            "postgres postgres [local] DROP DATABASE",
            "test_1"
        ));
    }
}
