--
-- flush: spillpool.flush() and flush_if_due(), the snapshots and shards a
-- flush commits, spillpool.snapshots() / shards() / stats(), time travel with
-- spillpool.scan(), reading across the tiers (shards, segment files,
-- memtable), the SpillpoolScan custom scan (column projection, row-group
-- skipping), ALTER TABLE after a flush, types through shards, shard codecs
-- and splitting, TRUNCATE / DROP of flushed tables, the background flush
-- worker, and privileges.
--
-- Rows are compared with heap copies by md5 over their text forms in scan
-- order (commit order), so a row that is lost, duplicated, changed or moved
-- shows.  Paths are printed relative to the table's directory, without oids.
--
SET client_min_messages = warning;
CREATE SCHEMA sp_flush;
SET search_path = sp_flush, public;
-- the plans below show the scan; sql/aggregates.sql tests the aggregate node
SET spillpool.enable_aggregate_pushdown = off;
RESET client_min_messages;
\set VERBOSITY terse

-- runs one statement; returns its SQLSTATE and message ('ok' if none)
CREATE FUNCTION sp_flush.err(stmt text, OUT code text, OUT message text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	code := 'ok';
EXCEPTION WHEN OTHERS THEN
	code := SQLSTATE;
	message := SQLERRM;
END
$$;

-- the directory of a table's current relfilenode, relative to the data directory
CREATE FUNCTION sp_flush.table_dir(rel regclass) RETURNS text LANGUAGE sql AS $$
	SELECT format('spillpool/%s/%s',
		(SELECT oid FROM pg_database WHERE datname = current_database()),
		pg_relation_filenode(rel))
$$;

-- true if the directory exists
CREATE FUNCTION sp_flush.dir_exists(dir text) RETURNS bool LANGUAGE sql AS $$
	SELECT count(*) > 0 FROM pg_ls_dir(dir, true, false)
$$;

-- A flush moves only rows that every running snapshot sees.  So that a
-- concurrent autovacuum ANALYZE or a background flush worker holding an
-- old snapshot does not make a flush take fewer rows than the test expects,
-- flush_now() waits (at most 30 s) until no other backend of this database
-- holds a snapshot or an xid, then flushes.
CREATE FUNCTION sp_flush.quiet() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	who text;
BEGIN
	FOR i IN 1..300 LOOP
		PERFORM pg_stat_clear_snapshot();
		SELECT string_agg(backend_type || ' ' || pid || ': ' || coalesce(query, ''), '; ') INTO who
		FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
			AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL);
		IF who IS NULL THEN
			RETURN;
		END IF;
		RAISE LOG 'sp_flush.quiet: waiting for %', who;
		PERFORM pg_sleep(0.1);
	END LOOP;
END
$$;
CREATE FUNCTION sp_flush.flush_now(rel regclass) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
	PERFORM sp_flush.quiet();
	RETURN spillpool.flush(rel);
END
$$;

-- a table's shards with stable columns: the file name within the table's
-- directory, whether the path is the documented one and the size on disk
-- matches bytes
CREATE FUNCTION sp_flush.shard_list(rel regclass)
RETURNS TABLE (snapshot_id bigint, file text, path_ok bool, rows bigint, size_ok bool,
	codec text, row_groups int)
LANGUAGE sql AS $$
	SELECT s.snapshot_id, regexp_replace(s.path, '^.*/shards/', 'shards/'),
		s.path ~ ('^' || sp_flush.table_dir(rel) || '/shards/' || s.snapshot_id || '-[0-9]+\.parquet$'),
		s.rows, (pg_stat_file(s.path)).size = s.bytes, s.codec, s.row_groups
	FROM spillpool.shards(rel) s
$$;

-- md5 over the rows' text forms in scan order
CREATE FUNCTION sp_flush.scan_md5(rel regclass) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE format('SELECT md5(string_agg(x::text, %L)) FROM %s x', '|', rel) INTO r;
	RETURN r;
END
$$;

--
-- flush of an empty table; flushes, no-op flushes, and what they record
--
CREATE TABLE fl (id int, t text) USING spillpool;
CREATE TABLE fl_heap (id int, t text);
-- never written: nothing to flush, the snapshot id stays 0
SELECT spillpool.flush('fl') AS empty_flush;
SELECT spillpool.flush('fl') AS empty_again;
SELECT count(*) AS snapshots FROM spillpool.snapshots('fl');
SELECT count(*) AS shards FROM spillpool.shards('fl');
SELECT shards, shard_rows, shard_bytes, flushes, last_flush IS NULL AS no_last_flush,
	current_snapshot
FROM spillpool.stats('fl');
-- the directory holds no shard yet
SELECT count(*) AS shard_files FROM pg_ls_dir(sp_flush.table_dir('fl') || '/shards', true, false);
-- time travel to snapshot 0 is the empty table; later ones do not exist
SELECT count(*) AS rows_at_0 FROM spillpool.scan(NULL::fl, 0);
SELECT * FROM sp_flush.err($$SELECT * FROM spillpool.scan(NULL::sp_flush.fl, 1)$$);

-- three transactions
INSERT INTO fl SELECT g, 'a' || g FROM generate_series(1, 400) g;
INSERT INTO fl SELECT g, 'b' || g FROM generate_series(401, 700) g;
INSERT INTO fl SELECT g, 'c' || g FROM generate_series(701, 1000) g;
INSERT INTO fl_heap SELECT * FROM fl;
SELECT sp_flush.scan_md5('fl') = (SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM fl_heap h)
	AS same_before_flush;
SELECT memtable_rows, shards, current_snapshot FROM spillpool.stats('fl');
SELECT clock_timestamp() AS before_flush \gset
SELECT sp_flush.flush_now('fl') AS first_flush;
-- nothing new: a no-op returning the same id
SELECT spillpool.flush('fl') AS noop_flush;
SELECT spillpool.flush('fl') AS noop_again;
SELECT snapshot_id, shards, rows,
	committed_at >= :'before_flush' AND committed_at <= clock_timestamp() AS committed_at_ok
FROM spillpool.snapshots('fl');
SELECT * FROM sp_flush.shard_list('fl');
SELECT column_stats FROM spillpool.shards('fl');
-- the counters: everything is in the shard now
SELECT memtable_rows, memtable_bytes, segment_files, spilled_rows, shards, shard_rows,
	shard_bytes = (SELECT sum(bytes) FROM spillpool.shards('fl')) AS shard_bytes_ok,
	flushes, last_flush = (SELECT max(committed_at) FROM spillpool.snapshots('fl')) AS last_flush_ok,
	current_snapshot
FROM spillpool.stats('fl');
-- the table directory holds exactly the listed shard (and no temporary file)
SELECT array_agg(f ORDER BY f) AS shard_files FROM pg_ls_dir(sp_flush.table_dir('fl') || '/shards') f;
-- the same rows, in the same order
SELECT sp_flush.scan_md5('fl') = (SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM fl_heap h)
	AS same_after_flush;
SELECT count(*) = 1000 AS count_ok, sum(id) = 500500 AS sum_ok FROM fl;
-- the shard is a Parquet file another reader takes as it is
SELECT count(*) AS rows, sum(id) AS sum_id, md5(string_agg(p::text, '|')) =
	(SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM fl_heap h) AS same_rows
FROM spillpool.read_parquet((SELECT path FROM spillpool.shards('fl'))) AS p(id int, t text);

--
-- time travel and commit order across flushes
--
-- rows inserted after a flush come after the flushed rows
INSERT INTO fl SELECT g, 'd' || g FROM generate_series(1001, 1500) g;
INSERT INTO fl_heap SELECT * FROM fl WHERE id > 1000;
SELECT bool_and(id = rn) AS in_commit_order, count(*) AS n
FROM (SELECT id, row_number() OVER () AS rn FROM fl) s;
SELECT sp_flush.flush_now('fl') AS second_flush;
INSERT INTO fl SELECT g, 'e' || g FROM generate_series(1501, 1600) g;
INSERT INTO fl_heap SELECT * FROM fl WHERE id > 1500;
SELECT bool_and(id = rn) AS in_commit_order, count(*) AS n
FROM (SELECT id, row_number() OVER () AS rn FROM fl) s;
SELECT memtable_rows, shards, shard_rows, flushes, current_snapshot FROM spillpool.stats('fl');
SELECT snapshot_id, shards, rows FROM spillpool.snapshots('fl') ORDER BY snapshot_id;
SELECT snapshot_id, file, path_ok, rows, size_ok FROM sp_flush.shard_list('fl') ORDER BY snapshot_id;
-- as of each snapshot: the rows of the shards up to it, in commit order
SELECT s.snap, count(x.*) AS rows, coalesce(min(x.id), 0) AS min_id, coalesce(max(x.id), 0) AS max_id
FROM generate_series(0, 2) s(snap) LEFT JOIN LATERAL spillpool.scan(NULL::fl, s.snap) x ON true
GROUP BY s.snap ORDER BY s.snap;
SELECT (SELECT md5(string_agg(x::text, '|')) FROM spillpool.scan(NULL::fl, 1) x) =
	(SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM fl_heap h WHERE id <= 1000) AS snapshot_1_ok,
	(SELECT md5(string_agg(x::text, '|')) FROM spillpool.scan(NULL::fl, 2) x) =
	(SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM fl_heap h WHERE id <= 1500) AS snapshot_2_ok;
-- NULL (the default) is the current table, as SELECT sees it, unflushed rows included
SELECT (SELECT md5(string_agg(x::text, '|')) FROM spillpool.scan(NULL::fl) x) =
	(SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM fl_heap h) AS default_ok,
	(SELECT md5(string_agg(x::text, '|')) FROM spillpool.scan(NULL::fl, NULL) x) =
	(SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM fl_heap h) AS null_ok;
-- a table-qualified row type and a time-travel scan in a join
SELECT count(*) AS joined FROM spillpool.scan(NULL::sp_flush.fl, 1) a
	JOIN spillpool.scan(NULL::sp_flush.fl, 2) b USING (id);
-- invalid calls
SELECT v.label, e.code, e.message
FROM (VALUES
	('snapshot 3', $$SELECT * FROM spillpool.scan(NULL::sp_flush.fl, 3)$$),
	('snapshot -1', $$SELECT * FROM spillpool.scan(NULL::sp_flush.fl, -1)$$),
	('snapshot max', $$SELECT * FROM spillpool.scan(NULL::sp_flush.fl, 9223372036854775807)$$),
	('heap row type', $$SELECT * FROM spillpool.scan(NULL::sp_flush.fl_heap, 1)$$),
	('scalar type', $$SELECT * FROM spillpool.scan(NULL::int, 1)$$),
	('flush heap', $$SELECT spillpool.flush('sp_flush.fl_heap')$$),
	('flush_if_due heap', $$SELECT spillpool.flush_if_due('sp_flush.fl_heap')$$),
	('snapshots heap', $$SELECT * FROM spillpool.snapshots('sp_flush.fl_heap')$$),
	('shards heap', $$SELECT * FROM spillpool.shards('sp_flush.fl_heap')$$),
	('flush missing', $$SELECT spillpool.flush('sp_flush.no_such_table')$$)
) AS v(label, stmt), LATERAL sp_flush.err(v.stmt) e;
-- NULL in, NULL out
SELECT spillpool.flush(NULL) IS NULL AS flush_null, spillpool.flush_if_due(NULL) IS NULL AS due_null,
	(SELECT count(*) FROM spillpool.snapshots(NULL)) AS snapshots_null,
	(SELECT count(*) FROM spillpool.shards(NULL)) AS shards_null;

--
-- what a flush leaves behind: a transaction's own uncommitted rows and the
-- rows of a rolled-back transaction are not flushed; a flush is not undone
-- by the rollback of the transaction that called it
--
-- (the flush in the transaction takes the 100 committed rows 1501..1600,
-- not the transaction's own 10)
BEGIN;
INSERT INTO fl SELECT g, 'own' FROM generate_series(2001, 2010) g;
SELECT spillpool.flush('fl') AS flush_with_own_rows;
SELECT count(*) AS rows_in_xact FROM fl;
SELECT memtable_rows AS unflushed_in_xact FROM spillpool.stats('fl');
COMMIT;
BEGIN;
INSERT INTO fl SELECT g, 'rolled back' FROM generate_series(3001, 3100) g;
ROLLBACK;
INSERT INTO fl_heap SELECT * FROM fl WHERE id > 2000;
SELECT memtable_rows AS unflushed FROM spillpool.stats('fl');
BEGIN;
SELECT sp_flush.flush_now('fl') AS flush_in_xact;
ROLLBACK;
SELECT snapshot_id, shards, rows FROM spillpool.snapshots('fl') ORDER BY snapshot_id;
SELECT memtable_rows, shard_rows, current_snapshot FROM spillpool.stats('fl');
SELECT count(*) AS rolled_back_rows FROM fl WHERE t = 'rolled back';
SELECT sp_flush.scan_md5('fl') = (SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM fl_heap h)
	AS same_rows;

-- savepoints: rows of a rolled-back subtransaction are not flushed, those
-- of a released one are (also when they went through a private file)
CREATE TABLE sv (id int, t text) USING spillpool;
SELECT spillpool.alter_table('sv', memory_limit => '64kB');
BEGIN;
INSERT INTO sv VALUES (1, 'a');
SAVEPOINT s1;
INSERT INTO sv SELECT g, 'b' FROM generate_series(2, 5000) g;
ROLLBACK TO SAVEPOINT s1;
INSERT INTO sv VALUES (5001, 'c');
SAVEPOINT s2;
INSERT INTO sv SELECT g, 'd' FROM generate_series(5002, 9000) g;
RELEASE SAVEPOINT s2;
COMMIT;
SELECT sp_flush.flush_now('sv') AS flushed;
SELECT snapshot_id, shards, rows FROM spillpool.snapshots('sv');
SELECT t, count(*), min(id), max(id) FROM sv GROUP BY t ORDER BY t;
SELECT count(*) AS n, bool_and(id = rn + CASE WHEN rn > 1 THEN 4999 ELSE 0 END) AS in_order
FROM (SELECT id, row_number() OVER () AS rn FROM spillpool.scan(NULL::sv, 1)) s;
DROP TABLE sv;

--
-- the tiers: rows in segment files and the memtable are flushed together,
-- in order; the segment files they emptied are removed
--
CREATE TABLE tiers (id int, t text) USING spillpool;
CREATE TABLE tiers_heap (id int, t text);
SELECT spillpool.alter_table('tiers', memory_limit => '64kB', max_file_size => '64kB');
DO $$
BEGIN
	FOR i IN 0..19 LOOP
		INSERT INTO sp_flush.tiers SELECT g, md5(g::text) FROM generate_series(i * 250 + 1, i * 250 + 250) g;
		COMMIT;
	END LOOP;
END
$$;
INSERT INTO tiers_heap SELECT * FROM tiers;
SELECT memtable_rows > 0 AS in_memory, segment_files > 1 AS several_segments,
	spilled_rows = 5000 AS all_in_segments, shards FROM spillpool.stats('tiers');
SELECT sp_flush.scan_md5('tiers') = (SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM tiers_heap h)
	AS same_before_flush;
SELECT sp_flush.flush_now('tiers') AS flushed;
SELECT memtable_rows, memtable_bytes, segment_files, spilled_rows, spilled_bytes, quota_used,
	shards, shard_rows FROM spillpool.stats('tiers');
SELECT count(*) AS segments FROM spillpool.segments('tiers');
SELECT count(*) AS segment_files_on_disk FROM pg_ls_dir(sp_flush.table_dir('tiers') || '/seg');
SELECT sp_flush.scan_md5('tiers') = (SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM tiers_heap h)
	AS same_after_flush;
-- more rows: the table is read from shards, segment files and memory at once
DO $$
BEGIN
	FOR i IN 20..31 LOOP
		INSERT INTO sp_flush.tiers SELECT g, md5(g::text) FROM generate_series(i * 250 + 1, i * 250 + 250) g;
		COMMIT;
	END LOOP;
END
$$;
INSERT INTO tiers_heap SELECT * FROM tiers WHERE id > 5000;
SELECT memtable_rows > 0 AS in_memory, segment_files > 0 AS in_segments, shard_rows
FROM spillpool.stats('tiers');
SELECT sp_flush.scan_md5('tiers') = (SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM tiers_heap h)
	AS same_three_tiers;
SET spillpool.enable_custom_scan = off;
SELECT sp_flush.scan_md5('tiers') = (SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM tiers_heap h)
	AS same_without_custom_scan;
RESET spillpool.enable_custom_scan;
SELECT sp_flush.flush_now('tiers') AS flushed;
SELECT memtable_rows, segment_files, spilled_rows, shards, shard_rows FROM spillpool.stats('tiers');
SELECT snapshot_id, shards, rows FROM spillpool.snapshots('tiers') ORDER BY snapshot_id;
SELECT sp_flush.scan_md5('tiers') = (SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM tiers_heap h)
	AS same_after_second_flush,
	(SELECT md5(string_agg(x::text, '|')) FROM spillpool.scan(NULL::tiers, 1) x) =
	(SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM tiers_heap h WHERE id <= 5000) AS snapshot_1_ok;
-- a large transaction (spilled to a private file, adopted as a segment at
-- COMMIT) is flushed like the rest
INSERT INTO tiers SELECT g, md5(g::text) FROM generate_series(8001, 20000) g;
INSERT INTO tiers_heap SELECT * FROM tiers WHERE id > 8000;
SELECT sp_flush.flush_now('tiers') AS flushed;
SELECT snapshot_id, shards, rows FROM spillpool.snapshots('tiers') WHERE snapshot_id = 3;
SELECT sp_flush.scan_md5('tiers') = (SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM tiers_heap h)
	AS same_after_large_flush;
SELECT segment_files, spilled_rows, memtable_rows FROM spillpool.stats('tiers');
-- ANALYZE counts and samples the flushed rows too
ANALYZE tiers;
SELECT reltuples FROM pg_class WHERE oid = 'tiers'::regclass;
SELECT attname, n_distinct, null_frac FROM pg_stats
WHERE schemaname = 'sp_flush' AND tablename = 'tiers' ORDER BY attname;

-- durability 'none': rows only in memory are flushed as well
CREATE TABLE dn (id int, t text) USING spillpool;
SELECT spillpool.alter_table('dn', durability => 'none');
INSERT INTO dn SELECT g, md5(g::text) FROM generate_series(1, 500) g;
SELECT memtable_rows, segment_files FROM spillpool.stats('dn');
SELECT sp_flush.flush_now('dn') AS flushed;
SELECT memtable_rows, segment_files, shard_rows FROM spillpool.stats('dn');
SELECT count(*) AS n, sum(id) AS sum_id, bool_and(t = md5(id::text)) AS intact,
	bool_and(id = rn) AS in_order
FROM (SELECT *, row_number() OVER () AS rn FROM dn) s;

--
-- flush_if_due: NULL unless flush_rows, flush_bytes or flush_interval is
-- reached.  (The test configuration keeps the background worker from
-- flushing on its own; should it run, crossing a threshold and checking it
-- in one DO block leaves it no time to come first.)
--
CREATE TABLE fd (id int, t text) USING spillpool;
CREATE TABLE fd_result (label text, result bigint);
SELECT spillpool.flush_if_due('fd') IS NULL AS empty_not_due;
SELECT spillpool.alter_table('fd', flush_rows => 100);
INSERT INTO fd SELECT g, 'x' FROM generate_series(1, 60) g;
SELECT spillpool.flush_if_due('fd') IS NULL AS rows_below_threshold;
DO $$
BEGIN
	INSERT INTO sp_flush.fd SELECT g, 'x' FROM generate_series(61, 110) g;
	COMMIT;
	INSERT INTO sp_flush.fd_result VALUES ('rows reached', spillpool.flush_if_due('sp_flush.fd'));
	INSERT INTO sp_flush.fd_result VALUES ('rows again', spillpool.flush_if_due('sp_flush.fd'));
END
$$;
SELECT * FROM fd_result;
TRUNCATE fd_result;
-- flush_bytes (raw bytes of the buffered rows)
SELECT spillpool.alter_table('fd', flush_rows => 1000000, flush_bytes => '8kB');
INSERT INTO fd SELECT g, 'x' FROM generate_series(111, 120) g;
SELECT spillpool.flush_if_due('fd') IS NULL AS bytes_below_threshold;
DO $$
BEGIN
	INSERT INTO sp_flush.fd SELECT g, repeat('y', 100) FROM generate_series(121, 220) g;
	COMMIT;
	INSERT INTO sp_flush.fd_result VALUES ('bytes reached', spillpool.flush_if_due('sp_flush.fd'));
	INSERT INTO sp_flush.fd_result VALUES ('bytes again', spillpool.flush_if_due('sp_flush.fd'));
END
$$;
SELECT * FROM fd_result;
-- flush_interval: an hour has not passed; 1 ms has (set in a transaction
-- that rolls back, so that no background flush can act on it)
SELECT spillpool.alter_table('fd', flush_bytes => '256MB', flush_interval => '1 hour');
INSERT INTO fd SELECT g, 'z' FROM generate_series(221, 230) g;
SELECT spillpool.flush_if_due('fd') IS NULL AS interval_not_passed;
BEGIN;
SELECT spillpool.alter_table('fd', flush_interval => '1 ms');
SELECT pg_sleep(0.01);
SELECT spillpool.flush_if_due('fd') AS interval_passed;
ROLLBACK;
SELECT flush_rows, flush_bytes, flush_interval FROM spillpool.options WHERE table_name = 'fd'::regclass;
SELECT spillpool.flush_if_due('fd') IS NULL AS nothing_left;
SELECT snapshot_id, shards, rows FROM spillpool.snapshots('fd') ORDER BY snapshot_id;
SELECT count(*) AS n, sum(id) AS sum_id, bool_and(id = rn) AS in_order
FROM (SELECT id, row_number() OVER () AS rn FROM fd) s;

--
-- the background worker flushes tables that reach a threshold; it is
-- polled for (at most 15 s), printing only whether it happened.  The test
-- configuration makes the worker look only once an hour; for this part it
-- looks every 200 ms.
--
ALTER SYSTEM SET spillpool.flush_naptime = '200ms';
SELECT pg_reload_conf();
CREATE TABLE wk_rows (id int) USING spillpool;
CREATE TABLE wk_interval (id int) USING spillpool;
CREATE TABLE wk_late (id int) USING spillpool;
SELECT spillpool.alter_table('wk_rows', flush_rows => 100);
SELECT spillpool.alter_table('wk_interval', flush_interval => '1 ms');
INSERT INTO wk_rows SELECT generate_series(1, 150);
INSERT INTO wk_interval SELECT generate_series(1, 5);
CREATE FUNCTION sp_flush.wait_flushed(rel regclass, n_rows bigint) RETURNS bool
LANGUAGE plpgsql AS $$
DECLARE
	done bool;
BEGIN
	FOR i IN 1..150 LOOP
		SELECT s.current_snapshot >= 1 AND s.shard_rows = n_rows AND s.memtable_rows = 0
		INTO done FROM spillpool.stats(rel) s;
		IF done THEN
			RETURN true;
		END IF;
		PERFORM pg_sleep(0.1);
	END LOOP;
	RETURN false;
END
$$;
SELECT sp_flush.wait_flushed('wk_rows', 150) AS rows_flushed_by_worker;
SELECT sp_flush.wait_flushed('wk_interval', 5) AS interval_flushed_by_worker;
SELECT count(*) AS n, sum(id) AS sum_id FROM wk_rows;
SELECT snapshot_id, shards, rows FROM spillpool.snapshots('wk_rows');
-- a threshold lowered after the rows were written (no later write to the
-- table, and no other table due, in this database) is noticed as well
DROP TABLE wk_rows, wk_interval;
SELECT sp_flush.quiet();
INSERT INTO wk_late SELECT generate_series(1, 150);
SELECT spillpool.alter_table('wk_late', flush_rows => 100);
SELECT sp_flush.wait_flushed('wk_late', 150) AS late_threshold_flushed_by_worker;
DROP TABLE wk_late;
ALTER SYSTEM RESET spillpool.flush_naptime;
SELECT pg_reload_conf();

--
-- the SpillpoolScan custom scan: projection and row-group skipping.  Row
-- groups of 100 rows over sorted data: 1000 rows, 10 row groups per shard.
--
SET spillpool.shard_row_group_rows = 100;
CREATE TABLE ex (i int, s int2, b int8, f4 float4, f8 float8, d date, ts timestamp,
	tz timestamptz, tc text COLLATE "C", tu text COLLATE "und-x-icu") USING spillpool;
INSERT INTO ex SELECT g, g, g * 1000000000::int8, g / 4.0, g / 8.0, date '2024-01-01' + g,
	timestamp '2024-01-01' + g * interval '1 hour',
	timestamptz '2024-01-01 00:00+00' + g * interval '1 hour',
	'k' || lpad(g::text, 5, '0'), 'k' || lpad(g::text, 5, '0')
FROM generate_series(1, 1000) g;
SELECT sp_flush.flush_now('ex') AS flushed;
SELECT rows, row_groups FROM spillpool.shards('ex');
SELECT jsonb_pretty(column_stats) FROM spillpool.shards('ex');
EXPLAIN (COSTS OFF) SELECT * FROM ex;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT i, tc FROM ex WHERE i = 250;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM ex WHERE f8 BETWEEN 10 AND 20;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM ex;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT x FROM ex x WHERE d > '2026-08-01';
-- turned off: a plain sequential scan
SET spillpool.enable_custom_scan = off;
EXPLAIN (COSTS OFF) SELECT i FROM ex WHERE i = 250;
RESET spillpool.enable_custom_scan;

-- count and sum of i for a WHERE clause, with and without the custom scan
CREATE FUNCTION sp_flush.ex_result(tab text, q text, custom bool) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	PERFORM set_config('spillpool.enable_custom_scan', custom::text, true);
	EXECUTE format('SELECT count(*) || '' / '' || coalesce(sum(i), 0) FROM sp_flush.%I WHERE %s', tab, q)
	INTO r;
	PERFORM set_config('spillpool.enable_custom_scan', 'on', true);
	RETURN r;
END
$$;
-- the row groups EXPLAIN ANALYZE reports read and skipped
CREATE FUNCTION sp_flush.ex_groups(tab text, q text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	l text;
	filtered bool := false;
	rd text;
	sk text;
BEGIN
	FOR l IN EXECUTE format('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM sp_flush.%I WHERE %s', tab, q) LOOP
		IF l ~ 'Row Group Filter:' THEN
			filtered := true;
		ELSIF l ~ 'Row Groups Read:' THEN
			rd := substring(l FROM '[0-9]+$');
		ELSIF l ~ 'Row Groups Skipped:' THEN
			sk := substring(l FROM '[0-9]+$');
		END IF;
	END LOOP;
	IF rd IS NULL THEN
		RETURN 'no custom scan';
	END IF;
	RETURN CASE WHEN filtered THEN 'filter, ' ELSE 'no filter, ' END ||
		'read ' || rd || ', skipped ' || sk;
END
$$;
CREATE TABLE ex_q (n serial, q text);
INSERT INTO ex_q (q) VALUES
	('i = 250'), ('i < 150'), ('i > 850'), ('i <= 100'), ('i >= 901'),
	('i BETWEEN 420 AND 480'), ('250 = i'), ('150 > i'), ('i > 500 AND i < 450'),
	('i = 250::int8'), ('i < 3000000000'), ('i = 2.5'), ('i = NULL'),
	('s = 250'), ('s < 150::int2'), ('s > 850::int8'),
	('b = 250000000000'), ('b < 150000000000'), ('b > 850'),
	('f4 = 62.5'), ('f4 < 37.5'), ('f4 > 212.5::float4'), ('f4 BETWEEN 100 AND 120'),
	('f8 = 31.25'), ('f8 < 18.75'), ('f8 > 106.25'), ('f8 < 18.75::float4'),
	('d = ''2024-09-07'''), ('d < ''2024-06-01'''), ('d > ''2026-06-01'''),
	('d BETWEEN ''2025-01-01'' AND ''2025-02-01'''), ('d < timestamp ''2024-06-01 12:00'''),
	('ts = ''2024-01-11 10:00'''), ('ts < ''2024-01-07'''), ('ts > ''2024-02-05'''),
	('ts > date ''2024-02-05'''), ('ts < timestamptz ''2024-01-07 00:00+05'''),
	('tz = ''2024-01-11 10:00+00'''), ('tz < ''2024-01-07 00:00+00'''), ('tz > ''2024-02-05 00:00+00'''),
	('tz BETWEEN ''2024-01-20 00:00+00'' AND ''2024-01-21 00:00+00'''), ('tz > date ''2024-02-05'''),
	('tc = ''k00250'''), ('tc < ''k00150'''), ('tc > ''k00850'''), ('tc >= ''k009'''),
	('tc BETWEEN ''k00420'' AND ''k00480'''),
	('tu = ''k00250'''), ('tu < ''k00150'''), ('tu < ''k00150'' COLLATE "C"'),
	('tc < ''k00150'' COLLATE "und-x-icu"'),
	('i = 250 OR i = 750'), ('i IN (5, 6)'), ('i <> 5'), ('i IS NULL'),
	('i BETWEEN SYMMETRIC 260 AND 250');
SELECT q, sp_flush.ex_groups('ex', q) AS row_groups, sp_flush.ex_result('ex', q, true) AS result,
	sp_flush.ex_result('ex', q, true) = sp_flush.ex_result('ex', q, false) AS same_without_custom_scan
FROM ex_q ORDER BY n;

-- a second shard and unflushed rows: counts cover every tier, only shard
-- row groups are skipped
INSERT INTO ex SELECT g, g, g * 1000000000::int8, g / 4.0, g / 8.0, date '2024-01-01' + g,
	timestamp '2024-01-01' + g * interval '1 hour',
	timestamptz '2024-01-01 00:00+00' + g * interval '1 hour',
	'k' || lpad(g::text, 5, '0'), 'k' || lpad(g::text, 5, '0')
FROM generate_series(1001, 1500) g;
SELECT sp_flush.flush_now('ex') AS flushed;
INSERT INTO ex (i, f8) VALUES (250, -1), (1250, -2), (5000, -3);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT i, f8 FROM ex WHERE i = 250;
SELECT q, sp_flush.ex_groups('ex', q) AS row_groups, sp_flush.ex_result('ex', q, true) AS result,
	sp_flush.ex_result('ex', q, true) = sp_flush.ex_result('ex', q, false) AS same_without_custom_scan
FROM unnest(ARRAY['i = 250', 'i = 1250', 'i > 1400', 'i >= 5000', 'i < 0', 'f8 < 0']) q;
-- parameters are not constants: no row group filter, right results
PREPARE ex_p(int) AS SELECT count(*) FROM ex WHERE i = $1;
SET plan_cache_mode = force_generic_plan;
EXECUTE ex_p(250);
EXECUTE ex_p(1250);
RESET plan_cache_mode;
DEALLOCATE ex_p;
-- rescans (a correlated subquery per outer row)
SELECT g, (SELECT count(*) FROM ex WHERE i = g) AS n FROM generate_series(249, 251) g;
SELECT count(*) AS joined FROM generate_series(1, 1500, 100) g JOIN ex ON ex.i = g;

-- edge values in shards: NaN, -0, infinite dates and timestamps, a text
-- value too long for statistics, Unicode, a case-insensitive collation
CREATE COLLATION sp_flush.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE edge (i int, f8 float8, f4 float4, d date, ts timestamp, tc text COLLATE "C",
	ci text COLLATE sp_flush.ci) USING spillpool;
INSERT INTO edge SELECT g,
	CASE WHEN g = 50 THEN 'NaN' WHEN g = 60 THEN '-0' ELSE g::float8 END,
	CASE WHEN g = 70 THEN 'NaN' ELSE g::float4 END,
	CASE WHEN g = 10 THEN '-infinity' WHEN g = 290 THEN 'infinity' ELSE date '2024-01-01' + g END,
	CASE WHEN g = 10 THEN '-infinity' WHEN g = 290 THEN 'infinity'
		ELSE timestamp '2024-01-01' + g * interval '1 day' END,
	CASE WHEN g = 150 THEN repeat('z', 5000) WHEN g = 160 THEN E'\u00e9t\u00e9 \U0001F600'
		ELSE 'k' || lpad(g::text, 5, '0') END,
	'k' || lpad(g::text, 5, '0')
FROM generate_series(1, 300) g;
SELECT sp_flush.flush_now('edge') AS flushed;
SELECT rows, row_groups FROM spillpool.shards('edge');
SELECT q, sp_flush.ex_groups('edge', q) AS row_groups, sp_flush.ex_result('edge', q, true) AS result,
	sp_flush.ex_result('edge', q, true) = sp_flush.ex_result('edge', q, false) AS same_without_custom_scan
FROM unnest(ARRAY['f8 > 1000', 'f8 = ''NaN''', 'f8 = 0', 'f8 < 0.5', 'f4 > 1000', 'f4 = ''NaN''',
	'd > ''2030-01-01''', 'd < ''2000-01-01''', 'd = ''infinity''',
	'ts > ''2030-01-01''', 'ts < ''2000-01-01''', 'ts = ''-infinity''',
	'tc > ''k00200''', 'tc = repeat(''z'', 5000)', 'tc > ''zz''', 'tc > ''k99''',
	'tc = E''\u00e9t\u00e9 \U0001F600''', 'tc > E''\u00e9''',
	'ci = ''K00250''', 'ci = ''k00250''']) q;
RESET spillpool.shard_row_group_rows;

--
-- ALTER TABLE after a flush: shards keep the old columns; an added column
-- reads as its default in old rows, renamed columns keep their data, a
-- column dropped and added again under the same name is a new column
--
CREATE TABLE alt (id int, a text, b int) USING spillpool;
INSERT INTO alt SELECT g, 'a' || g, g * 10 FROM generate_series(1, 300) g;
SELECT sp_flush.flush_now('alt') AS flushed;
ALTER TABLE alt ADD COLUMN c text DEFAULT 'dflt';
ALTER TABLE alt ADD COLUMN n int;
ALTER TABLE alt ADD COLUMN k int DEFAULT 7;
SELECT count(*) AS n_rows, count(*) FILTER (WHERE c = 'dflt') AS c_default,
	count(n) AS n_not_null, sum(k) AS sum_k FROM alt;
SELECT * FROM alt WHERE id IN (1, 300) ORDER BY id;
-- a filter on a column the shard does not have: nothing is skipped wrongly
SELECT count(*) AS k_is_7 FROM alt WHERE k = 7;
SELECT count(*) AS k_gt_6 FROM alt WHERE k > 6;
SELECT count(*) AS c_is_dflt FROM alt WHERE c = 'dflt';
SET spillpool.enable_custom_scan = off;
SELECT count(*) AS k_is_7_plain FROM alt WHERE k = 7;
RESET spillpool.enable_custom_scan;
INSERT INTO alt (id, a, b) VALUES (301, 'a301', 3010);
INSERT INTO alt VALUES (302, 'a302', 3020, 'given', 5, 8);
SELECT sp_flush.flush_now('alt') AS flushed;
SELECT * FROM alt WHERE id > 299 ORDER BY id;
SELECT count(*) AS k_is_7 FROM alt WHERE k = 7;
-- time travel to before the columns were added
SELECT * FROM spillpool.scan(NULL::alt, 1) WHERE id IN (1, 300) ORDER BY id;
ALTER TABLE alt RENAME COLUMN b TO bb;
SELECT sum(bb) AS sum_bb FROM alt;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM alt WHERE bb < 500;
SELECT count(*) AS bb_lt_500 FROM alt WHERE bb < 500;
ALTER TABLE alt DROP COLUMN a;
ALTER TABLE alt ADD COLUMN a text;
ALTER TABLE alt DROP COLUMN bb;
ALTER TABLE alt ADD COLUMN bb int DEFAULT 1;
SELECT count(*) AS n_rows, count(a) AS a_not_null, sum(bb) AS sum_bb FROM alt;
SELECT count(*) AS bb_lt_500 FROM alt WHERE bb < 500;
SELECT * FROM alt WHERE id IN (1, 302) ORDER BY id;
SELECT * FROM spillpool.scan(NULL::alt, 2) WHERE id IN (1, 302) ORDER BY id;
SELECT column_stats FROM spillpool.shards('alt') ORDER BY snapshot_id;
-- a table with dropped columns is flushed, its rows read back the same
INSERT INTO alt (id, c, k, a, bb) VALUES (303, 'after drop', 9, 'new a', 2);
SELECT sp_flush.flush_now('alt') AS flushed;
SELECT memtable_rows, shard_rows, current_snapshot FROM spillpool.stats('alt');
SELECT * FROM alt WHERE id > 301 ORDER BY id;
SELECT count(*) AS n_rows, sum(id) AS sum_id, sum(bb) AS sum_bb FROM alt;
-- a type change after a flush, with a rewrite
CREATE TABLE alt2 (id int, t text) USING spillpool;
INSERT INTO alt2 SELECT g, 't' || g FROM generate_series(1, 300) g;
SELECT sp_flush.flush_now('alt2') AS flushed;
ALTER TABLE alt2 ALTER COLUMN id TYPE bigint;
SELECT count(*) AS n_rows, sum(id) AS sum_id, bool_and(t = 't' || id) AS intact FROM alt2;
-- and a binary-coercible one without a rewrite (text to varchar)
CREATE TABLE alt3 (id int, t text) USING spillpool;
INSERT INTO alt3 SELECT g, 't' || g FROM generate_series(1, 300) g;
SELECT sp_flush.flush_now('alt3') AS flushed;
SELECT pg_relation_filenode('alt3') AS alt3_node \gset
ALTER TABLE alt3 ALTER COLUMN t TYPE varchar;
SELECT pg_relation_filenode('alt3') = :alt3_node AS not_rewritten;
SELECT count(*) AS n_rows, sum(id) AS sum_id, bool_and(t = 't' || id) AS intact FROM alt3;
DROP TABLE alt2, alt3;

--
-- types through shards: every value reads back as it was written, whatever
-- the session's output settings when the flush ran
--
CREATE TYPE sp_flush.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE sp_flush.pair AS (a int, b text);
CREATE DOMAIN sp_flush.posint AS int CHECK (VALUE > 0);
CREATE TABLE ty_heap (
	id int, c_bool bool, c_int2 int2, c_int4 int4, c_int8 int8,
	c_float4 float4, c_float8 float8,
	c_num numeric, c_num102 numeric(10,2), c_num380 numeric(38,0), c_num55 numeric(5,5),
	c_num4020 numeric(40,20), c_money money,
	c_text text, c_varchar varchar(10), c_char char(5), c_name name, c_bytea bytea,
	c_date date, c_time time, c_timetz timetz, c_ts timestamp, c_ts0 timestamp(0),
	c_tstz timestamptz, c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb,
	c_inet inet, c_bit bit(4), c_int4range int4range,
	c_int_arr int[], c_text_arr text[], c_2d float8[], c_num_arr numeric[],
	c_tstz_arr timestamptz[],
	c_mood sp_flush.mood, c_mood_arr sp_flush.mood[], c_pair sp_flush.pair,
	c_posint sp_flush.posint
);
INSERT INTO ty_heap VALUES
(1, true, 1, 2, 3, 1.5, 2.25, 12345.6789, 12.34, 12345678901234567890123456789012345678,
	0.12345, 12345678901234567890.12345678901234567890, 12.34,
	'text', 'varchar', 'char', 'name', '\xdeadbeef',
	'2024-02-29', '12:34:56.789', '12:34:56+02', '2024-02-29 12:34:56.123456',
	'2024-02-29 12:34:56', '2024-02-29 12:34:56.123456+00',
	'1 year 2 mons 3 days 04:05:06.7', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
	'{"a": [1, 2, {"b": null}],  "z": 1}', '{"a": [1, 2, {"b": null}]}',
	'192.168.1.1/24', B'1010', '[1,10)',
	'{1,2,3}', '{a,b,c}', '{{1.5,2},{3,4}}', '{1.5,NaN,-0}', '{"2024-01-01 00:00+00",infinity}',
	'happy', '{sad,ok}', ROW(1, 'one'), 7),
(2, false, -32768, -2147483648, -9223372036854775808, 'NaN', '-0', 'NaN', 'NaN',
	-99999999999999999999999999999999999999, -0.99999,
	-12345678901234567890.12345678901234567890, '-92233720368547758.08',
	'', '', '', '', '\x',
	'-infinity', '00:00', '00:00:00-15:59', '-infinity', '-infinity', '-infinity',
	'-178000000 years', '00000000-0000-0000-0000-000000000000', '""', '{}',
	'::', B'0000', 'empty',
	'{}', '{}', '{}', '{}', '{}',
	'sad', '{}', ROW(NULL, NULL), 1),
(3, NULL, 32767, 2147483647, 9223372036854775807, 'Infinity', '-Infinity', 'Infinity',
	'-99999999.99', 0, 0, 0, '92233720368547758.07',
	E'Unicode: h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \U0001F600', 'äöü€', 'ß',
	repeat('n', 63), '\x00ff00ff',
	'infinity', '24:00:00', '23:59:59.999999+15:59', 'infinity', 'infinity', 'infinity',
	'178000000 years', 'ffffffff-ffff-ffff-ffff-ffffffffffff', E'"\\u00e9 \\ud83d\\ude00"',
	'{"k": "\u00e9", "n": 1e300, "deep": [[[[[]]]]]}',
	'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', B'1111', '(,)',
	'{NULL,-2147483648,2147483647,NULL}', '{NULL,"",a b,"\"quoted\"",NULL}',
	'{{NULL,Infinity},{-Infinity,NaN}}', '{Infinity,-Infinity,NaN}', '{-infinity,NULL}',
	'ok', '{happy,NULL,sad}', ROW(-1, E'\u00e9'), 2147483647),
(4, NULL, NULL, NULL, NULL, NULL, NULL, '-Infinity', 99999999.99, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, '1999-12-31', NULL, NULL, '1999-12-31 23:59:59.999999', NULL,
	'1970-01-01 00:00:00+00', '-1 mons +1 day -00:00:01', NULL, NULL, 'null', NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(5, NULL, NULL, NULL, NULL, 1e-45, 5e-324, 'Infinity', 0.01, NULL, NULL, 1e-20, NULL,
	NULL, NULL, NULL, NULL, NULL, '4713-01-01 BC', NULL, NULL, '4713-01-01 00:00:00 BC', NULL,
	'294276-12-31 23:59:59.999999+00', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
(7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
-- large values, TOASTed in the heap table
UPDATE ty_heap SET
	c_text = (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 40000) g),
	c_bytea = (SELECT decode(string_agg(md5(g::text), ''), 'hex') FROM generate_series(40001, 72000) g),
	c_jsonb = (SELECT jsonb_agg(md5(g::text)) FROM generate_series(1, 5000) g),
	c_text_arr = (SELECT array_agg(md5(g::text)) FROM generate_series(5001, 10000) g)
WHERE id = 7;
CREATE TABLE ty (LIKE ty_heap) USING spillpool;
INSERT INTO ty SELECT * FROM ty_heap ORDER BY id;
-- unusual output settings while flushing
SET DateStyle = 'SQL, DMY';
SET IntervalStyle = 'sql_standard';
SET extra_float_digits = -3;
SET bytea_output = 'escape';
SET TimeZone = 'America/New_York';
SELECT sp_flush.flush_now('ty') AS flushed;
RESET DateStyle;
RESET IntervalStyle;
RESET extra_float_digits;
RESET bytea_output;
RESET TimeZone;
SELECT shard_rows, memtable_rows FROM spillpool.stats('ty');
SELECT count(*) AS heap_not_in_shard FROM (
	SELECT md5(h::text) FROM ty_heap h EXCEPT ALL SELECT md5(s::text) FROM ty s) x;
SELECT count(*) AS shard_not_in_heap FROM (
	SELECT md5(s::text) FROM ty s EXCEPT ALL SELECT md5(h::text) FROM ty_heap h) x;
SELECT sp_flush.scan_md5('ty') = (SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM ty_heap h)
	AS same_in_order,
	(SELECT md5(string_agg(x::text, '|')) FROM spillpool.scan(NULL::ty, 1) x) =
	(SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM ty_heap h) AS same_by_time_travel;
SET spillpool.enable_custom_scan = off;
SELECT sp_flush.scan_md5('ty') = (SELECT md5(string_agg(h::text, '|' ORDER BY id)) FROM ty_heap h)
	AS same_without_custom_scan;
RESET spillpool.enable_custom_scan;
-- under other settings the values compare equal too
SET TimeZone = 'Asia/Kolkata';
SET DateStyle = 'German';
SELECT count(*) AS rows_differing FROM ty s JOIN ty_heap h USING (id)
WHERE row(s.*)::text IS DISTINCT FROM row(h.*)::text;
RESET TimeZone;
RESET DateStyle;
-- typed spot checks
SELECT id, c_num102, c_num102 = 'NaN' AS num_nan, c_float4::text AS f4, c_float8::text AS f8,
	c_date, c_ts, c_tstz, c_interval
FROM ty WHERE id IN (1, 2, 3, 5) ORDER BY id;
SELECT id, c_text, c_mood_arr, c_pair, c_2d FROM ty WHERE id = 3;
SELECT count(*) AS all_null_rows FROM ty t WHERE t.c_bool IS NULL AND t.c_int4 IS NULL AND t.c_text IS NULL
	AND t.c_jsonb IS NULL AND t.c_mood IS NULL AND t.c_pair IS NULL AND t.id = 6;
SELECT length(c_text) AS text_len, length(c_bytea) AS bytea_len, jsonb_array_length(c_jsonb) AS jsonb_len,
	cardinality(c_text_arr) AS arr_len
FROM ty WHERE id = 7;
-- min/max statistics of some columns, in the column's own text form
SELECT column_stats -> 'id' AS id, column_stats -> 'c_int8' AS c_int8,
	column_stats -> 'c_date' AS c_date, column_stats -> 'c_ts' AS c_ts,
	column_stats -> 'c_float8' AS c_float8, column_stats -> 'c_varchar' AS c_varchar
FROM spillpool.shards('ty');

--
-- shard codecs follow shard_compression; a large flush is split into
-- several shards at spillpool.max_shard_size
--
CREATE TABLE cod (id int, t text) USING spillpool;
INSERT INTO cod SELECT g, md5(g::text) FROM generate_series(1, 1000) g;
SELECT sp_flush.flush_now('cod') AS zstd_flush;
SELECT spillpool.alter_table('cod', shard_compression => 'lz4');
INSERT INTO cod SELECT g, md5(g::text) FROM generate_series(1001, 2000) g;
SELECT sp_flush.flush_now('cod') AS lz4_flush;
SELECT spillpool.alter_table('cod', shard_compression => 'none');
INSERT INTO cod SELECT g, md5(g::text) FROM generate_series(2001, 3000) g;
SELECT sp_flush.flush_now('cod') AS none_flush;
SELECT snapshot_id, file, path_ok, rows, size_ok, codec, row_groups FROM sp_flush.shard_list('cod')
ORDER BY snapshot_id;
SELECT (SELECT bytes FROM spillpool.shards('cod') WHERE codec = 'zstd') <
	(SELECT bytes FROM spillpool.shards('cod') WHERE codec = 'uncompressed') AS zstd_smaller,
	(SELECT bytes FROM spillpool.shards('cod') WHERE codec = 'lz4_raw') <
	(SELECT bytes FROM spillpool.shards('cod') WHERE codec = 'uncompressed') AS lz4_smaller;
SELECT count(*) AS n, sum(id) AS sum_id, bool_and(t = md5(id::text)) AS intact,
	bool_and(id = rn) AS in_order
FROM (SELECT *, row_number() OVER () AS rn FROM cod) s;

SET spillpool.max_shard_size = 1;
SET spillpool.shard_row_group_rows = 2000;
CREATE TABLE split (id int, t text) USING spillpool;
SELECT spillpool.alter_table('split', shard_compression => 'none');
INSERT INTO split SELECT g, md5(g::text) || md5((-g)::text) FROM generate_series(1, 60000) g;
SELECT sp_flush.flush_now('split') AS flushed;
SELECT snapshot_id, shards > 1 AS split, rows FROM spillpool.snapshots('split');
-- numbered from 0, each listed once, together all rows in order
SELECT count(*) = (SELECT shards FROM spillpool.snapshots('split')) AS all_listed,
	count(DISTINCT file) = count(*) AND min(substring(file FROM '-([0-9]+)\.')::int) = 0 AND
	max(substring(file FROM '-([0-9]+)\.')::int) = count(*) - 1 AS numbered_from_0,
	bool_and(path_ok) AS paths_ok, bool_and(size_ok) AS sizes_ok, sum(rows) AS rows
FROM sp_flush.shard_list('split');
-- a shard is closed at a row group boundary soon after it reaches the
-- limit: without its last two row groups every shard is within 1MB
SELECT bool_and(bytes - 2 * bytes / row_groups <= 1024 * 1024) AS within_limit,
	bool_and(row_groups >= 1) AS row_groups_ok
FROM spillpool.shards('split');
SELECT count(*) AS n, bool_and(id = rn) AS in_order FROM (SELECT id, row_number() OVER () AS rn FROM split) s;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM split WHERE id > 59000;
RESET spillpool.max_shard_size;
RESET spillpool.shard_row_group_rows;
DROP TABLE split;

--
-- TRUNCATE and DROP remove the shards with the table's directory when they
-- commit, and keep them when they roll back
--
CREATE TABLE tr (id int) USING spillpool;
INSERT INTO tr SELECT generate_series(1, 100);
SELECT sp_flush.flush_now('tr') AS flushed;
INSERT INTO tr SELECT generate_series(101, 150);
SELECT sp_flush.table_dir('tr') AS dir \gset
BEGIN;
TRUNCATE tr;
SELECT count(*) AS rows_in_xact FROM tr;
SELECT count(*) AS snapshots_in_xact FROM spillpool.snapshots('tr');
SELECT current_snapshot, shards FROM spillpool.stats('tr');
SELECT sp_flush.dir_exists(:'dir' || '/shards') AS old_shards_still_there;
ROLLBACK;
SELECT count(*) AS n, sum(id) AS sum_id FROM tr;
SELECT snapshot_id, shards, rows FROM spillpool.snapshots('tr');
SELECT array_agg(f) AS shard_files FROM pg_ls_dir(:'dir' || '/shards') f;
SELECT current_snapshot, shards, shard_rows, flushes FROM spillpool.stats('tr');
SELECT count(*) AS rows_at_1 FROM spillpool.scan(NULL::tr, 1);
-- committed: the directory and its shards are gone, the table starts over
TRUNCATE tr;
SELECT NOT sp_flush.dir_exists(:'dir') AS old_dir_gone;
SELECT memtable_rows, segment_files, shards, shard_rows, shard_bytes, flushes,
	last_flush IS NULL AS no_last_flush, current_snapshot
FROM spillpool.stats('tr');
SELECT count(*) AS snapshots FROM spillpool.snapshots('tr');
SELECT count(*) AS shards FROM spillpool.shards('tr');
SELECT spillpool.flush('tr') AS empty_flush;
SELECT * FROM sp_flush.err($$SELECT * FROM spillpool.scan(NULL::sp_flush.tr, 1)$$);
INSERT INTO tr VALUES (7);
SELECT sp_flush.flush_now('tr') AS flushed;
SELECT * FROM spillpool.scan(NULL::tr, 1);
SELECT snapshot_id, file, path_ok, rows, size_ok FROM sp_flush.shard_list('tr');
-- DROP rolled back keeps the shards, committed removes them
SELECT sp_flush.table_dir('tr') AS dir \gset
BEGIN;
DROP TABLE tr;
ROLLBACK;
SELECT array_agg(f) AS shard_files FROM pg_ls_dir(:'dir' || '/shards') f;
SELECT * FROM tr;
DROP TABLE tr;
SELECT NOT sp_flush.dir_exists(:'dir') AS dir_gone;

--
-- privileges: flush and flush_if_due need ownership; snapshots, shards and
-- scan need SELECT on the table; row-level security is not bypassed
--
CREATE ROLE regress_flush_reader;
CREATE ROLE regress_flush_owner;
GRANT USAGE ON SCHEMA sp_flush TO regress_flush_reader, regress_flush_owner;
GRANT CREATE ON SCHEMA sp_flush TO regress_flush_owner;
CREATE TABLE pr1 (id int, owner text) USING spillpool;
INSERT INTO pr1 SELECT g, 'x' FROM generate_series(1, 10) g;
SELECT sp_flush.flush_now('pr1') AS flushed;
SET ROLE regress_flush_reader;
SELECT v.label, e.code, e.message
FROM (VALUES
	('flush', $$SELECT spillpool.flush('sp_flush.pr1')$$),
	('flush_if_due', $$SELECT spillpool.flush_if_due('sp_flush.pr1')$$),
	('snapshots', $$SELECT * FROM spillpool.snapshots('sp_flush.pr1')$$),
	('shards', $$SELECT * FROM spillpool.shards('sp_flush.pr1')$$),
	('scan', $$SELECT * FROM spillpool.scan(NULL::sp_flush.pr1)$$),
	('scan 1', $$SELECT * FROM spillpool.scan(NULL::sp_flush.pr1, 1)$$),
	('stats', $$SELECT * FROM spillpool.stats('sp_flush.pr1')$$)
) AS v(label, stmt), LATERAL sp_flush.err(v.stmt) e;
RESET ROLE;
GRANT SELECT ON pr1 TO regress_flush_reader;
SET ROLE regress_flush_reader;
SELECT v.label, e.code, e.message
FROM (VALUES
	('flush', $$SELECT spillpool.flush('sp_flush.pr1')$$),
	('flush_if_due', $$SELECT spillpool.flush_if_due('sp_flush.pr1')$$),
	('snapshots', $$SELECT * FROM spillpool.snapshots('sp_flush.pr1')$$),
	('shards', $$SELECT * FROM spillpool.shards('sp_flush.pr1')$$),
	('scan', $$SELECT * FROM spillpool.scan(NULL::sp_flush.pr1)$$),
	('scan 1', $$SELECT * FROM spillpool.scan(NULL::sp_flush.pr1, 1)$$)
) AS v(label, stmt), LATERAL sp_flush.err(v.stmt) e;
SELECT snapshot_id, rows FROM spillpool.snapshots('sp_flush.pr1');
SELECT count(*) AS shards FROM spillpool.shards('sp_flush.pr1');
SELECT count(*) AS rows_at_1 FROM spillpool.scan(NULL::sp_flush.pr1, 1);
RESET ROLE;
-- nothing was flushed by the reader
SELECT flushes FROM spillpool.stats('pr1');
-- a column privilege is not SELECT on the table
CREATE TABLE pr3 (id int, secret text) USING spillpool;
GRANT SELECT (id) ON pr3 TO regress_flush_reader;
SET ROLE regress_flush_reader;
SELECT v.label, e.code, e.message
FROM (VALUES
	('scan', $$SELECT * FROM spillpool.scan(NULL::sp_flush.pr3)$$),
	('shards', $$SELECT * FROM spillpool.shards('sp_flush.pr3')$$)
) AS v(label, stmt), LATERAL sp_flush.err(v.stmt) e;
RESET ROLE;
-- an ordinary role flushes its own table
SET ROLE regress_flush_owner;
CREATE TABLE sp_flush.pr2 (id int) USING spillpool;
INSERT INTO sp_flush.pr2 SELECT generate_series(1, 10);
SELECT spillpool.flush('sp_flush.pr2') AS owner_flush;
SELECT spillpool.flush_if_due('sp_flush.pr2') IS NULL AS not_due;
SELECT snapshot_id, rows FROM spillpool.snapshots('sp_flush.pr2');
SELECT current_user;
RESET ROLE;
-- membership in the owning role is enough
GRANT regress_flush_owner TO regress_flush_reader;
SET ROLE regress_flush_reader;
INSERT INTO sp_flush.pr2 SELECT generate_series(11, 20);
SELECT spillpool.flush('sp_flush.pr2') AS member_flush;
RESET ROLE;
REVOKE regress_flush_owner FROM regress_flush_reader;
-- row-level security: the functions show the reader no row, and no value,
-- that SELECT hides from it (an error is as good)
CREATE TABLE pr4 (id int, owner text) USING spillpool;
INSERT INTO pr4 VALUES (1, 'regress_flush_reader'), (2, 'somebody else');
ALTER TABLE pr4 ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON pr4 FOR SELECT USING (owner = current_user);
GRANT SELECT ON pr4 TO regress_flush_reader;
SELECT sp_flush.flush_now('pr4') AS flushed;
INSERT INTO pr4 VALUES (3, 'somebody else');
CREATE FUNCTION sp_flush.hidden_rows_seen(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	EXECUTE stmt INTO n;
	RETURN CASE WHEN n > 0 THEN 'hidden rows seen' ELSE 'ok' END;
EXCEPTION WHEN insufficient_privilege OR feature_not_supported THEN
	RETURN 'ok';
END
$$;
SET ROLE regress_flush_reader;
SELECT count(*) AS visible_by_select FROM sp_flush.pr4;
SELECT sp_flush.hidden_rows_seen($$SELECT count(*) FROM spillpool.scan(NULL::sp_flush.pr4) WHERE owner <> current_user$$) AS scan_current,
	sp_flush.hidden_rows_seen($$SELECT count(*) FROM spillpool.scan(NULL::sp_flush.pr4, 1) WHERE owner <> current_user$$) AS scan_1,
	sp_flush.hidden_rows_seen($$SELECT count(*) FROM spillpool.shards('sp_flush.pr4') WHERE column_stats::text LIKE '%somebody%'$$) AS shard_stats;
RESET ROLE;

--
-- last, as it has crashed the server: a rewrite (volatile default) of the
-- table with shards written before columns were dropped and added
--
ALTER TABLE alt ADD COLUMN r float8 DEFAULT random();
SELECT count(*) AS n_rows, count(r) AS r_filled, sum(id) AS sum_id, sum(bb) AS sum_bb FROM alt;
SELECT id, c, k, a, bb FROM alt WHERE id IN (1, 302, 303) ORDER BY id;
DROP TABLE alt;

--
-- found in review: text equality under a linguistic collation compares the
-- byte-ordered min/max in byte order; timestamp -> timestamptz without a
-- rewrite keeps the shards readable; money is stored as its integer amount
--
CREATE TABLE rv_icu (id int, t text COLLATE "und-x-icu") USING spillpool;
INSERT INTO rv_icu VALUES (1, 'B'), (2, 'a'), (3, 'b');
SELECT spillpool.flush('rv_icu') AS snapshot;
SELECT id FROM rv_icu WHERE t = 'a';
SELECT id FROM rv_icu WHERE t = 'B';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM rv_icu WHERE t = 'zz';
DROP TABLE rv_icu;
CREATE TABLE rv_ts (id int, ts timestamp) USING spillpool;
INSERT INTO rv_ts VALUES (1, '2026-01-02 03:04:05'), (2, 'infinity');
SELECT spillpool.flush('rv_ts') AS snapshot;
SET TimeZone = 'UTC';
ALTER TABLE rv_ts ALTER COLUMN ts TYPE timestamptz;
SELECT current_snapshot AS still_snapshot_1_no_rewrite FROM spillpool.stats('rv_ts');
SELECT id, ts FROM rv_ts ORDER BY id;
RESET TimeZone;
DROP TABLE rv_ts;
CREATE TABLE rv_money (id int, m money, ma money[]) USING spillpool;
INSERT INTO rv_money VALUES (1, 12.34, '{1.50,2}'), (2, -0.01, NULL), (3, NULL, '{}');
SELECT spillpool.flush('rv_money') AS snapshot;
SELECT id, m::numeric, ma FROM rv_money ORDER BY id;
SELECT column_stats->'m' AS money_stats FROM spillpool.shards('rv_money');
DROP TABLE rv_money;

--
-- a cursor reading shards across rolled-back savepoints: the shard file a
-- subtransaction opened is closed when it aborts, and the scan reopens it
-- where it was
--
SET spillpool.shard_row_group_rows = 100;
CREATE TABLE curs (id int) USING spillpool;
INSERT INTO curs SELECT g FROM generate_series(1, 1000) g;
SELECT spillpool.flush('curs') > 0 AS flushed;
INSERT INTO curs SELECT g FROM generate_series(1001, 1200) g;
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM curs;
FETCH 2 FROM c;
SAVEPOINT s1;
MOVE 250 FROM c;
ROLLBACK TO s1;
FETCH 2 FROM c;
SAVEPOINT s2;
MOVE 700 FROM c;
ROLLBACK TO s2;
FETCH 2 FROM c;
MOVE 200 FROM c;
FETCH 2 FROM c;
COMMIT;
RESET spillpool.shard_row_group_rows;

--
-- a flush with the WAL insert position at the start of a page: it flushes
-- the WAL written before it, which ends at the page boundary (the insert
-- position points past the next page's header, a page not yet written)
--
CREATE TABLE walpage (id int) USING spillpool;
INSERT INTO walpage SELECT generate_series(1, 1000);
CREATE FUNCTION wal_to_page_start() RETURNS boolean LANGUAGE plpgsql AS $f$
DECLARE
	off int;
	overhead int;
	before pg_lsn;
BEGIN
	-- what a message record adds to its payload (the least of three: one
	-- may cross a page and count its header too)
	overhead := 1000000;
	FOR k IN 1..3 LOOP
		before := pg_current_wal_insert_lsn();
		PERFORM pg_logical_emit_message(false, 'x', repeat('m', 1000));
		overhead := least(overhead, (pg_current_wal_insert_lsn() - before)::int - 1000);
	END LOOP;
	FOR i IN 1..100 LOOP
		off := ((pg_current_wal_insert_lsn() - '0/0'::pg_lsn) % 8192)::int;
		IF off = 24 THEN
			RETURN true;
		END IF;
		IF 8192 - off < overhead + 600 THEN
			-- too close to the boundary: into the next page first
			PERFORM pg_logical_emit_message(false, 'x', repeat('m', 1000));
		ELSE
			PERFORM pg_logical_emit_message(false, 'x', repeat('m', 8192 - off - overhead));
		END IF;
	END LOOP;
	RETURN false;
END $f$;
SELECT wal_to_page_start() AS at_page_start;
SELECT spillpool.flush('walpage') > 0 AS flushed;
SELECT count(*) FROM walpage;
DROP FUNCTION wal_to_page_start();

--
-- clean up: no directory of a dropped table is left behind
--
\set VERBOSITY default
RESET search_path;
DROP OWNED BY regress_flush_reader, regress_flush_owner;
SET client_min_messages = warning;
DROP SCHEMA sp_flush CASCADE;
RESET client_min_messages;
DROP ROLE regress_flush_reader;
DROP ROLE regress_flush_owner;
SELECT count(*) AS orphan_dirs FROM pg_ls_dir(format('spillpool/%s',
	(SELECT oid FROM pg_database WHERE datname = current_database())), true, false) AS d
WHERE d NOT IN (SELECT pg_relation_filenode(c.oid)::text
	FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'spillpool');
