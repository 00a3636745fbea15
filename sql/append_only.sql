--
-- append_only: statements that would change or lock existing rows are
-- refused with SQLSTATE 0A000 (feature_not_supported) before anything runs,
-- also when no row matches, and the table is unchanged afterwards.
--
SET client_min_messages = warning;
CREATE SCHEMA sp_ao;
SET search_path = sp_ao, public;
RESET client_min_messages;

-- runs one statement; returns 'ok' or 'SQLSTATE: message'
CREATE FUNCTION sp_ao.try(stmt text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;

CREATE TABLE ao (id int, v text) USING spillpool;
INSERT INTO ao SELECT g, 'v' || g FROM generate_series(1, 100) g;
CREATE TABLE ao_empty (id int, v text) USING spillpool;
CREATE TABLE src (id int, v text);
INSERT INTO src SELECT g, 'src' || g FROM generate_series(1, 200) g;

-- a fingerprint of the table's contents, in scan order
CREATE VIEW ao_state AS
SELECT count(*) AS n, sum(id) AS sum_id, md5(string_agg(id || ':' || v, ',')) AS digest FROM ao;
CREATE TEMP TABLE before AS SELECT * FROM ao_state;
SELECT n, sum_id FROM before;

-- the refusal carries a hint
\set VERBOSITY default
UPDATE ao SET v = 'changed';
DELETE FROM ao WHERE false;
\set VERBOSITY terse

-- every refused statement, on rows that match, on no matching row, and on an
-- empty table
SELECT stmt, sp_ao.try(stmt) AS result FROM (VALUES
	('UPDATE ao SET v = ''x'''),
	('UPDATE ao SET v = ''x'' WHERE id = 1'),
	('UPDATE ao SET v = ''x'' WHERE false'),
	('UPDATE ao SET v = ''x'' WHERE id < 0'),
	('UPDATE ao_empty SET v = ''x'''),
	('UPDATE ao SET v = src.v FROM src WHERE src.id = ao.id'),
	('UPDATE ao SET v = ''x'' RETURNING *'),
	('DELETE FROM ao'),
	('DELETE FROM ao WHERE id = 1'),
	('DELETE FROM ao WHERE false'),
	('DELETE FROM ao WHERE id < 0'),
	('DELETE FROM ao_empty'),
	('DELETE FROM ao USING src WHERE src.id = ao.id'),
	('DELETE FROM ao RETURNING *'),
	('MERGE INTO ao USING src ON ao.id = src.id WHEN MATCHED THEN UPDATE SET v = src.v'),
	('MERGE INTO ao USING src ON ao.id = src.id WHEN MATCHED THEN DELETE'),
	('MERGE INTO ao USING src ON ao.id = src.id WHEN NOT MATCHED THEN INSERT VALUES (src.id, src.v)'),
	('MERGE INTO ao USING src ON ao.id = src.id WHEN MATCHED THEN DO NOTHING'),
	('MERGE INTO ao USING (SELECT 1 AS id WHERE false) s ON ao.id = s.id WHEN MATCHED THEN DELETE'),
	('MERGE INTO ao_empty USING src ON ao_empty.id = src.id WHEN MATCHED THEN DELETE'),
	('INSERT INTO ao VALUES (1, ''dup'') ON CONFLICT DO NOTHING'),
	('INSERT INTO ao SELECT * FROM src WHERE false ON CONFLICT DO NOTHING'),
	('INSERT INTO ao_empty VALUES (1, ''new'') ON CONFLICT DO NOTHING'),
	('SELECT * FROM ao FOR UPDATE'),
	('SELECT * FROM ao FOR NO KEY UPDATE'),
	('SELECT * FROM ao FOR SHARE'),
	('SELECT * FROM ao FOR KEY SHARE'),
	('SELECT * FROM ao WHERE false FOR UPDATE'),
	('SELECT * FROM ao FOR UPDATE SKIP LOCKED'),
	('SELECT * FROM ao FOR SHARE NOWAIT'),
	('SELECT * FROM ao_empty FOR UPDATE'),
	('SELECT * FROM src JOIN ao USING (id) FOR UPDATE'),
	('SELECT * FROM src JOIN ao USING (id) FOR UPDATE OF ao'),
	('SELECT * FROM (SELECT * FROM ao FOR SHARE) s'),
	('WITH d AS (DELETE FROM ao RETURNING *) SELECT count(*) FROM d'),
	('WITH d AS (DELETE FROM ao WHERE false RETURNING *) SELECT count(*) FROM d'),
	('WITH u AS (UPDATE ao SET v = ''x'' RETURNING *) SELECT count(*) FROM u'),
	('WITH d AS (DELETE FROM ao_empty RETURNING *) SELECT count(*) FROM d'),
	('WITH d AS (DELETE FROM ao WHERE false RETURNING *) INSERT INTO ao SELECT * FROM d'),
	('WITH i AS (INSERT INTO ao VALUES (1000, ''new'') RETURNING *) DELETE FROM ao WHERE false'),
	('WITH i AS (INSERT INTO ao VALUES (1000, ''new'') RETURNING *) UPDATE ao SET v = ''x'' WHERE false'),
	('WITH d AS (DELETE FROM ao WHERE false RETURNING *) INSERT INTO src SELECT * FROM d'),
	('CREATE INDEX ON ao (id)'),
	('CREATE UNIQUE INDEX ON ao (id)'),
	('CREATE INDEX ON ao_empty (id)'),
	('CREATE INDEX ON ao USING hash (id)'),
	('CREATE INDEX ON ao USING brin (id)'),
	('ALTER TABLE ao ADD PRIMARY KEY (id)'),
	('ALTER TABLE ao ADD UNIQUE (id)'),
	('ALTER TABLE ao_empty ADD PRIMARY KEY (id)')
) AS v(stmt);

-- statements that cannot run inside a function
VACUUM FULL ao;
\echo :SQLSTATE
VACUUM FULL ao_empty;
\echo :SQLSTATE
VACUUM (FULL, ANALYZE) ao;
\echo :SQLSTATE
-- no index can exist, so CLUSTER has nothing to cluster on
CLUSTER ao;
\echo :SQLSTATE

-- nothing changed: no index was created, the rows are the same
SELECT count(*) AS indexes FROM pg_index WHERE indrelid IN ('ao'::regclass, 'ao_empty'::regclass);
SELECT count(*) AS constraints FROM pg_constraint WHERE conrelid IN ('ao'::regclass, 'ao_empty'::regclass);
SELECT s.n = b.n AS same_count, s.sum_id = b.sum_id AS same_sum, s.digest = b.digest AS same_rows
FROM ao_state s, before b;
SELECT count(*) AS empty_rows FROM ao_empty;
SELECT count(*) = 200 AS src_unchanged FROM src;

-- the same statements in other guises: prepared, in PL/pgSQL, in SQL
-- functions, through a view, and through a partitioned or inherited parent
PREPARE del AS DELETE FROM ao WHERE id = $1;
EXECUTE del(1);
PREPARE upd AS UPDATE ao SET v = $1 WHERE false;
EXECUTE upd('x');
DEALLOCATE del;
DEALLOCATE upd;
DO $$ BEGIN DELETE FROM sp_ao.ao WHERE false; END $$;
DO $$ BEGIN PERFORM * FROM sp_ao.ao FOR UPDATE; END $$;
CREATE FUNCTION sp_ao.del_sql() RETURNS void LANGUAGE sql AS 'DELETE FROM sp_ao.ao WHERE false';
SELECT sp_ao.del_sql();
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM ao FOR UPDATE;
ROLLBACK;
CREATE VIEW ao_view AS SELECT * FROM ao;
UPDATE ao_view SET v = 'x' WHERE id = 1;
DELETE FROM ao_view WHERE false;

CREATE TABLE part (id int, v text) PARTITION BY RANGE (id);
CREATE TABLE part_sp PARTITION OF part FOR VALUES FROM (0) TO (1000) USING spillpool;
CREATE TABLE part_heap PARTITION OF part FOR VALUES FROM (1000) TO (2000);
INSERT INTO part VALUES (1, 'spill'), (1500, 'heap');
SELECT tableoid::regclass AS partition, id, v FROM part ORDER BY id;
UPDATE part SET v = 'x' WHERE id = 1;
UPDATE part SET v = 'x';
DELETE FROM part WHERE id < 1000;
DELETE FROM part;
SELECT * FROM part FOR UPDATE;
-- statements that touch only the heap partition work
UPDATE part SET v = 'heap2' WHERE id = 1500;
SELECT tableoid::regclass AS partition, id, v FROM part ORDER BY id;

CREATE TABLE inh_parent (id int, v text);
CREATE TABLE inh_child () INHERITS (inh_parent) USING spillpool;
INSERT INTO inh_child VALUES (1, 'child');
INSERT INTO inh_parent VALUES (2, 'parent');
-- the child is a target even when no row of it matches
DELETE FROM inh_parent WHERE id = 2;
UPDATE inh_parent SET v = 'x' WHERE id = 2;
UPDATE inh_parent SET v = 'x';
DELETE FROM ONLY inh_parent WHERE id = 2;
SELECT tableoid::regclass AS tab, id, v FROM inh_parent ORDER BY id;

-- a refused statement aborts its transaction, taking the transaction's
-- earlier inserts with it
BEGIN;
INSERT INTO ao VALUES (2000, 'in failed xact');
DELETE FROM ao WHERE false;
COMMIT;
SELECT count(*) FILTER (WHERE id = 2000) AS failed_xact_rows FROM ao;
-- ... and a savepoint keeps the rest of the transaction
BEGIN;
INSERT INTO ao VALUES (101, 'v101');
SAVEPOINT s;
UPDATE ao SET v = 'x' WHERE false;
ROLLBACK TO SAVEPOINT s;
INSERT INTO ao VALUES (102, 'v102');
COMMIT;
SELECT id, v FROM ao WHERE id > 100 ORDER BY id;

-- what stays possible: INSERT, COPY, SELECT, and reading into other tables
INSERT INTO ao VALUES (103, 'v103');
COPY ao FROM STDIN;
104	v104
\.
SELECT count(*) = 104 AS ok, sum(id) = 5460 AS sum_ok FROM ao;
SELECT count(*) AS locked_heap_rows
FROM (SELECT src.id FROM src JOIN ao USING (id) WHERE src.id <= 3 FOR UPDATE OF src) s;
SELECT id, v FROM ao WHERE id <= 3 ORDER BY id;

-- temporary tables are refused, whichever way the access method is chosen
CREATE TEMP TABLE tmp_sp (a int) USING spillpool;
\echo :SQLSTATE
SET default_table_access_method = spillpool;
CREATE TEMP TABLE tmp_sp2 (a int);
\echo :SQLSTATE
CREATE TEMP TABLE tmp_sp3 AS SELECT 1 AS a;
\echo :SQLSTATE
-- ordinary tables then use it
CREATE TABLE dflt (a int);
RESET default_table_access_method;
SELECT c.relname, a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
WHERE c.relname IN ('dflt', 'tmp_sp', 'tmp_sp2', 'tmp_sp3') ORDER BY 1;
-- unlogged tables are fine
CREATE UNLOGGED TABLE ul (a int) USING spillpool;
INSERT INTO ul VALUES (1), (2);
SELECT count(*) AS unlogged_rows FROM ul;

\set VERBOSITY default
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA sp_ao CASCADE;
RESET client_min_messages;
