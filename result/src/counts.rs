//! The result's one read: the counts of `a` and `b`, from whichever table holds them.

use tokio_postgres::GenericClient;

/// The counts of `a` and `b`. Reads the tally when the triggers keep one, else counts `votes`
/// the way the original result app does; no table at all means no votes yet.
pub async fn read_counts(client: &impl GenericClient) -> Result<(i64, i64), tokio_postgres::Error> {
    let rows = match client
        .query(
            "SELECT vote, count FROM vote_tally WHERE vote IN ('a', 'b')",
            &[],
        )
        .await
    {
        Ok(rows) => rows,
        Err(e) if is_undefined_table(&e) => match client
            .query(
                "SELECT vote, COUNT(id) AS count FROM votes WHERE vote IN ('a', 'b') GROUP BY vote",
                &[],
            )
            .await
        {
            Ok(rows) => rows,
            Err(e) if is_undefined_table(&e) => Vec::new(),
            Err(e) => return Err(e),
        },
        Err(e) => return Err(e),
    };
    let (mut a, mut b) = (0, 0);
    for row in rows {
        match row.get::<_, &str>(0) {
            "a" => a = row.get(1),
            "b" => b = row.get(1),
            _ => {}
        }
    }
    Ok((a, b))
}

fn is_undefined_table(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE)
}
