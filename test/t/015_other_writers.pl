
# Copyright: spillpool project
#
# Parquet files of other writers, read by spillpool.read_parquet and by
# DuckDB: the cases of apache/parquet-testing that spillpool once refused
# or misread (column chunks with key/value metadata, a v2 data page with an
# empty values section, dictionary chunks with empty pages, INT96 timestamps
# as Spark writes them, FLOAT16), built byte for byte by the Parquet
# library's reader test (test/parquet/reader_test.c, which saves them with
# READER_TEST_SEED_DIR), since the project's fixtures are its own.  For
# every file DuckDB can read, both readers must return the same rows, in
# the same order, as text.
#
# Where they differ on purpose:
#   - Lists are compared in DuckDB's text form ("[1, 2, NULL]").  The list
#     forms of LogicalTypes.md's backward-compatibility rules that DuckDB
#     does not write itself (a repeated primitive, two levels, three levels
#     with a repeated group of another name and required elements, a row's
#     list going on in the next page) come from the reader test too; its
#     other list files (hostile levels, the library writer's file) are
#     fuzzer seeds, not files of other writers, and are left out here.
#   - INT96 values outside PostgreSQL's timestamp range read as -infinity /
#     infinity here, while DuckDB wraps them around; only the rows in the
#     range both hold are compared, and the others must be infinities.
#   - Two files DuckDB 1.x cannot decode, whose values are compared with
#     what the reader test wrote instead: FLOAT16 stored with
#     BYTE_STREAM_SPLIT ("only supported for FLOAT or DOUBLE"), and a
#     dictionary chunk whose null-only pages have empty values sections (a
#     v2 page, a v1 PLAIN page, a v2 page holding Snappy's encoding of
#     nothing): "Decode bit width too large".
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
use File::Temp qw(tempdir);
use IPC::Run;

my $root = abs_path("$FindBin::RealBin/../..");
my $duckdir = "$root/test/duckdb";
my $nodejs = node_with_module($duckdir, '@duckdb/node-api', 'DuckDB reading other writers\' files');

# the files, as the reader test builds them
my $seeds = tempdir(CLEANUP => 1);
my ($out, $err) = ('', '');
ok( IPC::Run::run(
		[ 'make', '-s', '-C', "$root/test/parquet", 'all' ],
		'>', \$out, '2>', \$err),
	'the Parquet reader test builds')
  or diag($err);
{
	local $ENV{READER_TEST_SEED_DIR} = $seeds;
	IPC::Run::run([ "$root/test/parquet/build/reader_test", "$root/test/parquet/reader_corpus" ],
		'>', \$out, '2>', \$err);
}
my @files = grep { !m{seed_list_(bad_\d+|huge_levels|writer)\.parquet$} }
  sort glob("$seeds/seed_*.parquet");
my %want = map { $_ => 1 } qw(column_chunk_key_values column_chunk_key_values_empty
  datapage_v2_empty_datapage empty_pages_in_dictionary_chunk int96_range float16
  list_repeated_primitive list_two_levels list_three_levels_required list_spans_pages);
my %have = map { m{seed_(\w+)\.parquet$}; ($1 => 1) } @files;
is_deeply([ sort keys %have ], [ sort keys %want ], 'the reader test saved every file of other writers');

# DuckDB: the query's rows, one line each
sub duckdb
{
	my ($sql) = @_;
	my ($o, $e) = ('', '');
	my $ok = IPC::Run::run([ $nodejs, "$duckdir/query.mjs", $sql ], '>', \$o, '2>', \$e,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	chomp $o;
	return ($ok, $o, $e);
}

# DuckDB's types, as read_parquet's column definition list wants them
my %pg_type = (
	'INTEGER' => 'int4', 'BIGINT' => 'int8', 'SMALLINT' => 'int2', 'FLOAT' => 'float4',
	'DOUBLE' => 'float8', 'VARCHAR' => 'text', 'BOOLEAN' => 'bool', 'DATE' => 'date',
	'TIMESTAMP' => 'timestamp', 'TIMESTAMP WITH TIME ZONE' => 'timestamptz',
	'INTEGER[]' => 'int4[]');

my $node = spillpool_node('writers', "spillpool.flush_naptime = '1h'\n");

# the rows in the range both readers hold, for a file with a timestamp
my $int96_range = q{BETWEEN '1900-01-01' AND '2100-01-01'};

for my $file (@files)
{
	my ($name) = $file =~ m{seed_(\w+)\.parquet$};
	my ($ok, $desc, $derr) =
	  duckdb("SELECT column_name || '|' || column_type FROM (DESCRIBE SELECT * FROM read_parquet('$file'))");
	ok($ok, "$name: DuckDB describes the file") or diag($derr);
	my @cols = map { [ split /\|/ ] } split /\n/, $desc;
	my @unmapped = grep { !exists $pg_type{ $_->[1] } } @cols;
	ok(@cols > 0 && !@unmapped, "$name: every column type is mapped")
	  or diag($desc);
	my $deflist = join(', ', map { "\"$_->[0]\" $pg_type{$_->[1]}" } @cols);
	# a list as DuckDB prints it: [1, 2, NULL]
	my $pg_text = join(" || '|' || ", map {
		$_->[1] =~ /\[\]$/
		  ? "coalesce('[' || array_to_string(\"$_->[0]\", ', ', 'NULL') || ']', '\\N')"
		  : "coalesce(\"$_->[0]\"::text, '\\N')"
	} @cols);
	my $dk_text = join(" || '|' || ", map { "coalesce(CAST(\"$_->[0]\" AS VARCHAR), '\\N')" } @cols);
	my $where_pg = '';
	my $where_dk = '';
	if ($name eq 'int96_range')
	{
		$where_pg = "WHERE \"$cols[0][0]\" $int96_range";
		$where_dk = "WHERE \"$cols[0][0]\" $int96_range";
	}

	my $pg = $node->safe_psql('postgres',
		"SET TIME ZONE 'UTC'; SELECT $pg_text FROM spillpool.read_parquet('$file') AS t($deflist) $where_pg");
	my $pg_count = $node->safe_psql('postgres',
		"SELECT count(*) FROM spillpool.read_parquet('$file') AS t($deflist)");

	if ($name eq 'empty_pages_in_dictionary_chunk')
	{
		my ($dok, undef, $de) = duckdb("SELECT $dk_text FROM read_parquet('$file')");
		ok(!$dok && $de =~ /bit width/,
			"$name: DuckDB cannot decode it (so it is not compared)")
		  or diag($de);
		# dictionary (10, 20, 30); rows 0-3 null, 4-7 indices 0 1 2 1, 8-15
		# null, 16-19 indices 2 2 null 0
		is( $node->safe_psql('postgres',
				"SELECT string_agg(coalesce(x::text, 'NULL'), ',') FROM spillpool.read_parquet('$file') AS t(x int)"),
			'NULL,NULL,NULL,NULL,10,20,30,20,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,30,30,NULL,10',
			"$name: spillpool reads the values that were written");
		next;
	}
	if ($name eq 'float16')
	{
		my ($dok, undef, $de) = duckdb("SELECT $dk_text FROM read_parquet('$file')");
		ok(!$dok && $de =~ /BYTE_STREAM_SPLIT/,
			'float16: DuckDB refuses FLOAT16 with BYTE_STREAM_SPLIT (so it is not compared)')
		  or diag($de);
		# the halves reader_test.c writes (0x0000, 0x8000, 0x3c00, 0xc100,
		# 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x7e00, NULL, then 0x03ff, 0x0400,
		# 0x3555 with BYTE_STREAM_SPLIT), as exact binary fractions
		is( $node->safe_psql('postgres',
				"SELECT string_agg(coalesce(h::text, 'NULL'), ',') FROM spillpool.read_parquet('$file') AS t(h real)"),
			$node->safe_psql('postgres',
				"SELECT string_agg(coalesce(h::text, 'NULL'), ',' ORDER BY o) FROM (VALUES (1, 0::real), (2, '-0'), (3, 1), (4, -2.5), (5, 65504), (6, (2 ^ -24)::real), (7, 'infinity'), (8, '-infinity'), (9, 'NaN'), (10, NULL), (11, (1023 * 2 ^ -24)::real), (12, (2 ^ -14)::real), (13, (1365 * 2 ^ -12)::real)) v(o, h)"),
			'float16: spillpool reads the values that were written');
		next;
	}

	my ($dok, $dk, $de) = duckdb("SELECT $dk_text FROM read_parquet('$file') $where_dk");
	ok($dok, "$name: DuckDB reads the file") or diag($de);
	my ($cok, $dk_count) = duckdb("SELECT count(*) FROM read_parquet('$file')");
	is($pg_count, $dk_count, "$name: both readers count $dk_count rows");
	is($pg, $dk, "$name: both readers return the same rows in the same order")
	  or diag("spillpool:\n$pg\nDuckDB:\n$dk");
	if ($name eq 'int96_range')
	{
		# past PostgreSQL's range: infinities, not errors.  Of reader_test.c's
		# cases, 4714-11-23 23:59:59.999999 BC, Julian day -2^31, Spark's
		# overflowed 290000-12-31 and the two earliest int64 microseconds
		# are -infinity; 294247-01-10 04:00:54.775807999 and .775808 and
		# Julian day 2^31 - 1 are infinity (.775806 still fits)
		is( $node->safe_psql('postgres',
				"SELECT count(*) FILTER (WHERE a = '-infinity') || ' ' || count(*) FILTER (WHERE a = 'infinity')
				 FROM spillpool.read_parquet('$file') AS t(a timestamp)"),
			'5 3', 'int96_range: the timestamps PostgreSQL cannot hold read as infinities');
	}
}

ok(!$node->log_contains('was terminated by signal|PANIC'), 'no backend crashed');
stop_node($node, 'fast', 'end of test');
done_testing();
