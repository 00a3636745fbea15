/* spillpool--0.2--0.3.sql: from 0.2 to 0.3 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION spillpool UPDATE TO '0.3'" to load this file. \quit

-- A role sees the options of the spillpool tables it may read, and of no
-- other: the options catalog shows each role only the rows of tables it has
-- SELECT on (row-level security; the extension's owner, who writes it for
-- alter_table, sees every row), and so does the options view.
ALTER TABLE spillpool.table_options ENABLE ROW LEVEL SECURITY;
CREATE POLICY table_options_readable ON spillpool.table_options FOR SELECT
	USING (pg_catalog.has_table_privilege(relid, 'SELECT'));

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
	coalesce(o.durability, current_setting('spillpool.default_durability')) AS durability
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_am a ON a.oid = c.relam AND a.amname = 'spillpool'
LEFT JOIN spillpool.table_options o ON o.relid = c.oid
WHERE pg_catalog.has_table_privilege(c.oid, 'SELECT');
