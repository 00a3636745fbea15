/* spillpool--0.5--0.6.sql: from 0.5 to 0.6 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION spillpool UPDATE TO '0.6'" to load this file. \quit

-- Distances between vectors stored as real[], spelled as pgvector spells
-- them: <-> (Euclidean), <=> (cosine distance), <#> (negative inner
-- product).  A vector is a one-dimensional real[] without NULL elements,
-- NaN or infinities; both sides must have the same dimension.
CREATE FUNCTION spillpool.l2_distance(real[], real[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'spillpool_l2_distance'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION spillpool.cosine_distance(real[], real[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'spillpool_cosine_distance'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION spillpool.negative_inner_product(real[], real[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'spillpool_negative_inner_product'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR spillpool.<-> (
	LEFTARG = real[], RIGHTARG = real[], FUNCTION = spillpool.l2_distance,
	COMMUTATOR = OPERATOR(spillpool.<->));
CREATE OPERATOR spillpool.<=> (
	LEFTARG = real[], RIGHTARG = real[], FUNCTION = spillpool.cosine_distance,
	COMMUTATOR = OPERATOR(spillpool.<=>));
CREATE OPERATOR spillpool.<#> (
	LEFTARG = real[], RIGHTARG = real[], FUNCTION = spillpool.negative_inner_product,
	COMMUTATOR = OPERATOR(spillpool.<#>));

-- The embedding column of a table: a real[] column whose values must be
-- vectors of the given dimension (checked at insert), and the metric its
-- nearest-neighbour queries use.  NULL means none (metric: l2).
ALTER TABLE spillpool.table_options
	ADD COLUMN embedding_column text,
	ADD COLUMN embedding_dimension int,
	ADD COLUMN embedding_metric text,
	ADD COLUMN index_m int,
	ADD COLUMN index_ef_construction int;

DROP FUNCTION spillpool.alter_table(regclass, text, text, text, text, int,
	bigint, text, interval, text, text, text, int, text, interval, interval);
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
	snapshot_retention interval DEFAULT NULL,
	embedding_column text DEFAULT NULL,
	embedding_dimension int DEFAULT NULL,
	embedding_metric text DEFAULT NULL,
	index_m int DEFAULT NULL,
	index_ef_construction int DEFAULT NULL)
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
	coalesce(o.snapshot_retention, current_setting('spillpool.default_snapshot_retention')::interval) AS snapshot_retention,
	nullif(o.embedding_column, '') AS embedding_column,
	CASE WHEN nullif(o.embedding_column, '') IS NOT NULL THEN o.embedding_dimension END AS embedding_dimension,
	CASE WHEN nullif(o.embedding_column, '') IS NOT NULL THEN coalesce(o.embedding_metric, 'l2') END AS embedding_metric,
	coalesce(o.index_m, current_setting('spillpool.default_index_m')::int) AS index_m,
	coalesce(o.index_ef_construction, current_setting('spillpool.default_index_ef_construction')::int) AS index_ef_construction
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_am a ON a.oid = c.relam AND a.amname = 'spillpool'
LEFT JOIN spillpool.table_options o ON o.relid = c.oid
WHERE pg_catalog.has_table_privilege(c.oid, 'SELECT');

-- The k rows of a table nearest to a query vector by the table's
-- embedding metric, nearest first: the same query as
--   SELECT * FROM t ORDER BY embedding <-> query LIMIT k
-- (with the metric's operator), which the planner runs as SpillpoolKnn.
CREATE FUNCTION spillpool.knn(tbl anyelement, query real[], k int)
RETURNS SETOF anyelement
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel regclass;
	col text;
	metric text;
BEGIN
	SELECT t.typrelid::regclass INTO rel FROM pg_type t
	WHERE t.oid = pg_typeof(tbl) AND t.typrelid <> 0;
	IF rel IS NULL THEN
		RAISE EXCEPTION 'spillpool.knn needs a row of a table, not %', pg_typeof(tbl)
			USING ERRCODE = 'datatype_mismatch',
			HINT = 'Pass NULL::tablename as the first argument.';
	END IF;
	SELECT o.embedding_column, o.embedding_metric INTO col, metric
	FROM spillpool.options o WHERE o.table_name = rel;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'relation "%" is not a spillpool table', rel
			USING ERRCODE = 'wrong_object_type';
	END IF;
	IF col IS NULL THEN
		RAISE EXCEPTION 'spillpool table "%" has no embedding column', rel
			USING ERRCODE = 'object_not_in_prerequisite_state',
			HINT = 'Set one with spillpool.alter_table(embedding_column => ..., embedding_dimension => ...).';
	END IF;
	IF k IS NULL OR k < 0 THEN
		RAISE EXCEPTION 'k must be zero or more, not %', coalesce(k::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY EXECUTE format('SELECT * FROM %s ORDER BY %I OPERATOR(spillpool.%s) $1 LIMIT %s',
		rel, col,
		CASE metric WHEN 'cosine' THEN '<=>' WHEN 'inner_product' THEN '<#>' ELSE '<->' END,
		k) USING query;
END
$$;

-- Shards show their HNSW index: its path and the vectors it holds (NULL
-- for a shard without one).
DROP FUNCTION spillpool.shards(regclass);
CREATE FUNCTION spillpool.shards(rel regclass,
	OUT snapshot_id bigint,
	OUT path text,
	OUT rows bigint,
	OUT bytes bigint,
	OUT codec text,
	OUT row_groups int,
	OUT column_stats jsonb,
	OUT first_position bigint,
	OUT last_position bigint,
	OUT index_path text,
	OUT index_vectors bigint)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'spillpool_shards'
	LANGUAGE C STRICT;
