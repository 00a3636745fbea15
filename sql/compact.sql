--
-- compact: runs of small shards rewritten into larger ones, committed as a
-- "replace" snapshot; rows keep their order, values and positions; time
-- travel to earlier snapshots still reads the replaced shards.
--
SET client_min_messages = warning;
CREATE SCHEMA sp_compact;
SET search_path = sp_compact, public;
RESET client_min_messages;

CREATE TABLE c (id int, tx int, v text, n numeric, f float8) USING spillpool;
CREATE TABLE c_ref (id int, tx int, v text, n numeric, f float8);

-- 30 flushes of a few rows each: 30 small shards, some values that shards
-- keep as exceptions (numeric NaN) or as float NaN
DO $$
BEGIN
	FOR i IN 1..30 LOOP
		INSERT INTO sp_compact.c SELECT i * 100 + g, i, md5((i * 100 + g)::text),
			CASE WHEN g = 2 THEN 'NaN' ELSE g * 1.5 END,
			CASE WHEN g = 3 THEN 'NaN'::float8 ELSE g / 3.0 END
		FROM generate_series(1, 5) g;
		COMMIT;
		PERFORM spillpool.flush('sp_compact.c');
	END LOOP;
END
$$;
INSERT INTO c_ref SELECT * FROM c;
SELECT shards, shard_rows, current_snapshot FROM spillpool.stats('c');

-- the rows with their positions, before
CREATE TABLE before_compact AS
SELECT t.position, (t.row).* FROM spillpool.tail(NULL::c, 0, 100000) t;

-- one shard holds the 30; the snapshot replaced them
SELECT spillpool.compact('c');
SELECT shards, shard_rows, current_snapshot FROM spillpool.stats('c');
SELECT snapshot_id, shards, rows, operation FROM spillpool.snapshots('c')
WHERE snapshot_id > 28 ORDER BY snapshot_id;
SELECT count(*), sum(rows), min(first_position), max(last_position) FROM spillpool.shards('c');

-- the same rows, in the same order, at the same positions
SELECT count(*) AS rows,
	count(*) FILTER (WHERE b.position IS DISTINCT FROM a.position OR
		(b.id, b.tx, b.v, b.f) IS DISTINCT FROM (a.id, a.tx, a.v, a.f) OR
		b.n::text IS DISTINCT FROM a.n::text) AS changed
FROM before_compact b
FULL JOIN (SELECT t.position, (t.row).* FROM spillpool.tail(NULL::c, 0, 100000) t) a
	ON a.position = b.position;
SELECT count(*) FILTER (WHERE o.id IS DISTINCT FROM r.id) AS out_of_order
FROM (SELECT row_number() OVER () AS k, id FROM c) o
FULL JOIN (SELECT row_number() OVER (ORDER BY tx, id) AS k, id FROM c_ref) r ON r.k = o.k;
SELECT count(*), sum(id), count(*) FILTER (WHERE n = 'NaN') AS numeric_nan,
	count(*) FILTER (WHERE f = 'NaN') AS float_nan FROM c;

-- time travel: snapshot 10 still reads the first 10 flushes' shards
SELECT count(*), max(tx) FROM spillpool.scan(NULL::c, 10);
SELECT count(*), max(tx) FROM spillpool.scan(NULL::c, 30);
SELECT count(*), max(tx) FROM spillpool.scan(NULL::c, 31);

-- nothing left to compact: the same snapshot
SELECT spillpool.compact('c') = 31 AS unchanged;

-- new small shards after the big one: compacted among themselves; the big
-- one is left alone once it passes the target
INSERT INTO c VALUES (9001, 31, 'a', 1, 1);
SELECT spillpool.flush('c') > 0;
INSERT INTO c VALUES (9002, 32, 'b', 2, 2);
SELECT spillpool.flush('c') > 0;
-- the target: the big shard's size (rounded down to kB), which the small
-- ones stay below
SELECT spillpool.alter_table('c', compact_target_size =>
	(SELECT (bytes / 1024)::text || 'kB' FROM spillpool.shards('c') WHERE rows = 150));
SELECT bool_and(s.bytes < o.compact_target_size) AS small_ones_below
FROM spillpool.shards('c') s, spillpool.options o WHERE s.rows = 1 AND o.table_name = 'c'::regclass;
SELECT spillpool.compact('c');
SELECT rows FROM spillpool.shards('c') ORDER BY first_position;
SELECT snapshot_id, shards, rows, operation FROM spillpool.snapshots('c')
WHERE snapshot_id > 31 ORDER BY snapshot_id;
SELECT spillpool.alter_table('c', compact_target_size => '128MB');
SELECT count(*), sum(id) FROM c;

-- rows not yet flushed are untouched, and SELECT sees every tier in order
INSERT INTO c VALUES (9003, 33, 'c', 3, 3);
SELECT spillpool.compact('c') >= 31;
SELECT id FROM c OFFSET 150;

-- a target above spillpool.max_shard_size would rewrite a run into shards
-- as small as before, again and again: the target is capped there, and a
-- round that does not make fewer shards is the last
CREATE TABLE big (id int, v text) USING spillpool;
SET spillpool.shard_row_group_rows = 1000;
INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 30000) g;
SELECT spillpool.flush('big') > 0;
INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(30001, 60000) g;
SELECT spillpool.flush('big') > 0;
SET spillpool.max_shard_size = 1;
SET spillpool.compact_target_size = '1GB';
SET statement_timeout = '60s';
SELECT spillpool.compact('big') - 2 AS replace_snapshots;
SELECT count(*), sum(id) FROM big;
RESET statement_timeout;
RESET spillpool.compact_target_size;
RESET spillpool.max_shard_size;
RESET spillpool.shard_row_group_rows;
DROP TABLE big;

-- flushes are "append" snapshots, compactions "replace"
SELECT operation, count(*) FROM spillpool.snapshots('c') GROUP BY 1 ORDER BY 1;

-- shards written in a transaction that changed the columns would keep
-- them after a rollback: refused, for compact and flush alike
\set VERBOSITY terse
BEGIN;
ALTER TABLE c ADD COLUMN z int DEFAULT 5;
SELECT spillpool.compact('c');
ROLLBACK;
BEGIN;
ALTER TABLE c DROP COLUMN f;
SELECT spillpool.flush('c');
ROLLBACK;
\set VERBOSITY default
SELECT count(*) FROM c;

-- only the owner compacts
CREATE ROLE regress_compact_reader;
GRANT USAGE ON SCHEMA sp_compact TO regress_compact_reader;
GRANT SELECT ON c TO regress_compact_reader;
SET ROLE regress_compact_reader;
\set VERBOSITY terse
SELECT spillpool.compact('sp_compact.c');
\set VERBOSITY default
RESET ROLE;

DROP TABLE c, c_ref, before_compact;
DROP SCHEMA sp_compact;
DROP ROLE regress_compact_reader;
