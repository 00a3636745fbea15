--
-- cleanup: a table's directory $PGDATA/spillpool/<db oid>/<relfilenode>
-- follows its relation file: TRUNCATE and DROP remove the old directory when
-- they commit and keep it when they roll back; a rolled-back CREATE leaves
-- nothing behind; a rewrite moves the data to a new directory.
--
-- pg_ls_dir(dir, true, false) returns no rows for a missing directory, and
-- a table's directory always holds its seg/ subdirectory.
--
SET client_min_messages = warning;
CREATE SCHEMA sp_clean;
SET search_path = sp_clean, public;
RESET client_min_messages;
\set VERBOSITY terse

SELECT 'spillpool/' || oid AS dbdir FROM pg_database WHERE datname = current_database() \gset
-- true if the directory exists
CREATE FUNCTION sp_clean.dir_exists(dir text) RETURNS bool LANGUAGE sql AS $$
	SELECT count(*) > 0 FROM pg_ls_dir(dir, true, false)
$$;
-- the directory of a table's current relfilenode
CREATE FUNCTION sp_clean.table_dir(rel regclass) RETURNS text LANGUAGE sql AS $$
	SELECT format('spillpool/%s/%s',
		(SELECT oid FROM pg_database WHERE datname = current_database()),
		pg_relation_filenode(rel))
$$;
-- directories of this database that belong to no spillpool table
CREATE FUNCTION sp_clean.orphan_dirs() RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM pg_ls_dir(format('spillpool/%s',
		(SELECT oid FROM pg_database WHERE datname = current_database())), true, false) AS d
	WHERE d NOT IN (SELECT pg_relation_filenode(c.oid)::text
		FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'spillpool')
$$;

-- nothing is left over from the earlier tests
SELECT sp_clean.orphan_dirs() = 0 AS no_orphans;

--
-- CREATE makes the directory at once
--
CREATE TABLE c1 (id int, t text) USING spillpool;
SELECT sp_clean.table_dir('c1') AS dir \gset
SELECT sp_clean.dir_exists(:'dir') AS dir_exists,
	(SELECT count(*) FROM pg_ls_dir(:'dir') AS d WHERE d = 'seg') = 1 AS seg_exists,
	(SELECT count(*) FROM pg_ls_dir(:'dir' || '/seg')) = 0 AS seg_empty;
INSERT INTO c1 SELECT g, md5(g::text) FROM generate_series(1, 1000) g;
INSERT INTO c1 SELECT g, md5(g::text) FROM generate_series(1001, 2000) g;
SELECT (SELECT count(*) FROM pg_ls_dir(:'dir' || '/seg')) > 0 AS has_segments,
	(SELECT count(*) FROM c1) = 2000 AS rows_ok;

--
-- TRUNCATE rolled back: the old directory and the rows stay, the new
-- directory goes
--
BEGIN;
TRUNCATE c1;
SELECT sp_clean.table_dir('c1') AS newdir \gset
SELECT :'newdir' <> :'dir' AS new_relfilenode, sp_clean.dir_exists(:'newdir') AS newdir_exists,
	sp_clean.dir_exists(:'dir') AS olddir_exists_until_commit;
SELECT count(*) = 0 AS empty_in_xact FROM c1;
INSERT INTO c1 VALUES (-1, 'after truncate');
SELECT count(*) = 1 AS one_row_in_xact FROM c1;
ROLLBACK;
SELECT sp_clean.table_dir('c1') = :'dir' AS old_relfilenode,
	sp_clean.dir_exists(:'dir') AS olddir_exists,
	NOT sp_clean.dir_exists(:'newdir') AS newdir_gone;
SELECT count(*) = 2000 AS rows_still_there, sum(id) = 2001000 AS sum_ok,
	count(*) FILTER (WHERE id = -1) = 0 AS no_rolled_back_row FROM c1;
SELECT spilled_rows = 2000 AS stats_ok FROM spillpool.stats('c1');
SELECT sp_clean.orphan_dirs() = 0 AS no_orphans;

-- the same with a savepoint
BEGIN;
SAVEPOINT s1;
TRUNCATE c1;
SELECT sp_clean.table_dir('c1') AS newdir \gset
ROLLBACK TO SAVEPOINT s1;
SELECT NOT sp_clean.dir_exists(:'newdir') AS newdir_gone_at_rollback_to;
INSERT INTO c1 VALUES (2001, 'after savepoint');
COMMIT;
SELECT sp_clean.table_dir('c1') = :'dir' AS old_relfilenode, sp_clean.dir_exists(:'dir') AS olddir_exists,
	NOT sp_clean.dir_exists(:'newdir') AS newdir_gone;
SELECT count(*) = 2001 AS rows_ok FROM c1;

--
-- TRUNCATE committed: the old directory goes, the new one is empty
--
TRUNCATE c1;
SELECT sp_clean.table_dir('c1') AS newdir \gset
SELECT :'newdir' <> :'dir' AS new_relfilenode,
	NOT sp_clean.dir_exists(:'dir') AS olddir_gone,
	sp_clean.dir_exists(:'newdir') AS newdir_exists,
	(SELECT count(*) FROM pg_ls_dir(:'newdir' || '/seg')) = 0 AS new_seg_empty;
SELECT count(*) = 0 AS empty FROM c1;
SELECT memtable_rows = 0 AND segment_files = 0 AND spilled_rows = 0 AND spilled_bytes = 0 AND quota_used = 0 AS stats_zero
FROM spillpool.stats('c1');
-- the table works in its new directory
INSERT INTO c1 SELECT g, md5(g::text) FROM generate_series(1, 100) g;
SELECT count(*) = 100 AS rows_ok FROM c1;
SELECT spilled_rows = 100 AS stats_ok,
	(SELECT count(*) FROM spillpool.segments('c1')) > 0 AS has_segments,
	(SELECT bool_and(path LIKE :'newdir' || '/seg/%') FROM spillpool.segments('c1')) AS in_new_dir
FROM spillpool.stats('c1');
SELECT sp_clean.orphan_dirs() = 0 AS no_orphans;

-- two TRUNCATEs and inserts in one transaction: only the last state stays
SELECT sp_clean.table_dir('c1') AS dir \gset
BEGIN;
TRUNCATE c1;
INSERT INTO c1 VALUES (1, 'first');
TRUNCATE c1;
INSERT INTO c1 VALUES (2, 'second');
COMMIT;
SELECT array_agg(id) = '{2}' AS only_second FROM c1;
SELECT NOT sp_clean.dir_exists(:'dir') AS olddir_gone,
	sp_clean.dir_exists(sp_clean.table_dir('c1')) AS newdir_exists;
SELECT sp_clean.orphan_dirs() = 0 AS no_orphans;

--
-- DROP TABLE rolled back keeps the directory; committed removes it
--
SELECT sp_clean.table_dir('c1') AS dir \gset
BEGIN;
DROP TABLE c1;
ROLLBACK;
SELECT sp_clean.dir_exists(:'dir') AS dir_exists, (SELECT count(*) FROM c1) = 1 AS rows_ok;
BEGIN;
SAVEPOINT s1;
DROP TABLE c1;
ROLLBACK TO SAVEPOINT s1;
COMMIT;
SELECT sp_clean.dir_exists(:'dir') AS dir_exists_after_savepoint, (SELECT count(*) FROM c1) = 1 AS rows_ok;
DROP TABLE c1;
SELECT NOT sp_clean.dir_exists(:'dir') AS dir_gone;
SELECT sp_clean.orphan_dirs() = 0 AS no_orphans;

--
-- CREATE TABLE rolled back: its directory (and private files) go
--
BEGIN;
CREATE TABLE c2 (id int, t text) USING spillpool;
SELECT sp_clean.table_dir('c2') AS dir \gset
SELECT spillpool.alter_table('c2', memory_limit => '64kB') IS NOT NULL AS altered;
INSERT INTO c2 SELECT g, md5(g::text) FROM generate_series(1, 5000) g;
SELECT sp_clean.dir_exists(:'dir') AS dir_exists_in_xact, count(*) = 5000 AS rows_in_xact FROM c2;
ROLLBACK;
SELECT NOT sp_clean.dir_exists(:'dir') AS dir_gone;
SELECT sp_clean.orphan_dirs() = 0 AS no_orphans;
-- the same inside a savepoint
BEGIN;
SAVEPOINT s1;
CREATE TABLE c2 (id int) USING spillpool;
SELECT sp_clean.table_dir('c2') AS dir \gset
INSERT INTO c2 VALUES (1);
ROLLBACK TO SAVEPOINT s1;
SELECT NOT sp_clean.dir_exists(:'dir') AS dir_gone_at_rollback_to;
COMMIT;
SELECT NOT sp_clean.dir_exists(:'dir') AS dir_gone;

--
-- TRUNCATE of a table created in the same transaction empties it in place
--
BEGIN;
CREATE TABLE c3 (id int, t text) USING spillpool;
SELECT sp_clean.table_dir('c3') AS dir \gset
SELECT spillpool.alter_table('c3', memory_limit => '64kB') IS NOT NULL AS altered;
-- enough rows to outgrow memory_limit, so they are in a private file
INSERT INTO c3 SELECT g, md5(g::text) FROM generate_series(1, 5000) g;
TRUNCATE c3;
SELECT sp_clean.table_dir('c3') = :'dir' AS same_relfilenode, count(*) = 0 AS empty FROM c3;
SELECT (SELECT count(*) FROM pg_ls_dir(:'dir' || '/seg')) = 0 AS no_files_left;
INSERT INTO c3 SELECT g, 'kept' FROM generate_series(1, 10) g;
COMMIT;
SELECT count(*) = 10 AS rows_ok, bool_and(t = 'kept') AS only_new_rows FROM c3;
SELECT sp_clean.dir_exists(:'dir') AS dir_exists, spilled_rows = 10 AS stats_ok
FROM spillpool.stats('c3');
-- and rolled back, nothing of it remains
BEGIN;
CREATE TABLE c4 (id int) USING spillpool;
SELECT sp_clean.table_dir('c4') AS dir \gset
INSERT INTO c4 VALUES (1);
TRUNCATE c4;
INSERT INTO c4 VALUES (2);
ROLLBACK;
SELECT NOT sp_clean.dir_exists(:'dir') AS dir_gone;
SELECT sp_clean.orphan_dirs() = 0 AS no_orphans;

--
-- DROP DATABASE removes the database's directory
--
\set orig_db :DBNAME
CREATE DATABASE regress_spill_cleanup_db;
\c regress_spill_cleanup_db
SET client_min_messages = warning;
CREATE EXTENSION spillpool;
RESET client_min_messages;
CREATE TABLE d1 (id int) USING spillpool;
INSERT INTO d1 SELECT generate_series(1, 100);
SELECT 'spillpool/' || oid AS otherdbdir FROM pg_database WHERE datname = current_database() \gset
SELECT count(*) > 0 AS other_db_dir_exists FROM pg_ls_dir(:'otherdbdir', true, false);
\c :orig_db
SET search_path = sp_clean, public;
\set VERBOSITY terse
DROP DATABASE regress_spill_cleanup_db;
SELECT count(*) = 0 AS other_db_dir_gone FROM pg_ls_dir(:'otherdbdir', true, false);

--
-- rewrites (ALTER TABLE with a volatile default, SET ACCESS METHOD) move the
-- rows to a new relfilenode; the old directory goes
--
CREATE TABLE c5 (id int) USING spillpool;
INSERT INTO c5 SELECT generate_series(1, 1000);
SELECT sp_clean.table_dir('c5') AS dir \gset
ALTER TABLE c5 ADD COLUMN r float8 DEFAULT random();
SELECT sp_clean.table_dir('c5') <> :'dir' AS rewritten, NOT sp_clean.dir_exists(:'dir') AS olddir_gone,
	sp_clean.dir_exists(sp_clean.table_dir('c5')) AS newdir_exists;
SELECT count(*) = 1000 AS rows_ok, count(r) = 1000 AS new_column_filled, sum(id) = 500500 AS sum_ok FROM c5;
SELECT sp_clean.table_dir('c5') AS dir \gset
ALTER TABLE c5 ALTER COLUMN id TYPE bigint;
SELECT NOT sp_clean.dir_exists(:'dir') AS olddir_gone, count(*) = 1000 AS rows_ok, sum(id) = 500500 AS sum_ok FROM c5;
SELECT sp_clean.table_dir('c5') AS dir \gset
ALTER TABLE c5 SET ACCESS METHOD heap;
SELECT NOT sp_clean.dir_exists(:'dir') AS olddir_gone, count(*) = 1000 AS rows_ok FROM c5;
ALTER TABLE c5 SET ACCESS METHOD spillpool;
SELECT sp_clean.dir_exists(sp_clean.table_dir('c5')) AS dir_exists, count(*) = 1000 AS rows_ok FROM c5;
SELECT spilled_rows = 1000 AS stats_ok FROM spillpool.stats('c5');
-- a rewrite rolled back keeps the old directory
SELECT sp_clean.table_dir('c5') AS dir \gset
BEGIN;
ALTER TABLE c5 ADD COLUMN r2 float8 DEFAULT random();
SELECT sp_clean.table_dir('c5') AS newdir \gset
ROLLBACK;
SELECT sp_clean.dir_exists(:'dir') AS olddir_exists, NOT sp_clean.dir_exists(:'newdir') AS newdir_gone,
	count(*) = 1000 AS rows_ok FROM c5;
SELECT sp_clean.orphan_dirs() = 0 AS no_orphans;

--
-- DROP SCHEMA ... CASCADE removes every table's directory
--
CREATE TABLE c6 (id int) USING spillpool;
CREATE TABLE c7 (id int) USING spillpool;
INSERT INTO c6 VALUES (1);
INSERT INTO c7 VALUES (1);
SELECT sp_clean.table_dir('c6') AS dir6, sp_clean.table_dir('c7') AS dir7 \gset
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA sp_clean CASCADE;
RESET client_min_messages;
SELECT count(*) = 0 AS dirs_gone FROM pg_ls_dir(:'dir6', true, false);
SELECT count(*) = 0 AS dirs_gone FROM pg_ls_dir(:'dir7', true, false);
-- no directory of this database is left
SELECT count(*) = 0 AS database_dir_empty FROM pg_ls_dir(:'dbdir', true, false);

\set VERBOSITY default
