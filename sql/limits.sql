--
-- limits: the per-table max_disk_size and the server-wide
-- spillpool.max_disk_size.  A write that would pass a limit fails with
-- SQLSTATE 53100 (disk_full) naming the table and the limit; its transaction
-- rolls back, the rows committed before stay, and no disk space stays
-- reserved (quota_used is what it was before the failed write).
--
-- Tables use spill_compression 'none' so that the segment sizes follow from
-- the row sizes: 200 rows of 120 characters take about 30kB.
--
SET client_min_messages = warning;
CREATE SCHEMA sp_lim;
SET search_path = sp_lim, public;
RESET client_min_messages;
\set VERBOSITY terse

CREATE FUNCTION sp_lim.seg_dir(rel regclass) RETURNS text LANGUAGE sql AS $$
	SELECT format('spillpool/%s/%s/seg',
		(SELECT oid FROM pg_database WHERE datname = current_database()),
		pg_relation_filenode(rel))
$$;
-- files in a table's seg/ directory other than its numbered segments
CREATE FUNCTION sp_lim.stray_files(rel regclass) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM pg_ls_dir(sp_lim.seg_dir(rel)) AS f
	WHERE f !~ '^[0-9]{10}\.seg$'
$$;

--
-- per-table max_disk_size, exceeded when a small transaction commits
--
CREATE TABLE q1 (id int, t text) USING spillpool;
SELECT spillpool.alter_table('q1', spill_compression => 'none', max_disk_size => '100kB');
SELECT max_disk_size FROM spillpool.options WHERE table_name = 'q1'::regclass;
INSERT INTO q1 SELECT g, repeat('x', 120) FROM generate_series(1, 200) g;
INSERT INTO q1 SELECT g, repeat('x', 120) FROM generate_series(201, 400) g;
INSERT INTO q1 SELECT g, repeat('x', 120) FROM generate_series(401, 600) g;
SELECT quota_used AS q1_quota, spilled_bytes AS q1_bytes FROM spillpool.stats('q1') \gset
-- the fourth would pass 100kB
INSERT INTO q1 SELECT g, repeat('x', 120) FROM generate_series(601, 800) g;
\echo :SQLSTATE
-- and so does a fifth
INSERT INTO q1 SELECT g, repeat('x', 120) FROM generate_series(601, 800) g;
\echo :SQLSTATE
-- the committed rows are all there, the failed transactions' rows are not
SELECT count(*) = 600 AS committed_rows, min(id) = 1 AS min_ok, max(id) = 600 AS max_ok,
	sum(id) = 180300 AS sum_ok, count(*) FILTER (WHERE id > 600) AS failed_rows
FROM q1;
-- the limit holds on disk, nothing stays reserved, and the counters only
-- count committed rows: every row in memory is also in a segment
SELECT quota_used <= 100 * 1024 AS quota_within_limit,
	spilled_bytes <= 100 * 1024 AS disk_within_limit,
	quota_used = :q1_quota AS nothing_reserved,
	spilled_bytes = :q1_bytes AS nothing_written,
	spilled_rows = 600 AS spilled_rows_ok,
	memtable_rows <= spilled_rows AS memtable_rows_committed,
	memtable_rows = 600 AS memtable_rows_ok
FROM spillpool.stats('q1');
SELECT sum(rows) = 600 AS segment_rows_ok,
	sum((pg_stat_file(path)).size) = (SELECT spilled_bytes FROM spillpool.stats('q1')) AS disk_size_matches
FROM spillpool.segments('q1');
-- no private file was left behind
SELECT sp_lim.stray_files('q1') AS stray_files;
-- a small write that fits is still accepted
INSERT INTO q1 SELECT g, repeat('x', 120) FROM generate_series(601, 610) g;
SELECT count(*) = 610 AS ok FROM q1;

-- a transaction of several statements is rolled back as a whole, and so are
-- its rows in other tables (spillpool and heap)
CREATE TABLE q1_other (id int) USING spillpool;
CREATE TABLE q1_heap (id int);
SELECT quota_used AS q1_quota FROM spillpool.stats('q1') \gset
BEGIN;
INSERT INTO q1_other VALUES (1), (2);
INSERT INTO q1_heap VALUES (1);
INSERT INTO q1 VALUES (1001, 'small');
INSERT INTO q1 SELECT g, repeat('x', 120) FROM generate_series(1002, 1201) g;
COMMIT;
\echo :SQLSTATE
SELECT (SELECT count(*) FROM q1) = 610 AS q1_unchanged,
	(SELECT count(*) FROM q1_other) AS other_rows,
	(SELECT count(*) FROM q1_heap) AS heap_rows;
SELECT quota_used = :q1_quota AS nothing_reserved FROM spillpool.stats('q1');
-- the rolled-back rows of the other table are not counted as held in memory
SELECT memtable_rows FROM spillpool.stats('q1_other');

-- raising the limit lets the same write through; so does 'unlimited'
SELECT spillpool.alter_table('q1', max_disk_size => '1MB');
INSERT INTO q1 SELECT g, repeat('x', 120) FROM generate_series(611, 810) g;
SELECT count(*) = 810 AS ok FROM q1;
SELECT spillpool.alter_table('q1', max_disk_size => 'unlimited');
INSERT INTO q1 SELECT g, repeat('x', 120) FROM generate_series(811, 10810) g;
SELECT count(*) = 10810 AS ok, sum(id) = 10810::bigint * 10811 / 2 AS sum_ok FROM q1;
-- a limit below what the table already holds: every write fails, reads work
SELECT spillpool.alter_table('q1', max_disk_size => '64kB');
SELECT quota_used AS q1_quota FROM spillpool.stats('q1') \gset
INSERT INTO q1 VALUES (0, 'one more');
\echo :SQLSTATE
SELECT count(*) = 10810 AS ok FROM q1;
SELECT quota_used > 64 * 1024 AS above_new_limit, quota_used = :q1_quota AS nothing_reserved
FROM spillpool.stats('q1');
-- max_disk_size 0: nothing may be written
CREATE TABLE q0 (id int) USING spillpool;
SELECT spillpool.alter_table('q0', max_disk_size => '0');
INSERT INTO q0 VALUES (1);
\echo :SQLSTATE
SELECT count(*) AS rows FROM q0;
SELECT spilled_bytes, quota_used, segment_files FROM spillpool.stats('q0');

--
-- per-table max_disk_size, exceeded in the middle of a big INSERT: the
-- transaction's rows already outgrew memory_limit and are being written to
-- a private file.  The error can be caught.
--
CREATE TABLE q2 (id int, t text) USING spillpool;
SELECT spillpool.alter_table('q2', spill_compression => 'none', max_disk_size => '200kB',
	memory_limit => '64kB');
INSERT INTO q2 SELECT g, repeat('y', 120) FROM generate_series(1, 100) g;
SELECT quota_used AS q2_quota FROM spillpool.stats('q2') \gset
DO $$
BEGIN
	INSERT INTO sp_lim.q2 SELECT g, repeat('y', 120) FROM generate_series(101, 10100) g;
	RAISE NOTICE 'not reached';
EXCEPTION WHEN disk_full THEN
	RAISE NOTICE 'caught %: %', SQLSTATE, SQLERRM;
END
$$;
SELECT count(*) = 100 AS earlier_rows_stay, max(id) = 100 AS max_ok FROM q2;
SELECT quota_used = :q2_quota AS nothing_reserved, spilled_rows = 100 AS spilled_rows_ok,
	spilled_bytes <= 200 * 1024 AS disk_within_limit
FROM spillpool.stats('q2');
SELECT sp_lim.stray_files('q2') AS stray_files;
-- the rest of a transaction goes on after the caught error
DO $$
BEGIN
	INSERT INTO sp_lim.q2 VALUES (101, 'before');
	BEGIN
		INSERT INTO sp_lim.q2 SELECT g, repeat('y', 120) FROM generate_series(1000, 20000) g;
	EXCEPTION WHEN disk_full THEN
		RAISE NOTICE 'caught %', SQLSTATE;
	END;
	INSERT INTO sp_lim.q2 VALUES (102, 'after');
END
$$;
SELECT count(*) = 102 AS ok, array_agg(id ORDER BY id) FILTER (WHERE id > 100) AS new_ids FROM q2;
SELECT quota_used > :q2_quota AS grew_by_two_rows, quota_used < :q2_quota + 1024 AS only_two_rows
FROM spillpool.stats('q2');
SELECT sp_lim.stray_files('q2') AS stray_files;

--
-- durability 'none': rows in memory take no disk space; the limit applies
-- when the oldest rows are pushed out of memory
--
CREATE TABLE qn (id int, t text) USING spillpool;
SELECT spillpool.alter_table('qn', spill_compression => 'none', durability => 'none',
	memory_limit => '64kB', max_disk_size => '64kB');
INSERT INTO qn SELECT g, repeat('x', 120) FROM generate_series(1, 200) g;
INSERT INTO qn SELECT g, repeat('x', 120) FROM generate_series(201, 400) g;
SELECT segment_files = 0 AS nothing_on_disk FROM spillpool.stats('qn');
INSERT INTO qn SELECT g, repeat('x', 120) FROM generate_series(401, 600) g;
INSERT INTO qn SELECT g, repeat('x', 120) FROM generate_series(601, 800) g;
SELECT quota_used AS qn_quota FROM spillpool.stats('qn') \gset
INSERT INTO qn SELECT g, repeat('x', 120) FROM generate_series(801, 1000) g;
\echo :SQLSTATE
SELECT count(*) = 800 AS committed_rows, max(id) = 800 AS max_ok, sum(id) = 320400 AS sum_ok FROM qn;
SELECT quota_used <= 64 * 1024 AS quota_within_limit, spilled_bytes <= 64 * 1024 AS disk_within_limit,
	quota_used = :qn_quota AS nothing_reserved,
	spilled_rows + memtable_rows >= 800 AS every_row_somewhere
FROM spillpool.stats('qn');
SELECT bool_and(id = rn) AS in_order
FROM (SELECT id, row_number() OVER () AS rn FROM (SELECT id FROM qn) s) x;

--
-- spillpool.max_disk_size: all spillpool tables together
--
-- empty the tables above, so that only what follows counts
TRUNCATE q1, q1_other, q2, qn, q0;
SELECT count(*) AS tables_with_bytes FROM spillpool.stats() WHERE spilled_bytes > 0 OR quota_used > 0;
SHOW spillpool.max_disk_size;
CREATE TABLE g1 (id int, t text) USING spillpool;
CREATE TABLE g2 (id int, t text) USING spillpool;
SELECT spillpool.alter_table('g1', spill_compression => 'none');
SELECT spillpool.alter_table('g2', spill_compression => 'none', memory_limit => '64kB');
SET spillpool.max_disk_size = 1;
SHOW spillpool.max_disk_size;
-- about 300kB fits
INSERT INTO g1 SELECT g, repeat('x', 120) FROM generate_series(1, 2000) g;
SELECT count(*) = 2000 AS ok FROM g1;
-- 1MB more does not
INSERT INTO g1 SELECT g, repeat('x', 120) FROM generate_series(2001, 9000) g;
\echo :SQLSTATE
-- nor does it in another table: the limit is for all tables together
DO $$
BEGIN
	INSERT INTO sp_lim.g2 SELECT g, repeat('x', 120) FROM generate_series(1, 7000) g;
EXCEPTION WHEN disk_full THEN
	RAISE NOTICE 'caught %: %', SQLSTATE, SQLERRM;
END
$$;
-- a small write still fits
INSERT INTO g2 VALUES (1, 'small');
SELECT (SELECT count(*) FROM g1) = 2000 AS g1_rows, (SELECT count(*) FROM g2) = 1 AS g2_rows;
SELECT sum(quota_used) <= 1024 * 1024 AS quota_within_limit,
	sum(spilled_bytes) <= 1024 * 1024 AS disk_within_limit
FROM spillpool.stats();
SELECT sp_lim.stray_files('g2') AS stray_files;
-- without the limit the write succeeds
RESET spillpool.max_disk_size;
SHOW spillpool.max_disk_size;
INSERT INTO g1 SELECT g, repeat('x', 120) FROM generate_series(2001, 9000) g;
SELECT count(*) = 9000 AS ok, sum(id) = 40504500 AS sum_ok FROM g1;

-- rows that outgrow memory_limit reach disk through a private file, which
-- becomes a segment at commit: those bytes count as well.  About 600kB fits
-- under 1MB, twice that does not.
TRUNCATE g1, g2;
CREATE TABLE g3 (id int, t text) USING spillpool;
SELECT spillpool.alter_table('g3', spill_compression => 'none', memory_limit => '64kB');
SET spillpool.max_disk_size = 1;
INSERT INTO g3 SELECT g, repeat('x', 120) FROM generate_series(1, 4000) g;
SELECT count(*) = 4000 AS ok FROM g3;
INSERT INTO g3 SELECT g, repeat('x', 120) FROM generate_series(4001, 8000) g;
\echo :SQLSTATE
SELECT count(*) = 4000 AS ok FROM g3;
SELECT sum(quota_used) <= 1024 * 1024 AS quota_within_limit,
	sum(spilled_bytes) <= 1024 * 1024 AS disk_within_limit
FROM spillpool.stats();
RESET spillpool.max_disk_size;
-- space given back by DROP and TRUNCATE is available again
DROP TABLE g3;
SET spillpool.max_disk_size = 1;
INSERT INTO g1 SELECT g, repeat('x', 120) FROM generate_series(1, 4000) g;
SELECT count(*) = 4000 AS ok FROM g1;
TRUNCATE g1;
INSERT INTO g1 SELECT g, repeat('x', 120) FROM generate_series(1, 4000) g;
SELECT count(*) = 4000 AS ok FROM g1;
RESET spillpool.max_disk_size;

-- the per-table limit still applies when the server-wide one is higher
SET spillpool.max_disk_size = 100;
SELECT spillpool.alter_table('g2', max_disk_size => '64kB');
INSERT INTO g2 VALUES (1, 'small');
INSERT INTO g2 SELECT g, repeat('x', 120) FROM generate_series(2, 1000) g;
\echo :SQLSTATE
SELECT count(*) = 1 AS ok FROM g2;
RESET spillpool.max_disk_size;

-- only superusers may change spillpool.max_disk_size
CREATE ROLE regress_spill_limits;
SET ROLE regress_spill_limits;
SET spillpool.max_disk_size = 1;
\echo :SQLSTATE
RESET ROLE;
SHOW spillpool.max_disk_size;
DROP ROLE regress_spill_limits;

\set VERBOSITY default
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA sp_lim CASCADE;
RESET client_min_messages;

-- The memtables of all tables together stay within spillpool.memory (64MB
-- in the tests), however much each table's memory_limit allows: three
-- durability 'none' tables with memory_limit 64MB each take 12 x 1.8MB
-- transactions; the rows that find no room go to segment files.
CREATE TABLE g1 (id int, pad text) USING spillpool;
CREATE TABLE g2 (id int, pad text) USING spillpool;
CREATE TABLE g3 (id int, pad text) USING spillpool;
SELECT spillpool.alter_table(t, memory_limit => '64MB', durability => 'none')
  FROM unnest(ARRAY['g1', 'g2', 'g3']::regclass[]) t;
DO $$
BEGIN
	FOR r IN 1..12 LOOP
		INSERT INTO g1 SELECT g, repeat('x', 200) FROM generate_series(1, 8000) g;
		COMMIT;
		INSERT INTO g2 SELECT g, repeat('x', 200) FROM generate_series(1, 8000) g;
		COMMIT;
		INSERT INTO g3 SELECT g, repeat('x', 200) FROM generate_series(1, 8000) g;
		COMMIT;
	END LOOP;
END
$$;
SELECT sum(memtable_bytes) <= pg_size_bytes(current_setting('spillpool.memory')) AS within_spillpool_memory,
	sum(spilled_rows) > 0 AS some_rows_spilled
  FROM spillpool.stats() WHERE table_name IN ('g1'::regclass, 'g2', 'g3');
SELECT (SELECT count(*) FROM g1) = 96000 AND (SELECT count(*) FROM g2) = 96000
	AND (SELECT count(*) FROM g3) = 96000 AS no_row_lost;
DROP TABLE g1, g2, g3;
