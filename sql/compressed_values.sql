--
-- Values that arrive compressed (INSERT ... SELECT from a heap table that
-- compressed them with pglz or lz4) are stored as their plain values, so a
-- flush writes the values themselves into the shard.  test/t/011 compares
-- every value class, route and tier, DuckDB included.
--
CREATE TYPE cv_pair AS (n int, s text);
CREATE DOMAIN cv_dtext AS text;
CREATE TABLE cv_heap (id int, t text, v varchar, b bytea, j json, jb jsonb,
	ta text[], p cv_pair, d cv_dtext);
INSERT INTO cv_heap
SELECT 1, s, s, convert_to(s, 'UTF8'), to_json(s), jsonb_build_object('s', s),
	ARRAY[s, s], ROW(1, s)::cv_pair, s::cv_dtext
FROM (SELECT repeat('abc', 10000) AS s) x;
SET default_toast_compression = lz4;
INSERT INTO cv_heap
SELECT 2, s, s, convert_to(s, 'UTF8'), to_json(s), jsonb_build_object('s', s),
	ARRAY[s, s], ROW(2, s)::cv_pair, s::cv_dtext
FROM (SELECT repeat('xyz', 10000) AS s) x;
RESET default_toast_compression;
-- the source holds compressed values
SELECT id, pg_column_compression(t) AS t, pg_column_compression(b) AS b,
	pg_column_compression(j) AS j, pg_column_compression(ta) AS ta,
	pg_column_compression(p) AS p
FROM cv_heap ORDER BY id;

CREATE TABLE cv (LIKE cv_heap) USING spillpool;
INSERT INTO cv SELECT * FROM cv_heap;
-- through a Sort, which hands over minimal tuples
INSERT INTO cv SELECT id + 10, t, v, b, j, jb, ta, p, d FROM cv_heap ORDER BY id;

-- md5 of every value against the heap copy
CREATE VIEW cv_check AS
SELECT c.id,
	md5(c.t) = md5(h.t) AS t, md5(c.v) = md5(h.v) AS v, md5(c.b) = md5(h.b) AS b,
	md5(c.j::text) = md5(h.j::text) AS j, md5(c.jb::text) = md5(h.jb::text) AS jb,
	md5(c.ta::text) = md5(h.ta::text) AS ta, md5(c.p::text) = md5(h.p::text) AS p,
	md5(c.d) = md5(h.d) AS d,
	num_nulls(pg_column_compression(c.t), pg_column_compression(c.b),
		pg_column_compression(c.j), pg_column_compression(c.ta),
		pg_column_compression(c.p)) = 5 AS stored_plain
FROM cv c JOIN cv_heap h ON h.id = c.id % 10;
SELECT * FROM cv_check ORDER BY id;
SELECT spillpool.flush('cv');
SELECT * FROM cv_check ORDER BY id;
SELECT spillpool.compressed_payload(t) IS NULL AS t,
	spillpool.compressed_payload(b) IS NULL AS b,
	spillpool.compressed_payload(j) IS NULL AS j
FROM cv ORDER BY id;
-- the shard read as a plain Parquet file
SELECT r.id % 10 AS id, md5(r.t) = md5(h.t) AS t, md5(r.b) = md5(h.b) AS b,
	md5(r.j::text) = md5(h.j::text) AS j, md5(r.p::text) = md5(h.p::text) AS p
FROM spillpool.shards('cv') s,
	spillpool.read_parquet(s.path) AS r(id int, t text, b bytea, j json, p cv_pair),
	cv_heap h
WHERE h.id = r.id % 10
ORDER BY r.id;

--
-- spillpool.compressed_payload(): a value that a flush of spillpool 0.1
-- wrote in its compressed form (PostgreSQL's 4-byte compression word, raw
-- size and method, then the pglz or lz4 stream) gives back its bytes.
--
-- repeat('abc', 100) as pglz: 3 literals, then two back-references
SELECT convert_from(spillpool.compressed_payload(
	'\x2c01000018616263' || '\x0f03ff0f0306'::bytea), 'UTF8') = repeat('abc', 100) AS pglz;
-- the same as lz4
SELECT convert_from(spillpool.compressed_payload(
	'\x2c0100403f6162630300ff12506263616263'::bytea), 'UTF8') = repeat('abc', 100) AS lz4;
-- a wrong size, a cut stream, an unknown method, plain values: NULL
SELECT spillpool.compressed_payload('\x2d01000018616263' || '\x0f03ff0f0306'::bytea) AS wrong_size,
	spillpool.compressed_payload('\x2c0100403f6162630300ff125062636162'::bytea) AS cut,
	spillpool.compressed_payload('\x2c01008018616263'::bytea || '\x0f03ff0f0306'::bytea) AS method,
	spillpool.compressed_payload(repeat('abc', 1000)) AS text,
	spillpool.compressed_payload(''::text) AS empty,
	spillpool.compressed_payload('\x00'::bytea) AS one_byte,
	spillpool.compressed_payload('\xffffffff00'::bytea) AS huge_size;

DROP VIEW cv_check;
DROP TABLE cv, cv_heap;
DROP TYPE cv_pair;
DROP DOMAIN cv_dtext;
