//! The PostgreSQL schema: the original app's `votes` table, plus a tally kept by triggers.
//!
//! `votes` is created exactly as the original .NET worker creates it, so the original worker
//! and result app keep working against it. We add a nullable `seq` column (the vote message's
//! sequence number; `NULL` for rows written by the original worker) and a `vote_tally` table
//! maintained by statement-level triggers, so reading the results costs the same with ten rows
//! or ten million, whichever worker wrote them. The triggers also `NOTIFY votes_changed`, which
//! the result service listens to.

/// The channel the tally triggers notify on commit.
pub const CHANGES_CHANNEL: &str = "votes_changed";

/// How the worker applies a batch: one row per voter. A vote applies when it is newer than the
/// row's (`seq`), or when either side has no `seq` (the original vote app's messages, and rows
/// the original worker wrote), in which case queue order decides. Parameters: voter ids, votes,
/// seqs (NULL for none), as arrays of one length.
pub const UPSERT_VOTES: &str = "\
INSERT INTO votes (id, vote, seq)
SELECT * FROM UNNEST($1::varchar[], $2::varchar[], $3::int8[])
ON CONFLICT (id) DO UPDATE SET vote = EXCLUDED.vote, seq = EXCLUDED.seq
WHERE votes.seq IS NULL OR EXCLUDED.seq IS NULL OR EXCLUDED.seq > votes.seq";

/// Exactly the original worker's statement.
pub const CREATE_VOTES: &str = "CREATE TABLE IF NOT EXISTS votes (id VARCHAR(255) NOT NULL UNIQUE, vote VARCHAR(255) NOT NULL)";

/// Serialises concurrent migrations (several workers starting at once): `CREATE TABLE IF NOT
/// EXISTS` alone can still fail on a race in the catalog.
const MIGRATION_LOCK: i64 = 0x0076_6f74_656c_6162; // "votelab" in ASCII

const INSTALL_TALLY: &str = r#"
ALTER TABLE votes ADD COLUMN IF NOT EXISTS seq BIGINT;
CREATE TABLE IF NOT EXISTS vote_tally (vote VARCHAR(255) PRIMARY KEY, count BIGINT NOT NULL);

CREATE OR REPLACE FUNCTION vote_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO vote_tally (vote, count)
      SELECT vote, count(*) FROM new_rows GROUP BY vote ORDER BY vote
      ON CONFLICT (vote) DO UPDATE SET count = vote_tally.count + EXCLUDED.count;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO vote_tally (vote, count)
      SELECT vote, sum(delta) FROM (
        SELECT vote, 1 AS delta FROM new_rows
        UNION ALL SELECT vote, -1 FROM old_rows
      ) AS changes GROUP BY vote HAVING sum(delta) <> 0 ORDER BY vote
      ON CONFLICT (vote) DO UPDATE SET count = vote_tally.count + EXCLUDED.count;
  ELSE
    INSERT INTO vote_tally (vote, count)
      SELECT vote, -count(*) FROM old_rows GROUP BY vote ORDER BY vote
      ON CONFLICT (vote) DO UPDATE SET count = vote_tally.count + EXCLUDED.count;
  END IF;
  IF FOUND THEN
    PERFORM pg_notify('votes_changed', '');
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION vote_tally_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM vote_tally;
  PERFORM pg_notify('votes_changed', '');
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS vote_tally_insert ON votes;
DROP TRIGGER IF EXISTS vote_tally_update ON votes;
DROP TRIGGER IF EXISTS vote_tally_delete ON votes;
DROP TRIGGER IF EXISTS vote_tally_truncate ON votes;
CREATE TRIGGER vote_tally_insert AFTER INSERT ON votes
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION vote_tally_apply();
CREATE TRIGGER vote_tally_update AFTER UPDATE ON votes
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION vote_tally_apply();
CREATE TRIGGER vote_tally_delete AFTER DELETE ON votes
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION vote_tally_apply();
CREATE TRIGGER vote_tally_truncate AFTER TRUNCATE ON votes
  FOR EACH STATEMENT EXECUTE FUNCTION vote_tally_reset();

DELETE FROM vote_tally;
INSERT INTO vote_tally (vote, count) SELECT vote, count(*) FROM votes GROUP BY vote;
"#;

/// Creates what is missing, idempotently and safely when several workers start at once. When
/// the tally triggers are absent (a new database, or a `votes` table made by the original
/// worker), they are installed and the tally is rebuilt from `votes` under a lock that holds
/// writers off meanwhile, so no vote is counted twice or missed.
pub async fn migrate(client: &mut tokio_postgres::Client) -> Result<(), tokio_postgres::Error> {
    let tx = client.transaction().await?;
    // Every IF NOT EXISTS that finds its object raises a NOTICE ("relation \"votes\" already
    // exists, skipping"), which the driver logs at INFO on every start; they say nothing wrong.
    tx.batch_execute("SET LOCAL client_min_messages = warning")
        .await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(CREATE_VOTES).await?;
    let installed: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger \
             WHERE tgrelid = 'votes'::regclass AND tgname = 'vote_tally_truncate')",
            &[],
        )
        .await?
        .get(0);
    if !installed {
        tx.batch_execute("LOCK TABLE votes IN SHARE ROW EXCLUSIVE MODE")
            .await?;
        tx.batch_execute(INSTALL_TALLY).await?;
    }
    tx.commit().await
}

/// Whether `e` says our tables or columns are not there: the database was re-created empty
/// (a `db` container re-created without a volume) or a table was dropped by hand.
pub fn is_missing_schema(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    [SqlState::UNDEFINED_TABLE, SqlState::UNDEFINED_COLUMN]
        .iter()
        .any(|state| e.code() == Some(state))
}
