/* spillpool--0.1--0.2.sql: from 0.1 to 0.2 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION spillpool UPDATE TO '0.2'" to load this file. \quit

-- 0.2 stores values that arrive compressed as their plain values, so that a
-- flush writes the values themselves into the shard; 0.1 wrote their
-- compressed bytes.  This finds and recovers such values in shards of 0.1.
-- Values that spillpool 0.1 wrote into shards in their compressed form (a
-- flush wrote a value that had arrived compressed inline as its compressed
-- bytes): the original bytes when the value is such a payload, else NULL.
-- SELECT id FROM events WHERE spillpool.compressed_payload(msg) IS NOT NULL;
CREATE FUNCTION spillpool.compressed_payload(value bytea)
RETURNS bytea
	AS 'MODULE_PATHNAME', 'spillpool_compressed_payload'
	LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spillpool.compressed_payload(value text)
RETURNS bytea
	AS 'MODULE_PATHNAME', 'spillpool_compressed_payload'
	LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spillpool.compressed_payload(value json)
RETURNS bytea
	AS 'MODULE_PATHNAME', 'spillpool_compressed_payload'
	LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION spillpool.compressed_payload(value bpchar)
RETURNS bytea
	AS 'MODULE_PATHNAME', 'spillpool_compressed_payload'
	LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
