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

-- the embedding column: a real[] column, its dimension and metric; inserts
-- check the dimension (INSERT, INSERT ... SELECT and COPY alike)
CREATE TABLE emb (id int, v real[], note text) USING spillpool;
SELECT spillpool.alter_table('emb', embedding_column => 'v', embedding_dimension => 3,
	embedding_metric => 'cosine');
SELECT embedding_column, embedding_dimension, embedding_metric
FROM spillpool.options WHERE table_name = 'emb'::regclass;
INSERT INTO emb VALUES (1, '{1,2,3}', 'ok'), (2, NULL, 'no vector is allowed');
INSERT INTO emb VALUES (3, '{1,2}', 'too short');
INSERT INTO emb VALUES (4, '{1,2,NaN}', 'NaN');
INSERT INTO emb VALUES (5, '{1,NULL,3}', 'NULL element');
INSERT INTO emb SELECT g, ARRAY[g, g, g, g]::real[], 'from a query' FROM generate_series(6, 7) g;
COPY emb FROM stdin;
8	{1,2,3,4,5}	copy
\.
SELECT id, v, note FROM emb ORDER BY id;
-- option errors
SELECT spillpool.alter_table('emb', embedding_column => 'note');
SELECT spillpool.alter_table('emb', embedding_column => 'missing');
SELECT spillpool.alter_table('emb', embedding_dimension => 0);
SELECT spillpool.alter_table('emb', embedding_metric => 'manhattan');
CREATE TABLE emb2 (id int, v real[]) USING spillpool;
SELECT spillpool.alter_table('emb2', embedding_column => 'v');
-- '' takes the column away: no check any more
SELECT spillpool.alter_table('emb', embedding_column => '');
INSERT INTO emb VALUES (9, '{1,2}', 'unchecked');
SELECT embedding_column FROM spillpool.options WHERE table_name = 'emb'::regclass;

SET client_min_messages = warning;
DROP SCHEMA sp_vec CASCADE;
RESET client_min_messages;
