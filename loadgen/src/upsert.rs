//! `loadgen upsert-sql`: the worker's multi-row upsert run straight against PostgreSQL, with no
//! Redis and no parsing, one transaction per batch as the worker does. Its rate is the ceiling
//! the worker's drain rate is compared with.

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use tokio_postgres::NoTls;

#[derive(Debug, Clone)]
pub struct UpsertOptions {
    pub database_url: String,
    pub rows: u64,
    pub batch_size: usize,
    /// Voter ids are `{prefix}{n}`: a new prefix makes every row an insert.
    pub prefix: String,
    pub max_time: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpsertRun {
    pub rows: u64,
    pub batches: u64,
    pub seconds: f64,
    pub rows_per_second: f64,
}

impl fmt::Display for UpsertRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "upsert      {} rows in {} batches, {:.2} s: {:.0} rows/s",
            self.rows, self.batches, self.seconds, self.rows_per_second
        )
    }
}

/// Creates the schema as the worker does (so the tally triggers run, as they do for the
/// worker), then upserts `rows` new voters in batches.
pub async fn run(options: &UpsertOptions) -> anyhow::Result<UpsertRun> {
    let (mut client, connection) = tokio_postgres::connect(&options.database_url, NoTls)
        .await
        .context("cannot connect to the database")?;
    let connection = tokio::spawn(connection);
    kit::schema::migrate(&mut client)
        .await
        .context("creating the schema")?;
    let statement = client.prepare(kit::schema::UPSERT_VOTES).await?;
    let batch = options.batch_size.max(1) as u64;
    let started = Instant::now();
    let (mut done, mut batches) = (0u64, 0u64);
    while done < options.rows && started.elapsed() < options.max_time {
        let n = batch.min(options.rows - done);
        let ids: Vec<String> = (done..done + n)
            .map(|i| format!("{}{i}", options.prefix))
            .collect();
        let votes: Vec<&str> = (done..done + n)
            .map(|i| if i % 2 == 0 { "a" } else { "b" })
            .collect();
        let seqs: Vec<Option<i64>> = (done..done + n)
            .map(|i| i64::try_from(i + 1).ok())
            .collect();
        let tx = client.transaction().await?;
        tx.execute(&statement, &[&ids, &votes, &seqs]).await?;
        tx.commit().await?;
        done += n;
        batches += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(client);
    let _ = connection.await;
    Ok(UpsertRun {
        rows: done,
        batches,
        seconds,
        rows_per_second: if seconds > 0.0 {
            done as f64 / seconds
        } else {
            0.0
        },
    })
}
