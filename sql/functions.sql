--
-- functions: spillpool.alter_table and the options view, option validation,
-- spillpool.stats and spillpool.segments against the files on disk, the
-- codecs, and durability 'none'.
--
SET client_min_messages = warning;
CREATE SCHEMA sp_fn;
SET search_path = sp_fn, public;
RESET client_min_messages;

-- runs one statement; returns its SQLSTATE, message and detail ('ok' if none)
CREATE FUNCTION sp_fn.err(stmt text, OUT code text, OUT message text, OUT detail text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	code := 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
		detail = PG_EXCEPTION_DETAIL;
END
$$;

CREATE TABLE f1 (id int, t text) USING spillpool;
CREATE TABLE heap1 (id int);
CREATE VIEW f1_opts AS SELECT * FROM spillpool.options WHERE table_name = 'sp_fn.f1'::regclass;

--
-- the options view: defaults, then each option set in turn
--
\x on
SELECT * FROM f1_opts;
\x off
-- only spillpool tables are listed
SELECT count(*) AS heap_listed FROM spillpool.options WHERE table_name = 'sp_fn.heap1'::regclass;

SELECT spillpool.alter_table('f1', memory_limit => '1MB');
SELECT memory_limit FROM f1_opts;
SELECT spillpool.alter_table('f1', max_file_size => '256kB');
SELECT max_file_size FROM f1_opts;
SELECT spillpool.alter_table('f1', spill_compression => 'zstd');
SELECT spill_compression FROM f1_opts;
SELECT spillpool.alter_table('f1', shard_compression => 'lz4');
SELECT shard_compression FROM f1_opts;
SELECT spillpool.alter_table('f1', compression_level => 9);
SELECT compression_level FROM f1_opts;
SELECT spillpool.alter_table('f1', flush_rows => 5000);
SELECT flush_rows FROM f1_opts;
SELECT spillpool.alter_table('f1', flush_bytes => '8MB');
SELECT flush_bytes FROM f1_opts;
SELECT spillpool.alter_table('f1', flush_interval => '90 seconds');
SELECT flush_interval = '90 seconds' AS flush_interval_ok FROM f1_opts;
SELECT spillpool.alter_table('f1', max_disk_size => '10MB');
SELECT max_disk_size FROM f1_opts;
SELECT spillpool.alter_table('f1', durability => 'none');
SELECT durability FROM f1_opts;
-- NULL (the default) leaves every option as it is
SELECT spillpool.alter_table('f1');
SELECT spillpool.alter_table('f1', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
\x on
SELECT * FROM f1_opts;
\x off
-- several at once, positionally
SELECT spillpool.alter_table('f1', '2MB', '1MB', 'none', 'zstd', 3, 100, '1MB', '1 hour', 'unlimited', 'commit');
\x on
SELECT * FROM f1_opts;
\x off
-- spellings: codec and durability names are case-insensitive and stored in
-- lower case; max_disk_size takes -1 and 'unlimited'; boundary values
SELECT spillpool.alter_table('f1', spill_compression => 'LZ4', shard_compression => 'None',
	durability => 'NONE', max_disk_size => '-1');
SELECT spill_compression, shard_compression, durability, max_disk_size FROM f1_opts;
SELECT spillpool.alter_table('f1', max_disk_size => '0');
SELECT max_disk_size FROM f1_opts;
SELECT spillpool.alter_table('f1', max_disk_size => 'Unlimited');
SELECT max_disk_size FROM f1_opts;
SELECT spillpool.alter_table('f1', memory_limit => '64kB', max_file_size => '64kB',
	compression_level => 1, flush_rows => 1, flush_bytes => '1kB', flush_interval => '1 ms');
SELECT memory_limit, max_file_size, compression_level, flush_rows, flush_bytes,
	flush_interval = '1 ms' AS flush_interval_ok FROM f1_opts;
-- memory_limit may equal spillpool.memory (64MB here)
SELECT spillpool.alter_table('f1', memory_limit => '64MB', compression_level => 22,
	max_file_size => '1.5MB', flush_bytes => '1048576');
SELECT memory_limit, memory_limit = pg_size_bytes(current_setting('spillpool.memory')) AS equals_memory,
	compression_level, max_file_size, flush_bytes FROM f1_opts;
-- the options are transactional
BEGIN;
SELECT spillpool.alter_table('f1', memory_limit => '128kB', spill_compression => 'zstd');
SELECT memory_limit, spill_compression FROM f1_opts;
ROLLBACK;
SELECT memory_limit, spill_compression FROM f1_opts;

--
-- invalid values: SQLSTATE 22023 with a detail naming the rule; nothing is
-- changed, also not the valid options given in the same call
--
CREATE TEMP TABLE opts_before AS SELECT * FROM f1_opts;
SELECT v.label, e.code, e.message, e.detail
FROM (VALUES
	('memory_limit abc', $$SELECT spillpool.alter_table('f1', memory_limit => 'abc')$$),
	('memory_limit 12 parsecs', $$SELECT spillpool.alter_table('f1', memory_limit => '12 parsecs')$$),
	('memory_limit empty', $$SELECT spillpool.alter_table('f1', memory_limit => '')$$),
	('memory_limit -1MB', $$SELECT spillpool.alter_table('f1', memory_limit => '-1MB')$$),
	('memory_limit -1', $$SELECT spillpool.alter_table('f1', memory_limit => '-1')$$),
	('memory_limit 0', $$SELECT spillpool.alter_table('f1', memory_limit => '0')$$),
	('memory_limit 63kB', $$SELECT spillpool.alter_table('f1', memory_limit => '63kB')$$),
	('memory_limit 1GB', $$SELECT spillpool.alter_table('f1', memory_limit => '1GB')$$),
	('memory_limit 65MB', $$SELECT spillpool.alter_table('f1', memory_limit => '65MB')$$),
	('memory_limit 64MB+1', $$SELECT spillpool.alter_table('f1', memory_limit => '67108865')$$),
	('memory_limit huge', $$SELECT spillpool.alter_table('f1', memory_limit => '99999999999999999999TB')$$),
	('max_file_size abc', $$SELECT spillpool.alter_table('f1', max_file_size => 'abc')$$),
	('max_file_size 12 parsecs', $$SELECT spillpool.alter_table('f1', max_file_size => '12 parsecs')$$),
	('max_file_size -1', $$SELECT spillpool.alter_table('f1', max_file_size => '-1')$$),
	('max_file_size 10kB', $$SELECT spillpool.alter_table('f1', max_file_size => '10kB')$$),
	('spill_compression gzip', $$SELECT spillpool.alter_table('f1', spill_compression => 'gzip')$$),
	('spill_compression empty', $$SELECT spillpool.alter_table('f1', spill_compression => '')$$),
	('shard_compression snappy', $$SELECT spillpool.alter_table('f1', shard_compression => 'snappy')$$),
	('compression_level 0', $$SELECT spillpool.alter_table('f1', compression_level => 0)$$),
	('compression_level 23', $$SELECT spillpool.alter_table('f1', compression_level => 23)$$),
	('compression_level -1', $$SELECT spillpool.alter_table('f1', compression_level => -1)$$),
	('flush_rows 0', $$SELECT spillpool.alter_table('f1', flush_rows => 0)$$),
	('flush_rows -5', $$SELECT spillpool.alter_table('f1', flush_rows => -5)$$),
	('flush_bytes 512', $$SELECT spillpool.alter_table('f1', flush_bytes => '512')$$),
	('flush_bytes -1kB', $$SELECT spillpool.alter_table('f1', flush_bytes => '-1kB')$$),
	('flush_bytes 12 parsecs', $$SELECT spillpool.alter_table('f1', flush_bytes => '12 parsecs')$$),
	('flush_interval -1 min', $$SELECT spillpool.alter_table('f1', flush_interval => '-1 min')$$),
	('flush_interval 0', $$SELECT spillpool.alter_table('f1', flush_interval => '0')$$),
	('flush_interval 1000000 years', $$SELECT spillpool.alter_table('f1', flush_interval => '1000000 years')$$),
	('flush_interval INT_MAX+1 s', $$SELECT spillpool.alter_table('f1', flush_interval => '2147483648 seconds')$$),
	('max_disk_size -2', $$SELECT spillpool.alter_table('f1', max_disk_size => '-2')$$),
	('max_disk_size -1MB', $$SELECT spillpool.alter_table('f1', max_disk_size => '-1MB')$$),
	('max_disk_size lots', $$SELECT spillpool.alter_table('f1', max_disk_size => 'lots')$$),
	('durability maybe', $$SELECT spillpool.alter_table('f1', durability => 'maybe')$$),
	('durability empty', $$SELECT spillpool.alter_table('f1', durability => '')$$),
	('valid and invalid', $$SELECT spillpool.alter_table('f1', memory_limit => '128kB', spill_compression => 'brotli')$$)
) AS v(label, stmt), LATERAL sp_fn.err(v.stmt) e;
-- nothing changed
SELECT (SELECT row(o.*)::text FROM opts_before o) = (SELECT row(o.*)::text FROM f1_opts o) AS unchanged;

-- the longest flush_interval is taken, and does not flush the table at once
CREATE TABLE sp_fn.f_long (a int) USING spillpool;
SELECT spillpool.alter_table('sp_fn.f_long', flush_interval => '2147483647 seconds');
INSERT INTO sp_fn.f_long VALUES (1);
SELECT spillpool.flush_if_due('sp_fn.f_long') IS NULL AS not_due;
SELECT flush_interval FROM spillpool.options WHERE table_name = 'sp_fn.f_long'::regclass;
DROP TABLE sp_fn.f_long;

-- the hint of the memory_limit error
\set VERBOSITY default
SELECT spillpool.alter_table('f1', memory_limit => '1GB');
\set VERBOSITY terse

-- which table: NULL, not a spillpool table, not a table, missing
SELECT v.label, e.code, e.message
FROM (VALUES
	('NULL rel', $$SELECT spillpool.alter_table(NULL, memory_limit => '1MB')$$),
	('heap table', $$SELECT spillpool.alter_table('sp_fn.heap1', memory_limit => '1MB')$$),
	('view', $$SELECT spillpool.alter_table('sp_fn.f1_opts', memory_limit => '1MB')$$),
	('catalog', $$SELECT spillpool.alter_table('pg_class', memory_limit => '1MB')$$),
	('missing', $$SELECT spillpool.alter_table('sp_fn.no_such_table', memory_limit => '1MB')$$),
	('stats heap', $$SELECT * FROM spillpool.stats('sp_fn.heap1')$$),
	('segments heap', $$SELECT * FROM spillpool.segments('sp_fn.heap1')$$),
	('segments NULL', $$SELECT count(*) FROM spillpool.segments(NULL)$$)
) AS v(label, stmt), LATERAL sp_fn.err(v.stmt) e;
SELECT count(*) AS rows FROM spillpool.segments(NULL);
SELECT count(*) AS options_of_heap FROM spillpool.table_options WHERE relid = 'sp_fn.heap1'::regclass;

--
-- stats and segments of a table written in many small transactions, with a
-- 1MB memtable and 256kB segment files
--
CREATE TABLE st (id int, t text) USING spillpool;
SELECT spillpool.alter_table('st', memory_limit => '1MB', max_file_size => '256kB',
	spill_compression => 'lz4');
-- a table never written: zeros and no segments
SELECT memtable_rows, memtable_bytes, segment_files, spilled_rows, spilled_bytes,
	spilled_raw_bytes, quota_used
FROM spillpool.stats('st');
SELECT count(*) AS segments FROM spillpool.segments('st');

DO $$
BEGIN
	FOR i IN 0..99 LOOP
		INSERT INTO sp_fn.st SELECT g, 'row ' || g || ' ' || md5(g::text)
		FROM generate_series(i * 200 + 1, i * 200 + 200) g;
		COMMIT;
	END LOOP;
END
$$;
SELECT count(*) = 20000 AS ok FROM st;

CREATE VIEW st_stats AS SELECT * FROM spillpool.stats('sp_fn.st');
CREATE VIEW st_segs AS SELECT * FROM spillpool.segments('sp_fn.st');
SELECT s.table_name,
	s.segment_files > 1 AS several_files,
	s.segment_files = (SELECT count(*) FROM st_segs) AS files_listed,
	s.spilled_rows = 20000 AS every_row_in_a_segment,
	s.spilled_rows = (SELECT sum(rows) FROM st_segs) AS rows_sum,
	s.spilled_bytes = (SELECT sum(bytes) FROM st_segs) AS bytes_sum,
	s.spilled_raw_bytes = (SELECT sum(raw_bytes) FROM st_segs) AS raw_sum,
	s.quota_used > 0 AND s.quota_used <= s.spilled_bytes AS quota_within_disk_bytes,
	s.quota_used < s.spilled_raw_bytes AS compressed
FROM st_stats s;
-- the memtable keeps only the newest rows, within memory_limit
SELECT memtable_rows > 0 AS some_in_memory,
	memtable_rows < 20000 AS oldest_left_memory,
	memtable_bytes <= 1024 * 1024 AS within_memory_limit
FROM st_stats;
-- the segment files on disk: sizes match, names follow the layout
SELECT (SELECT sum((pg_stat_file(path)).size) FROM st_segs) = spilled_bytes AS disk_size_matches
FROM st_stats;
SELECT bool_and((pg_stat_file(path)).size = bytes) AS each_file_size_matches,
	bool_and(path = format('spillpool/%s/%s/seg/%s.seg',
		(SELECT oid FROM pg_database WHERE datname = current_database()),
		pg_relation_filenode('sp_fn.st'), lpad(seqno::text, 10, '0'))) AS paths_ok,
	max(seqno) - min(seqno) + 1 = count(*) AS consecutive,
	bool_and(rows > 0) AS no_empty_files
FROM st_segs;
-- finished files respect max_file_size; at most one file is active, the newest
SELECT bool_and(bytes <= 256 * 1024) FILTER (WHERE status = 'finished') AS finished_within_limit,
	count(*) FILTER (WHERE status = 'active') <= 1 AS at_most_one_active,
	count(*) FILTER (WHERE status NOT IN ('active', 'finished')) AS other_status,
	coalesce(max(seqno) FILTER (WHERE status = 'active') = max(seqno), true) AS active_is_newest
FROM st_segs;
-- the directory holds exactly the listed files (no leftover private files)
SELECT (SELECT count(*) FROM pg_ls_dir(format('spillpool/%s/%s/seg',
		(SELECT oid FROM pg_database WHERE datname = current_database()),
		pg_relation_filenode('sp_fn.st')))) = (SELECT count(*) FROM st_segs) AS dir_matches;
-- stats() with no argument lists the table too, with the same numbers
SELECT a.table_name, row(a.*)::text = row(b.*)::text AS same
FROM spillpool.stats() a JOIN st_stats b USING (table_name);
SELECT count(*) = 1 AS once FROM spillpool.stats(NULL) WHERE table_name = 'sp_fn.st'::regclass;

-- one big transaction: written through a private file, rotated at
-- max_file_size as well
INSERT INTO st SELECT g, 'big ' || g || ' ' || md5(g::text) FROM generate_series(20001, 60000) g;
SELECT count(*) = 60000 AS ok, sum(id) = 60000::bigint * 60001 / 2 AS sum_ok FROM st;
SELECT s.spilled_rows = 60000 AS every_row_in_a_segment,
	s.spilled_rows = (SELECT sum(rows) FROM st_segs) AS rows_sum,
	s.spilled_bytes = (SELECT sum(bytes) FROM st_segs) AS bytes_sum,
	s.spilled_bytes = (SELECT sum((pg_stat_file(path)).size) FROM st_segs) AS disk_size_matches,
	s.segment_files = (SELECT count(*) FROM st_segs) AS files_listed,
	(SELECT count(*) FILTER (WHERE status = 'active') <= 1 FROM st_segs) AS at_most_one_active
FROM st_stats s;
-- still in insertion order
SELECT bool_and(id = rn) AS in_order
FROM (SELECT id, row_number() OVER () AS rn FROM (SELECT id FROM st) s) x;

--
-- codecs: the same data with lz4, zstd (two levels) and none, in 64kB files.
-- quota_used counts the bytes of the blocks written; the active file may
-- extend past its last block, so sizes are compared over finished files.
--
CREATE TABLE c_lz4 (id int, t text) USING spillpool;
CREATE TABLE c_zstd1 (id int, t text) USING spillpool;
CREATE TABLE c_zstd19 (id int, t text) USING spillpool;
CREATE TABLE c_none (id int, t text) USING spillpool;
SELECT spillpool.alter_table('c_lz4', spill_compression => 'lz4', max_file_size => '64kB');
SELECT spillpool.alter_table('c_zstd1', spill_compression => 'zstd', compression_level => 1,
	max_file_size => '64kB');
SELECT spillpool.alter_table('c_zstd19', spill_compression => 'zstd', compression_level => 19,
	max_file_size => '64kB');
SELECT spillpool.alter_table('c_none', spill_compression => 'none', max_file_size => '64kB');
SELECT table_name, spill_compression, compression_level, max_file_size FROM spillpool.options
WHERE table_name::text LIKE 'c\_%' ORDER BY 1::text;
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['c_lz4', 'c_zstd1', 'c_zstd19', 'c_none'] LOOP
		FOR i IN 0..19 LOOP
			EXECUTE format('INSERT INTO sp_fn.%I SELECT g, md5(g::text) || repeat(''abc'', 20) FROM generate_series(%s, %s) g',
				t, i * 500 + 1, i * 500 + 500);
			COMMIT;
		END LOOP;
	END LOOP;
END
$$;
CREATE VIEW codec_stats AS
SELECT s.table_name::text AS tab, s.spilled_rows, s.spilled_bytes, s.spilled_raw_bytes, s.quota_used,
	g.seg_bytes, g.seg_raw, g.fin_bytes, g.fin_raw, g.finished, g.fin_max, g.disk_bytes
FROM spillpool.stats() s,
LATERAL (SELECT sum(bytes) AS seg_bytes, sum(raw_bytes) AS seg_raw,
		sum(bytes) FILTER (WHERE status = 'finished') AS fin_bytes,
		sum(raw_bytes) FILTER (WHERE status = 'finished') AS fin_raw,
		count(*) FILTER (WHERE status = 'finished') AS finished,
		max(bytes) FILTER (WHERE status = 'finished') AS fin_max,
		sum((pg_stat_file(path)).size) AS disk_bytes
	FROM spillpool.segments(s.table_name)) g
WHERE s.table_name::text LIKE 'c\_%';
SELECT tab, spilled_rows,
	spilled_bytes = seg_bytes AND spilled_raw_bytes = seg_raw AS sums_match,
	spilled_bytes = disk_bytes AS disk_size_matches,
	finished >= 1 AS has_finished_files,
	fin_max <= 64 * 1024 AS finished_within_limit,
	quota_used <= spilled_bytes AS quota_within_disk_bytes
FROM codec_stats ORDER BY tab;
-- every table holds the same raw data
SELECT count(DISTINCT spilled_raw_bytes) AS distinct_raw_sizes FROM codec_stats;
-- lz4 and zstd store fewer bytes than the rows take
SELECT tab, quota_used < spilled_raw_bytes AS smaller_than_raw,
	fin_bytes < fin_raw AS finished_files_smaller
FROM codec_stats WHERE tab <> 'c_none' ORDER BY tab;
-- none stores the rows as they are, plus block headers
SELECT quota_used > spilled_raw_bytes AS has_headers,
	quota_used - spilled_raw_bytes < spilled_raw_bytes / 20 AS headers_only,
	fin_bytes > fin_raw AND fin_bytes - fin_raw < fin_raw / 20 AS finished_files_headers_only
FROM codec_stats WHERE tab = 'c_none';
-- zstd compresses better than lz4 here, and a higher level does not store more
SELECT (SELECT quota_used FROM codec_stats WHERE tab = 'c_zstd1') <
	(SELECT quota_used FROM codec_stats WHERE tab = 'c_lz4') AS zstd_smaller_than_lz4,
	(SELECT quota_used FROM codec_stats WHERE tab = 'c_zstd19') <=
	(SELECT quota_used FROM codec_stats WHERE tab = 'c_zstd1') AS level_19_not_larger;
-- the data reads back the same from every table
SELECT count(*) AS differences FROM (
	(SELECT * FROM c_none EXCEPT ALL SELECT * FROM c_lz4)
	UNION ALL (SELECT * FROM c_lz4 EXCEPT ALL SELECT * FROM c_none)
	UNION ALL (SELECT * FROM c_none EXCEPT ALL SELECT * FROM c_zstd1)
	UNION ALL (SELECT * FROM c_zstd1 EXCEPT ALL SELECT * FROM c_none)
	UNION ALL (SELECT * FROM c_none EXCEPT ALL SELECT * FROM c_zstd19)
	UNION ALL (SELECT * FROM c_zstd19 EXCEPT ALL SELECT * FROM c_none)) x;
SELECT count(*) = 10000 AS ok, sum(id) = 50005000 AS sum_ok FROM c_zstd19;
-- changing the codec applies to new writes; old and new segments both read
SELECT spillpool.alter_table('c_none', spill_compression => 'zstd');
SELECT quota_used AS none_quota, spilled_raw_bytes AS none_raw FROM spillpool.stats('c_none') \gset
INSERT INTO c_none SELECT g, md5(g::text) || repeat('abc', 20) FROM generate_series(10001, 20000) g;
SELECT count(*) = 20000 AS ok, sum(id) = 200010000 AS sum_ok FROM c_none;
SELECT spilled_rows = 20000 AS all_spilled,
	quota_used - :none_quota < spilled_raw_bytes - :none_raw AS new_rows_compressed
FROM spillpool.stats('c_none');

--
-- durability 'none': below memory_limit nothing is written to disk
--
CREATE TABLE dn (id int, t text) USING spillpool;
SELECT spillpool.alter_table('dn', durability => 'none', memory_limit => '1MB',
	max_file_size => '256kB');
SELECT durability, memory_limit FROM spillpool.options WHERE table_name = 'dn'::regclass;
DO $$
BEGIN
	FOR i IN 0..9 LOOP
		INSERT INTO sp_fn.dn SELECT g, md5(g::text) FROM generate_series(i * 100 + 1, i * 100 + 100) g;
		COMMIT;
	END LOOP;
END
$$;
SELECT count(*) = 1000 AS ok, sum(id) = 500500 AS sum_ok FROM dn;
SELECT segment_files = 0 AS no_files, spilled_rows = 0 AS nothing_spilled,
	spilled_bytes = 0 AS no_bytes, memtable_rows = 1000 AS all_in_memory
FROM spillpool.stats('dn');
SELECT count(*) AS segments FROM spillpool.segments('dn');
SELECT count(*) AS files_in_seg_dir FROM pg_ls_dir(format('spillpool/%s/%s/seg',
	(SELECT oid FROM pg_database WHERE datname = current_database()),
	pg_relation_filenode('sp_fn.dn')));
-- passing memory_limit pushes the oldest rows out to segment files
DO $$
BEGIN
	FOR i IN 10..299 LOOP
		INSERT INTO sp_fn.dn SELECT g, md5(g::text) FROM generate_series(i * 100 + 1, i * 100 + 100) g;
		COMMIT;
	END LOOP;
END
$$;
SELECT count(*) = 30000 AS ok, sum(id) = 450015000 AS sum_ok FROM dn;
SELECT segment_files > 0 AS has_files, spilled_rows > 0 AS some_spilled,
	spilled_rows < 30000 AS newest_only_in_memory,
	spilled_rows + memtable_rows >= 30000 AS every_row_somewhere,
	memtable_bytes <= 1024 * 1024 AS within_memory_limit,
	spilled_bytes = (SELECT sum((pg_stat_file(path)).size) FROM spillpool.segments('dn')) AS disk_size_matches,
	spilled_rows = (SELECT sum(rows) FROM spillpool.segments('dn')) AS rows_sum
FROM spillpool.stats('dn');
SELECT bool_and(id = rn) AS in_order
FROM (SELECT id, row_number() OVER () AS rn FROM (SELECT id FROM dn) s) x;
-- a transaction bigger than memory_limit goes to a segment, after the older
-- rows still in memory: order is kept
INSERT INTO dn SELECT g, md5(g::text) FROM generate_series(30001, 60000) g;
SELECT count(*) = 60000 AS ok, sum(id) = 1800030000 AS sum_ok FROM dn;
SELECT bool_and(id = rn) AS in_order
FROM (SELECT id, row_number() OVER () AS rn FROM (SELECT id FROM dn) s) x;
SELECT spilled_rows + memtable_rows >= 60000 AS every_row_somewhere,
	spilled_rows = (SELECT sum(rows) FROM spillpool.segments('dn')) AS rows_sum
FROM spillpool.stats('dn');

-- a dropped table leaves the options view and stats()
DROP TABLE dn;
SELECT count(*) AS in_options FROM spillpool.options WHERE table_name::text = 'dn';
SELECT count(*) AS in_stats FROM spillpool.stats() WHERE table_name::text = 'dn';

\set VERBOSITY default
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA sp_fn CASCADE;
RESET client_min_messages;
