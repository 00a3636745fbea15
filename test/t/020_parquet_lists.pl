
# Copyright: spillpool project
#
# One-dimensional arrays as Parquet LIST columns, read by DuckDB: a table
# with an array column of every element type the shards map (int2, int4,
# int8, float4, float8, bool, text, date, timestamp, timestamptz, uuid,
# numeric(p,s) and unconstrained numeric) gets its rows by INSERT VALUES,
# INSERT ... SELECT from a heap table and COPY, NULL arrays, empty arrays,
# NULL elements and the special values of each type among them, and is
# flushed twice into shards of several row groups.  DuckDB
# (test/duckdb/lists.mjs) must read each column as a LIST of the element's
# mapping and agree, row by row and element by element, with a heap copy of
# the same rows; arrays of several dimensions and arrays holding an element
# Parquet cannot hold (a numeric NaN, a timestamp past 294247) are NULL to
# DuckDB, and spillpool itself reads every row back exactly.
#
# Needs test/duckdb/node_modules; skipped without it, unless
# SPILLPOOL_REQUIRE_DUCKDB=1.
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
my $nodejs = node_with_module($duckdir, '@duckdb/node-api', 'DuckDB list test');

my $node = spillpool_node('parquet_lists', "spillpool.flush_naptime = '1h'\n");

sub sql
{
	my ($query) = @_;
	return $node->safe_psql('postgres',
		"SET client_encoding = 'UTF8'; SET TimeZone = 'UTC';\n$query");
}

# name, PostgreSQL type, DuckDB type, canonical kind (see lists.mjs)
my @cols = (
	[ 'i2', 'int2[]', 'SMALLINT[]', 'int' ],
	[ 'i4', 'int4[]', 'INTEGER[]', 'int' ],
	[ 'i8', 'int8[]', 'BIGINT[]', 'int' ],
	[ 'f4', 'float4[]', 'FLOAT[]', 'float4' ],
	[ 'f8', 'float8[]', 'DOUBLE[]', 'float8' ],
	[ 'b', 'bool[]', 'BOOLEAN[]', 'int' ],
	[ 't', 'text[]', 'VARCHAR[]', 'int' ],
	[ 'd', 'date[]', 'DATE[]', 'date' ],
	[ 'ts', 'timestamp[]', 'TIMESTAMP[]', 'timestamp' ],
	[ 'tz', 'timestamptz[]', 'TIMESTAMP WITH TIME ZONE[]', 'timestamptz' ],
	[ 'u', 'uuid[]', 'UUID[]', 'int' ],
	[ 'n', 'numeric(12,3)[]', 'DECIMAL(12,3)[]', 'int' ],
	[ 'nu', 'numeric[]', 'VARCHAR[]', 'int' ]);
my $coldefs = join(', ', map { "$_->[0] $_->[1]" } @cols);

sql("CREATE TABLE h (id int, $coldefs)");
sql("CREATE TABLE s (id int, $coldefs) USING spillpool");

# INSERT VALUES, the same statement into both tables
my $values = q{
INSERT INTO TBL VALUES
 (1, '{1,-32768,32767,NULL}', '{2147483647,-2147483648,0}', '{9223372036854775807,-9223372036854775808,NULL}',
  '{1.5,NaN,Infinity,-Infinity,-0,1.4e-45,3.4028235e38,NULL}',
  '{0.1,NaN,-Infinity,-0,4.9e-324,1.7976931348623157e308,NULL}', '{t,f,NULL}',
  '{"",NULL,"é 漢 😀","q\"u,o{t}e","NULL"}', '{2020-02-29,infinity,-infinity,4714-11-24 BC,NULL}',
  '{"2000-01-01 01:02:03.456789",infinity,-infinity,"1969-12-31 23:59:59.999999",NULL}',
  '{"1999-12-31 23:59:59.999999+00",infinity,-infinity,NULL}',
  '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,00000000-0000-0000-0000-000000000000,NULL}',
  '{123456789.123,-0.001,0,NULL}', '{1.5,NaN,Infinity,-Infinity,NULL,1e-50}'),
 (2, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'),
 (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (4, '{NULL}', '{NULL,NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}',
  '{NULL}', '{NULL}', '{NULL}', '{NULL}'),
 (5, '[0:1]={1,2}', '[-5:-3]={1,2,3}', '[2:2]={8}', '[0:0]={1}', '[3:4]={1,2}', '[0:0]={t}',
  '[7:8]={a,b}', '[0:0]={2020-01-01}', '[0:0]={"2020-01-01"}', '[0:0]={"2020-01-01 00:00+00"}',
  '[0:0]={a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '[0:0]={1}', '[0:0]={1}'),
 (6, '{{1,2},{3,4}}', '{{{1}}}', '{{1}}', '{{1.5}}', '{{NaN,1}}', '{{t}}', '{{a,b},{c,NULL}}',
  '{{2020-01-01}}', '{{"2020-01-01"}}', '{{"2020-01-01 00:00+00"}}',
  '{{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}}', '{{1}}', '{{1}}'),
 (7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{"2000-01-01","294276-12-31 23:59:59"}',
  '{"294276-12-31 23:59:59+00"}', NULL, '{1,NaN}', NULL)
};
for my $t ('h', 's')
{
	(my $q = $values) =~ s/\bTBL\b/$t/;
	sql($q);
}

# INSERT ... SELECT from the heap table
my $generated = q{
SELECT g,
	CASE WHEN g % 11 = 0 THEN NULL ELSE ARRAY(SELECT ((g * k) % 65536 - 32768)::int2 FROM generate_series(1, g % 31) k) END,
	ARRAY(SELECT CASE WHEN k % 7 = 0 THEN NULL ELSE g * k * (1 - 2 * (k % 2)) END FROM generate_series(1, g % 13) k),
	CASE WHEN g % 9 = 0 THEN '{}' ELSE ARRAY[g::int8 * 1000000007, NULL, -g] END,
	ARRAY[g / 7.0, -g, CASE WHEN g % 50 = 0 THEN 'NaN' END]::float4[],
	CASE WHEN g % 5 = 0 THEN '{}' ELSE ARRAY[sin(g) * 10.0 ^ (g % 41 - 20), -g]::float8[] END,
	ARRAY[g % 2 = 0, NULL, g % 3 = 0],
	ARRAY(SELECT CASE WHEN k = 3 THEN NULL ELSE 'text ' || g || '-' || k || ' ü' END FROM generate_series(1, g % 9) k),
	ARRAY['2000-01-01'::date + g * 37 * (1 - 2 * (g % 2)), NULL],
	ARRAY['2000-01-01'::timestamp + g * interval '1 day 3 hours 7 min 11.123457 sec'],
	ARRAY['2020-01-01 00:00+00'::timestamptz - g * interval '1 hour 0.000001 sec', NULL],
	ARRAY[md5(g::text)::uuid],
	ARRAY[g * 1.001, -g, (g % 1000) / 1000.0]::numeric(12,3)[],
	ARRAY[g / 7.0, NULL, 10::numeric ^ (g % 60)]::numeric[]
FROM generate_series(LO, HI) g
};
(my $q1 = $generated) =~ s/\bLO\b/100/;
$q1 =~ s/\bHI\b/1099/;
sql("INSERT INTO h $q1");
sql("INSERT INTO s SELECT * FROM h WHERE id BETWEEN 100 AND 1099");
is(sql("SELECT spillpool.flush('s') > 0"), 't', 'first flush');

# COPY, from a file the heap table's rows were copied to
my $copyfile = $node->basedir . '/lists.copy';
(my $q2 = $generated) =~ s/\bLO\b/2000/;
$q2 =~ s/\bHI\b/2499/;
sql("CREATE TABLE c (LIKE h)");
sql("INSERT INTO c $q2");
sql("COPY c TO '$copyfile'");
sql("COPY s FROM '$copyfile'");
sql("COPY h FROM '$copyfile'");
is(sql("SELECT spillpool.flush('s') > 1"), 't', 'second flush');
is(sql("SELECT memtable_rows FROM spillpool.stats('s')"), '0', 'every row is in a shard');

# spillpool reads every row back exactly (lower bounds and exceptions too)
is( sql(q{SELECT (SELECT count(*) FROM (SELECT * FROM s EXCEPT ALL SELECT * FROM h) a)
		+ (SELECT count(*) FROM (SELECT * FROM h EXCEPT ALL SELECT * FROM s) b)}),
	'0', 'the shards hold the heap table\'s rows exactly');

# the expectations: each list's elements as canonical texts
sub canon
{
	my ($kind, $e) = @_;
	return "(CASE WHEN $e = 'NaN' THEN 'NaN' ELSE encode(${kind}send($e), 'hex') END)"
	  if $kind eq 'float4' || $kind eq 'float8';
	return
	  "(CASE WHEN $e = 'infinity' THEN 'infinity' WHEN $e = '-infinity' THEN '-infinity' "
	  . "ELSE ($e - date '1970-01-01')::text END)"
	  if $kind eq 'date';
	return
	  "(CASE WHEN $e = 'infinity' THEN 'infinity' WHEN $e = '-infinity' THEN '-infinity' "
	  . "ELSE (extract(epoch FROM $e) * 1000000)::bigint::text END)"
	  if $kind eq 'timestamp' || $kind eq 'timestamptz';
	return "${e}::text";
}

# true for an element Parquet cannot hold (the row's array is an exception)
sub exception
{
	my ($col, $kind, $e) = @_;
	return "($e = 'NaN')" if $col eq 'n';
	return "(isfinite($e) AND extract(epoch FROM $e) * 1000000 >= 9223372036854775807)"
	  if $kind eq 'timestamp' || $kind eq 'timestamptz';
	return 'false';
}

my @objs;
for my $c (@cols)
{
	my ($name, undef, undef, $kind) = @$c;
	push @objs,
	    "'$name', CASE WHEN $name IS NULL OR array_ndims($name) > 1 "
	  . "OR EXISTS (SELECT 1 FROM unnest($name) e WHERE " . exception($name, $kind, 'e') . ") THEN NULL "
	  . "ELSE coalesce((SELECT json_agg(" . canon($kind, 'e') . " ORDER BY o) "
	  . "FROM unnest($name) WITH ORDINALITY u(e, o)), '[]'::json) END";
}
my $rows_json = sql("SELECT json_object_agg(id, json_build_object(" . join(', ', @objs) . ")) FROM h");
my $shards = sql(
	"SELECT string_agg(current_setting('data_directory') || '/' || path, ',' ORDER BY snapshot_id) "
	  . "FROM spillpool.shards('s')");
my @paths = split /,/, $shards;
is(scalar(@paths), 2, 'two shards');
my $exp = $node->basedir . '/lists.json';
open(my $fh, '>:raw', $exp) or die "cannot write $exp: $!";
print $fh '{"shards": ['
  . join(', ', map { "\"$_\"" } @paths)
  . '], "columns": ['
  . join(', ', map { "{\"name\": \"$_->[0]\", \"duckdb_type\": \"$_->[2]\", \"kind\": \"$_->[3]\"}" } @cols)
  . "], \"rows\": $rows_json}\n";
close $fh;

my ($out, $err) = ('', '');
IPC::Run::run([ $nodejs, "$duckdir/lists.mjs", $exp ],
	'>', \$out, '2>', \$err,
	IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
for my $line (split /\n/, $out)
{
	if ($line =~ /^not ok/) { diag($line); }
	else { note($line); }
}
diag("stderr: $err") if $err ne '';
my ($passed, $failed) = $out =~ /^(\d+) passed, (\d+) failed$/m;
my $checks = 1 + 2 * scalar(@cols);
ok(defined $passed && $passed == $checks && $failed == 0,
	"lists.mjs: all $checks DuckDB checks pass")
  or diag("passed " . ($passed // 'none') . ", failed " . ($failed // 'none'));

done_testing();
