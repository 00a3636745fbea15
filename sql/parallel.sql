--
-- Parallel scans: workers and the leader share the shards' row groups and
-- the segments' blocks; the leader alone reads the batches only in memory
-- and the transaction's own rows.  Every query runs with a parallel plan
-- and with a serial one, and the results must be the same.
--
SET spillpool.shard_row_group_rows = 500;
SET spillpool.enable_aggregate_pushdown = off;

CREATE FUNCTION par_rows(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE format('SELECT md5(string_agg(x::text, E''\n'' ORDER BY x::text)) || '' '' || count(*) FROM (%s) x', q) INTO r;
	RETURN r;
END $$;

-- the plan of q in parallel (forced by the costs) against the serial one
CREATE FUNCTION par_check(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	par text;
	ser text;
	line text;
	used boolean := false;
BEGIN
	PERFORM set_config('parallel_setup_cost', '0', true);
	PERFORM set_config('parallel_tuple_cost', '0', true);
	PERFORM set_config('min_parallel_table_scan_size', '0', true);
	PERFORM set_config('max_parallel_workers_per_gather', '2', true);
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		used := used OR line LIKE '%Parallel Custom Scan (SpillpoolScan)%';
	END LOOP;
	par := par_rows(q);
	PERFORM set_config('max_parallel_workers_per_gather', '0', true);
	ser := par_rows(q);
	PERFORM set_config('max_parallel_workers_per_gather', '2', true);
	IF par IS DISTINCT FROM ser THEN
		RETURN format('DIFFERENT: parallel %s, serial %s', par, ser);
	END IF;
	RETURN CASE WHEN used THEN 'same, parallel' ELSE 'same, not parallel' END;
END $$;

-- every tier: two shards of several row groups, segment blocks of many
-- transactions, memtable batches; a durability = 'none' table whose rows
-- are in memory only
CREATE TABLE par_t (id int, g int, s text, x float8) USING spillpool;
INSERT INTO par_t SELECT i, i % 7, 's' || (i % 50), i * 0.5 FROM generate_series(1, 3000) i;
SELECT spillpool.flush('par_t') > 0 AS flushed;
INSERT INTO par_t SELECT i, i % 7, 's' || (i % 50), i * 0.5 FROM generate_series(3001, 5000) i;
SELECT spillpool.flush('par_t') > 1 AS flushed;
DO $$
BEGIN
	FOR b IN 0..59 LOOP
		INSERT INTO par_t SELECT i, i % 7, 'seg' || b, i FROM generate_series(10000 + b * 50, 10049 + b * 50) i;
		COMMIT;
	END LOOP;
END $$;
CREATE TABLE par_mem (id int, s text) USING spillpool;
SELECT spillpool.alter_table('par_mem', durability => 'none');
INSERT INTO par_mem SELECT i, 'm' || i FROM generate_series(1, 2000) i;
CREATE TABLE par_heap AS SELECT i AS g, 'group ' || i AS name FROM generate_series(0, 6) i;
ANALYZE par_t, par_mem, par_heap;
SELECT shards, segment_files > 0 AS in_segments FROM spillpool.stats('par_t');

CREATE TABLE par_queries (n int, q text);
INSERT INTO par_queries VALUES
 (1, 'SELECT count(*), sum(id), sum(x) FROM par_t'),
 (2, 'SELECT g, count(*), min(s), max(id) FROM par_t GROUP BY g'),
 (3, 'SELECT id, s FROM par_t WHERE id % 97 = 0'),
 (4, 'SELECT id FROM par_t WHERE id BETWEEN 2500 AND 3600'),
 (5, 'SELECT h.name, count(*), sum(t.id) FROM par_t t JOIN par_heap h USING (g) GROUP BY h.name'),
 (6, 'SELECT count(*), max(s) FROM par_mem'),
 (7, 'SELECT count(*) FROM par_t t JOIN par_mem m USING (id)');

SELECT n, par_check(q) FROM par_queries ORDER BY n;

-- the transaction's own rows, and a rolled-back savepoint
BEGIN;
INSERT INTO par_t SELECT i, 1, 'own', 1 FROM generate_series(90001, 90300) i;
INSERT INTO par_mem VALUES (90001, 'own');
SAVEPOINT sp;
INSERT INTO par_t SELECT i, 2, 'gone', 1 FROM generate_series(95001, 95100) i;
ROLLBACK TO sp;
SELECT n, par_check(q) FROM par_queries ORDER BY n;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SELECT count(*) FILTER (WHERE s = 'own') AS own, count(*) FILTER (WHERE s = 'gone') AS gone FROM par_t;
COMMIT;

-- the leader must take part: no parallel path without it
SET parallel_leader_participation = off;
SELECT par_check('SELECT count(*) FROM par_t');
RESET parallel_leader_participation;

-- the setting
SET spillpool.enable_parallel_scan = off;
SELECT par_check('SELECT count(*) FROM par_t');
RESET spillpool.enable_parallel_scan;

-- the table's other paths stay out of workers: a forced parallel plan
-- (force_parallel_mode) keeps a spillpool scan in the leader
SET force_parallel_mode = on;
EXPLAIN (COSTS OFF) SELECT count(*) FROM par_t WHERE id < 100;
SELECT count(*) FROM par_t WHERE id < 100;
RESET force_parallel_mode;

-- plain scans evaluate conditions of one column on the shard arrays before
-- building rows: the same rows as a heap copy, in every tier
CREATE TABLE par_copy AS SELECT * FROM par_t;
CREATE FUNCTION par_same(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	a text := par_rows(format(q, 'par_t'));
	b text := par_rows(format(q, 'par_copy'));
BEGIN
	RETURN CASE WHEN a = b THEN 'same ' || split_part(a, ' ', 2) ELSE format('DIFFERENT: %s, heap %s', a, b) END;
END $$;
SELECT par_same('SELECT id, s FROM %s WHERE s LIKE ''s1%%''');
SELECT par_same('SELECT id, x FROM %s WHERE s = ''seg3'' AND id > 0');
SELECT par_same('SELECT * FROM %s WHERE x IS NULL OR x < 10');
SELECT par_same('SELECT g, s FROM %s WHERE s ~ ''^s[0-9]$'' AND id %% 5 = 0');
SELECT par_same('SELECT id FROM %s WHERE upper(s) IN (''S7'', ''SEG59'') AND g <> id');
EXPLAIN (COSTS OFF) SELECT id, s FROM par_t WHERE s LIKE 's1%' AND g <> id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM par_t WHERE s = 's7' AND id < 5000;
-- system columns: every condition on rows
EXPLAIN (COSTS OFF) SELECT ctid, id FROM par_t WHERE s = 's7';
DROP FUNCTION par_same(text);

-- SpillpoolAggregate under Gather: every participant aggregates what it
-- claims and returns transition states, which a Finalize Aggregate
-- combines.  Each query runs three ways: pushed down in parallel (the plan
-- must hold the partial node), pushed down serially, and as the ordinary
-- serial plan; the results must be the same.
SET spillpool.enable_aggregate_pushdown = on;
CREATE FUNCTION agg_check(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	par text;
	ser text;
	plain text;
	line text;
	used boolean := false;
BEGIN
	PERFORM set_config('parallel_setup_cost', '0', true);
	PERFORM set_config('parallel_tuple_cost', '0', true);
	PERFORM set_config('min_parallel_table_scan_size', '0', true);
	PERFORM set_config('max_parallel_workers_per_gather', '2', true);
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		used := used OR line LIKE '%Parallel Custom Scan (SpillpoolAggregate)%';
	END LOOP;
	par := par_rows(q);
	PERFORM set_config('max_parallel_workers_per_gather', '0', true);
	ser := par_rows(q);
	PERFORM set_config('spillpool.enable_aggregate_pushdown', 'off', true);
	plain := par_rows(q);
	PERFORM set_config('spillpool.enable_aggregate_pushdown', 'on', true);
	PERFORM set_config('max_parallel_workers_per_gather', '2', true);
	IF par IS DISTINCT FROM plain OR ser IS DISTINCT FROM plain THEN
		RETURN format('DIFFERENT: parallel %s, serial %s, ordinary %s', par, ser, plain);
	END IF;
	RETURN CASE WHEN used THEN 'same, parallel' ELSE 'same, not parallel' END;
END $$;

-- values whose float sums are exact in any order; NULLs, NaN, infinities
CREATE TABLE par_a (id int, g int, b bool, s text, i2 int2, i8 bigint, f4 float4,
                    f8 float8, n numeric(12, 2), d date, ts timestamp, tz timestamptz)
  USING spillpool;
CREATE FUNCTION par_a_rows(lo int, hi int, label text) RETURNS SETOF par_a LANGUAGE sql AS $$
  SELECT i, i % 5, i % 3 = 0, label || (i % 4),
         CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 300)::int2 END,
         CASE WHEN i % 13 = 0 THEN NULL ELSE i::bigint * 1000000007 END,
         (i % 64) * 0.25::float4,
         CASE WHEN i = 77 THEN 'NaN'::float8 WHEN i % 17 = 0 THEN NULL ELSE i * 0.5 END,
         CASE WHEN i = 1234 THEN 'NaN'::numeric WHEN i % 19 = 0 THEN NULL ELSE i * 0.01 END,
         CASE WHEN i = 2 THEN 'infinity'::date ELSE date '2026-01-01' + i % 400 END,
         timestamp '2026-01-01' + i * interval '1 minute',
         CASE WHEN i = 3 THEN '-infinity'::timestamptz ELSE timestamptz '2026-01-01 00:00+00' + i * interval '1 hour' END
  FROM generate_series(lo, hi) i
$$;
INSERT INTO par_a SELECT * FROM par_a_rows(1, 3000, 's');
SELECT spillpool.flush('par_a') > 0 AS flushed;
INSERT INTO par_a SELECT * FROM par_a_rows(3001, 5000, 't');
SELECT spillpool.flush('par_a') > 1 AS flushed;
DO $$
BEGIN
	FOR b IN 0..39 LOOP
		INSERT INTO par_a SELECT * FROM par_a_rows(6000 + b * 50, 6049 + b * 50, 'seg');
		COMMIT;
	END LOOP;
END $$;
CREATE TABLE par_a_empty (LIKE par_a) USING spillpool;
ANALYZE par_a, par_a_empty;

CREATE TABLE agg_queries (n int, q text);
INSERT INTO agg_queries VALUES
 (1, 'SELECT count(*), count(f8), sum(i2), sum(id), sum(i8), avg(i2), avg(id), avg(i8) FROM %s'),
 (2, 'SELECT sum(f4), sum(f8), avg(f4), avg(f8), min(f8), max(f8), min(f4), max(f4) FROM %s'),
 (3, 'SELECT sum(n), avg(n), min(n), max(n), min(d), max(d), min(ts), max(ts), min(tz), max(tz) FROM %s'),
 (4, 'SELECT g, count(*), sum(i8), avg(i2), avg(f8), sum(n), avg(n), max(ts) FROM %s GROUP BY g'),
 (5, 'SELECT s, b, count(*), sum(id), avg(id), min(d) FROM %s GROUP BY s, b'),
 (6, 'SELECT count(*), sum(n), avg(f8) FROM %s WHERE id %% 7 = 1 AND s LIKE ''s%%'''),
 (7, 'SELECT d, count(*), avg(n) FROM %s WHERE id > 2500 GROUP BY d'),
 (8, 'SELECT count(*), sum(n), avg(n) FROM %s WHERE n IS NOT NULL AND id <> 1234'),
 (9, 'SELECT count(*), sum(id) FROM %s WHERE id < 0');

SELECT n, agg_check(format(q, 'par_a')) FROM agg_queries ORDER BY n;
SELECT n, agg_check(format(q, 'par_a_empty')) FROM agg_queries ORDER BY n;

-- the plan
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT g, count(*), avg(f8), sum(n) FROM par_a WHERE id > 10 GROUP BY g;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

-- the transaction's own rows (only the leader reads them) and a
-- rolled-back savepoint
BEGIN;
INSERT INTO par_a SELECT * FROM par_a_rows(90001, 90300, 'own');
SAVEPOINT sp;
INSERT INTO par_a SELECT * FROM par_a_rows(95001, 95100, 'gone');
ROLLBACK TO sp;
SELECT n, agg_check(format(q, 'par_a')) FROM agg_queries ORDER BY n;
SELECT agg_check('SELECT s, count(*), sum(id) FROM par_a GROUP BY s');
COMMIT;

-- grouping sets and HAVING stay with the ordinary plan
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT g, count(*) FROM par_a GROUP BY g HAVING count(*) > 1;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;

DROP FUNCTION agg_check(text), par_a_rows(int, int, text);
DROP TABLE par_a, par_a_empty, agg_queries;
DROP TABLE par_t, par_mem, par_heap, par_queries, par_copy;
DROP FUNCTION par_rows(text), par_check(text);
