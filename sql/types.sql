--
-- types: every built-in base type (and arrays, composites, domains, enums)
-- round-trips through a spillpool table unchanged; the ways of inserting;
-- insertion order; ALTER TABLE; ANALYZE, VACUUM and the plan shape.
--
-- Rows are compared with a heap table holding the same data, by md5 of the
-- row's text form, in both directions (EXCEPT ALL keeps duplicates).
--
SET client_min_messages = warning;
CREATE SCHEMA sp_types;
SET search_path = sp_types, public;
-- the plans below show the scan; sql/aggregates.sql tests the aggregate node
SET spillpool.enable_aggregate_pushdown = off;
RESET client_min_messages;

CREATE TYPE sp_types.pair AS (a int, b text);
CREATE DOMAIN sp_types.posint AS int CHECK (VALUE > 0);
CREATE TYPE sp_types.mood AS ENUM ('sad', 'ok', 'happy');

-- the same columns, once as heap and once as spillpool
CREATE TABLE heap_t (
	id int,
	c_bool bool, c_int2 int2, c_int4 int4, c_int8 int8,
	c_float4 float4, c_float8 float8, c_numeric numeric, c_money money,
	c_text text, c_varchar varchar(10), c_char char(5), c_qchar "char",
	c_name name, c_bytea bytea,
	c_date date, c_time time, c_timetz timetz, c_timestamp timestamp,
	c_timestamptz timestamptz, c_interval interval,
	c_uuid uuid, c_json json, c_jsonb jsonb, c_jsonpath jsonpath, c_xml xml,
	c_inet inet, c_cidr cidr, c_macaddr macaddr, c_macaddr8 macaddr8,
	c_point point, c_line line, c_lseg lseg, c_box box, c_path path,
	c_polygon polygon, c_circle circle,
	c_bit bit(8), c_varbit varbit, c_tsvector tsvector, c_tsquery tsquery,
	c_int4range int4range, c_int8range int8range, c_numrange numrange,
	c_daterange daterange, c_tsrange tsrange, c_tstzrange tstzrange,
	c_int4multirange int4multirange, c_datemultirange datemultirange,
	c_pg_lsn pg_lsn, c_oid oid, c_regclass regclass, c_regtype regtype,
	c_regproc regproc, c_xid xid, c_xid8 xid8, c_cid cid, c_tid tid,
	c_int2vector int2vector, c_oidvector oidvector, c_pg_snapshot pg_snapshot,
	c_int_arr int[], c_text_arr text[], c_2d_arr int[][], c_numeric_arr numeric[],
	c_pair sp_types.pair, c_pair_arr sp_types.pair[],
	c_posint sp_types.posint, c_mood sp_types.mood, c_mood_arr sp_types.mood[]
);
CREATE TABLE sp_t (LIKE heap_t) USING spillpool;

-- the table uses the access method and has no TOAST table of its own
SELECT a.amname, c.reltoastrelid = 0 AS no_toast
FROM pg_class c JOIN pg_am a ON a.oid = c.relam
WHERE c.oid = 'sp_t'::regclass;

-- ordinary values
INSERT INTO heap_t VALUES (
	1,
	true, 1, 2, 3,
	1.5, 2.25, 12345.6789, 12.34,
	'text', 'varchar', 'char', 'c',
	'name', '\xdeadbeef',
	'2024-02-29', '12:34:56.789', '12:34:56+02', '2024-02-29 12:34:56.123456',
	'2024-02-29 12:34:56.123456+00', '1 year 2 mons 3 days 04:05:06.7',
	'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2, {"b": null}]}',
	'{"a": [1, 2, {"b": null}]}', '$.a[*] ? (@ > 1)', '<doc><x a="1">t</x></doc>',
	'192.168.1.1/24', '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05',
	'(1,2)', '{1,-1,0}', '[(0,0),(1,1)]', '((0,0),(2,2))', '[(0,0),(1,1),(2,0)]',
	'((0,0),(1,1),(1,0))', '<(1,1),5>',
	B'10101010', B'101', 'a fat cat sat on a mat', 'fat & (rat | cat)',
	'[1,10)', '[1,10000000000)', '(1.5,2.5]',
	'[2024-01-01,2024-12-31)', '[2024-01-01 00:00,2024-01-02 00:00)',
	'[2024-01-01 00:00+00,2024-01-02 00:00+00)',
	'{[1,3), [5,7)}', '{[2024-01-01,2024-01-05)}',
	'16/B374D848', 12345, 'pg_class', 'integer',
	'now', '1234', '5678', '42', '(3,4)',
	'1 2 3', '1 2 3', '10:20:10,14,15',
	'{1,2,3}', '{a,b,c}', '{{1,2},{3,4}}', '{1.5,NaN,-0}',
	ROW(1, 'one'), ARRAY[ROW(1, 'x'), ROW(2, NULL)]::sp_types.pair[],
	7, 'happy', '{sad,ok}'
);

-- extreme and special values
INSERT INTO heap_t VALUES (
	2,
	false, -32768, -2147483648, -9223372036854775808,
	'NaN', '-0', 'NaN', '-92233720368547758.08',
	'', '', '', '', '', '\x',
	'-infinity', '00:00', '00:00:00-15:59', '-infinity',
	'-infinity', '-178000000 years',
	'00000000-0000-0000-0000-000000000000', '""', '{}', '$', '',
	'::', '::/0', '00:00:00:00:00:00', '00:00:00:00:00:00:00:00',
	'(0,0)', '{0,1,0}', '[(0,0),(0,0)]', '((0,0),(0,0))', '((0,0))',
	'((0,0))', '<(0,0),0>',
	B'00000000', B'', '', '!a',
	'empty', 'empty', 'empty',
	'empty', 'empty', 'empty',
	'{}', '{}',
	'0/0', 0, '-', '-',
	'-', '0', '0', '0', '(0,0)',
	'', '', '1:1:',
	'{}', '{}', '{}', '{}',
	ROW(NULL, NULL), '{}',
	1, 'sad', '{}'
);

INSERT INTO heap_t VALUES (
	3,
	NULL, 32767, 2147483647, 9223372036854775807,
	'Infinity', '-Infinity', 'Infinity', '92233720368547758.07',
	E'Unicode: h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \U0001F600', 'äöü€', 'ß', 'z',
	repeat('n', 63), '\x00ff00ff',
	'infinity', '24:00:00', '23:59:59.999999+15:59', 'infinity',
	'infinity', '178000000 years',
	'ffffffff-ffff-ffff-ffff-ffffffffffff', E'"\\u00e9 \\ud83d\\ude00"',
	'{"k": "\u00e9", "n": 1e300, "deep": [[[[[]]]]]}', 'strict $.a.b', '<?xml version="1.0"?><r/>',
	'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', '2001:db8::/32',
	'ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff:ff:ff',
	'(1e300,-1e300)', '{1e300,-1e300,1}', '[(-1e300,-1e300),(1e300,1e300)]',
	'((-1e300,-1e300),(1e300,1e300))', '[(1,2),(3,4),(5,6),(7,8)]',
	'((1,2),(3,4),(5,6),(7,8))', '<(1e300,1e300),1e300>',
	B'11111111', repeat('1', 1000)::varbit, E'unicode \u00e9t\u00e9 d\u00e9j\u00e0', '!x <-> y',
	'(,)', '[-9223372036854775808,9223372036854775807)', '(,1e100]',
	'[-infinity,infinity]', '(,)', '[-infinity,)',
	'{(,)}', '{[-infinity,infinity]}',
	'FFFFFFFF/FFFFFFFF', 4294967295, 'pg_catalog.pg_type', 'sp_types.pair',
	'pg_catalog.int4pl', '4294967295', '18446744073709551615', '4294967295',
	'(4294967295,65535)',
	'-32768 32767', '4294967295 0', '10:20:',
	'{NULL,-2147483648,2147483647,NULL}', '{NULL,"",a b,"\"quoted\"",NULL}',
	'{{NULL,1},{2,NULL}}', '{Infinity,-Infinity,NaN}',
	ROW(-1, E'\u00e9'), ARRAY[NULL, ROW(NULL, NULL)]::sp_types.pair[],
	2147483647, 'ok', '{happy,NULL,sad}'
);

-- a row that is NULL in every column
INSERT INTO heap_t DEFAULT VALUES;

-- a value over 1 MB of poorly compressible text, and 1 MB of random-ish
-- bytes: stored out of line in the heap table's TOAST table
INSERT INTO heap_t (id, c_text, c_bytea, c_jsonb, c_text_arr)
SELECT 5,
	(SELECT string_agg(md5(g::text), '') FROM generate_series(1, 40000) g),
	(SELECT decode(string_agg(md5(g::text), ''), 'hex') FROM generate_series(40001, 72000) g),
	(SELECT jsonb_agg(md5(g::text)) FROM generate_series(1, 5000) g),
	(SELECT array_agg(md5(g::text)) FROM generate_series(5001, 10000) g);

-- the big values really are TOASTed (external) at the source
SELECT octet_length(c_text) = 40000 * 32 AS text_len,
	octet_length(c_bytea) = 32000 * 16 AS bytea_len
FROM heap_t WHERE id = 5;
SELECT reltoastrelid::regclass AS toastrel, pg_relation_size(reltoastrelid) > 1000000 AS heap_has_toast_data
FROM pg_class WHERE oid = 'heap_t'::regclass \gset
SELECT :'heap_has_toast_data'::bool AS heap_has_toast_data,
	count(DISTINCT chunk_id) >= 2 AS at_least_two_external_values
FROM :toastrel;

-- copy everything over: the spillpool table receives TOAST pointers
INSERT INTO sp_t SELECT * FROM heap_t;

SELECT (SELECT count(*) FROM heap_t) AS heap_rows, (SELECT count(*) FROM sp_t) AS spill_rows;
-- heap minus spillpool, and spillpool minus heap: no differences
SELECT count(*) AS heap_not_in_spill FROM (
	SELECT md5(h::text) FROM heap_t h EXCEPT ALL SELECT md5(s::text) FROM sp_t s) x;
SELECT count(*) AS spill_not_in_heap FROM (
	SELECT md5(s::text) FROM sp_t s EXCEPT ALL SELECT md5(h::text) FROM heap_t h) x;
-- the same, column by column with IS NOT DISTINCT FROM for the big row
SELECT h.c_text IS NOT DISTINCT FROM s.c_text AS text_eq,
	h.c_bytea IS NOT DISTINCT FROM s.c_bytea AS bytea_eq,
	h.c_jsonb IS NOT DISTINCT FROM s.c_jsonb AS jsonb_eq,
	h.c_text_arr IS NOT DISTINCT FROM s.c_text_arr AS arr_eq
FROM heap_t h JOIN sp_t s ON s.id = h.id WHERE h.id = 5;
-- the all-NULL row is there and is NULL everywhere
SELECT count(*) AS all_null_rows FROM sp_t s WHERE s IS NULL;
-- special values survive (spot checks with typed comparisons)
SELECT id, c_float4 = 'NaN' AS f4_nan, c_float8::text AS f8,
	c_numeric = 'NaN'::numeric AS num_nan, c_date = '-infinity' AS date_neg_inf,
	c_timestamptz = '-infinity' AS tstz_neg_inf, c_text = '' AS empty_text,
	c_int_arr = '{}' AS empty_arr, c_int4range = 'empty' AS empty_range
FROM sp_t WHERE id = 2;
SELECT id, c_text, c_char, c_int8, c_float4, c_float8, c_numeric,
	c_timestamp, c_text_arr, c_2d_arr, c_pair, c_mood_arr
FROM sp_t WHERE id = 3;

-- the same rows read back from segment files, with every codec: each row is
-- inserted in its own transaction, then filler transactions push them out of
-- the table's small memtable, so the scan must decompress them from disk
CREATE TABLE sp_lz4 (LIKE heap_t) USING spillpool;
CREATE TABLE sp_zstd (LIKE heap_t) USING spillpool;
CREATE TABLE sp_none (LIKE heap_t) USING spillpool;
SELECT spillpool.alter_table('sp_lz4', memory_limit => '64kB', spill_compression => 'lz4');
SELECT spillpool.alter_table('sp_zstd', memory_limit => '64kB', spill_compression => 'zstd',
	compression_level => 19);
SELECT spillpool.alter_table('sp_none', memory_limit => '64kB', spill_compression => 'none');
DO $$
DECLARE
	t text;
	r record;
BEGIN
	FOREACH t IN ARRAY ARRAY['sp_lz4', 'sp_zstd', 'sp_none'] LOOP
		FOR r IN SELECT id FROM sp_types.heap_t ORDER BY id NULLS LAST LOOP
			EXECUTE format('INSERT INTO sp_types.%I SELECT * FROM sp_types.heap_t WHERE id IS NOT DISTINCT FROM $1', t)
				USING r.id;
			COMMIT;
		END LOOP;
		FOR i IN 1..6 LOOP
			EXECUTE format('INSERT INTO sp_types.%I (id, c_text) SELECT -1, repeat(''f'', 100) FROM generate_series(1, 200)', t);
			COMMIT;
		END LOOP;
	END LOOP;
END
$$;
SELECT s.table_name, s.spilled_rows = 1205 AS all_rows_in_segments,
	s.memtable_rows <= 400 AS data_rows_evicted,
	(SELECT count(*) FROM sp_types.heap_t) = 5 AS heap_rows
FROM spillpool.stats() s
WHERE s.table_name IN ('sp_lz4'::regclass, 'sp_zstd'::regclass, 'sp_none'::regclass)
ORDER BY 1::text;
SELECT 'sp_lz4' AS t, count(*) AS differences FROM (
	(SELECT md5(h::text) FROM heap_t h EXCEPT ALL
	 SELECT md5(s::text) FROM sp_lz4 s WHERE id IS DISTINCT FROM -1)
	UNION ALL
	(SELECT md5(s::text) FROM sp_lz4 s WHERE id IS DISTINCT FROM -1 EXCEPT ALL
	 SELECT md5(h::text) FROM heap_t h)) x
UNION ALL
SELECT 'sp_zstd', count(*) FROM (
	(SELECT md5(h::text) FROM heap_t h EXCEPT ALL
	 SELECT md5(s::text) FROM sp_zstd s WHERE id IS DISTINCT FROM -1)
	UNION ALL
	(SELECT md5(s::text) FROM sp_zstd s WHERE id IS DISTINCT FROM -1 EXCEPT ALL
	 SELECT md5(h::text) FROM heap_t h)) x
UNION ALL
SELECT 'sp_none', count(*) FROM (
	(SELECT md5(h::text) FROM heap_t h EXCEPT ALL
	 SELECT md5(s::text) FROM sp_none s WHERE id IS DISTINCT FROM -1)
	UNION ALL
	(SELECT md5(s::text) FROM sp_none s WHERE id IS DISTINCT FROM -1 EXCEPT ALL
	 SELECT md5(h::text) FROM heap_t h)) x;
-- the filler rows and the data rows are all there, data rows first
SELECT count(*) = 1205 AS total, count(*) FILTER (WHERE id = -1) = 1200 AS filler
FROM sp_zstd;
SELECT array_agg(id) AS first_ids FROM (SELECT id FROM sp_none LIMIT 6) s;

-- the domain's check still applies to inserts into the spillpool table
\set VERBOSITY terse
INSERT INTO sp_t (id, c_posint) VALUES (99, 0);
INSERT INTO sp_t (id, c_mood) VALUES (99, 'angry');
\set VERBOSITY default
SELECT count(*) AS rows_after_failed_inserts FROM sp_t;

--
-- the ways of inserting: single row, multi-row VALUES, COPY, INSERT ... SELECT
--
CREATE TABLE ins (id int, t text, n numeric) USING spillpool;
INSERT INTO ins VALUES (1, 'single', 1.5);
INSERT INTO ins VALUES (2, 'multi', 2), (3, 'multi', 3), (4, NULL, NULL);
COPY ins FROM STDIN;
5	copy	5.5
6	tab\there	6
7	\N	\N
8	unicode é ✓	8
\.
COPY ins (id, t) FROM STDIN (FORMAT csv);
9,"csv, quoted"
10,""
\.
INSERT INTO ins SELECT g, 'select', g FROM generate_series(11, 20) g;
-- RETURNING works for inserts
INSERT INTO ins VALUES (21, 'returning', 21) RETURNING id, t;
SELECT id, t, n FROM ins ORDER BY id;
SELECT count(*) = 21 AS ok, count(DISTINCT id) = 21 AS distinct_ids FROM ins;

-- a command does not see its own inserts: INSERT ... SELECT from itself doubles
INSERT INTO ins SELECT id + 100, t, n FROM ins;
SELECT count(*) = 42 AS doubled, max(id) = 121 AS max_ok FROM ins;
-- rows inserted earlier in the same transaction are visible; later commands see more
BEGIN;
INSERT INTO ins SELECT g, 'in xact', g FROM generate_series(1001, 1100) g;
SELECT count(*) = 142 AS sees_own_rows FROM ins;
INSERT INTO ins SELECT id + 1000, t, n FROM ins WHERE id > 1000;
SELECT count(*) = 242 AS sees_more_own_rows FROM ins;
COMMIT;
SELECT count(*) = 242 AS committed_rows FROM ins;
-- a rolled-back transaction leaves nothing
BEGIN;
INSERT INTO ins SELECT g, 'rolled back', g FROM generate_series(5001, 6000) g;
SELECT count(*) = 1242 AS sees_own_rows FROM ins;
ROLLBACK;
SELECT count(*) = 242 AS rollback_left_nothing, count(*) FILTER (WHERE t = 'rolled back') = 0 AS none_visible FROM ins;
-- a savepoint rolled back removes only its own rows
BEGIN;
INSERT INTO ins VALUES (7001, 'kept', 0);
SAVEPOINT s1;
INSERT INTO ins SELECT g, 'undone', g FROM generate_series(7002, 7100) g;
ROLLBACK TO SAVEPOINT s1;
INSERT INTO ins VALUES (7101, 'kept', 0);
COMMIT;
SELECT count(*) FILTER (WHERE t = 'kept') = 2 AS kept, count(*) FILTER (WHERE t = 'undone') = 0 AS undone FROM ins;
-- the same with more rows than memory_limit holds: they go to private files
-- during the transaction, and a later command reads them back
CREATE TABLE big (id int, t text) USING spillpool;
SELECT spillpool.alter_table('big', memory_limit => '64kB', max_file_size => '64kB');
BEGIN;
INSERT INTO big SELECT g, md5(g::text) FROM generate_series(1, 10000) g;
INSERT INTO big SELECT id + 10000, t FROM big;
SELECT count(*) = 20000 AS ok, sum(id) = 200010000 AS sum_ok FROM big;
SAVEPOINT s1;
INSERT INTO big SELECT id + 20000, t FROM big;
SELECT count(*) = 40000 AS ok FROM big;
ROLLBACK TO SAVEPOINT s1;
SELECT count(*) = 20000 AS ok, sum(id) = 200010000 AS sum_ok FROM big;
INSERT INTO big SELECT id + 20000, t FROM big WHERE id <= 5;
COMMIT;
SELECT count(*) = 20005 AS ok, sum(id) = 200110015 AS sum_ok,
	bool_and(t = md5(((id - 1) % 10000 + 1)::text)) AS intact FROM big;
SELECT bool_and(id = rn) AS in_order
FROM (SELECT id, row_number() OVER () AS rn FROM (SELECT id FROM big) s) x;
SELECT spilled_rows = 20005 AS all_in_segments, segment_files > 1 AS several_files
FROM spillpool.stats('big');
-- COPY TO reads the table
COPY (SELECT id, t FROM ins WHERE id <= 10 ORDER BY id) TO STDOUT;
COPY ins TO STDOUT WITH (FORMAT csv, HEADER);

--
-- insertion order: a plain scan returns rows in the order they were inserted,
-- within one transaction and across transactions
--
CREATE TABLE ord (id int, pad text) USING spillpool;
BEGIN;
INSERT INTO ord SELECT g, repeat('x', g % 50) FROM generate_series(1, 3000) g;
INSERT INTO ord VALUES (3001, 'a'), (3002, 'b');
COPY ord FROM STDIN;
3003	c
3004	d
\.
COMMIT;
INSERT INTO ord VALUES (3005, 'e');
INSERT INTO ord SELECT g, 'f' FROM generate_series(3006, 4000) g;
BEGIN;
INSERT INTO ord SELECT g, 'g' FROM generate_series(4001, 5000) g;
-- own uncommitted rows come last, still in order
SELECT bool_and(id = rn) AS in_order_with_own_rows, count(*) = 5000 AS n
FROM (SELECT id, row_number() OVER () AS rn FROM (SELECT id FROM ord) s) x;
COMMIT;
SELECT bool_and(id = rn) AS in_order, count(*) = 5000 AS n
FROM (SELECT id, row_number() OVER () AS rn FROM (SELECT id FROM ord) s) x;
-- the first and last rows as returned by a plain scan
SELECT id FROM ord LIMIT 5;

--
-- ALTER TABLE
--
CREATE TABLE alt (id int, a text) USING spillpool;
INSERT INTO alt SELECT g, 'a' || g FROM generate_series(1, 100) g;
ALTER TABLE alt ADD COLUMN b int;
ALTER TABLE alt ADD COLUMN c text DEFAULT 'dflt';
ALTER TABLE alt ADD COLUMN d timestamptz DEFAULT '2000-01-01 00:00+00';
INSERT INTO alt VALUES (101, 'a101', 7, 'given', '2024-01-01 00:00+00');
INSERT INTO alt (id, a) VALUES (102, 'a102');
SELECT count(*) = 100 AS old_rows_ok FROM alt
WHERE id <= 100 AND b IS NULL AND c = 'dflt' AND d = '2000-01-01 00:00+00';
SELECT id, a, b, c, d FROM alt WHERE id > 98 ORDER BY id;
-- dropped columns: old and new rows still read correctly
ALTER TABLE alt DROP COLUMN a;
INSERT INTO alt (id, b) VALUES (103, 3);
SELECT id, b, c FROM alt WHERE id IN (1, 101, 102, 103) ORDER BY id;
SELECT count(*) = 103 AS all_rows FROM alt;
-- renames and column defaults do not touch the data
ALTER TABLE alt RENAME COLUMN b TO bb;
ALTER TABLE alt ALTER COLUMN c SET DEFAULT 'new';
INSERT INTO alt (id) VALUES (104);
SELECT id, bb, c FROM alt WHERE id >= 103 ORDER BY id;

--
-- ANALYZE, VACUUM and plans
--
CREATE TABLE an (id int, grp int, t text) USING spillpool;
INSERT INTO an SELECT g, g % 10, md5(g::text) FROM generate_series(1, 5000) g;
ANALYZE an;
SELECT count(*) > 0 AS has_stats, count(*) = 3 AS all_columns
FROM pg_stats WHERE schemaname = 'sp_types' AND tablename = 'an';
SELECT n_distinct FROM pg_stats
WHERE schemaname = 'sp_types' AND tablename = 'an' AND attname = 'grp';
SELECT reltuples = 5000 AS reltuples_ok FROM pg_class WHERE oid = 'an'::regclass;
VACUUM an;
VACUUM (ANALYZE) an;
VACUUM;
ANALYZE;
SELECT count(*) = 5000 AS rows_after_vacuum FROM an;
-- planner row estimates come from the table's counters
EXPLAIN (COSTS OFF) SELECT * FROM an;
EXPLAIN (COSTS OFF) SELECT count(*) FROM an WHERE grp = 3;
-- when parallelism is cheap: the parallel custom scan (sql/parallel.sql)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT count(*) FROM an;
SELECT count(*) = 5000 AS ok FROM an;

-- a transaction's own rows are found by every participant of a plan, also
-- when the planner runs the scan in a parallel worker
CREATE TABLE pj (id int) USING spillpool;
INSERT INTO pj SELECT generate_series(1, 100);
CREATE TABLE par_heap (id int);
INSERT INTO par_heap SELECT g % 1000 FROM generate_series(1, 200000) g;
ANALYZE par_heap;
ANALYZE pj;
BEGIN;
INSERT INTO pj SELECT generate_series(101, 200);
SELECT count(*) AS own_and_committed FROM pj;
-- 200 ids, each matching 200 rows of par_heap
SELECT count(*) AS join_rows FROM par_heap JOIN pj ON pj.id = par_heap.id;
SET LOCAL force_parallel_mode = on;
SELECT count(*) AS forced_parallel_rows FROM pj;
COMMIT;
SELECT count(*) AS join_rows_after_commit FROM par_heap JOIN pj ON pj.id = par_heap.id;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- TABLESAMPLE is refused; a SCROLL cursor reads backward through a Material
-- node above the custom scan; the rest of the table is intact
\set VERBOSITY terse
SELECT count(*) FROM an TABLESAMPLE SYSTEM (10);
\set VERBOSITY default
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT id FROM an;
FETCH 2 FROM c;
\set VERBOSITY terse
FETCH BACKWARD 1 FROM c;
\set VERBOSITY default
ROLLBACK;
SELECT count(*) = 5000 AS ok FROM an;

-- ALTER TABLE commands that rewrite the table (reading every row and writing
-- it again) keep every row intact
CREATE TABLE rw (id int, t text) USING spillpool;
INSERT INTO rw SELECT g, md5(g::text) FROM generate_series(1, 10000) g;
ALTER TABLE rw ADD COLUMN r float8 DEFAULT random();
SELECT count(*) = 10000 AS rows_ok, sum(id) = 50005000 AS sum_ok, count(r) = 10000 AS filled,
	bool_and(t = md5(id::text)) AS intact FROM rw;
ALTER TABLE rw ALTER COLUMN id TYPE bigint;
SELECT count(*) = 10000 AS rows_ok, sum(id) = 50005000 AS sum_ok,
	bool_and(t = md5(id::text)) AS intact FROM rw;
ALTER TABLE rw ALTER COLUMN t TYPE varchar(40), DROP COLUMN r;
SELECT count(*) = 10000 AS rows_ok, sum(id) = 50005000 AS sum_ok,
	bool_and(t = md5(id::text)) AS intact FROM rw;
SELECT bool_and(id = rn) AS in_order
FROM (SELECT id, row_number() OVER () AS rn FROM (SELECT id FROM rw) s) x;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA sp_types CASCADE;
RESET client_min_messages;
