-- One-dimensional arrays as Parquet LIST columns: every element type with
-- a mapping, NULL arrays, empty arrays, NULL elements, lower bounds other
-- than 1, and the arrays a LIST cannot hold (several dimensions, elements
-- that are exceptions), which are stored as exceptions; rows arrive by
-- INSERT VALUES, INSERT ... SELECT and COPY and are compared with a heap
-- copy after flushes and a compaction.  read_parquet reads the shards'
-- lists back, and DuckDB's (test/parquet/reader_corpus).
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/parquet/reader_corpus/'
\set VERBOSITY terse
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, MDY';
CREATE SCHEMA sp_pl;
SET search_path = sp_pl, public;
CREATE DOMAIN sp_pl.small AS int4 CHECK (VALUE < 1000);

CREATE TABLE heap_lists (id int, i2 int2[], i4 int4[], i8 int8[], f4 float4[],
	f8 float8[], b bool[], t text[], d date[], ts timestamp[], tz timestamptz[],
	u uuid[], n numeric(12,3)[], nu numeric[], dom sp_pl.small[], v varchar[]);

-- INSERT VALUES
INSERT INTO heap_lists VALUES
	(1, '{1,-2,NULL}', '{2147483647,-2147483648}', '{9223372036854775807,NULL}',
	 '{1.5,NaN,-Infinity,-0}', '{1e308,NaN,NULL}', '{t,f,NULL}', '{a,"b c",NULL,""}',
	 '{2020-02-29,infinity,-infinity}', '{"2000-01-01 01:02:03.456789",NULL}',
	 '{"1999-12-31 23:59:59.999999+00",infinity}',
	 '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}', '{123456789.123,-0.001,NULL}',
	 '{1.5,NaN,Infinity,NULL,123456789012345678901234567890.5}', '{7,NULL}', '{x,y}'),
	(2, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
	(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	(4, '{NULL}', '{NULL,NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}',
	 '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}'),
	-- lower bounds other than 1
	(5, '[0:1]={1,2}', '[-5:-3]={1,2,3}', '[2:2]={8}', '[0:0]={1}', '[3:4]={1,2}',
	 '[0:0]={t}', '[7:8]={a,b}', '[0:0]={2020-01-01}', '[0:0]={"2020-01-01"}',
	 '[0:0]={"2020-01-01 00:00+00"}', '[0:0]={a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}',
	 '[0:0]={1}', '[0:0]={1}', '[0:0]={1}', '[0:0]={x}'),
	-- several dimensions: exceptions
	(6, '{{1,2},{3,4}}', '{{{1}}}', '[0:0][1:2]={{1,2}}', '{{1.5}}', '{{NaN,1}}', '{{t}}',
	 '{{a,b},{c,NULL}}', '{{2020-01-01}}', '{{"2020-01-01"}}', '{{"2020-01-01 00:00+00"}}',
	 '{{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}}', '{{1}}', '{{1}}', '{{1}}', '{{x}}'),
	-- elements Parquet's types cannot hold: exceptions of the row
	(7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{"2000-01-01","294276-12-31 23:59:59"}',
	 '{"294276-12-31 23:59:59+00"}', NULL, '{1,NaN}', NULL, NULL, NULL);
-- INSERT ... SELECT: many rows, lists of 0 to 30 elements
INSERT INTO heap_lists
SELECT g,
	CASE WHEN g % 11 = 0 THEN NULL ELSE ARRAY(SELECT (g * k % 30000)::int2 FROM generate_series(1, g % 31) k) END,
	ARRAY(SELECT CASE WHEN k % 7 = 0 THEN NULL ELSE g * k END FROM generate_series(1, g % 13) k),
	ARRAY[g::int8 * 1000000007, NULL],
	ARRAY[g / 7.0, g]::float4[],
	CASE WHEN g % 5 = 0 THEN '{}' ELSE ARRAY[g / 3.0, -g]::float8[] END,
	ARRAY[g % 2 = 0, NULL, g % 3 = 0],
	ARRAY(SELECT 'text ' || g || '-' || k FROM generate_series(1, g % 9) k),
	ARRAY['2000-01-01'::date + g, NULL],
	ARRAY['2000-01-01'::timestamp + g * interval '1 second'],
	ARRAY['2020-01-01 00:00+00'::timestamptz - g * interval '1 hour'],
	ARRAY[md5(g::text)::uuid],
	ARRAY[g * 1.001, -g]::numeric(12,3)[],
	ARRAY[g / 7.0, NULL]::numeric[],
	ARRAY[g % 1000]::sp_pl.small[],
	ARRAY['v' || g]
FROM generate_series(100, 2099) g;
-- COPY
COPY heap_lists FROM stdin;
3000	{1,2,3}	{4,NULL}	{}	{1.25}	{2.5}	{t}	{"with, comma","with \\"quote\\""}	{2021-06-30}	{"2021-06-30 12:00:00"}	{"2021-06-30 12:00:00+00"}	{00000000-0000-0000-0000-000000000000}	{0.5}	{0.5}	{1}	{c}
3001	[2:3]={5,6}	\N	{NULL,NULL}	\N	{{1,2}}	{}	{}	\N	\N	\N	\N	{NaN}	\N	\N	\N
\.

CREATE TABLE lists (LIKE heap_lists) USING spillpool;
INSERT INTO lists SELECT * FROM heap_lists WHERE id < 100;
INSERT INTO lists SELECT * FROM heap_lists WHERE id BETWEEN 100 AND 2099;
COPY lists FROM stdin;
3000	{1,2,3}	{4,NULL}	{}	{1.25}	{2.5}	{t}	{"with, comma","with \\"quote\\""}	{2021-06-30}	{"2021-06-30 12:00:00"}	{"2021-06-30 12:00:00+00"}	{00000000-0000-0000-0000-000000000000}	{0.5}	{0.5}	{1}	{c}
3001	[2:3]={5,6}	\N	{NULL,NULL}	\N	{{1,2}}	{}	{}	\N	\N	\N	\N	{NaN}	\N	\N	\N
\.

-- the same rows before and after the flush (array equality compares the
-- dimensions and lower bounds too), in the memtable and in the shard
CREATE FUNCTION sp_pl.differences() RETURNS bigint LANGUAGE sql AS $$
	SELECT (SELECT count(*) FROM (SELECT * FROM lists EXCEPT ALL SELECT * FROM heap_lists) a)
		+ (SELECT count(*) FROM (SELECT * FROM heap_lists EXCEPT ALL SELECT * FROM lists) b)
$$;
SELECT count(*), sp_pl.differences() FROM lists;
SELECT spillpool.flush('lists') > 0 AS flushed;
SELECT rows, memtable_rows FROM spillpool.stats('lists'), spillpool.shards('lists');
SELECT count(*), sp_pl.differences() FROM lists;
SELECT id, i4, array_lower(i4, 1) AS lb, t, n, ts FROM lists WHERE id <= 7 OR id >= 3000 ORDER BY id;

-- how the shard stores them: LIST columns for mapped element types,
-- exceptions and lower bounds in its metadata, no statistics for lists
SELECT path AS shard FROM spillpool.shards('lists') \gset
SELECT * FROM spillpool.read_parquet(:'shard') AS t(id int, i4 int[], t text[], n numeric[], v text)
WHERE id <= 7 OR id >= 3000 ORDER BY id;
SELECT array_agg(k ORDER BY k) AS columns_with_stats
FROM spillpool.shards('lists'), jsonb_object_keys(column_stats) k;

-- quals and aggregates over list columns see the same rows as over heap
SELECT count(i4), count(*) FILTER (WHERE i4 @> '{100}'), count(*) FILTER (WHERE t = '{}'),
	sum(cardinality(i2)), max(array_length(t, 1)), count(*) FILTER (WHERE i8[1] > 10)
FROM lists;
SELECT count(i4), count(*) FILTER (WHERE i4 @> '{100}'), count(*) FILTER (WHERE t = '{}'),
	sum(cardinality(i2)), max(array_length(t, 1)), count(*) FILTER (WHERE i8[1] > 10)
FROM heap_lists;
SELECT count(*) FROM lists WHERE i4 IS NULL;
SELECT count(*) FROM heap_lists WHERE i4 IS NULL;
SELECT id, b FROM lists WHERE b = '{NULL}' OR b = '[0:0]={t}' ORDER BY id;

-- a second shard, then a compaction rewrites both: the same rows
INSERT INTO lists SELECT * FROM heap_lists WHERE id < 10;
INSERT INTO heap_lists SELECT * FROM heap_lists WHERE id < 10;
SELECT spillpool.flush('lists') > 0 AS flushed;
SELECT spillpool.compact('lists') > 0 AS compacted;
SELECT count(*) AS shards FROM spillpool.shards('lists');
SELECT count(*), sp_pl.differences() FROM lists;

-- a column added later reads as its default in the old shards
ALTER TABLE lists ADD COLUMN extra int[] DEFAULT '{42}';
SELECT DISTINCT extra FROM lists;
ALTER TABLE lists DROP COLUMN extra;

-- read_parquet reads DuckDB's lists: as arrays of the elements' natural
-- types, or through the text form as another type
SELECT id, lst FROM spillpool.read_parquet(:'corpus' || 'nested_list.parquet') AS t(id int, lst int[])
ORDER BY id LIMIT 3;
SELECT id, lst FROM spillpool.read_parquet(:'corpus' || 'nested_list.parquet') AS t(id int, lst text)
ORDER BY id LIMIT 2;
SELECT id, li4, ls, ld, ltstz, luid, ldec FROM spillpool.read_parquet(:'corpus' || 'lists_snappy.parquet')
	AS t(id int, li4 int8[], ls text[], ld date[], ltstz timestamptz[], luid uuid[], ldec numeric[])
ORDER BY id LIMIT 4;
SELECT count(*), count(li4), sum(cardinality(li4)), count(*) FILTER (WHERE li4 = '{}'),
	sum((SELECT count(*) FROM unnest(ls) e WHERE e IS NULL)) AS null_elements
FROM spillpool.read_parquet(:'corpus' || 'lists_v2_zstd.parquet') AS t(li4 int8[], ls text[]);
-- the same file through v1 pages and Snappy: the same values
SELECT (SELECT md5(string_agg(t::text, ';' ORDER BY id)) FROM spillpool.read_parquet(:'corpus' || 'lists_snappy.parquet')
		AS t(id int, li4 int8[], li8 int8[], li2 int2[], lb bool[], lf8 float8[], lf4 float4[], ls text[],
			 ld date[], lts timestamp[], ltstz timestamptz[], luid uuid[], ldec numeric[], ldec38 numeric[], lbl bytea[]))
	= (SELECT md5(string_agg(t::text, ';' ORDER BY id)) FROM spillpool.read_parquet(:'corpus' || 'lists_v2_zstd.parquet')
		AS t(id int, li4 int8[], li8 int8[], li2 int2[], lb bool[], lf8 float8[], lf4 float4[], ls text[],
			 ld date[], lts timestamp[], ltstz timestamptz[], luid uuid[], ldec numeric[], ldec38 numeric[], lbl bytea[]))
	AS same_values;
-- lists of lists and of structs stay unsupported (the directory masked)
SELECT set_config('sp_pl.corpus', :'corpus', false) IS NOT NULL AS set;
CREATE FUNCTION sp_pl.try(f text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM * FROM spillpool.read_parquet(current_setting('sp_pl.corpus') || f) AS t(id int);
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || replace(SQLERRM, current_setting('sp_pl.corpus'), '.../');
END
$$;
SELECT f, sp_pl.try(f) FROM (VALUES ('nested_list_list.parquet'), ('nested_list_struct.parquet')) v(f);

DROP SCHEMA sp_pl CASCADE;
