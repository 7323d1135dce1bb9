//! Prints how long starting each kind of server takes on this machine:
//! `cargo run -p test-servers --example timings`.

use std::time::{Duration, Instant};

use test_servers::{PostgresServer, RedisServer, database};

const ROUNDS: u32 = 10;

async fn timed<T>(future: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let value = future.await;
    (value, started.elapsed())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut total = Duration::ZERO;
    for _ in 0..ROUNDS {
        let (_server, took) = timed(RedisServer::start()).await;
        total += took;
    }
    println!(
        "RedisServer::start            {:>8.1?} (mean of {ROUNDS})",
        total / ROUNDS
    );

    let (mut redis, _) = timed(RedisServer::start_persistent()).await;
    let ((), took) = timed(redis.kill()).await;
    println!("RedisServer::kill             {took:>8.1?}");
    let ((), took) = timed(redis.start_again()).await;
    println!("RedisServer::start_again      {took:>8.1?}");

    let (_first, took) = timed(database()).await;
    println!("first database() (initdb...)  {took:>8.1?}");
    let mut total = Duration::ZERO;
    let mut databases = Vec::new();
    for _ in 0..ROUNDS {
        let (db, took) = timed(database()).await;
        total += took;
        databases.push(db);
    }
    println!(
        "database() after the first   {:>8.1?} (mean of {ROUNDS})",
        total / ROUNDS
    );
    let ((), took) = timed(async { databases.clear() }).await;
    println!("dropping {ROUNDS} TestDatabases     {took:>8.1?}");

    let (mut server, took) = timed(PostgresServer::start()).await;
    println!("PostgresServer::start         {took:>8.1?}");
    let (_db, took) = timed(server.create_database()).await;
    println!("PostgresServer::create_database {took:>6.1?}");
    let ((), took) = timed(server.kill()).await;
    println!("PostgresServer::kill          {took:>8.1?}");
    let ((), took) = timed(server.start_again()).await;
    println!("PostgresServer::start_again   {took:>8.1?}");
    let ((), took) = timed(async { drop(server) }).await;
    println!("dropping a PostgresServer     {took:>8.1?}");
}
