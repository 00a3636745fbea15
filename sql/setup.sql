--
-- setup: install the extension used by every later test file
--
CREATE EXTENSION spillpool;

-- the extension lives in its own schema and cannot be moved
SELECT extrelocatable, extnamespace::regnamespace AS schema, extversion
FROM pg_extension WHERE extname = 'spillpool';
\set VERBOSITY terse
ALTER EXTENSION spillpool SET SCHEMA public;
\set VERBOSITY default

-- the table access method exists
SELECT amname, amtype FROM pg_am WHERE amname = 'spillpool';

-- the documented interface exists with its signatures
SELECT to_regprocedure('spillpool.alter_table(regclass,text,text,text,text,integer,bigint,text,interval,text,text,text,integer,text,interval,interval,text,integer,text,integer,integer)') IS NOT NULL AS alter_table,
	to_regprocedure('spillpool.stats(regclass)') IS NOT NULL AS stats,
	to_regprocedure('spillpool.segments(regclass)') IS NOT NULL AS segments,
	to_regclass('spillpool.options') IS NOT NULL AS options_view;
SELECT attname, atttypid::regtype
FROM pg_attribute WHERE attrelid = 'spillpool.options'::regclass AND attnum > 0
ORDER BY attnum;
-- stats() defaults its argument to NULL (every table)
SELECT pg_get_function_arguments('spillpool.stats(regclass)'::regprocedure) LIKE 'rel regclass DEFAULT NULL%' AS stats_default_null;

-- the preload check passes in this server (it returns void, i.e. no error)
SELECT count(*) = 1 AS preloaded FROM (SELECT spillpool.require_preload()) s;

-- spillpool.memory is what the tests assume
SHOW spillpool.memory;

-- no spillpool table exists yet
SELECT count(*) AS spillpool_tables FROM spillpool.options;
SELECT count(*) AS stats_rows FROM spillpool.stats();
