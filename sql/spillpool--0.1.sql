/* spillpool--0.1.sql: spill-backed append-only tables */

\echo Use "CREATE EXTENSION spillpool" to load this file. \quit

-- Everyone may use the schema: the functions check privileges on the table.
GRANT USAGE ON SCHEMA spillpool TO PUBLIC;

-- Fails with a hint unless the library is in shared_preload_libraries.
CREATE FUNCTION spillpool.require_preload() RETURNS void
	AS 'MODULE_PATHNAME', 'spillpool_require_preload_sql'
	LANGUAGE C STRICT;
SELECT spillpool.require_preload();

CREATE FUNCTION spillpool.tableam_handler(internal) RETURNS table_am_handler
	AS 'MODULE_PATHNAME', 'spillpool_tableam_handler'
	LANGUAGE C STRICT;

CREATE ACCESS METHOD spillpool TYPE TABLE HANDLER spillpool.tableam_handler;
COMMENT ON ACCESS METHOD spillpool IS 'spill-backed append-only tables';

-- Per-table options; NULL means the spillpool.default_* setting.
CREATE TABLE spillpool.table_options (
	relid regclass PRIMARY KEY,
	memory_limit bigint,
	max_file_size bigint,
	spill_compression text,
	shard_compression text,
	compression_level int,
	flush_rows bigint,
	flush_bytes bigint,
	flush_interval interval,
	max_disk_size bigint,
	durability text
);
SELECT pg_catalog.pg_extension_config_dump('spillpool.table_options', '');
GRANT SELECT ON spillpool.table_options TO PUBLIC;

CREATE FUNCTION spillpool.alter_table(
	rel regclass,
	memory_limit text DEFAULT NULL,
	max_file_size text DEFAULT NULL,
	spill_compression text DEFAULT NULL,
	shard_compression text DEFAULT NULL,
	compression_level int DEFAULT NULL,
	flush_rows bigint DEFAULT NULL,
	flush_bytes text DEFAULT NULL,
	flush_interval interval DEFAULT NULL,
	max_disk_size text DEFAULT NULL,
	durability text DEFAULT NULL)
RETURNS void
	AS 'MODULE_PATHNAME', 'spillpool_alter_table'
	LANGUAGE C;

-- Every spillpool table of this database and its effective options.
CREATE VIEW spillpool.options AS
SELECT c.oid::regclass AS table_name,
	coalesce(o.memory_limit, pg_size_bytes(current_setting('spillpool.default_memory_limit'))) AS memory_limit,
	coalesce(o.max_file_size, pg_size_bytes(current_setting('spillpool.default_max_file_size'))) AS max_file_size,
	coalesce(o.spill_compression, current_setting('spillpool.default_spill_compression')) AS spill_compression,
	coalesce(o.shard_compression, current_setting('spillpool.default_shard_compression')) AS shard_compression,
	coalesce(o.compression_level, current_setting('spillpool.default_compression_level')::int) AS compression_level,
	coalesce(o.flush_rows, current_setting('spillpool.default_flush_rows')::bigint) AS flush_rows,
	coalesce(o.flush_bytes, pg_size_bytes(current_setting('spillpool.default_flush_bytes'))) AS flush_bytes,
	coalesce(o.flush_interval, current_setting('spillpool.default_flush_interval')::interval) AS flush_interval,
	coalesce(o.max_disk_size,
		CASE WHEN current_setting('spillpool.default_max_disk_size') = '-1' THEN -1
		ELSE pg_size_bytes(current_setting('spillpool.default_max_disk_size')) END) AS max_disk_size,
	coalesce(o.durability, current_setting('spillpool.default_durability')) AS durability
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_am a ON a.oid = c.relam AND a.amname = 'spillpool'
LEFT JOIN spillpool.table_options o ON o.relid = c.oid;
GRANT SELECT ON spillpool.options TO PUBLIC;

-- The counters of one table, as spillpool.stats() returns them.
CREATE TYPE spillpool.table_stats AS (
	table_name regclass,
	memtable_rows bigint,
	memtable_bytes bigint,
	segment_files bigint,
	spilled_rows bigint,
	spilled_bytes bigint,
	spilled_raw_bytes bigint,
	shards bigint,
	shard_rows bigint,
	shard_bytes bigint,
	flushes bigint,
	last_flush timestamptz,
	current_snapshot bigint,
	quota_used bigint
);

CREATE FUNCTION spillpool.table_stats(rel regclass)
RETURNS spillpool.table_stats
	AS 'MODULE_PATHNAME', 'spillpool_table_stats'
	LANGUAGE C STRICT;

-- Counters of one table, or of every spillpool table the caller may read.
CREATE FUNCTION spillpool.stats(rel regclass DEFAULT NULL)
RETURNS SETOF spillpool.table_stats
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM spillpool.require_preload();
	IF rel IS NOT NULL THEN
		RETURN QUERY SELECT * FROM spillpool.table_stats(rel);
		RETURN;
	END IF;
	RETURN QUERY
		SELECT s.*
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_am a ON a.oid = c.relam AND a.amname = 'spillpool'
		CROSS JOIN LATERAL spillpool.table_stats(c.oid::regclass) s
		WHERE pg_catalog.has_table_privilege(c.oid, 'SELECT')
		ORDER BY c.oid;
END
$$;

CREATE FUNCTION spillpool.segments(rel regclass,
	OUT seqno bigint,
	OUT path text,
	OUT rows bigint,
	OUT bytes bigint,
	OUT raw_bytes bigint,
	OUT status text)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'spillpool_segments'
	LANGUAGE C STRICT;

-- Flushes a table's committed rows into a Parquet shard now; returns the
-- snapshot id after the flush (the current one when there was nothing to
-- flush, 0 before the first flush).  The table's owner only.
CREATE FUNCTION spillpool.flush(rel regclass)
RETURNS bigint
	AS 'MODULE_PATHNAME', 'spillpool_flush'
	LANGUAGE C STRICT VOLATILE;

-- Flushes only when flush_rows, flush_bytes or flush_interval is reached;
-- returns the new snapshot id, or NULL when nothing was due.
CREATE FUNCTION spillpool.flush_if_due(rel regclass)
RETURNS bigint
	AS 'MODULE_PATHNAME', 'spillpool_flush_if_due'
	LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION spillpool.snapshots(rel regclass,
	OUT snapshot_id bigint,
	OUT committed_at timestamptz,
	OUT shards int,
	OUT rows bigint)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'spillpool_snapshots'
	LANGUAGE C STRICT;

CREATE FUNCTION spillpool.shards(rel regclass,
	OUT snapshot_id bigint,
	OUT path text,
	OUT rows bigint,
	OUT bytes bigint,
	OUT codec text,
	OUT row_groups int,
	OUT column_stats jsonb)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'spillpool_shards'
	LANGUAGE C STRICT;

-- Time travel: the rows of a table as of a snapshot, called as
-- spillpool.scan(NULL::events, 3); with snapshot NULL, the rows SELECT sees.
CREATE FUNCTION spillpool.scan(rel anyelement, snapshot bigint DEFAULT NULL)
RETURNS SETOF anyelement
	AS 'MODULE_PATHNAME', 'spillpool_scan'
	LANGUAGE C;

-- The rows of any flat Parquet file, with a column definition list naming
-- the columns to read: SELECT * FROM spillpool.read_parquet('/path/f.parquet')
-- AS t(id bigint, msg text).  Superusers and pg_read_server_files only.
CREATE FUNCTION spillpool.read_parquet(path text)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'spillpool_read_parquet'
	LANGUAGE C;
REVOKE ALL ON FUNCTION spillpool.read_parquet(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION spillpool.read_parquet(text) TO pg_read_server_files;
