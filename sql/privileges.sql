--
-- privileges: stats() and segments() need SELECT on the table, alter_table()
-- needs ownership; stats(), the options view and the options catalog list
-- only the tables the caller may read; the options catalog cannot be
-- written around alter_table().  Nothing here grants anything on the
-- extension's schema: the extension must work for ordinary roles as
-- installed.
--
SET client_min_messages = warning;
CREATE SCHEMA sp_priv;
SET search_path = sp_priv, public;
RESET client_min_messages;
\set VERBOSITY terse

CREATE ROLE regress_spill_reader;
CREATE ROLE regress_spill_owner;
GRANT USAGE ON SCHEMA sp_priv TO regress_spill_reader, regress_spill_owner;
GRANT CREATE ON SCHEMA sp_priv TO regress_spill_owner;

-- runs one statement; returns its SQLSTATE and message ('ok' if none)
CREATE FUNCTION sp_priv.err(stmt text, OUT code text, OUT message text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	code := 'ok';
EXCEPTION WHEN OTHERS THEN
	code := SQLSTATE;
	message := SQLERRM;
END
$$;

-- a table of the superuser, and one of an ordinary role
CREATE TABLE pr1 (id int, t text) USING spillpool;
INSERT INTO pr1 SELECT g, md5(g::text) FROM generate_series(1, 1000) g;
SET ROLE regress_spill_owner;
CREATE TABLE sp_priv.pr2 (id int) USING spillpool;
INSERT INTO sp_priv.pr2 SELECT generate_series(1, 10);
RESET ROLE;
SELECT relname, pg_get_userbyid(relowner) = 'regress_spill_owner' AS owned_by_role FROM pg_class
WHERE relname IN ('pr1', 'pr2') AND relnamespace = 'sp_priv'::regnamespace ORDER BY 1;

-- pr1 has a row in the options catalog
SELECT spillpool.alter_table('pr1', memory_limit => '64MB');
SELECT count(*) AS all_options FROM spillpool.table_options
WHERE relid IN ('sp_priv.pr1'::regclass, 'sp_priv.pr2'::regclass);

--
-- a role without privileges
--
SET ROLE regress_spill_reader;
SELECT current_user;
SELECT v.label, e.code, e.message
FROM (VALUES
	('select', $$SELECT count(*) FROM sp_priv.pr1$$),
	('insert', $$INSERT INTO sp_priv.pr1 VALUES (0, 'x')$$),
	('stats', $$SELECT * FROM spillpool.stats('sp_priv.pr1')$$),
	('segments', $$SELECT * FROM spillpool.segments('sp_priv.pr1')$$),
	('alter_table', $$SELECT spillpool.alter_table('sp_priv.pr1', memory_limit => '1MB')$$),
	('alter_table other', $$SELECT spillpool.alter_table('sp_priv.pr2', memory_limit => '1MB')$$),
	('write options', $$INSERT INTO spillpool.table_options (relid, memory_limit) VALUES ('sp_priv.pr1', 65536)$$),
	('update options', $$UPDATE spillpool.table_options SET memory_limit = 65536$$),
	('delete options', $$DELETE FROM spillpool.table_options$$)
) AS v(label, stmt), LATERAL sp_priv.err(v.stmt) e;
-- stats() without an argument skips what the role may not read
SELECT count(*) AS visible_tables FROM spillpool.stats();
SELECT count(*) AS visible_tables FROM spillpool.stats(NULL);
-- the options view and the options catalog show no table the role may
-- not read
SELECT table_name, memory_limit FROM spillpool.options
WHERE table_name::text IN ('pr1', 'pr2') ORDER BY 1::text;
SELECT count(*) AS visible_options FROM spillpool.table_options;
RESET ROLE;

--
-- after GRANT SELECT: stats and segments work, alter_table still does not
--
GRANT SELECT ON pr1 TO regress_spill_reader;
SET ROLE regress_spill_reader;
SELECT count(*) = 1000 AS can_read FROM pr1;
SELECT table_name, spilled_rows = 1000 AS spilled_rows_ok, segment_files >= 1 AS has_files
FROM spillpool.stats('sp_priv.pr1');
SELECT count(*) >= 1 AS has_segments, sum(rows) = 1000 AS rows_ok,
	bool_and(path LIKE 'spillpool/%/seg/%.seg') AS relative_paths
FROM spillpool.segments('sp_priv.pr1');
-- only the readable table is listed, by stats(), the options view and
-- the options catalog
SELECT table_name FROM spillpool.stats() ORDER BY 1::text;
SELECT table_name FROM spillpool.options WHERE table_name::text IN ('pr1', 'pr2');
SELECT relid, memory_limit FROM spillpool.table_options;
SELECT v.label, e.code, e.message
FROM (VALUES
	('alter_table', $$SELECT spillpool.alter_table('sp_priv.pr1', memory_limit => '1MB')$$),
	('alter_table no-op', $$SELECT spillpool.alter_table('sp_priv.pr1')$$),
	('stats other', $$SELECT * FROM spillpool.stats('sp_priv.pr2')$$),
	('segments other', $$SELECT * FROM spillpool.segments('sp_priv.pr2')$$),
	('insert', $$INSERT INTO sp_priv.pr1 VALUES (0, 'x')$$),
	('truncate', $$TRUNCATE sp_priv.pr1$$)
) AS v(label, stmt), LATERAL sp_priv.err(v.stmt) e;
RESET ROLE;
SELECT memory_limit = 64 * 1024 * 1024 AS pr1_options_unchanged
FROM spillpool.options WHERE table_name = 'pr1'::regclass;
SELECT count(*) = 1000 AS pr1_rows_unchanged FROM pr1;

-- a role that may only INSERT writes with the table's options, which the
-- options catalog does not show it: durability 'none' keeps its rows in
-- memory, where the default durability would write a segment file
CREATE TABLE pr4 (id int) USING spillpool;
SELECT spillpool.alter_table('pr4', durability => 'none');
GRANT INSERT ON pr4 TO regress_spill_reader;
\c -
SET search_path = sp_priv, public;
SET ROLE regress_spill_reader;
SELECT count(*) AS visible_options FROM spillpool.table_options WHERE relid = 'sp_priv.pr4'::regclass;
INSERT INTO sp_priv.pr4 SELECT generate_series(1, 100);
RESET ROLE;
SELECT memtable_rows, segment_files FROM spillpool.stats('pr4');

-- the catalog is read as its owner, but with the system's operators only:
-- a role's own "=" or "*" on its search_path never runs with the owner's
-- rights
CREATE SCHEMA sp_evil AUTHORIZATION regress_spill_reader;
\c -
SET search_path = sp_priv, public;
SET ROLE regress_spill_reader;
CREATE FUNCTION sp_evil.eq(oid, oid) RETURNS bool LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE 'own operator ran as %', current_user;
	RETURN $1 OPERATOR(pg_catalog.=) $2;
END $$;
CREATE OPERATOR sp_evil.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = sp_evil.eq);
CREATE FUNCTION sp_evil.mul(numeric, int) RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
	RAISE NOTICE 'own operator ran as %', current_user;
	RETURN $1 OPERATOR(pg_catalog.*) $2;
END $$;
CREATE OPERATOR sp_evil.* (LEFTARG = numeric, RIGHTARG = int, FUNCTION = sp_evil.mul);
SET search_path = sp_evil, pg_catalog;
INSERT INTO sp_priv.pr4 VALUES (101);
RESET search_path;
RESET ROLE;
SET client_min_messages = warning;
DROP SCHEMA sp_evil CASCADE;
RESET client_min_messages;
SET search_path = sp_priv, public;

-- a column privilege is not SELECT on the table
CREATE TABLE pr3 (id int, secret text) USING spillpool;
GRANT SELECT (id) ON pr3 TO regress_spill_reader;
SET ROLE regress_spill_reader;
SELECT count(id) AS readable_column FROM sp_priv.pr3;
SELECT e.code, e.message FROM sp_priv.err($$SELECT * FROM spillpool.stats('sp_priv.pr3')$$) e;
RESET ROLE;

--
-- the owner, an ordinary role, may change its table's options
--
SET ROLE regress_spill_owner;
SELECT spillpool.alter_table('sp_priv.pr2', memory_limit => '1MB', spill_compression => 'zstd');
-- the role is unchanged afterwards
SELECT current_user;
SELECT memory_limit, spill_compression FROM spillpool.options WHERE table_name = 'sp_priv.pr2'::regclass;
SELECT spilled_rows = 10 AS own_stats_ok FROM spillpool.stats('sp_priv.pr2');
-- but not those of somebody else's table, nor write the catalog directly
SELECT v.label, e.code, e.message
FROM (VALUES
	('alter_table', $$SELECT spillpool.alter_table('sp_priv.pr1', memory_limit => '1MB')$$),
	('write options', $$UPDATE spillpool.table_options SET memory_limit = 65536 WHERE relid = 'sp_priv.pr2'::regclass$$)
) AS v(label, stmt), LATERAL sp_priv.err(v.stmt) e;
-- invalid values are still checked for the owner
SELECT e.code, e.message FROM sp_priv.err($$SELECT spillpool.alter_table('sp_priv.pr2', memory_limit => '1GB')$$) e;
INSERT INTO pr2 SELECT generate_series(11, 20);
SELECT count(*) = 20 AS ok FROM pr2;
RESET ROLE;

-- membership in the owning role is enough
GRANT regress_spill_owner TO regress_spill_reader;
SET ROLE regress_spill_reader;
SELECT spillpool.alter_table('sp_priv.pr2', max_file_size => '1MB');
SELECT max_file_size FROM spillpool.options WHERE table_name = 'sp_priv.pr2'::regclass;
SELECT table_name FROM spillpool.stats() ORDER BY 1::text;
RESET ROLE;
REVOKE regress_spill_owner FROM regress_spill_reader;

-- the superuser sees every table
SELECT table_name FROM spillpool.stats()
WHERE table_name::text IN ('pr1', 'pr2', 'pr3') ORDER BY 1::text;

-- clean up
\set VERBOSITY default
RESET search_path;
DROP OWNED BY regress_spill_reader, regress_spill_owner;
SET client_min_messages = warning;
DROP SCHEMA sp_priv CASCADE;
RESET client_min_messages;
DROP ROLE regress_spill_reader;
DROP ROLE regress_spill_owner;
SELECT count(*) AS roles_left FROM pg_roles WHERE rolname LIKE 'regress_spill%';
