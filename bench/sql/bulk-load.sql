-- :rows more voters in one statement. It goes through the tally triggers like any insert, so
-- vote_tally stays exact; the result app reads only the tally.
INSERT INTO votes (id, vote, seq)
SELECT 'bulk-' || g, CASE WHEN g % 2 = 0 THEN 'a' ELSE 'b' END, g
FROM generate_series(1, :rows) AS g;
