/* spillpool--0.4--0.5.sql: from 0.4 to 0.5 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION spillpool UPDATE TO '0.5'" to load this file. \quit

-- Lifecycle options: compaction by the background worker, retention and
-- snapshot expiry.  NULL means the default setting.
ALTER TABLE spillpool.table_options
	ADD COLUMN compact_target_size bigint,
	ADD COLUMN compact_min_shards int,
	ADD COLUMN retention_column text,
	ADD COLUMN retention interval,
	ADD COLUMN snapshot_retention interval;

DROP FUNCTION spillpool.alter_table(regclass, text, text, text, text, int,
	bigint, text, interval, text, text);
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
	durability text DEFAULT NULL,
	compact_target_size text DEFAULT NULL,
	compact_min_shards int DEFAULT NULL,
	retention_column text DEFAULT NULL,
	retention interval DEFAULT NULL,
	snapshot_retention interval DEFAULT NULL)
RETURNS void
	AS 'MODULE_PATHNAME', 'spillpool_alter_table'
	LANGUAGE C;

CREATE OR REPLACE VIEW spillpool.options AS
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
	coalesce(o.durability, current_setting('spillpool.default_durability')) AS durability,
	coalesce(o.compact_target_size, pg_size_bytes(current_setting('spillpool.compact_target_size'))) AS compact_target_size,
	coalesce(o.compact_min_shards, current_setting('spillpool.default_compact_min_shards')::int) AS compact_min_shards,
	o.retention_column,
	CASE WHEN o.retention > interval '0' THEN o.retention END AS retention,
	coalesce(o.snapshot_retention, current_setting('spillpool.default_snapshot_retention')::interval) AS snapshot_retention
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_am a ON a.oid = c.relam AND a.amname = 'spillpool'
LEFT JOIN spillpool.table_options o ON o.relid = c.oid
WHERE pg_catalog.has_table_privilege(c.oid, 'SELECT');

-- Retention on demand: drops the shards whose rows are all older than
-- older_than by the retention column (or column_name), in one snapshot
-- whose operation is "delete"; owner only.  Returns the rows dropped.
CREATE FUNCTION spillpool.drop_shards(rel regclass, older_than timestamptz,
	column_name text DEFAULT NULL)
RETURNS bigint
	AS 'MODULE_PATHNAME', 'spillpool_drop_shards'
	LANGUAGE C;

-- Snapshot expiry on demand (the background worker runs it too): expires
-- the snapshots committed before older_than (default: now minus the
-- table's snapshot_retention) and deletes the files only they referenced;
-- owner only.  Returns the number of snapshots expired.
CREATE FUNCTION spillpool.expire_snapshots(rel regclass, older_than timestamptz DEFAULT NULL)
RETURNS int
	AS 'MODULE_PATHNAME', 'spillpool_expire_snapshots'
	LANGUAGE C;

-- Iceberg: where the current (or previous) metadata file of a table is.
CREATE FUNCTION spillpool.iceberg_metadata_location(rel regclass, previous boolean DEFAULT false)
RETURNS text
	AS 'MODULE_PATHNAME', 'spillpool_iceberg_metadata_location'
	LANGUAGE C STRICT;

-- Every spillpool table as an Iceberg table, in the shape of the Iceberg
-- JDBC catalog's table (iceberg_type is the column its schema version V1
-- added), so that engines can use PostgreSQL as the catalog (read-only:
-- spillpool commits the snapshots).
CREATE VIEW spillpool.iceberg_tables AS
SELECT pg_catalog.current_database()::text AS catalog_name,
	n.nspname::text AS table_namespace,
	c.relname::text AS table_name,
	spillpool.iceberg_metadata_location(c.oid) AS metadata_location,
	spillpool.iceberg_metadata_location(c.oid, true) AS previous_metadata_location,
	'TABLE'::text AS iceberg_type
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am a ON a.oid = c.relam AND a.amname = 'spillpool'
WHERE c.relkind = 'r' AND pg_catalog.has_table_privilege(c.oid, 'SELECT');
GRANT SELECT ON spillpool.iceberg_tables TO PUBLIC;

-- The JDBC catalog's namespace table: a namespace exists when it holds a
-- spillpool table the caller may read (the catalog's "exists" property).
CREATE VIEW spillpool.iceberg_namespace_properties AS
SELECT DISTINCT catalog_name, table_namespace AS namespace,
	'exists'::text AS property_key, 'true'::text AS property_value
FROM spillpool.iceberg_tables;
GRANT SELECT ON spillpool.iceberg_namespace_properties TO PUBLIC;
