--
-- vectors: the distance operators on real[] (<-> l2, <=> cosine, <#>
-- negative inner product, as pgvector spells them), their errors, and
-- exact nearest neighbours over a spillpool table in every tier compared
-- with a heap copy.
--
SET client_min_messages = warning;
CREATE SCHEMA sp_vec;
SET search_path = sp_vec, spillpool, public;
RESET client_min_messages;

-- values: 3-4-5, orthogonal, opposite, and the commutators
SELECT '{0,0}'::real[] <-> '{3,4}'::real[] AS l2,
	'{1,0}'::real[] <=> '{0,1}'::real[] AS cos_orthogonal,
	'{1,2}'::real[] <=> '{2,4}'::real[] AS cos_same_direction,
	'{1,0}'::real[] <=> '{-1,0}'::real[] AS cos_opposite,
	'{1,2,3}'::real[] <#> '{4,5,6}'::real[] AS neg_inner,
	('{1,2,3}'::real[] <-> '{4,5,6}'::real[]) = ('{4,5,6}'::real[] <-> '{1,2,3}'::real[]) AS commutes;
SELECT '{}'::real[] <-> '{}'::real[] AS empty_l2;
-- the cosine of a zero vector has no value: NaN, as pgvector returns
SELECT '{0,0}'::real[] <=> '{1,1}'::real[] AS cos_zero;
-- NULL in, NULL out
SELECT NULL::real[] <-> '{1}'::real[] AS null_vector;
-- the sum is taken in double precision
SELECT round(('{0.1,0.2,0.3}'::real[] <-> '{0.3,0.2,0.1}'::real[])::numeric, 12) AS l2_small;

-- errors
SELECT '{1,2,3}'::real[] <-> '{1,2}'::real[];
SELECT '{1,NULL}'::real[] <-> '{1,2}'::real[];
SELECT '{1,NaN}'::real[] <=> '{1,2}'::real[];
SELECT '{1,2}'::real[] <#> '{Infinity,2}'::real[];
SELECT '{{1,2},{3,4}}'::real[] <-> '{{1,2},{3,4}}'::real[];

-- k nearest neighbours over every tier: shards, segments, memtable and the
-- transaction's own rows, exact, against a heap copy
CREATE TABLE items (id int, embedding real[]) USING spillpool;
CREATE TABLE items_ref (id int, embedding real[]);
INSERT INTO items SELECT g, ARRAY[sin(g), cos(g), sin(g * 0.5)]::real[] FROM generate_series(1, 300) g;
SELECT spillpool.flush('items') > 0 AS flushed;
SELECT spillpool.alter_table('items', memory_limit => '64kB');
INSERT INTO items SELECT g, ARRAY[sin(g), cos(g), sin(g * 0.5)]::real[] FROM generate_series(301, 600) g;
BEGIN;
INSERT INTO items SELECT g, ARRAY[sin(g), cos(g), sin(g * 0.5)]::real[] FROM generate_series(601, 620) g;
INSERT INTO items_ref SELECT * FROM items;
SELECT (SELECT shard_rows FROM spillpool.stats('items')) > 0 AS in_shards,
	(SELECT spilled_rows FROM spillpool.stats('items')) > 0 AS in_segments;
SELECT count(*) AS differ FROM (
	(SELECT id FROM items ORDER BY embedding <-> '{0.5,0.5,0.5}', id LIMIT 10)
	EXCEPT ALL
	(SELECT id FROM items_ref ORDER BY embedding <-> '{0.5,0.5,0.5}', id LIMIT 10)) d;
SELECT id, round((embedding <=> '{1,0,0}')::numeric, 9) AS d FROM items ORDER BY 2, id LIMIT 3;
SELECT array_agg(id ORDER BY d, id) = (SELECT array_agg(id ORDER BY d, id) FROM
	(SELECT id, embedding <#> '{1,1,1}' AS d FROM items_ref ORDER BY 2, 1 LIMIT 5) r) AS inner_product_same
FROM (SELECT id, embedding <#> '{1,1,1}' AS d FROM items ORDER BY 2, 1 LIMIT 5) s;
COMMIT;

SET client_min_messages = warning;
DROP SCHEMA sp_vec CASCADE;
RESET client_min_messages;
