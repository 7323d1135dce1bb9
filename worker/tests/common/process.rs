//! The worker's real binary, pointed at the test servers.

use test_servers::{RedisServer, ServiceProcess};

pub const BIN: &str = env!("CARGO_BIN_EXE_worker");

/// The worker binary, started with `extra` settings (later ones win); its health endpoints on
/// a port of its own.
pub fn spawn_worker(redis: &RedisServer, db_url: &str, extra: &[(&str, &str)]) -> ServiceProcess {
    let mut envs = vec![
        ("REDIS_URL", redis.url()),
        ("DATABASE_URL", db_url.to_owned()),
        ("BATCH_SIZE", "500".to_owned()),
        ("HEARTBEAT_TTL_MS", "600".to_owned()),
    ];
    envs.extend(
        extra
            .iter()
            .map(|(name, value)| (*name, (*value).to_owned())),
    );
    ServiceProcess::spawn(BIN, "PORT", &envs)
}
