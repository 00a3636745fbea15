/* spillpool--0.3--0.4.sql: from 0.3 to 0.4 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION spillpool UPDATE TO '0.4'" to load this file. \quit

-- Every committed row has a position, a bigint that grows in commit order
-- and is never used twice.  spillpool.tail returns the rows after a
-- position, in position order, and can wait for the next commit:
--   SELECT t.position, (t.row).* FROM spillpool.tail(NULL::events, 0, 100) t;
CREATE FUNCTION spillpool.tail(rel anyelement, after bigint DEFAULT 0,
	max_rows integer DEFAULT 1000, wait interval DEFAULT '0')
RETURNS TABLE ("position" bigint, "row" anyelement)
	AS 'MODULE_PATHNAME', 'spillpool_tail'
	LANGUAGE C;

-- Consumers: a stored offset per table and name, moved by consume in the
-- caller's transaction.  Rows of tables the role may not read stay hidden;
-- only the extension's functions write the catalog.
CREATE TABLE spillpool.consumer_offsets (
	rel regclass NOT NULL,
	consumer text NOT NULL,
	owner regrole NOT NULL,
	position bigint NOT NULL CHECK (position >= 0),
	updated timestamptz NOT NULL,
	PRIMARY KEY (rel, consumer)
);
SELECT pg_catalog.pg_extension_config_dump('spillpool.consumer_offsets', '');
ALTER TABLE spillpool.consumer_offsets ENABLE ROW LEVEL SECURITY;
CREATE POLICY consumer_offsets_readable ON spillpool.consumer_offsets FOR SELECT
	USING (pg_catalog.has_table_privilege(rel, 'SELECT'));
GRANT SELECT ON spillpool.consumer_offsets TO PUBLIC;

CREATE FUNCTION spillpool.consume(rel anyelement, consumer text,
	max_rows integer DEFAULT 1000, wait interval DEFAULT '0')
RETURNS TABLE ("position" bigint, "row" anyelement)
	AS 'MODULE_PATHNAME', 'spillpool_consume'
	LANGUAGE C;

CREATE FUNCTION spillpool.reset_consumer(rel regclass, consumer text,
	"position" bigint DEFAULT 0)
RETURNS void
	AS 'MODULE_PATHNAME', 'spillpool_reset_consumer'
	LANGUAGE C;

CREATE FUNCTION spillpool.drop_consumer(rel regclass, consumer text)
RETURNS boolean
	AS 'MODULE_PATHNAME', 'spillpool_drop_consumer'
	LANGUAGE C;

-- The committed rows of a table after a position (the consumers' lag).
CREATE FUNCTION spillpool.position_lag(rel regclass, "position" bigint)
RETURNS bigint
	AS 'MODULE_PATHNAME', 'spillpool_position_lag'
	LANGUAGE C STRICT;

-- lag_time: how long the consumer has not moved while rows wait for it.
-- The view runs with the caller's rights, so the catalog's row-level
-- security applies before any condition of the caller's query.
CREATE VIEW spillpool.consumers WITH (security_invoker = true) AS
SELECT o.rel, o.consumer, o.owner, o.position,
	l.lag AS lag_rows,
	CASE WHEN l.lag > 0 THEN pg_catalog.now() - o.updated
		ELSE interval '0' END AS lag_time,
	o.updated
FROM spillpool.consumer_offsets o
CROSS JOIN LATERAL spillpool.position_lag(o.rel, o.position) AS l(lag)
WHERE pg_catalog.has_table_privilege(o.rel, 'SELECT');
GRANT SELECT ON spillpool.consumers TO PUBLIC;

-- Shards show the positions of their rows.
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
	OUT last_position bigint)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'spillpool_shards'
	LANGUAGE C STRICT;

-- Snapshots show what they did: append (a flush), replace (a compaction).
DROP FUNCTION spillpool.snapshots(regclass);
CREATE FUNCTION spillpool.snapshots(rel regclass,
	OUT snapshot_id bigint,
	OUT committed_at timestamptz,
	OUT shards int,
	OUT rows bigint,
	OUT operation text)
RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'spillpool_snapshots'
	LANGUAGE C STRICT;

-- Compaction: runs of small shards rewritten into larger ones, committed
-- as a "replace" snapshot; owner only.
CREATE FUNCTION spillpool.compact(rel regclass)
RETURNS bigint
	AS 'MODULE_PATHNAME', 'spillpool_compact'
	LANGUAGE C STRICT;
