
# Copyright: spillpool project
#
# DuckDB reads every Parquet shard that spillpool.flush() writes, and agrees
# with PostgreSQL.  Tables cover every type of the shard mapping (the
# README's Shards section), each column with NULLs and edge values, in several row groups
# (spillpool.shard_row_group_rows = 100) and with each shard codec (zstd,
# lz4 = LZ4_RAW, none = UNCOMPRESSED); one table is flushed twice, one is
# split into several shards by spillpool.max_shard_size, one lives in a
# LATIN1 database (text converted to UTF-8), one has a dropped column.
# PostgreSQL computes the expected per-column statistics from the table
# itself (row count, non-null count, min, max, md5 of the values in row
# order, the spillpool.exceptions.<i> entries) into a JSON file, and
# test/duckdb/shards.mjs checks each shard with DuckDB against it (see that
# file for the canonical text form of each type).
#
# Policy for PostgreSQL's infinities: 'infinity' and '-infinity' dates,
# timestamps and timestamptz must read in DuckDB as DuckDB's own DATE /
# TIMESTAMP / TIMESTAMPTZ 'infinity' and '-infinity'.  What DuckDB 1.5
# shows: DuckDB's infinities are INT32/INT64 max and -max (-2147483647,
# -9223372036854775807).  The value spillpool writes for +infinity (the
# type's max) reads as 'infinity'; the value it writes for -infinity
# (INT32_MIN / INT64_MIN) does not: the date prints as '5877642-06-23 (BC)',
# the timestamp cannot be cast to text ("Conversion Error: Date out of range
# in timestamp conversion", epoch_us() gives -9223372036854775808), and
# parquet_metadata() fails on the whole file with the same error.
# Arrays of mapped element types (c_intarr int[], c_textarr text[]) are
# LIST columns, which DuckDB reads as INTEGER[] / VARCHAR[]; a
# multi-dimensional array is NULL there, listed in spillpool.exceptions.<i>,
# and a lower bound other than 1 is not seen by DuckDB (the elements are).
# Numeric NaN is NULL in DuckDB, listed in spillpool.exceptions.<i>; float
# NaN / Infinity read as DuckDB's nan / inf, and spillpool.float_nan names
# the columns holding a NaN.  Timestamps beyond what INT64 microseconds since
# 1970 hold (PostgreSQL goes to 294276 AD) are NULL, listed as exceptions.
#
# Needs test/duckdb/node_modules (npm ci in test/duckdb); without it the
# test is skipped, unless SPILLPOOL_REQUIRE_DUCKDB=1, when it fails.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;
use Cwd qw(abs_path);
use IPC::Run;

my $root = abs_path("$FindBin::RealBin/../..");
my $duckdir = "$root/test/duckdb";
my $nodejs = node_with_module($duckdir, '@duckdb/node-api', 'DuckDB interop test');

my $RG_ROWS = 100;
my %CODEC_NAME = (zstd => 'ZSTD', lz4 => 'LZ4_RAW', none => 'UNCOMPRESSED');

my $node = spillpool_node('duckdb_shards', "spillpool.flush_naptime = '1h'\n");

# Every query runs with client_encoding UTF8, so that everything Perl sees
# and writes (names, JSON) is UTF-8, whatever the database encoding.
sub sql
{
	my ($db, $query) = @_;
	return $node->safe_psql($db, "SET client_encoding = 'UTF8';\n$query");
}

sub ql
{
	my ($s) = @_;
	$s =~ s/'/''/g;
	return "'$s'";
}

sub qi
{
	my ($s) = @_;
	$s =~ s/"/""/g;
	return "\"$s\"";
}

for my $db ('dk', 'dk_latin1')
{
	my $enc = $db eq 'dk' ? 'UTF8' : 'LATIN1';
	$node->safe_psql('postgres',
		"CREATE DATABASE $db ENCODING '$enc' LOCALE 'C' TEMPLATE template0");
	$node->safe_psql($db, 'CREATE EXTENSION spillpool');
}

###########################################################################
# the tables
###########################################################################

sql('dk', q{
	CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', '😀 joy');
	CREATE TYPE pair AS (a int, b text);
	CREATE DOMAIN money2 AS numeric(10,2);
});

# every mapped type, plus types stored as text; specials come before the
# NULL test in each CASE so that they are not hidden by it
my $all_types_cols = q{
	id bigint NOT NULL,
	c_int2 smallint, c_int4 integer, c_int8 bigint,
	c_float4 real, c_float8 double precision, c_bool boolean,
	c_text text, c_varchar varchar(20), c_bpchar char(6), c_bytea bytea,
	c_date date, c_ts timestamp, c_tstz timestamptz, c_uuid uuid,
	c_json json, c_jsonb jsonb,
	c_num5 numeric(5,2), c_num15 numeric(15,3), c_num38 numeric(38,10),
	c_money2 money2, c_numeric numeric, c_num50 numeric(50,5),
	c_intarr int[], c_textarr text[], c_enum mood, c_interval interval,
	c_pair pair, c_time time, "Ünï col" text,
	c_sparse integer, c_negscale numeric(5,-2), c_num3_5 numeric(3,5),
	c_ts3 timestamp(3), c_tstz0 timestamptz(0)
};

my $all_types_insert = q{
INSERT INTO TABLE SELECT g,
 CASE WHEN g = 5 THEN -32768 WHEN g = 6 THEN 32767 WHEN g % 17 = 1 THEN NULL
  ELSE (g * 37) % 65536 - 32768 END,
 CASE WHEN g = 7 THEN -2147483648 WHEN g = 8 THEN 2147483647 WHEN g % 19 = 2 THEN NULL
  ELSE g * 7919 * sgn END,
 CASE WHEN g = 9 THEN -9223372036854775808 WHEN g = 10 THEN 9223372036854775807
  WHEN g % 23 = 3 THEN NULL ELSE g::bigint * 1000000007 * sgn END,
 CASE WHEN g = 11 THEN 'NaN' WHEN g = 12 THEN 'Infinity' WHEN g = 13 THEN '-Infinity'
  WHEN g = 14 THEN '-0' WHEN g = 15 THEN '0' WHEN g = 16 THEN '1.4e-45'
  WHEN g = 17 THEN '3.4028235e38' WHEN g = 18 THEN '-3.4028235e38'
  WHEN g = 19 THEN '1.17549435e-38' WHEN g = 20 THEN '0.1' WHEN g = 555 THEN 'NaN'
  WHEN g % 11 = 4 THEN NULL ELSE (sgn * g / 7.0 * 10.0 ^ (g % 13 - 6))::real END,
 CASE WHEN g = 21 THEN 'NaN' WHEN g = 22 THEN 'Infinity' WHEN g = 23 THEN '-Infinity'
  WHEN g = 24 THEN '-0' WHEN g = 25 THEN '4.9e-324' WHEN g = 26 THEN '1.7976931348623157e308'
  WHEN g = 27 THEN '-1.7976931348623157e308' WHEN g = 28 THEN '2.2250738585072014e-308'
  WHEN g = 29 THEN '0.1' WHEN g = 30 THEN '1e15' WHEN g = 31 THEN '1e16'
  WHEN g = 32 THEN '123456789012345678' WHEN g = 777 THEN 'NaN' WHEN g = 888 THEN '-0'
  WHEN g % 29 = 5 THEN NULL ELSE sin(g) * 10.0::float8 ^ (g % 41 - 20) END,
 CASE WHEN g % 7 = 6 THEN NULL ELSE g % 3 = 0 END,
 CASE WHEN g = 33 THEN '' WHEN g = 34 THEN '😀 grinning' WHEN g = 35 THEN '漢字かな交じり文'
  WHEN g = 36 THEN U&'e\0301 combining acute' WHEN g = 37 THEN '👩‍👩‍👧 family (ZWJ)'
  WHEN g = 38 OR g = 650 THEN repeat('long ', 3000) WHEN g = 39 THEN 'z' WHEN g = 40 THEN 'é'
  WHEN g = 41 THEN E'tab\there\nnewline' WHEN g = 42 THEN U&'\+10FFFD max'
  WHEN g = 43 THEN 'Ω' WHEN g = 44 THEN 'quote '' and backslash ' || chr(92) WHEN g = 45 THEN 'NULL'
  WHEN g % 31 = 7 THEN NULL ELSE 'row ' || g || ' ' || md5(g::text) END,
 CASE WHEN g = 46 THEN 'ñandú' WHEN g = 47 THEN '' WHEN g % 37 = 8 THEN NULL
  ELSE left(md5(g::text), 1 + g % 20) END,
 CASE WHEN g = 48 THEN '' WHEN g = 49 THEN 'ü' WHEN g = 50 THEN 'abcdef'
  WHEN g % 41 = 9 THEN NULL ELSE (g * 13)::text END,
 CASE WHEN g = 51 THEN '\x'::bytea WHEN g = 52 THEN '\x00' WHEN g = 53 THEN '\xff'
  WHEN g = 54 THEN '\x5c' WHEN g = 651 THEN decode(repeat('ab', 5000), 'hex')
  WHEN g % 43 = 10 THEN NULL
  ELSE substring(decode(md5(g::text), 'hex') FROM 1 FOR g % 16 + 1) END,
 CASE WHEN g = 55 THEN '4714-11-24 BC' WHEN g = 56 THEN '5874897-12-31'
  WHEN g = 57 THEN '1970-01-01' WHEN g = 58 THEN '1969-12-31' WHEN g % 47 = 11 THEN NULL
  ELSE date '2000-01-01' + sgn * (g * 97 % 20000) END,
 CASE WHEN g = 59 THEN '4714-11-24 00:00:00 BC' WHEN g = 60 THEN '294247-01-10 04:00:54.775806'
  WHEN g = 61 THEN '1970-01-01 00:00:00' WHEN g = 62 THEN '1969-12-31 23:59:59.999999'
  WHEN g % 53 = 12 THEN NULL
  ELSE timestamp '2000-01-01' + sgn * g * interval '1 day 3 hours 7 min 11.123457 sec' END,
 CASE WHEN g = 63 THEN '4714-11-24 00:00:00+00 BC' WHEN g = 64 THEN '294247-01-10 04:00:54.775806+00'
  WHEN g = 65 THEN '1970-01-01 00:00:00+00' WHEN g = 66 THEN '2000-01-01 00:00:00+14'
  WHEN g % 59 = 13 THEN NULL
  ELSE timestamptz '2000-01-01 00:00:00+00' + sgn * g * interval '5 days 01:02:03.000004' END,
 CASE WHEN g = 67 THEN '00000000-0000-0000-0000-000000000000'
  WHEN g = 68 THEN 'ffffffff-ffff-ffff-ffff-ffffffffffff'
  WHEN g = 69 THEN '80000000-0000-0000-0000-000000000000'
  WHEN g = 70 THEN '7fffffff-ffff-ffff-ffff-ffffffffffff' WHEN g % 61 = 14 THEN NULL
  ELSE md5(g::text)::uuid END,
 CASE WHEN g = 71 THEN '"just a string"' WHEN g = 72 THEN 'null' WHEN g = 73 THEN '[]'
  WHEN g = 74 THEN '{"dup": 1, "dup": 2}' WHEN g = 75 THEN '  {"spaced" :  true }  '
  WHEN g % 67 = 15 THEN NULL
  ELSE ('{"g": ' || g || ', "s": "é漢😀", "a": [1, 2.50, null]}')::json END,
 CASE WHEN g = 76 THEN 'null' WHEN g = 77 THEN '{"b": 1, "a": [true, false, null], "c": {"d": 1.50}}'
  WHEN g = 78 THEN '"\u00e9"' WHEN g % 71 = 16 THEN NULL
  ELSE jsonb_build_object('g', g, 's', 'é漢😀', 'n', g / 3.0) END,
 CASE WHEN g = 79 OR g = 590 THEN 'NaN' WHEN g = 80 THEN 999.99 WHEN g = 81 THEN -999.99
  WHEN g = 82 THEN 0 WHEN g = 83 THEN -0.01 WHEN g % 73 = 17 THEN NULL
  ELSE ((g * 7919) % 199999 - 99999) / 100.0 END,
 CASE WHEN g = 84 THEN 'NaN' WHEN g = 85 THEN 999999999999.999 WHEN g = 86 THEN -999999999999.999
  WHEN g = 87 THEN -0.001 WHEN g % 79 = 18 THEN NULL ELSE sgn * g::numeric ^ 3 * 1.234567 END,
 CASE WHEN g = 88 OR g = 777 THEN 'NaN'
  WHEN g = 89 THEN 9999999999999999999999999999.9999999999
  WHEN g = 90 THEN -9999999999999999999999999999.9999999999
  WHEN g = 91 THEN -0.0000000001 WHEN g = 92 THEN 0 WHEN g = 93 THEN 170141183460469231731.6873037
  WHEN g % 83 = 19 THEN NULL ELSE sgn * (g::numeric ^ 9) * 1.0000000001 + g / 7.0 END,
 CASE WHEN g = 94 THEN 'NaN' WHEN g = 95 THEN 99999999.99 WHEN g = 96 THEN -99999999.99
  WHEN g % 89 = 20 THEN NULL ELSE sgn * g * 3.25 END,
 CASE WHEN g = 97 THEN 'NaN' WHEN g = 98 THEN 'Infinity' WHEN g = 99 THEN '-Infinity'
  WHEN g = 100 THEN 1e-50 WHEN g % 97 = 21 THEN NULL ELSE (g / 7.0) ^ 3 END,
 CASE WHEN g % 101 = 22 THEN NULL ELSE 10::numeric ^ 40 * g * sgn + 0.12345 END,
 CASE WHEN g = 101 THEN '{}' WHEN g = 102 THEN '{NULL}' WHEN g = 103 THEN '{{1,2},{3,4}}'
  WHEN g = 104 THEN '[0:1]={7,8}' WHEN g % 103 = 23 THEN NULL ELSE ARRAY[g, -g, NULL] END,
 CASE WHEN g % 107 = 24 THEN NULL ELSE ARRAY['x' || g, 'q"u,o{t}e', NULL, 'é 漢'] END,
 CASE WHEN g % 109 = 25 THEN NULL ELSE (enum_range(NULL::mood))[g % 4 + 1] END,
 CASE WHEN g = 105 THEN '-178000000 years' WHEN g = 106 THEN '1 mon -1 days 00:00:00.000001'
  WHEN g % 113 = 26 THEN NULL ELSE sgn * g * interval '1 mon 2 days 03:04:05.678' END,
 CASE WHEN g = 107 THEN ROW(NULL, NULL)::pair WHEN g = 108 THEN ROW(1, '')::pair
  WHEN g % 127 = 27 THEN NULL ELSE ROW(g, 'x,"' || g || chr(92))::pair END,
 CASE WHEN g % 131 = 28 THEN NULL ELSE time '00:00' + g * interval '17 min 3.5 sec' END,
 CASE WHEN g % 137 = 29 THEN NULL ELSE 'ü' || g END,
 CASE WHEN g = 250 OR g = 251 THEN g END,
 CASE WHEN g % 139 = 30 THEN NULL ELSE sgn * g * 123.456 END,
 CASE WHEN g % 149 = 31 THEN NULL ELSE sgn * g / 1000000.0 END,
 CASE WHEN g % 151 = 32 THEN NULL ELSE timestamp '2001-02-03 04:05:06.789' + sgn * g * interval '1 day 0.1234 sec' END,
 CASE WHEN g % 157 = 33 THEN NULL ELSE timestamptz '2001-02-03 04:05:06+00' + sgn * g * interval '1 day 0.6 sec' END
FROM (SELECT g, CASE WHEN g % 2 = 0 THEN -1 ELSE 1 END AS sgn FROM generate_series(LO, HI) g) s
ORDER BY g
};

sub insert_all_types
{
	my ($table, $lo, $hi) = @_;
	my $q = $all_types_insert;
	$q =~ s/\bTABLE\b/$table/;
	$q =~ s/\bLO\b/$lo/;
	$q =~ s/\bHI\b/$hi/;
	sql('dk', $q);
}

# flush with $RG_ROWS-row row groups (a superuser setting); returns
# psql's ($ret, $stdout, $stderr)
sub flush
{
	my ($db, $table, $extra) = @_;
	my ($ret, $out, $err) = $node->psql($db,
		"SET spillpool.shard_row_group_rows = $RG_ROWS; "
		  . ($extra // '')
		  . "SELECT spillpool.flush('$table')");
	return ($ret, $out, $err);
}

my @tables;    # [db, table, codec]

for my $codec ('zstd', 'lz4', 'none')
{
	my $t = "t_$codec";
	sql('dk', "CREATE TABLE $t ($all_types_cols) USING spillpool");
	sql('dk', "SELECT spillpool.alter_table('$t', shard_compression => '$codec')");
	if ($codec eq 'zstd')
	{
		# two flushes: two snapshots, row numbers of the second shard
		# start at 0 again
		insert_all_types($t, 1, 600);
		my ($ret, $out, $err) = flush('dk', $t);
		is($ret, 0, "$t: first flush succeeds") or diag($err);
		insert_all_types($t, 601, 1000);
	}
	else
	{
		insert_all_types($t, 1, 1000);
	}
	my ($ret, $out, $err) = flush('dk', $t);
	is($ret, 0, "$t: flush succeeds") or diag($err);
	push @tables, ['dk', $t, $codec];
}

# the policy table: date / timestamp / timestamptz infinities, and
# timestamps beyond INT64 microseconds since 1970 (exceptions)
sql('dk', q{
	CREATE TABLE t_inf (id bigint NOT NULL, d date, ts timestamp, tstz timestamptz) USING spillpool;
	SELECT spillpool.alter_table('t_inf', shard_compression => 'lz4');
	INSERT INTO t_inf SELECT g,
	 CASE WHEN g IN (5, 250) THEN 'infinity' WHEN g IN (6, 150) THEN '-infinity'
	  WHEN g % 10 = 0 THEN NULL ELSE date '2020-01-01' + g END,
	 CASE WHEN g IN (5, 251) THEN 'infinity' WHEN g IN (6, 151) THEN '-infinity'
	  WHEN g = 7 THEN '294270-01-01 00:00:00' WHEN g = 9 THEN '294247-01-10 04:00:54.775806'
	  WHEN g % 10 = 1 THEN NULL ELSE timestamp '2020-01-01' + g * interval '1 hour' END,
	 CASE WHEN g IN (6, 152) THEN 'infinity' WHEN g IN (5, 252) THEN '-infinity'
	  WHEN g = 8 THEN '294276-12-31 23:59:59.999999+00' WHEN g % 10 = 2 THEN NULL
	  ELSE timestamptz '2020-01-01 00:00:00+00' + g * interval '1 hour' END
	FROM generate_series(1, 300) g ORDER BY g;
});
{
	my ($ret, $out, $err) = flush('dk', 't_inf');
	is($ret, 0, 't_inf: flush succeeds') or diag($err);
	push @tables, ['dk', 't_inf', 'lz4'];
}

# one flush split into several shards by spillpool.max_shard_size = 1MB:
# 4000 rows of 640 bytes, 2.6MB uncompressed, row groups of about 64kB
sql('dk', q{
	CREATE TABLE t_split (id bigint NOT NULL, payload text) USING spillpool;
	SELECT spillpool.alter_table('t_split', shard_compression => 'none');
	INSERT INTO t_split SELECT g,
	  CASE WHEN g % 50 = 0 THEN NULL
	  ELSE (SELECT string_agg(md5(g::text || i), '') FROM generate_series(1, 20) i) END
	FROM generate_series(1, 4000) g ORDER BY g;
});
{
	my ($ret, $out, $err) = flush('dk', 't_split', 'SET spillpool.max_shard_size = 1; ');
	is($ret, 0, 't_split: flush succeeds') or diag($err);
	my @sizes = split /\n/,
	  sql('dk', "SELECT bytes FROM spillpool.shards('t_split') ORDER BY path");
	cmp_ok(scalar(@sizes), '>=', 2,
		't_split: max_shard_size = 1MB split the flush into several shards');
	# "checked after each row group, so a shard may exceed it by up to one
	# row group"
	my @over = grep { $_ > 1024 * 1024 + 128 * 1024 } @sizes[ 0 .. $#sizes - 1 ];
	ok(!@over && @sizes >= 3,
		't_split: every shard but the last is at most 1MB plus one row group')
	  or diag('shard sizes: ' . join(', ', @sizes));
	push @tables, ['dk', 't_split', 'none'];
}

# a dropped column: it is not written, and spillpool.exceptions.<i> counts
# the Parquet columns
sql('dk', q{
	CREATE TABLE t_drop (id bigint NOT NULL, gone int, n numeric(5,2), f float8, t text) USING spillpool;
	INSERT INTO t_drop SELECT g, g, CASE WHEN g = 3 THEN 'NaN' WHEN g % 9 = 0 THEN NULL ELSE g / 4.0 END,
	  CASE WHEN g = 4 THEN 'NaN' ELSE g / 3.0 END, 'before ' || g FROM generate_series(1, 150) g ORDER BY g;
	ALTER TABLE t_drop DROP COLUMN gone;
	INSERT INTO t_drop SELECT g, CASE WHEN g = 160 THEN 'NaN' ELSE g / 4.0 END, g / 3.0, 'after ' || g
	  FROM generate_series(151, 250) g ORDER BY g;
});
{
	my ($ret, $out, $err) = flush('dk', 't_drop');
	is($ret, 0, 't_drop: a table with a dropped column can be flushed') or diag($err);
	push @tables, ['dk', 't_drop', 'zstd'] if $ret == 0;
}

# a LATIN1 database: text is converted to UTF-8 in the shard; column
# names too (they are in the schema and in spillpool.type.<name>)
sql('dk_latin1', q{
	CREATE TYPE mood_l AS ENUM ('café', 'naïve', 'ÿ');
	CREATE TABLE t_latin1 (id bigint NOT NULL, t text, v varchar(10), c char(6), m mood_l,
	  j json, jb jsonb, a text[], g text) USING spillpool;
	INSERT INTO t_latin1 SELECT g,
	  CASE WHEN g = 3 THEN '' WHEN g = 4 THEN 'ÿ' WHEN g % 7 = 0 THEN NULL ELSE 'café ' || g || ' Größe' END,
	  CASE WHEN g % 8 = 0 THEN NULL ELSE left('naïveté' || g, 10) END,
	  CASE WHEN g % 9 = 0 THEN NULL ELSE 'ß' || (g % 100) END,
	  CASE WHEN g % 10 = 0 THEN NULL ELSE (enum_range(NULL::mood_l))[g % 3 + 1] END,
	  CASE WHEN g % 11 = 0 THEN NULL ELSE ('{"é": ' || g || ', "s": "àçè"}')::json END,
	  CASE WHEN g % 12 = 0 THEN NULL ELSE jsonb_build_object('ü', g, 's', 'ñ' || g) END,
	  CASE WHEN g % 13 = 0 THEN NULL ELSE ARRAY['é' || g, 'x y', NULL] END,
	  CASE WHEN g % 14 = 0 THEN NULL ELSE repeat('ö', g % 5) END
	FROM generate_series(1, 250) g ORDER BY g;
});
{
	my ($ret, $out, $err) = flush('dk_latin1', 't_latin1');
	is($ret, 0, 't_latin1: flush succeeds') or diag($err);
	push @tables, ['dk_latin1', 't_latin1', 'zstd'];
}
sql('dk_latin1', q{
	CREATE TYPE "humör" AS ENUM ('glücklich', 'müde');
	CREATE TABLE t_latin1_names (id bigint NOT NULL, "größe" text, "café" int, h "humör") USING spillpool;
	INSERT INTO t_latin1_names SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'ñ' || g END,
	  CASE WHEN g % 5 = 0 THEN NULL ELSE g END,
	  CASE WHEN g % 6 = 0 THEN NULL WHEN g % 2 = 0 THEN 'müde' ELSE 'glücklich' END::"humör"
	FROM generate_series(1, 150) g ORDER BY 1;
});
{
	my ($ret, $out, $err) = flush('dk_latin1', 't_latin1_names');
	is($ret, 0, 't_latin1_names: flush succeeds') or diag($err);
	push @tables, ['dk_latin1', 't_latin1_names', 'zstd'];
}

###########################################################################
# the expectations, computed by PostgreSQL from the tables
###########################################################################

# kind (the canonical form, see shards.mjs) and DuckDB type of a base type,
# and for a LIST column the kind of its elements
sub kind_of
{
	my ($base) = @_;
	if ($base =~ /^(integer|text)\[\]$/)
	{
		my ($ek, $ed) = kind_of($1);
		return ('list', "${ed}[]", $ek);
	}
	my %simple = (
		'smallint' => [ 'int', 'SMALLINT' ],
		'integer' => [ 'int', 'INTEGER' ],
		'bigint' => [ 'int', 'BIGINT' ],
		'real' => [ 'float4', 'FLOAT' ],
		'double precision' => [ 'float8', 'DOUBLE' ],
		'boolean' => [ 'bool', 'BOOLEAN' ],
		'text' => [ 'text', 'VARCHAR' ],
		'bytea' => [ 'bytea', 'BLOB' ],
		'date' => [ 'date', 'DATE' ],
		'timestamp without time zone' => [ 'timestamp', 'TIMESTAMP' ],
		'timestamp with time zone' =>
		  [ 'timestamptz', 'TIMESTAMP WITH TIME ZONE' ],
		'uuid' => [ 'uuid', 'UUID' ],
		'json' => [ 'text', 'JSON' ],
		'jsonb' => [ 'text', 'JSON' ],);
	return @{ $simple{$base} } if $simple{$base};
	return ('text', 'VARCHAR')
	  if $base =~ /^character( varying)?(\(\d+\))?$/;
	return ('timestamp', 'TIMESTAMP')
	  if $base =~ /^timestamp(\(\d\))? without time zone$/;
	return ('timestamptz', 'TIMESTAMP WITH TIME ZONE')
	  if $base =~ /^timestamp(\(\d\))? with time zone$/;
	if ($base =~ /^numeric\((\d+),(\d+)\)$/ && $1 >= 1 && $1 <= 38 && $2 <= $1)
	{
		return ('decimal', "DECIMAL($1,$2)");
	}
	return ('text', 'VARCHAR');    # stored as its text form
}

# SQL of the canonical text of value $x of a kind (see shards.mjs); $elem
# is a list's element kind
sub canon_sql
{
	my ($kind, $x, $elem) = @_;
	return
	  "(CASE WHEN $x IS NULL OR array_ndims($x) > 1 THEN NULL ELSE '[' || array_to_string(ARRAY("
	  . "SELECT coalesce(" . canon_sql($elem, 'e') . ", '\\N') FROM unnest($x) e), ',') || ']' END)"
	  if $kind eq 'list';
	return "(CASE WHEN $x = 'NaN' THEN NULL ELSE ${x}::text END)"
	  if $kind eq 'decimal';
	return "(CASE WHEN $x = 'NaN' THEN 'NaN' ELSE encode(${kind}send($x), 'hex') END)"
	  if $kind eq 'float4' || $kind eq 'float8';
	# format() keeps char(n)'s padding, but makes '' of NULL
	return "(CASE WHEN ${x}::text IS NULL THEN NULL ELSE format('%s', $x) END)"
	  if $kind eq 'text';
	return "encode($x, 'hex')" if $kind eq 'bytea';
	return
	  "(CASE WHEN $x = 'infinity' THEN 'infinity' WHEN $x = '-infinity' THEN '-infinity' "
	  . "ELSE ($x - date '1970-01-01')::text END)"
	  if $kind eq 'date';
	return
	  "(CASE WHEN $x = 'infinity' THEN 'infinity' WHEN $x = '-infinity' THEN '-infinity' "
	  . "WHEN extract(epoch FROM $x) * 1000000 >= 9223372036854775807 THEN NULL "
	  . "ELSE (extract(epoch FROM $x) * 1000000)::bigint::text END)"
	  if $kind eq 'timestamp' || $kind eq 'timestamptz';
	return "${x}::text";    # int, bool, uuid
}

# SQL true for a value Parquet cannot hold (written as NULL and listed in
# spillpool.exceptions.<i>)
sub exception_sql
{
	my ($kind, $x) = @_;
	return "coalesce(array_ndims($x) > 1, false)" if $kind eq 'list';
	return "($x = 'NaN')" if $kind eq 'decimal';
	return
	  "(isfinite($x) AND extract(epoch FROM $x) * 1000000 >= 9223372036854775807)"
	  if $kind eq 'timestamp' || $kind eq 'timestamptz';
	return 'false';
}

sub minmax_sql
{
	my ($fn, $kind, $x, $exc) = @_;
	return 'NULL::text' if $kind eq 'list';    # LIST columns have no statistics
	return "$fn(" . canon_sql($kind, $x) . ' COLLATE "C")'
	  if $kind eq 'text' || $kind eq 'bytea' || $kind eq 'uuid';
	return ($fn eq 'min' ? 'bool_and' : 'bool_or') . "($x)::text"
	  if $kind eq 'bool';
	my $agg = "$fn($x) FILTER (WHERE NOT $exc)";
	# either zero may come back from min/max: both print as '0'
	return canon_sql($kind, "(CASE WHEN $agg = 0 THEN 0::$kind ELSE $agg END)")
	  if $kind eq 'float4' || $kind eq 'float8';
	return canon_sql($kind, $agg);
}

# The columns of a table as stored in the shards (dropped ones left out).
sub table_columns
{
	my ($db, $table) = @_;
	my $out = sql(
		$db, qq{
		SELECT a.attnum, a.atttypid, a.atttypmod,
		  format_type(a.atttypid, a.atttypmod),
		  CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)
		  ELSE format_type(a.atttypid, a.atttypmod) END,
		  a.attname
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = '$table'::regclass AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum});
	my @cols;
	for my $line (split /\n/, $out)
	{
		my ($attnum, $typid, $typmod, $pgtype, $base, $name) =
		  split /\|/, $line, 6;
		my ($kind, $duck, $elem_kind) = kind_of($base);
		push @cols,
		  {
			attnum => $attnum,
			typid => $typid,
			typmod => $typmod,
			pgtype => $pgtype,
			name => $name,
			kind => $kind,
			elem_kind => $elem_kind,
			duckdb_type => $duck
		  };
	}
	return @cols;
}

# SQL giving the JSON expectations of one shard holding rows
# [$lo, $lo + $n) of the table in id order.
sub shard_json_sql
{
	my ($table, $cols, $lo, $shard) = @_;
	my (@colobjs, @nan);
	my $i = 0;
	for my $c (@$cols)
	{
		my $x = qi($c->{name});
		my $k = $c->{kind};
		my $exc = exception_sql($k, $x);
		my $canon = canon_sql($k, $x, $c->{elem_kind});
		my $inf =
		  ($k eq 'date' || $k eq 'timestamp' || $k eq 'timestamptz')
		  ? "coalesce(json_agg(json_build_object('row', rn, 'pg', ${x}::text) ORDER BY rn) "
		  . "FILTER (WHERE NOT isfinite($x)), '[]')"
		  : "'[]'::json";
		push @colobjs, "json_build_object("
		  . "'name', " . ql($c->{name})
		  . ", 'pgtype', " . ql($c->{pgtype})
		  . ", 'attnum', $c->{attnum}, 'typid', $c->{typid}, 'typmod', $c->{typmod}"
		  . ", 'kind', " . ql($k)
		  . ", 'elem_kind', " . ql($c->{elem_kind} // '')
		  . ", 'duckdb_type', " . ql($c->{duckdb_type})
		  . ", 'non_null', count($x) - count(*) FILTER (WHERE $exc)"
		  . ", 'min', " . minmax_sql('min', $k, $x, $exc)
		  . ", 'max', " . minmax_sql('max', $k, $x, $exc)
		  . ", 'md5', md5(convert_to(coalesce(string_agg(coalesce($canon, '\\N'), E'\\n' ORDER BY rn), ''), 'UTF8'))"
		  . ", 'exceptions', string_agg(rn || ':' || ${x}::text || E'\\n', '' ORDER BY rn) FILTER (WHERE $exc)"
		  . ", 'infinite', $inf)";
		push @nan, "CASE WHEN bool_or($x = 'NaN') THEN '$i' END"
		  if $k eq 'float4' || $k eq 'float8';
		$i++;
	}
	my $nan = @nan ? "NULLIF(concat_ws(',', " . join(', ', @nan) . "), '')" : 'NULL';
	return qq{
		WITH r AS (SELECT *, row_number() OVER (ORDER BY id) - 1 - $lo AS rn FROM $table),
		s AS (SELECT * FROM r WHERE rn >= 0 AND rn < $shard->{rows})
		SELECT json_build_object('table', } . ql($table) . q{, 'path', } . ql($shard->{path}) . qq{,
		  'rows', $shard->{rows}, 'codec', } . ql($shard->{option}) . qq{,
		  'row_groups', $shard->{row_groups}, 'row_group_rows', $RG_ROWS,
		  'float_nan', $nan,
		  'columns', json_build_array(} . join(",\n", @colobjs) . q{))
		FROM s};
}

my @shard_json;
my $nshards = 0;
my $min_checks = 0;    # a lower bound of what shards.mjs must run
for my $tab (@tables)
{
	my ($db, $table, $codec) = @$tab;
	my @cols = table_columns($db, $table);
	my $list = sql(
		$db, qq{
		SELECT path, rows, codec, row_groups FROM spillpool.shards('$table')
		ORDER BY snapshot_id, substring(path FROM '-([0-9]+)\\.parquet\$')::int});
	my @shards;
	for my $line (split /\n/, $list)
	{
		my ($path, $rows, $c, $rgs) = split /\|/, $line;
		push @shards, { path => $node->data_dir . "/$path", rows => $rows,
			codec => $c, option => $codec, row_groups => $rgs };
	}
	my $total = sql($db, "SELECT count(*) FROM $table");
	my $sum = 0;
	$sum += $_->{rows} for @shards;
	ok(@shards >= 1 && $sum == $total,
		"$table: spillpool.shards() lists " . scalar(@shards) . " shards holding all $total rows")
	  or diag("shards hold $sum rows");
	ok(!(grep { lc($_->{codec}) ne lc($CODEC_NAME{$codec}) } @shards),
		"$table: spillpool.shards() reports codec " . lc($CODEC_NAME{$codec}))
	  or diag(join(', ', map { $_->{codec} } @shards));
	my $lo = 0;
	for my $sh (@shards)
	{
		push @shard_json, sql($db, shard_json_sql($table, \@cols, $lo, $sh));
		$lo += $sh->{rows};
		$nshards++;
		$min_checks += 8 + 8 * scalar(@cols);
	}
}
is(sql('dk', "SELECT count(*) FROM spillpool.snapshots('t_zstd')"),
	'2', 't_zstd: two flushes made two snapshots');

my $json_file = $node->basedir . '/shards.json';
open(my $fh, '>:raw', $json_file) or die "cannot write $json_file: $!";
print $fh "{\"shards\": [\n" . join(",\n", @shard_json) . "\n]}\n";
close $fh;

###########################################################################
# DuckDB reads every shard
###########################################################################

my ($out, $err) = ('', '');
my $ok = IPC::Run::run([ $nodejs, "$duckdir/shards.mjs", $json_file ],
	'>', \$out, '2>', \$err,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
for my $line (split /\n/, $out)
{
	# failures in prove's output, the rest (with what DuckDB shows for
	# each infinity) in the log
	if ($line =~ /^not ok/) { diag($line); }
	else { note($line); }
}
diag("stderr: $err") if $err ne '';

my ($passed, $failed) = $out =~ /^(\d+) passed, (\d+) failed$/m;
my ($plan) = $out =~ /^1\.\.(\d+)$/m;
my $ok_lines = () = $out =~ /^ok - /mg;
my $notok_lines = () = $out =~ /^not ok - /mg;
my $shard_lines = () = $out =~ /^ok - \S+: DuckDB reads \d+ rows$/mg;
ok(defined $passed && defined $plan, 'shards.mjs ran to the end and printed its counts');
is($failed, '0', 'shards.mjs: no check failed');
is($notok_lines, 0, 'shards.mjs: no "not ok" line');
is($passed, $ok_lines, 'shards.mjs: passed count matches its "ok" lines');
is($plan, $ok_lines + $notok_lines, 'shards.mjs: its plan counts every check');
is($shard_lines, $nshards, "DuckDB read the rows of all $nshards shards");
cmp_ok($plan // 0, '>=', $min_checks, 'shards.mjs ran a full set of checks per shard and column');
ok($ok, 'node test/duckdb/shards.mjs exits with status 0');

ok(!$node->log_contains('was terminated by signal|PANIC'),
	'no server process crashed');
stop_node($node, 'fast', 'end of test');
done_testing();
