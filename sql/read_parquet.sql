--
-- spillpool.read_parquet(path): rows of any flat Parquet file.  The files
-- are the reader's fixtures (test/parquet/reader_corpus), written by DuckDB;
-- the expected counts come from DuckDB's own reading (expected.json).
--
\getenv abs_srcdir PG_ABS_SRCDIR
\set corpus :abs_srcdir '/test/parquet/reader_corpus/'
\set VERBOSITY terse

CREATE SCHEMA sp_rp;
SET search_path = sp_rp, public;

-- every column of the "types" fixtures, each as its natural type
CREATE FUNCTION sp_rp.types(f text) RETURNS TABLE (id int, b bool, i1 int2, i2 int2,
	i4 int, i8 bigint, u1 int2, u4 bigint, u8 numeric, f4 real, f8 float8, s text,
	cat text, bl bytea, d date, ts timestamp, tstz timestamptz, ts_ms timestamp,
	ts_ns timestamp, t time, uid uuid, dec4 numeric, dec9 numeric, dec18 numeric,
	dec38 numeric, en text, nul_s text, nul_i int)
LANGUAGE sql AS $$
	SELECT * FROM spillpool.read_parquet(f) AS t(id int, b bool, i1 int2, i2 int2,
		i4 int, i8 bigint, u1 int2, u4 bigint, u8 numeric, f4 real, f8 float8, s text,
		cat text, bl bytea, d date, ts timestamp, tstz timestamptz, ts_ms timestamp,
		ts_ns timestamp, t time, uid uuid, dec4 numeric, dec9 numeric, dec18 numeric,
		dec38 numeric, en text, nul_s text, nul_i int)
$$;

-- row and non-null counts agree with DuckDB's for every column
SELECT count(*) = 200 AS rows_ok,
	count(id) = 200 AND count(b) = 171 AND count(i1) = 182 AND count(i2) = 184 AND
	count(i4) = 160 AND count(i8) = 178 AND count(u1) = 180 AND count(u4) = 185 AND
	count(u8) = 187 AND count(f4) = 188 AND count(f8) = 189 AND count(s) = 166 AND
	count(cat) = 175 AND count(bl) = 180 AND count(d) = 183 AND count(ts) = 188 AND
	count(tstz) = 189 AND count(ts_ms) = 190 AND count(ts_ns) = 190 AND
	count(t) = 191 AND count(uid) = 183 AND count(dec4) = 191 AND count(dec9) = 191 AND
	count(dec18) = 192 AND count(dec38) = 192 AND count(en) = 192 AND
	count(nul_s) = 0 AND count(nul_i) = 0 AS non_null_counts_ok
FROM sp_rp.types(:'corpus' || 'types_uncompressed.parquet');

-- a few values, in file order
SELECT id, b, i1, i8 IS NOT NULL AS i8_set, s, cat, bl, d, ts, t, dec9, en
FROM sp_rp.types(:'corpus' || 'types_uncompressed.parquet') LIMIT 4;

-- the same rows whatever the codec (Snappy, ZSTD, LZ4_RAW, Hadoop-framed
-- LZ4), page version (v1, v2) and encoding (plain, dictionary, delta)
SELECT f,
	(SELECT count(*) FROM (SELECT md5(x::text) FROM sp_rp.types(:'corpus' || f) x
		EXCEPT ALL SELECT md5(y::text) FROM sp_rp.types(:'corpus' || 'types_uncompressed.parquet') y) a) = 0
	AND (SELECT count(*) FROM (SELECT md5(y::text) FROM sp_rp.types(:'corpus' || 'types_uncompressed.parquet') y
		EXCEPT ALL SELECT md5(x::text) FROM sp_rp.types(:'corpus' || f) x) b) = 0 AS same_rows
FROM unnest(ARRAY['types_snappy.parquet', 'types_v2_zstd.parquet', 'types_v2_lz4raw.parquet',
	'lz4_hadoop.parquet', 'lz4_hadoop_v2.parquet']) f;

-- several row groups
SELECT count(*) = 4200 AS rows_ok, count(s) = 3733 AND count(cat) = 3600 AND
	count(f8) = 3360 AND count(ts) = 3818 AND count(flag) = 3876 AND
	count(dec18) = 3150 AS non_null_ok, count(DISTINCT id) = 4200 AS ids_distinct
FROM spillpool.read_parquet(:'corpus' || 'narrow_zstd.parquet')
	AS t(id bigint, s text, cat text, f8 float8, ts timestamp, flag bool, dec18 numeric);
SELECT count(*) FROM (
	SELECT * FROM spillpool.read_parquet(:'corpus' || 'narrow_zstd.parquet')
		AS t(id bigint, s text, cat text, f8 float8, ts timestamp, flag bool, dec18 numeric)
	EXCEPT ALL
	SELECT * FROM spillpool.read_parquet(:'corpus' || 'narrow_v2_snappy.parquet')
		AS t(id bigint, s text, cat text, f8 float8, ts timestamp, flag bool, dec18 numeric)) d;

-- a subset of the columns, in any order, and other types through text
SELECT count(*) = 20 AS rows_ok, count(b) = 13 AS b_ok, sum(c) IS NOT NULL AS c_ok,
	pg_typeof(min(a)) AS a_type
FROM spillpool.read_parquet(:'corpus' || 'tiny.parquet') AS t(c float8, b varchar(100), a text);
SELECT count(*) AS rows FROM spillpool.read_parquet(:'corpus' || 'lz4_rawblock.parquet') AS t(a int);
SELECT count(*) AS rows FROM spillpool.read_parquet(:'corpus' || 'empty.parquet') AS t(id int);
-- GZIP pages (zlib)
SELECT count(*) AS rows, count(s) AS non_null, min(id), max(id)
FROM spillpool.read_parquet(:'corpus' || 'gzip.parquet') AS t(id int, s text);
SELECT * FROM spillpool.read_parquet(:'corpus' || 'gzip.parquet') AS t(id int, s text)
ORDER BY id LIMIT 6;

-- errors: nested types, a missing column, a missing
-- file, a file that is not Parquet (SQLSTATE, message and hint, with the
-- directory of the fixtures masked)
CREATE FUNCTION sp_rp.try(f text, coldef text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	msg text;
	hint text;
	state text;
BEGIN
	EXECUTE format('SELECT count(*) FROM spillpool.read_parquet(%L) AS t(%s)', f, coldef);
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT, state = RETURNED_SQLSTATE;
	RETURN state || ': ' || replace(msg, current_setting('sp_rp.corpus'), '.../')
		|| CASE WHEN hint <> '' THEN ' HINT: ' || hint ELSE '' END;
END
$$;
SELECT set_config('sp_rp.corpus', :'corpus', false) IS NOT NULL AS set;
SELECT f, sp_rp.try(:'corpus' || f, c)
FROM (VALUES ('nested_struct.parquet', 'id int'), ('nested_list.parquet', 'id int'),
	('nested_map.parquet', 'id int'), ('tiny.parquet', 'nope int'),
	('no_such_file.parquet', 'a int'), ('expected.json', 'a int')) v(f, c);

-- anything but a regular file is refused before it is read: the fixtures'
-- directory, and a FIFO nobody writes to, whose open or read would wait
-- (statement_timeout ends the test should it)
SELECT sp_rp.try(:'corpus', 'a int') AS directory;
COPY (SELECT 1) TO PROGRAM 'rm -f sp_rp_fifo && mkfifo sp_rp_fifo';
SET statement_timeout = '20s';
SELECT sp_rp.try('sp_rp_fifo', 'a int') AS fifo;
RESET statement_timeout;
COPY (SELECT 1) TO PROGRAM 'rm -f sp_rp_fifo';

-- truncated and corrupted files: every prefix of a file, and the file with
-- one byte changed at every position, give an error or (for a byte that
-- only changes a value) rows, never a crash; written into the data
-- directory with lo_export
CREATE FUNCTION sp_rp.variants(src text) RETURNS TABLE (kind text, outcome text, n bigint)
LANGUAGE plpgsql AS $$
DECLARE
	data bytea := pg_read_binary_file(src);
	len int := length(data);
	i int;
	lo oid;
	v bytea;
	res text;
	k text;
	results text[] := '{}';
	kinds text[] := '{}';
BEGIN
	FOR i IN 0 .. len * 2 - 1 LOOP
		IF i < len THEN
			k := 'prefix';
			v := substr(data, 1, i);
		ELSE
			k := 'byte changed';
			v := set_byte(data, i - len, (get_byte(data, i - len) + 85) % 256);
		END IF;
		lo := lo_from_bytea(0, v);
		PERFORM lo_export(lo, 'sp_rp_variant.parquet');
		PERFORM lo_unlink(lo);
		BEGIN
			PERFORM count(*) FROM spillpool.read_parquet('sp_rp_variant.parquet') AS t(a int, b text, c float8);
			res := 'rows';
		EXCEPTION WHEN OTHERS THEN
			res := 'error ' || SQLSTATE;
		END;
		kinds := kinds || k;
		results := results || res;
	END LOOP;
	RETURN QUERY SELECT x.k, x.r, count(*) FROM unnest(kinds, results) AS x(k, r) GROUP BY 1, 2 ORDER BY 1, 2;
END
$$;
SELECT kind, outcome, n > 0 AS seen FROM sp_rp.variants(:'corpus' || 'tiny.parquet');
-- the server is still up and the file is intact
SELECT count(*) AS rows FROM spillpool.read_parquet(:'corpus' || 'tiny.parquet') AS t(a int);

-- privileges: superusers and pg_read_server_files only
CREATE ROLE regress_rp_user;
CREATE ROLE regress_rp_reader IN ROLE pg_read_server_files;
SET ROLE regress_rp_user;
SELECT count(*) FROM spillpool.read_parquet(:'corpus' || 'tiny.parquet') AS t(a int);
\echo :SQLSTATE
RESET ROLE;
SET ROLE regress_rp_reader;
SELECT count(*) FROM spillpool.read_parquet(:'corpus' || 'tiny.parquet') AS t(a int);
RESET ROLE;
DROP ROLE regress_rp_user, regress_rp_reader;

RESET search_path;
DROP SCHEMA sp_rp CASCADE;
