--
-- knn: nearest-neighbour queries over the embedding column, planned as one
-- SpillpoolKnn node: each shard's HNSW index (built by its flush), exact
-- distances for the rows not yet flushed, the merged k nearest; compared
-- with a heap copy in every tier, with and without WHERE, for each metric;
-- plans, errors, a damaged index, compaction.
--
SET client_min_messages = warning;
CREATE SCHEMA sp_knn;
SET search_path = sp_knn, spillpool, public;
RESET client_min_messages;

-- deterministic pseudo-random vectors with coordinates in [0, 1)
CREATE FUNCTION vec(seed int, dim int) RETURNS real[] LANGUAGE sql IMMUTABLE
AS $$ SELECT array_agg((hashint4(seed * 64 + d) & 1048575) / 1048576.0 ORDER BY d)::real[]
	FROM generate_series(1, dim) d $$;

CREATE TABLE docs (id int, cat int, emb real[]) USING spillpool;
SELECT spillpool.alter_table('docs', embedding_column => 'emb', embedding_dimension => 8,
	index_m => 8, index_ef_construction => 32);
SELECT embedding_column, embedding_metric, index_m, index_ef_construction
FROM spillpool.options WHERE table_name = 'docs'::regclass;
CREATE TABLE docs_ref (id int, cat int, emb real[]);
-- three shards of 400 rows: by INSERT ... SELECT, by VALUES (with NULL
-- vectors, which no index holds) and by COPY
INSERT INTO docs SELECT g, g % 50, vec(g, 8) FROM generate_series(1, 400) g;
SELECT spillpool.flush('docs') > 0 AS flushed;
DO $$
BEGIN
	FOR g IN 401 .. 800 LOOP
		EXECUTE format('INSERT INTO sp_knn.docs VALUES (%s, %s, %L)', g, g % 50,
			CASE WHEN g % 97 = 0 THEN NULL ELSE sp_knn.vec(g, 8) END);
	END LOOP;
END $$;
SELECT spillpool.flush('docs') > 0 AS flushed;
COPY (SELECT g, g % 50, vec(g, 8) FROM generate_series(801, 1200) g) TO '/tmp/spillpool_knn_copy.tsv';
COPY docs FROM '/tmp/spillpool_knn_copy.tsv';
SELECT spillpool.flush('docs') > 0 AS flushed;
-- each shard has its index, beside it, with the vectors it holds
SELECT rows, index_vectors, index_path ~ '^spillpool/[0-9]+/[0-9]+/shards/[0-9]+-0\.hnsw$' AS beside
FROM spillpool.shards('docs') ORDER BY snapshot_id;
-- rows not yet flushed: segments, memtable, and (below) own rows
SELECT spillpool.alter_table('docs', memory_limit => '64kB');
INSERT INTO docs SELECT g, g % 50, vec(g, 8) FROM generate_series(1201, 1500) g;
BEGIN;
INSERT INTO docs SELECT g, g % 50, vec(g, 8) FROM generate_series(1501, 1520) g;
INSERT INTO docs_ref SELECT * FROM docs;
SELECT (SELECT shard_rows FROM spillpool.stats('docs')) AS shard_rows,
	(SELECT spilled_rows FROM spillpool.stats('docs')) > 0 AS in_segments,
	(SELECT count(*) FROM docs) AS all_rows;

-- the ids of the k nearest rows by the table's query and by the heap copy's
CREATE FUNCTION knn_ids(tbl text, q real[], k int, cond text DEFAULT 'true', op text DEFAULT '<->')
RETURNS int[] LANGUAGE plpgsql AS $$
DECLARE r int[];
BEGIN
	EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM sp_knn.%I WHERE %s ORDER BY emb OPERATOR(spillpool.%s) $1 LIMIT %s) s',
		tbl, cond, op, k) INTO r USING q;
	RETURN r;
END $$;

-- the plan: one node; the distance is computed for the rows returned only
EXPLAIN (COSTS OFF) SELECT id, emb <-> vec(5000, 8) AS d FROM docs ORDER BY emb <-> vec(5000, 8) LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM docs WHERE cat = 7 ORDER BY emb <-> vec(5000, 8) LIMIT 5;
-- what it searched: three shards by their index, 320 unflushed rows exactly
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM docs ORDER BY emb <-> vec(5000, 8) LIMIT 5;
-- the plans it is not for: another order, no limit, another operator
EXPLAIN (COSTS OFF) SELECT id FROM docs ORDER BY emb <-> vec(5000, 8) DESC LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM docs ORDER BY emb <=> vec(5000, 8) LIMIT 5;
SELECT count(*) FROM (SELECT id FROM docs ORDER BY emb <-> vec(5000, 8)) s;
SET spillpool.enable_knn = off;
EXPLAIN (COSTS OFF) SELECT id FROM docs ORDER BY emb <-> vec(5000, 8) LIMIT 5;
RESET spillpool.enable_knn;

-- with ef_search at least the row count, the result is the exact one:
-- 20 queries, k = 1, 10 and 100, without and with a WHERE clause
SET spillpool.ef_search = 2000;
SELECT count(*) FILTER (WHERE knn_ids('docs', vec(10000 + q, 8), k) =
						knn_ids('docs_ref', vec(10000 + q, 8), k)) AS same,
	count(*) AS queries
FROM generate_series(1, 20) q, (VALUES (1), (10), (100)) v(k);
SELECT count(*) FILTER (WHERE knn_ids('docs', vec(20000 + q, 8), 10, c) =
						knn_ids('docs_ref', vec(20000 + q, 8), 10, c)) AS same,
	count(*) AS queries
FROM generate_series(1, 20) q, (VALUES ('cat = 7'), ('cat < 25'), ('id % 3 = 0 AND cat > 10')) v(c);
RESET spillpool.ef_search;

-- at the default ef_search (100): recall@10 over 50 queries, and a filter
-- keeping 2% of the rows still gives k rows, the exact ones
SELECT round(avg(cardinality(ARRAY(SELECT unnest(a) INTERSECT SELECT unnest(b)))) / 10, 2) >= 0.95 AS recall_ok
FROM (SELECT knn_ids('docs', vec(30000 + q, 8), 10) a, knn_ids('docs_ref', vec(30000 + q, 8), 10) b
	FROM generate_series(1, 50) q) s;
SELECT cardinality(knn_ids('docs', vec(40000, 8), 10, 'cat = 7')) AS k,
	knn_ids('docs', vec(40000, 8), 10, 'cat = 7') = knn_ids('docs_ref', vec(40000, 8), 10, 'cat = 7') AS exact;
-- a filter no row passes, and one only the unflushed rows pass
SELECT knn_ids('docs', vec(40000, 8), 10, 'cat = 1000') AS none;
SELECT knn_ids('docs', vec(40000, 8), 3, 'id > 1500') = knn_ids('docs_ref', vec(40000, 8), 3, 'id > 1500') AS own_rows;
-- rows whose embedding is NULL come last, as ORDER BY puts them
SELECT count(*) AS rows, count(emb) AS with_vector
FROM (SELECT * FROM docs WHERE id BETWEEN 480 AND 500 ORDER BY emb <-> vec(1, 8) LIMIT 30) s;
SELECT array_agg(id) FROM (SELECT id FROM docs WHERE id BETWEEN 480 AND 500 ORDER BY emb <-> vec(1, 8) LIMIT 30) s;
-- a NULL query vector makes every distance NULL: any k rows
SELECT count(*) FROM (SELECT id FROM docs ORDER BY emb <-> NULL::real[] LIMIT 7) s;
-- OFFSET counts too
SELECT array_agg(id) = (SELECT array_agg(id) FROM (SELECT id FROM docs_ref ORDER BY emb <-> vec(7, 8) LIMIT 3 OFFSET 2) r)
	AS same_with_offset
FROM (SELECT id FROM docs ORDER BY emb <-> vec(7, 8) LIMIT 3 OFFSET 2) s;

-- the function does the same
SELECT array_agg(id) = knn_ids('docs', vec(50000, 8), 5) AS same
FROM spillpool.knn(NULL::docs, vec(50000, 8), 5);
SELECT count(*) FROM spillpool.knn(NULL::docs, vec(50000, 8), 0);
COMMIT;

-- errors
SELECT id FROM docs ORDER BY emb <-> '{1,2,3}' LIMIT 3;
SELECT id FROM docs ORDER BY emb <-> '{1,2,3,4,5,6,7,NaN}' LIMIT 3;
SELECT * FROM spillpool.knn(NULL::docs, vec(1, 8), -1);
SELECT * FROM spillpool.knn(NULL::docs_ref, vec(1, 8), 3);
CREATE TABLE plain (id int, emb real[]) USING spillpool;
SELECT * FROM spillpool.knn(NULL::plain, vec(1, 8), 3);
SELECT * FROM spillpool.knn(1, vec(1, 8), 3);
INSERT INTO docs VALUES (0, 0, '[0:7]={1,2,3,4,5,6,7,8}');
SELECT spillpool.alter_table('docs', index_m => 1);
SELECT spillpool.alter_table('docs', index_ef_construction => 2000);

-- a damaged index: a WARNING, and the shard is searched exactly
\c
SET search_path = sp_knn, spillpool, public;
DO $$
DECLARE p text;
BEGIN
	SELECT index_path INTO p FROM spillpool.shards('sp_knn.docs') ORDER BY snapshot_id LIMIT 1;
	EXECUTE format('COPY (SELECT ''not an index'') TO %L', current_setting('data_directory') || '/' || p);
END $$;
SET spillpool.ef_search = 2000;
\set VERBOSITY terse
SELECT knn_ids('docs', vec(60000, 8), 10) = knn_ids('docs_ref', vec(60000, 8), 10) AS exact;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT id FROM docs ORDER BY emb <-> vec(5000, 8) LIMIT 5;
-- whole rows, from the damaged shard read exactly and the others through
-- their indexes (whose copy of the vector is returned): as stored
SELECT count(*) AS rows, count(*) FILTER (WHERE s.id <= 400) AS from_damaged_shard,
	bool_and(s.emb = r.emb AND s.cat = r.cat AND s.d = (r.emb <-> vec(1234, 8))) AS same_values
FROM (SELECT *, emb <-> vec(1234, 8) AS d FROM docs ORDER BY emb <-> vec(1234, 8) LIMIT 100) s
JOIN docs_ref r USING (id);
\set VERBOSITY default

-- compaction writes one shard and builds its index anew
SELECT spillpool.compact('docs') > 0 AS compacted;
SELECT rows, index_vectors FROM spillpool.shards('docs');
SELECT knn_ids('docs', vec(60000, 8), 10) = knn_ids('docs_ref', vec(60000, 8), 10) AS exact;
RESET spillpool.ef_search;

-- the other metrics: cosine and negative inner product, exact at a large
-- ef_search; a table whose metric changed searches old shards exactly
CREATE TABLE docs_cos (id int, emb real[]) USING spillpool;
CREATE TABLE docs_ip (id int, emb real[]) USING spillpool;
SELECT spillpool.alter_table('docs_cos', embedding_column => 'emb', embedding_dimension => 8,
	embedding_metric => 'cosine');
SELECT spillpool.alter_table('docs_ip', embedding_column => 'emb', embedding_dimension => 8,
	embedding_metric => 'inner_product');
INSERT INTO docs_cos SELECT id, emb FROM docs_ref WHERE emb IS NOT NULL AND id <= 600;
INSERT INTO docs_ip SELECT id, emb FROM docs_ref WHERE emb IS NOT NULL AND id <= 600;
SELECT spillpool.flush('docs_cos') > 0 AS flushed, spillpool.flush('docs_ip') > 0 AS flushed;
INSERT INTO docs_cos SELECT id, emb FROM docs_ref WHERE emb IS NOT NULL AND id > 600;
INSERT INTO docs_ip SELECT id, emb FROM docs_ref WHERE emb IS NOT NULL AND id > 600;
EXPLAIN (COSTS OFF) SELECT id FROM docs_cos ORDER BY emb <=> vec(1, 8) LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM docs_ip ORDER BY emb <#> vec(1, 8) LIMIT 5;
SET spillpool.ef_search = 2000;
SELECT count(*) FILTER (WHERE knn_ids('docs_cos', vec(70000 + q, 8), 10, 'true', '<=>') =
						knn_ids('docs_ref', vec(70000 + q, 8), 10, 'emb IS NOT NULL', '<=>')) AS cosine_same,
	count(*) FILTER (WHERE knn_ids('docs_ip', vec(70000 + q, 8), 10, 'true', '<#>') =
					 knn_ids('docs_ref', vec(70000 + q, 8), 10, 'emb IS NOT NULL', '<#>')) AS inner_same
FROM generate_series(1, 10) q;
SELECT spillpool.alter_table('docs_cos', embedding_metric => 'l2');
\set VERBOSITY terse
SELECT knn_ids('docs_cos', vec(1, 8), 10) = knn_ids('docs_ref', vec(1, 8), 10, 'emb IS NOT NULL') AS exact;
\set VERBOSITY default
RESET spillpool.ef_search;

-- an index is of one column: after the embedding column changes, old
-- shards are searched exactly (their index holds the other column)
CREATE TABLE two (id int, a real[], b real[]) USING spillpool;
SELECT spillpool.alter_table('two', embedding_column => 'a', embedding_dimension => 4);
INSERT INTO two SELECT g, vec(g, 4), vec(g + 100000, 4) FROM generate_series(1, 300) g;
SELECT spillpool.flush('two') > 0 AS flushed;
SELECT spillpool.alter_table('two', embedding_column => 'b');
\set VERBOSITY terse
SELECT array_agg(id) = ARRAY(SELECT g FROM generate_series(1, 300) g
		ORDER BY vec(g + 100000, 4) <-> '{0,0,0,0}' LIMIT 5) AS exact,
	bool_and(b = vec(id + 100000, 4)) AS b_values
FROM (SELECT id, b FROM two ORDER BY b <-> '{0,0,0,0}' LIMIT 5) s;
\set VERBOSITY default

-- values stored with other subscripts before the column became the
-- embedding column come back as stored
CREATE TABLE bounds (id int, emb real[]) USING spillpool;
INSERT INTO bounds VALUES (1, '[0:3]={0.1,0.1,0.1,0.1}'), (2, '{0.2,0.2,0.2,0.2}'),
	(3, '{0.9,0.9,0.9,0.9}');
SELECT spillpool.alter_table('bounds', embedding_column => 'emb', embedding_dimension => 4);
SELECT spillpool.flush('bounds') > 0 AS flushed;
SELECT id, emb, emb[0] AS first FROM bounds ORDER BY emb <-> '{0,0,0,0}' LIMIT 2;
SELECT id FROM bounds WHERE emb[0] > 0 ORDER BY emb <-> '{0,0,0,0}' LIMIT 2;

-- a query vector of another dimension: no error while no row has a vector
-- (as without the node), the operator's error once one has
CREATE TABLE empty_v (id int, emb real[]) USING spillpool;
SELECT spillpool.alter_table('empty_v', embedding_column => 'emb', embedding_dimension => 4);
SELECT id FROM empty_v ORDER BY emb <-> '{1,2,3}' LIMIT 3;
INSERT INTO empty_v VALUES (1, NULL);
SELECT id FROM empty_v ORDER BY emb <-> '{1,2,3}' LIMIT 3;
INSERT INTO empty_v VALUES (2, '{1,2,3,4}');
SELECT id FROM empty_v ORDER BY emb <-> '{1,2,3}' LIMIT 3;
-- values stored before the column became the embedding column may have
-- the query's dimension: they are sorted as without the node, flushed or not
CREATE TABLE d2 (id int, emb real[]) USING spillpool;
INSERT INTO d2 VALUES (1, '{10,10}'), (2, '{0,0}'), (3, '{5,5}'), (4, '{1,1}'), (5, NULL);
SELECT spillpool.alter_table('d2', embedding_column => 'emb', embedding_dimension => 3);
SELECT id, emb <-> '{0,0}' AS d FROM d2 ORDER BY emb <-> '{0,0}' LIMIT 2;
SELECT spillpool.flush('d2') > 0 AS flushed;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM d2 ORDER BY emb <-> '{0,0}' LIMIT 5;
SELECT id FROM d2 ORDER BY emb <-> '{0,0}' LIMIT 5;
INSERT INTO d2 VALUES (6, '{1,2,3}');
SELECT id FROM d2 ORDER BY emb <-> '{0,0}' LIMIT 5;

-- limits that are not known exactly when planning take the exact plan:
-- WITH TIES, and an expression folded from a setting
INSERT INTO empty_v SELECT g, '{0.5,0.5,0.5,0.5}' FROM generate_series(10, 14) g;
EXPLAIN (COSTS OFF) SELECT id FROM empty_v ORDER BY emb <-> '{0,0,0,0}' FETCH FIRST 2 ROWS WITH TIES;
SELECT count(*) FROM (SELECT id FROM empty_v ORDER BY emb <-> '{0,0,0,0}' FETCH FIRST 2 ROWS WITH TIES) s;
SET sp_knn.k = '2';
PREPARE lim AS SELECT id FROM docs ORDER BY emb <-> vec(5, 8) LIMIT current_setting('sp_knn.k')::int;
EXPLAIN (COSTS OFF) EXECUTE lim;
SET sp_knn.k = '4';
EXECUTE lim;
SELECT id FROM docs_ref ORDER BY emb <-> vec(5, 8) LIMIT 4;
DEALLOCATE lim;
-- a parameter of a custom plan is a constant: the node takes it
PREPARE lim2(int) AS SELECT id FROM docs ORDER BY emb <-> vec(5, 8) LIMIT $1;
EXPLAIN (COSTS OFF) EXECUTE lim2(3);
DEALLOCATE lim2;

-- a search inside another's WHERE clause, with no index kept in memory
-- between searches: the same rows as without the node
SET spillpool.index_cache_size = 0;
SET spillpool.ef_search = 2000;
EXPLAIN (COSTS OFF) SELECT id FROM docs d
	WHERE (SELECT s.id FROM docs_ip s ORDER BY s.emb <#> d.emb LIMIT 1) > 500
	ORDER BY emb <-> vec(77, 8) LIMIT 5;
SELECT array_agg(id) AS knn FROM (SELECT id, emb FROM docs d
	WHERE (SELECT s.id FROM docs_ip s ORDER BY s.emb <#> d.emb LIMIT 1) > 500
	ORDER BY emb <-> vec(77, 8) LIMIT 5) s \gset
SET spillpool.enable_knn = off;
SELECT array_agg(id) = :'knn' AS same, count(*) AS rows FROM (SELECT id FROM docs d
	WHERE (SELECT s.id FROM docs_ip s ORDER BY s.emb <#> d.emb LIMIT 1) > 500
	ORDER BY emb <-> vec(77, 8) LIMIT 5) s;
RESET spillpool.enable_knn;
RESET spillpool.index_cache_size;
RESET spillpool.ef_search;

SET client_min_messages = warning;
DROP SCHEMA sp_knn CASCADE;
RESET client_min_messages;
