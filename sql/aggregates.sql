--
-- SpillpoolAggregate: aggregates computed inside the scan.  Every query
-- shape runs with spillpool.enable_aggregate_pushdown on and off, and the
-- results must be the same; agg_check also says whether the node was used.
--
SET spillpool.shard_row_group_rows = 700;

CREATE FUNCTION agg_rows(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE format('SELECT string_agg(x::text, E''\n'' ORDER BY x::text) FROM (%s) x', q) INTO r;
	RETURN coalesce(r, '<no rows>');
END $$;

CREATE FUNCTION agg_check(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	pushed text;
	plain text;
	line text;
	used boolean := false;
BEGIN
	PERFORM set_config('spillpool.enable_aggregate_pushdown', 'on', true);
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		used := used OR line LIKE '%SpillpoolAggregate%';
	END LOOP;
	pushed := agg_rows(q);
	-- a hash aggregate adds floats in scan order, as the node does (a sort
	-- would reorder the rows of a group and change the last bits)
	PERFORM set_config('spillpool.enable_aggregate_pushdown', 'off', true);
	PERFORM set_config('enable_sort', 'off', true);
	plain := agg_rows(q);
	PERFORM set_config('enable_sort', 'on', true);
	PERFORM set_config('spillpool.enable_aggregate_pushdown', 'on', true);
	IF pushed IS DISTINCT FROM plain THEN
		RETURN format('DIFFERENT%s: pushed down %s, plain %s',
					  CASE WHEN used THEN '' ELSE ' (not pushed down)' END, pushed, plain);
	END IF;
	RETURN CASE WHEN used THEN 'same, pushed down' ELSE 'same, not pushed down' END;
END $$;

-- whether the node read every shard row group it read as column arrays,
-- with the WHERE clause evaluated on them, or answered every one from its
-- footer statistics
CREATE FUNCTION agg_vectorized(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	nread bigint;
	nvec bigint;
	nstats bigint := 0;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
		IF line ~ 'Row Groups Read: ' THEN
			nread := substring(line FROM 'Row Groups Read: ([0-9]+)')::bigint;
		ELSIF line ~ 'Row Groups Vectorized: ' THEN
			nvec := substring(line FROM 'Row Groups Vectorized: ([0-9]+)')::bigint;
		ELSIF line ~ 'Row Groups From Statistics: ' THEN
			nstats := substring(line FROM 'Row Groups From Statistics: ([0-9]+)')::bigint;
		END IF;
	END LOOP;
	IF nread IS NULL THEN
		RETURN 'not pushed down';
	END IF;
	RETURN CASE WHEN nread > 0 AND nvec = nread THEN 'vectorized'
		WHEN nread > 0 AND nstats = nread THEN 'from statistics'
		ELSE format('%s of %s row groups vectorized, %s from statistics', nvec, nread, nstats) END;
END $$;

CREATE TABLE agg_t (id int, g int, b bool, d date, ts timestamp, tz timestamptz,
	s text, v varchar, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric)
	USING spillpool;

-- the queries, run against every state of the table below
CREATE TABLE agg_queries (n int, q text);
INSERT INTO agg_queries VALUES
 (1, 'SELECT count(*) FROM agg_t'),
 (2, 'SELECT count(i4), count(s), count(f8), count(*) FROM agg_t'),
 (3, 'SELECT sum(i2), sum(i4), sum(i8), avg(i2), avg(i4), avg(i8) FROM agg_t'),
 (4, 'SELECT sum(f4), sum(f8), avg(f4), avg(f8) FROM agg_t'),
 (5, 'SELECT min(i2), max(i2), min(i4), max(i4), min(i8), max(i8) FROM agg_t'),
 (6, 'SELECT min(f4), max(f4), min(f8), max(f8) FROM agg_t'),
 (7, 'SELECT min(d), max(d), min(ts), max(ts), min(tz), max(tz) FROM agg_t'),
 (8, 'SELECT g, count(*), avg(f8), sum(i8) FROM agg_t GROUP BY g'),
 (9, 'SELECT b, count(*), sum(i4), max(f4) FROM agg_t GROUP BY b'),
 (10, 'SELECT s, count(*), min(i2), avg(f4) FROM agg_t GROUP BY s'),
 (11, 'SELECT v, count(i8) FROM agg_t GROUP BY v'),
 (12, 'SELECT d, count(*), max(ts) FROM agg_t GROUP BY d'),
 (13, 'SELECT ts, tz, count(*) FROM agg_t GROUP BY ts, tz'),
 (14, 'SELECT g, b, s, count(*), sum(i2), min(d) FROM agg_t GROUP BY g, b, s'),
 (15, 'SELECT i8, count(*) FROM agg_t GROUP BY i8'),
 (16, 'SELECT g, avg(f8) FROM agg_t WHERE id BETWEEN 100 AND 1800 GROUP BY g'),
 (17, 'SELECT count(*), sum(f8) FROM agg_t WHERE s = ''s3'''),
 (18, 'SELECT count(*), max(i4) FROM agg_t WHERE f8 > 0 AND b'),
 (19, 'SELECT g, count(*) FROM agg_t GROUP BY g ORDER BY count(*) DESC, g LIMIT 3'),
 (20, 'SELECT g * 2, avg(f8) * 2, sum(i4) + 1 FROM agg_t GROUP BY g'),
 (21, 'SELECT count(*) FROM agg_t WHERE s LIKE ''%1%'''),
 (22, 'SELECT g, count(*) FROM agg_t WHERE agg_t IS NOT NULL GROUP BY g'),
 -- conditions evaluated on the shard arrays
 (23, 'SELECT g, count(*), avg(f8) FROM agg_t WHERE d >= ''2024-01-10'' GROUP BY g'),
 (24, 'SELECT count(*), min(tz) FROM agg_t WHERE ts < ''2024-01-01 10:00'' AND i8 > 0'),
 (25, 'SELECT s, count(*), sum(f4) FROM agg_t WHERE f4 <= 100 GROUP BY s'),
 (26, 'SELECT count(*) FROM agg_t WHERE s > ''s2'' COLLATE "C" AND i2 < 0'),
 (27, 'SELECT b, max(i4) FROM agg_t WHERE f8 > -1e308 AND f8 <> 5 GROUP BY b'),
 -- other conditions on one column, also evaluated on the arrays
 (28, 'SELECT count(*), sum(i4) FROM agg_t WHERE s LIKE ''s1%'' AND v NOT LIKE ''%3'''),
 (29, 'SELECT g, count(*) FROM agg_t WHERE s ILIKE ''S%2'' GROUP BY g'),
 (30, 'SELECT count(*), count(s) FROM agg_t WHERE s IS NULL'),
 (31, 'SELECT b, count(*) FROM agg_t WHERE f8 IS NOT NULL AND s IS NOT NULL GROUP BY b'),
 (32, 'SELECT count(*) FROM agg_t WHERE s IN (''s1'', ''s4'', ''nope'') OR s IS NULL'),
 (33, 'SELECT count(*), avg(f8) FROM agg_t WHERE s ~ ''^s[0-3]$'''),
 (34, 'SELECT count(*) FROM agg_t WHERE upper(v) = ''V2'' AND length(s) = 2'),
 (35, 'SELECT count(*) FROM agg_t WHERE coalesce(s, ''none'') = ''none'''),
 (36, 'SELECT g, min(i8) FROM agg_t WHERE i4 % 3 = 0 AND tz > ''2024-01-01'' GROUP BY g'),
 (37, 'SELECT count(*) FROM agg_t WHERE (s = ''s1'') IS NOT TRUE'),
 (38, 'SELECT count(*), sum(i2) FROM agg_t WHERE s = ''s2'' AND s LIKE ''%2'''),
 (39, 'SELECT count(*) FROM agg_t WHERE f8 = ''NaN'' OR f8 = ''Infinity'' OR f8 > 1e99'),
 (40, 'SELECT count(*) FROM agg_t WHERE d = ''infinity'' OR d IS NULL'),
 (41, 'SELECT g, count(*) FROM agg_t WHERE i8 > 9223372036854000000 OR i8 < -9223372036854000000 GROUP BY g'),
 (42, 'SELECT count(*) FROM agg_t WHERE i2 < 10::int8 AND i4 >= -5::int2 AND i8 <> 3'),
 -- a condition on two columns is evaluated on rows
 (43, 'SELECT count(*) FROM agg_t WHERE f4 = ''NaN'' OR ts = ''infinity'''),
 -- many groups (they spill at a small work_mem, below)
 (44, 'SELECT id, avg(f8), sum(i8), min(tz) FROM agg_t GROUP BY id'),
 (45, 'SELECT s, i4, count(*), max(f4) FROM agg_t GROUP BY s, i4'),
 (46, 'SELECT d, i2, v, count(*), sum(f8) FROM agg_t WHERE i2 < -12500 GROUP BY d, i2, v'),
 -- count(DISTINCT col) alone
 (47, 'SELECT count(DISTINCT g) FROM agg_t'),
 (48, 'SELECT count(DISTINCT s) FROM agg_t'),
 (49, 'SELECT count(DISTINCT v) FROM agg_t WHERE s LIKE ''%2'''),
 (50, 'SELECT count(DISTINCT d) FROM agg_t WHERE tz IS NOT NULL'),
 (51, 'SELECT count(DISTINCT ts), 1 FROM agg_t'),
 (52, 'SELECT count(DISTINCT b) FROM agg_t'),
 (53, 'SELECT count(DISTINCT i8) FROM agg_t'),
 (54, 'SELECT count(DISTINCT i2) FROM agg_t WHERE i2 IS NULL');

-- empty
SELECT n, agg_check(q) FROM agg_queries ORDER BY n;

-- rows with NULLs, NaN, infinities and extreme values, in two shards with
-- several row groups each, in segments and in the memtable
INSERT INTO agg_t
SELECT i, i % 7, i % 3 = 0,
	CASE WHEN i % 97 = 0 THEN NULL WHEN i = 5 THEN 'infinity' WHEN i = 6 THEN '-infinity'
		ELSE date '2024-01-01' + i % 40 END,
	CASE WHEN i % 89 = 0 THEN NULL WHEN i = 7 THEN 'infinity'
		ELSE timestamp '2024-01-01' + (i % 50) * interval '1 hour' END,
	CASE WHEN i % 83 = 0 THEN NULL WHEN i = 8 THEN '-infinity'
		ELSE timestamptz '2024-01-01 00:00+00' + (i % 30) * interval '1 day' END,
	CASE WHEN i % 11 = 0 THEN NULL ELSE 's' || (i % 5) END,
	CASE WHEN i % 13 = 0 THEN NULL ELSE 'v' || (i % 4) END,
	CASE WHEN i % 17 = 0 THEN NULL ELSE (i % 30000 - 15000)::int2 END,
	CASE WHEN i % 19 = 0 THEN NULL WHEN i = 9 THEN 2147483647 WHEN i = 10 THEN -2147483648 ELSE i * 1000 END,
	CASE WHEN i % 23 = 0 THEN NULL WHEN i % 50 = 1 THEN 9223372036854775807 - i
		WHEN i % 50 = 2 THEN -9223372036854775807 + i ELSE i::int8 * 1000003 END,
	CASE WHEN i % 29 = 0 THEN NULL WHEN i = 11 THEN 'NaN' ELSE (i * 0.37)::float4 END,
	CASE WHEN i % 31 = 0 THEN NULL WHEN i = 12 THEN 'NaN' WHEN i = 13 THEN 1e100
		ELSE (i - 1000) * 1.000001 END,
	i * 0.5
FROM generate_series(1, 3000) i;
SELECT spillpool.flush('agg_t') > 0 AS flushed;
-- every row in shards: the conditions of one column are evaluated on the
-- arrays (22 reads the whole row, 43 two columns)
SELECT n, agg_check(q), agg_vectorized(q) FROM agg_queries WHERE n >= 16 OR n IN (1, 5, 7) ORDER BY n;
INSERT INTO agg_t SELECT id + 3000, g, b, d, ts, tz, s, v, i2, i4, i8, f4, f8, n
FROM agg_t WHERE id <= 1500;
SELECT spillpool.flush('agg_t') > 1 AS flushed_again;
INSERT INTO agg_t SELECT id + 5000, g, NOT b, d, ts, tz, s, v, i2, i4, i8, -f4, -f8, n
FROM agg_t WHERE id <= 1000;
SELECT shards, spilled_rows > 0 AS unflushed FROM spillpool.stats('agg_t');
SELECT n, agg_check(q) FROM agg_queries ORDER BY n;

-- the transaction's own rows, and a rolled-back savepoint
BEGIN;
INSERT INTO agg_t VALUES (9001, 99, true, '2030-01-01', NULL, NULL, 'own', 'own', 1, 2, 3, 4.5, 6.5, 7);
SAVEPOINT sp;
INSERT INTO agg_t VALUES (9002, 98, false, NULL, NULL, NULL, 'gone', 'gone', 1, 1, 1, 1, 1, 1);
ROLLBACK TO sp;
SELECT n, agg_check(q) FROM agg_queries ORDER BY n;
SELECT count(*), sum(i4) FROM agg_t WHERE g = 99;
SELECT count(*) FROM agg_t WHERE g = 98;
ROLLBACK;

-- groups beyond work_mem: their rows spill to temporary files and are
-- aggregated in later rounds (agg_spilled says whether rows spilled)
CREATE FUNCTION agg_spilled(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
		IF line ~ 'Rows Spilled: [1-9]' THEN
			RETURN true;
		END IF;
	END LOOP;
	RETURN false;
END $$;
SET work_mem = '64kB';
SELECT n, agg_check(q), agg_spilled(q) FROM agg_queries
WHERE q LIKE '%GROUP BY%' OR q LIKE '%DISTINCT%' ORDER BY n;
RESET work_mem;

-- what EXPLAIN shows
EXPLAIN (COSTS OFF) SELECT g, count(*), avg(f8) FROM agg_t GROUP BY g;
EXPLAIN (COSTS OFF) SELECT count(*) FROM agg_t WHERE id < 10;

-- shapes that take the ordinary plan
SELECT agg_check('SELECT sum(n) FROM agg_t');
SELECT agg_check('SELECT count(DISTINCT g), count(*) FROM agg_t');
SELECT agg_check('SELECT g, count(DISTINCT s) FROM agg_t GROUP BY g');
SELECT agg_check('SELECT count(DISTINCT f8) FROM agg_t');
SELECT agg_check('SELECT g, count(*) FROM agg_t GROUP BY g HAVING count(*) > 100');
SELECT agg_check('SELECT f8, count(*) FROM agg_t GROUP BY f8');
SELECT agg_check('SELECT sum(i2 + 1) FROM agg_t');
SELECT agg_check('SELECT min(s) FROM agg_t');
SELECT agg_check('SELECT count(*) FILTER (WHERE b) FROM agg_t');
SELECT agg_check('SELECT g, count(*) FROM agg_t GROUP BY ROLLUP (g)');

-- system columns are not set on shard rows the node reads: ordinary plan
SELECT agg_check('SELECT count(*) FROM agg_t WHERE tableoid = ''agg_t''::regclass');

-- row-level security: the policy's qual alone is evaluated by the node;
-- with a qual of the user's as well, the ordinary plan orders them
CREATE ROLE regress_agg_reader;
GRANT SELECT ON agg_t, agg_queries TO regress_agg_reader;
ALTER TABLE agg_t ENABLE ROW LEVEL SECURITY;
CREATE POLICY agg_low ON agg_t FOR SELECT TO regress_agg_reader USING (g < 3);
SET ROLE regress_agg_reader;
SELECT agg_check('SELECT g, count(*), sum(i4) FROM agg_t GROUP BY g');
SELECT agg_check('SELECT count(*) FROM agg_t WHERE s = ''s1''');
SELECT g, count(*) FROM agg_t GROUP BY g ORDER BY g;
RESET ROLE;
DROP POLICY agg_low ON agg_t;
ALTER TABLE agg_t DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON agg_t, agg_queries FROM regress_agg_reader;
DROP ROLE regress_agg_reader;

-- overflow is an error in both plans
CREATE TABLE agg_big (f8 float8, f4 float4) USING spillpool;
INSERT INTO agg_big VALUES (1e200, 3e38), (-1e200, 3e38);
SET spillpool.enable_aggregate_pushdown = on;
SELECT avg(f8) FROM agg_big;
SELECT sum(f4) FROM agg_big;
SET spillpool.enable_aggregate_pushdown = off;
SELECT avg(f8) FROM agg_big;
SELECT sum(f4) FROM agg_big;
RESET spillpool.enable_aggregate_pushdown;
SELECT spillpool.flush('agg_big') > 0 AS flushed;
SELECT avg(f8) FROM agg_big;
SELECT sum(f8), count(*) FROM agg_big;

-- count, min and max from footer statistics: a shard whose columns are
-- NULL throughout, then one with extreme values and infinities
CREATE TABLE agg_stats (i int8, t timestamptz, d date, f float8) USING spillpool;
INSERT INTO agg_stats SELECT NULL, NULL, NULL, NULL FROM generate_series(1, 10);
SELECT spillpool.flush('agg_stats') > 0 AS flushed;
SELECT agg_check('SELECT count(*), count(i), min(i), max(t), min(d) FROM agg_stats');
SELECT agg_vectorized('SELECT count(*), count(i), min(i), max(t), min(d) FROM agg_stats');
INSERT INTO agg_stats VALUES (9223372036854775807, 'infinity', '-infinity', 'NaN'),
	(-9223372036854775808, '-infinity', 'infinity', 1), (0, '2024-01-01', '2024-01-01', 2);
SELECT spillpool.flush('agg_stats') > 1 AS flushed;
SELECT agg_check('SELECT count(*), count(i), min(i), max(i), min(t), max(t), min(d), max(d) FROM agg_stats');
SELECT agg_vectorized('SELECT count(*), count(i), min(i), max(i), min(t), max(t), min(d), max(d) FROM agg_stats');
SELECT count(*), count(i), min(i), max(i), min(t), max(t), min(d), max(d) FROM agg_stats;
-- floats' statistics leave NaN out: decoded
SELECT agg_vectorized('SELECT min(f), max(f) FROM agg_stats');
SELECT min(f), max(f) FROM agg_stats;
DROP TABLE agg_stats;

-- numeric(p <= 38, s), stored as DECIMAL (INT32, INT64 or 16 bytes): exact
-- sums past 128 bits, NaN (a shard exception) in one group, every tier
CREATE TABLE agg_num (g int, a numeric(9,2), b numeric(18,4), c numeric(38,0),
	d numeric(38,10)) USING spillpool;
INSERT INTO agg_num
SELECT i % 3,
	CASE WHEN i % 17 = 0 THEN NULL ELSE i * 1.37 * (CASE WHEN i % 2 = 0 THEN -1 ELSE 1 END) END,
	i * 12345.6789,
	CASE WHEN i % 5 = 0 THEN 99999999999999999999999999999999999999 ELSE -i END,
	i / 7.0
FROM generate_series(1, 2000) i;
INSERT INTO agg_num VALUES (5, 'NaN', 1, 2, 'NaN'), (5, 3.5, 'NaN', 4, 5.25);
SELECT spillpool.flush('agg_num') > 0 AS flushed;
INSERT INTO agg_num SELECT g + 1, -a, b, c, -d FROM agg_num WHERE g = 0 AND b < 5000000;
INSERT INTO agg_num VALUES (5, 7, 8, 9, 10), (6, NULL, NULL, NULL, NULL);
SELECT agg_check('SELECT sum(a), avg(a), min(a), max(a), sum(b), avg(b), min(b), max(b) FROM agg_num');
SELECT agg_check('SELECT g, sum(c), avg(c), min(c), max(c), sum(d), avg(d), min(d), max(d) FROM agg_num GROUP BY g');
SELECT agg_check('SELECT count(c), sum(c), avg(d) FROM agg_num WHERE b > 1000 AND g < 5');
-- c holds no NaN: its shard arrays are aggregated
SELECT agg_vectorized('SELECT g, sum(c), min(c), max(c), avg(c) FROM agg_num WHERE g < 5 GROUP BY g');
SELECT g, sum(c), min(a), max(a), avg(b) FROM agg_num GROUP BY g ORDER BY g;
DROP TABLE agg_num;

-- float4 sums in float4 arithmetic, in scan order
CREATE TABLE agg_f4 (x float4) USING spillpool;
INSERT INTO agg_f4 VALUES (16777216), (1), (1);
SELECT agg_check('SELECT sum(x) FROM agg_f4');
SELECT sum(x) FROM agg_f4;

DROP TABLE agg_t, agg_big, agg_f4, agg_queries;
DROP FUNCTION agg_check(text);
DROP FUNCTION agg_rows(text);
RESET spillpool.shard_row_group_rows;
