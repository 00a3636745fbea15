
# Copyright: spillpool project
#
# Every form a varlena value can take on its way into a spillpool table
# reaches every tier, and DuckDB, as its plain value.  A flush once wrote
# values that had arrived compressed inline (INSERT ... SELECT from a heap
# table that had compressed them) as their compressed bytes, and tests that
# compared values only before the flush did not see it.
#
# Sources: two heap tables filled with the same value classes, one with
# default_toast_compression = pglz and one with lz4.  Per class and column
# one row holds one value:
#   short              a few bytes (1-byte varlena header)
#   under              1,900 incompressible bytes: inline, plain, just under
#                      the TOAST threshold
#   over               2,200 incompressible bytes: just over it, so external
#                      and uncompressed
#   over_compressible  2,100 compressible bytes: compressed inline
#   inline             about 40 kB of a repeated pattern: compressed inline
#   external           256 kB that compress to half: compressed and external
# for the columns text, varchar, bpchar, bytea, json, jsonb, numeric
# (unconstrained, as text in shards), numeric(38,4) (DECIMAL), int[],
# text[], a composite and a domain over text.
#
# Routes: INSERT ... SELECT from each heap table (plain, projected, and
# through a Sort, which hands over minimal tuples), COPY text and binary
# from a file the heap table wrote, a PL/pgSQL function returning expanded
# arrays, a PL/pgSQL INSERT of expanded array variables, and INSERT VALUES.
# Each statement also runs against a heap table "ref", the expected copy.
#
# Tiers compared with ref by md5 of every value: the memtable (durability
# none, nothing spilled), memtable and segments (durability commit), the
# segments after a restart, the shards after a flush, the shards after a
# restart, spillpool.read_parquet() of each shard, and DuckDB reading the
# shards.  No value read from the table may be compressed
# (pg_column_compression), in any tier.  Last, ALTER EXTENSION UPDATE from
# 0.1 adds spillpool.compressed_payload().
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
my $nodejs = $ENV{NODE} // '/usr/bin/node';
my $have_duckdb = -d "$duckdir/node_modules/\@duckdb/node-api" && -x $nodejs;
my $require_duckdb = ($ENV{SPILLPOOL_REQUIRE_DUCKDB} // '') eq '1';

my $node = spillpool_node('compressed',
	"spillpool.flush_naptime = '1h'\nspillpool.memory = '160MB'\n");
my $db = 'postgres';

my @classes = qw(short under over over_compressible inline external);

# column name, type, expression of the class text s and the seed n
my @columns = (
	[ 'c_text',    'text',    's' ],
	[ 'c_varchar', 'varchar', 's::varchar' ],
	[ 'c_bpchar',  'bpchar',  's::bpchar' ],
	[ 'c_bytea',   'bytea',   "convert_to(s, 'UTF8')" ],
	[ 'c_json',    'json',    'to_json(s)' ],
	[ 'c_jsonb',   'jsonb',   "jsonb_build_object('s', s, 'n', n)" ],
	[
		'c_numeric', 'numeric',
		"('1' || translate(substr(s, 1, 100000), 'abcdefv', '1234560'))::numeric"
	],
	[ 'c_numeric_p', 'numeric(38,4)', '(n * 1.2345)::numeric(38,4)' ],
	[
		'c_intarr', 'int[]',
		"string_to_array(translate(substr(s, 1, 60000), 'abcdefv', '1234560'), NULL)::int[]"
	],
	[ 'c_textarr', 'text[]', "string_to_array(s, 'a')" ],
	[ 'c_pair',    'pair',   'ROW(n, s)::pair' ],
	[ 'c_dtext',   'dtext',  's::dtext' ],);

my $coldefs = join(', ', map { "$_->[0] $_->[1]" } @columns);
my $colnames = join(', ', map { $_->[0] } @columns);

$node->safe_psql(
	$db, qq{
CREATE TYPE pair AS (n int, s text);
CREATE DOMAIN dtext AS text;
-- deterministic incompressible text: hex digits of an md5 chain
CREATE FUNCTION hexnoise(seed int, len int) RETURNS text LANGUAGE sql IMMUTABLE AS
\$\$ SELECT substr(string_agg(md5(seed || ':' || g), '' ORDER BY g), 1, len)
    FROM generate_series(1, (len + 31) / 32) g \$\$;
CREATE FUNCTION sample(cls text, seed int) RETURNS text LANGUAGE sql IMMUTABLE AS
\$\$ SELECT CASE cls
    WHEN 'short' THEN 'v' || seed
    WHEN 'under' THEN hexnoise(seed, 1900)
    WHEN 'over' THEN hexnoise(seed, 2200)
    WHEN 'over_compressible' THEN repeat(substr(md5(seed::text), 1, 7), 300)
    WHEN 'inline' THEN repeat('abc' || seed, 8000)
    WHEN 'external' THEN (SELECT string_agg(h || h, '' ORDER BY g)
                          FROM (SELECT g, md5(seed || '/' || g) h
                                FROM generate_series(1, 4000) g) x)
  END \$\$;
CREATE TABLE h_pglz (id int, $coldefs);
CREATE TABLE h_lz4 (id int, $coldefs);
CREATE TABLE ref (id int, $coldefs);
CREATE TABLE s_commit (id int, $coldefs) USING spillpool;
CREATE TABLE s_none (id int, $coldefs) USING spillpool;
SELECT spillpool.alter_table('s_none', durability => 'none', memory_limit => '48MB');
});

# fill the heap sources: row id = base + 100 * class + column
my $fill = '';
for my $ci (0 .. $#classes)
{
	for my $k (0 .. $#columns)
	{
		my $id = 100 * ($ci + 1) + $k + 1;
		$fill .=
		    "INSERT INTO %T% (id, $columns[$k][0]) SELECT id, $columns[$k][2] "
		  . "FROM (SELECT %B% + $id AS id, %B% + $id AS n, "
		  . "sample('$classes[$ci]', %B% + $id) AS s) v;\n";
	}
}
for my $src ([ 'h_pglz', 'pglz', 1000 ], [ 'h_lz4', 'lz4', 2000 ])
{
	my ($t, $method, $base) = @{$src};
	my $sql = $fill =~ s/%T%/$t/gr =~ s/%B%/$base/gr;
	$node->safe_psql($db, "SET default_toast_compression = $method;\n$sql");
}

# the sources hold the forms the test is about
for my $src ([ 'h_pglz', 'pglz', 1000 ], [ 'h_lz4', 'lz4', 2000 ])
{
	my ($t, $method, $base) = @{$src};
	my $forms = $node->safe_psql(
		$db, qq{
SELECT string_agg(format('%s:%s:%s', (id - $base) / 100,
                         coalesce(pg_column_compression(c_text), 'plain'),
                         pg_column_size(c_text) < octet_length(c_text) - 100),
                  ' ' ORDER BY id)
FROM $t WHERE c_text IS NOT NULL});
	is( $forms,
		"1:plain:f 2:plain:f 3:plain:f 4:$method:t 5:$method:t 6:$method:t",
		"$t: text values are plain (short, under, over) or $method-compressed (the rest)");
	my $compressed = $node->safe_psql($db,
		"SELECT count(*) FROM $t WHERE "
		  . join(' OR ', map { "pg_column_compression($_->[0]) = '$method'" } @columns));
	cmp_ok($compressed, '>=', 30, "$t: at least 30 values are $method-compressed ($compressed)");
	my $external = $node->safe_psql(
		$db, qq{
SELECT count(DISTINCT chunk_id) FROM pg_toast.pg_toast_${\ $node->safe_psql($db, "SELECT '$t'::regclass::oid") }});
	cmp_ok($external, '>=', 20, "$t: at least 20 values are stored external ($external)");
}

# the routes; %T% is the target table
my $copy_text = $node->basedir . '/rows.copy';
my $copy_bin = $node->basedir . '/rows.bin';
$node->safe_psql(
	$db, qq{
COPY (SELECT id + 20000, $colnames FROM h_pglz) TO '$copy_text';
COPY (SELECT id + 20000, $colnames FROM h_lz4) TO '$copy_bin' WITH (FORMAT binary);
CREATE FUNCTION grow_int(len int, seed int) RETURNS int[] LANGUAGE plpgsql AS
\$\$ DECLARE a int[] := '{}';
BEGIN FOR i IN 1..len LOOP a := a || ((i * seed) % 97); END LOOP; RETURN a; END \$\$;
CREATE FUNCTION grow_text(len int, seed int) RETURNS text[] LANGUAGE plpgsql AS
\$\$ DECLARE a text[] := '{}';
BEGIN FOR i IN 1..len LOOP a := a || md5((i % 7 + seed)::text); END LOOP; RETURN a; END \$\$;
CREATE FUNCTION insert_grown(tbl regclass, first_id int) RETURNS void LANGUAGE plpgsql AS
\$\$ DECLARE a int[] := '{}'; b text[] := '{}';
BEGIN
  FOR n IN 1..6 LOOP
    FOR i IN 1..n * 400 LOOP a := a || (i % 13); b := b || (i % 11)::text; END LOOP;
    EXECUTE format('INSERT INTO %s (id, c_intarr, c_textarr) VALUES (\$1, \$2, \$3)', tbl)
      USING first_id + n, a, b;
  END LOOP;
END \$\$;
});

my @routes = (
	[ 'INSERT ... SELECT from heap, pglz', 'INSERT INTO %T% SELECT * FROM h_pglz' ],
	[ 'INSERT ... SELECT from heap, lz4, through a Sort',
		'INSERT INTO %T% SELECT * FROM h_lz4 ORDER BY id' ],
	[ 'INSERT ... SELECT from heap, pglz, projected',
		"INSERT INTO %T% SELECT id + 10000, $colnames FROM h_pglz" ],
	[ 'INSERT ... SELECT from heap, lz4, projected',
		"INSERT INTO %T% SELECT id + 10000, $colnames FROM h_lz4" ],
	[ 'COPY FROM a file', "COPY %T% FROM '$copy_text'" ],
	[ 'COPY FROM a binary file', "COPY %T% FROM '$copy_bin' WITH (FORMAT binary)" ],
	[ 'PL/pgSQL function returning expanded arrays',
		'INSERT INTO %T% (id, c_intarr, c_textarr) '
		  . 'SELECT 30000 + n, grow_int(n * 500, n), grow_text(n * 60, n) FROM generate_series(1, 8) n' ],
	[ 'PL/pgSQL INSERT of expanded array variables', "SELECT insert_grown('%T%', 30100)" ],
	[ 'INSERT VALUES',
		"INSERT INTO %T% (id, c_text, c_bytea, c_json, c_textarr) VALUES "
		  . "(30201, repeat('xyz', 20000), convert_to(repeat('q', 9000), 'UTF8'), "
		  . "to_json(repeat('j', 5000)), ARRAY[repeat('e', 3000)]), (30202, 'x', '\\x00', '1', '{}')" ],);

for my $r (@routes)
{
	my ($what, $sql) = @{$r};
	for my $t (qw(ref s_commit s_none))
	{
		my ($ret, $out, $err) = $node->psql($db, $sql =~ s/%T%/$t/gr);
		is($ret, 0, "$what into $t") or diag($err);
	}
}

my $nrows = $node->safe_psql($db, 'SELECT count(*) FROM ref');
cmp_ok($nrows, '>', 400, "ref holds every row ($nrows)");

# md5 of every value in row order: the fingerprint each tier must match
my $md5s = join(", ", map { "coalesce(md5($_->[0]::text), '-')" } @columns);
sub fingerprint
{
	my ($from) = @_;
	return $node->safe_psql($db,
		"SELECT concat_ws(' ', id, $md5s) FROM $from ORDER BY id");
}
my $expected = fingerprint('ref');

# no value read back is compressed: they are stored plain
my $any_compressed =
  join(' OR ', map { "pg_column_compression($_->[0]) IS NOT NULL" } @columns);
sub check_tier
{
	my ($t, $what) = @_;
	ok(fingerprint($t) eq $expected, "$t, $what: every value equals the heap copy's");
	is($node->safe_psql($db, "SELECT count(*) FROM $t WHERE $any_compressed"),
		'0', "$t, $what: no value comes back compressed");
	return;
}

sub stat_of
{
	my ($t, $col) = @_;
	return $node->safe_psql($db, "SELECT $col FROM spillpool.stats('$t')");
}

# memtable only
is(stat_of('s_none', 'memtable_rows'), $nrows, 's_none: every row is in the memtable');
is(stat_of('s_none', 'spilled_rows'), '0', 's_none: nothing spilled');
check_tier('s_none', 'memtable');
check_tier('s_commit', 'memtable and segments');

# segments only, after a restart
restart_node($node, 'segments');
is(stat_of('s_commit', 'spilled_rows'), $nrows, 's_commit: after the restart every row is in segments');
is(stat_of('s_commit', 'shard_rows'), '0', 's_commit: nothing flushed yet');
check_tier('s_commit', 'segments after a restart');
check_tier('s_none', 'after a clean restart');

# shards
for my $t (qw(s_commit s_none))
{
	is($node->safe_psql($db, "SELECT spillpool.flush('$t')"), '1', "$t: flush commits snapshot 1");
	is(stat_of($t, 'shard_rows'), $nrows, "$t: every row is in a shard");
	is(stat_of($t, 'spilled_rows'), '0', "$t: no row left in segments");
	check_tier($t, 'shards');
}
restart_node($node, 'shards');
check_tier('s_commit', 'shards after a restart');
check_tier('s_none', 'shards after a restart');

# spillpool.read_parquet of each shard
my $defs = join(', ', 'id int', map { "$_->[0] $_->[1]" } @columns);
for my $t (qw(s_commit s_none))
{
	my @paths = split /\n/,
	  $node->safe_psql($db, "SELECT path FROM spillpool.shards('$t') ORDER BY snapshot_id, path");
	ok(@paths >= 1, "$t: has shards");
	my $union = join(' UNION ALL ',
		map { "SELECT * FROM spillpool.read_parquet('$_') AS t($defs)" } @paths);
	ok(fingerprint("($union) AS r") eq $expected,
		"$t: read_parquet of its shards gives every value of the heap copy");
}

# DuckDB reads the shards; canonical text forms per column (bytea as hex)
SKIP:
{
	if (!$have_duckdb)
	{
		fail('DuckDB is installed (SPILLPOOL_REQUIRE_DUCKDB=1)') if $require_duckdb;
		skip 'DuckDB is not installed in test/duckdb (run npm ci there)', 4;
	}
	# int[] and text[] are LIST columns to DuckDB: both sides print them
	# as [e, e, NULL]
	my %pg_form = (c_bytea => "encode(c_bytea, 'hex')",
		map { $_ => "'[' || array_to_string($_, ', ', 'NULL') || ']'" } qw(c_intarr c_textarr));
	my %duck_form = (c_bytea => 'lower(hex(c_bytea))',
		map { $_ => "'[' || array_to_string(list_transform($_, lambda e: coalesce(CAST(e AS VARCHAR), 'NULL')), ', ') || ']'" }
		  qw(c_intarr c_textarr));
	my $pg_md5 = join(", ",
		map { "coalesce(md5(" . ($pg_form{ $_->[0] } // "$_->[0]::text") . "), '-')" } @columns);
	my $duck_md5 = join(", ",
		map { "coalesce(md5(" . ($duck_form{ $_->[0] } // "CAST($_->[0] AS VARCHAR)") . "), '-')" }
		  @columns);
	my $pg_expected = $node->safe_psql($db,
		"SELECT concat_ws(' ', id, $pg_md5) FROM ref ORDER BY id");
	for my $t (qw(s_commit s_none))
	{
		my @files = map { "'" . $node->data_dir . "/$_'" } split /\n/,
		  $node->safe_psql($db, "SELECT path FROM spillpool.shards('$t')");
		my ($out, $err) = ('', '');
		my $ok = IPC::Run::run(
			[
				$nodejs, "$duckdir/query.mjs",
				"SELECT concat_ws(' ', id, $duck_md5) FROM read_parquet([" . join(', ', @files)
				  . "]) ORDER BY id"
			],
			'>', \$out, '2>', \$err,
			IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
		ok($ok, "$t: DuckDB reads the shards") or diag($err);
		chomp $out;
		ok($out eq $pg_expected, "$t: DuckDB sees every value of the heap copy")
		  or diag("first difference: "
			  . (grep { my $l = $_; !grep { $_ eq $l } split /\n/, $out } split /\n/, $pg_expected)[0]);
	}
}

# a database that has 0.1 gets spillpool.compressed_payload by the update
$node->safe_psql('postgres', 'CREATE DATABASE upgrade');
$node->safe_psql('upgrade', "CREATE EXTENSION spillpool VERSION '0.1'");
my $payload_fns = "SELECT count(*) FROM pg_proc WHERE proname = 'compressed_payload'";
is($node->safe_psql('upgrade', $payload_fns), '0', '0.1 has no compressed_payload');
$node->safe_psql('upgrade', "ALTER EXTENSION spillpool UPDATE TO '0.2'");
is($node->safe_psql('upgrade', "SELECT extversion FROM pg_extension WHERE extname = 'spillpool'"),
	'0.2', 'ALTER EXTENSION spillpool UPDATE TO 0.2');
is($node->safe_psql('upgrade', $payload_fns), '4', '0.2 has compressed_payload for bytea, text, json, bpchar');
# 0.3 shows each role only the options of the tables it may read
my $rls = "SELECT relrowsecurity FROM pg_class WHERE oid = 'spillpool.table_options'::regclass";
is($node->safe_psql('upgrade', $rls), 'f', '0.2: the options catalog has no row-level security');
$node->safe_psql('upgrade', "ALTER EXTENSION spillpool UPDATE TO '0.3'");
is($node->safe_psql('upgrade', "SELECT extversion FROM pg_extension WHERE extname = 'spillpool'"),
	'0.3', 'ALTER EXTENSION spillpool UPDATE TO 0.3');
is($node->safe_psql('upgrade', $rls), 't', '0.3: the options catalog has row-level security');
# 0.4 adds tail and consumers; 0.3's shards function still works with the
# 0.4 library until then
my $consumers = "SELECT to_regclass('spillpool.consumer_offsets') IS NOT NULL";
is($node->safe_psql('upgrade', $consumers), 'f', '0.3: no consumer catalog');
$node->safe_psql('upgrade', 'CREATE TABLE up (id int) USING spillpool; INSERT INTO up VALUES (1)');
$node->safe_psql('upgrade', "SELECT spillpool.flush('up')");
is($node->safe_psql('upgrade', "SELECT rows FROM spillpool.shards('up')"), '1',
	'0.3 definition of spillpool.shards served by the 0.4 library');
$node->safe_psql('upgrade', "ALTER EXTENSION spillpool UPDATE TO '0.4'");
is($node->safe_psql('upgrade', "SELECT extversion FROM pg_extension WHERE extname = 'spillpool'"),
	'0.4', 'ALTER EXTENSION spillpool UPDATE TO 0.4');
is($node->safe_psql('upgrade', $consumers), 't', '0.4: the consumer catalog exists');
is($node->safe_psql('upgrade',
		"SELECT rows, first_position, last_position FROM spillpool.shards('up')"),
	'1|1|1', '0.4: spillpool.shards shows positions');
is($node->safe_psql('upgrade', "SELECT t.position, (t.row).id FROM spillpool.tail(NULL::up) t"),
	'1|1', '0.4: tail after the update');
# 0.5 adds the lifecycle options and the Iceberg catalog view; with the 0.4
# catalog the 0.5 library still reads and sets the older options
$node->safe_psql('upgrade', "SELECT spillpool.alter_table('up', flush_rows => 1000)");
is($node->safe_psql('upgrade', "SELECT flush_rows FROM spillpool.options WHERE table_name = 'up'::regclass"),
	'1000', '0.4 catalog: alter_table of the 0.4 definition works with the 0.5 library');
is($node->safe_psql('upgrade', "SELECT to_regclass('spillpool.iceberg_tables') IS NULL"),
	't', '0.4: no Iceberg catalog view');
$node->safe_psql('upgrade', "ALTER EXTENSION spillpool UPDATE TO '0.5'");
is($node->safe_psql('upgrade', "SELECT extversion FROM pg_extension WHERE extname = 'spillpool'"),
	'0.5', 'ALTER EXTENSION spillpool UPDATE TO 0.5');
$node->safe_psql('upgrade',
	"SELECT spillpool.alter_table('up', snapshot_retention => '1 hour', compact_min_shards => 2)");
is($node->safe_psql('upgrade',
		"SELECT flush_rows, snapshot_retention, compact_min_shards FROM spillpool.options WHERE table_name = 'up'::regclass"),
	'1000|01:00:00|2', '0.5: the lifecycle options are stored beside the older ones');
like($node->safe_psql('upgrade',
		"SELECT metadata_location FROM spillpool.iceberg_tables WHERE table_name = 'up'"),
	qr{/metadata/v\d+\.metadata\.json$}, '0.5: the table is in spillpool.iceberg_tables');
is($node->safe_psql('upgrade', "SELECT t.position, (t.row).id FROM spillpool.tail(NULL::up) t"),
	'1|1', '0.5: the rows are unchanged by the update');
# 0.6 adds the distance operators on real[]
$node->safe_psql('upgrade', 'ALTER EXTENSION spillpool UPDATE');
is($node->safe_psql('upgrade', "SELECT extversion FROM pg_extension WHERE extname = 'spillpool'"),
	'0.6', 'ALTER EXTENSION spillpool UPDATE goes on to 0.6');
is($node->safe_psql('upgrade', "SELECT '{0,0}'::real[] OPERATOR(spillpool.<->) '{3,4}'::real[]"),
	'5', '0.6: the l2 distance operator');
$node->safe_psql('upgrade', 'CREATE TABLE vec (id int, v real[]) USING spillpool');
$node->safe_psql('upgrade',
	"SELECT spillpool.alter_table('vec', embedding_column => 'v', embedding_dimension => 2)");
is($node->safe_psql('upgrade',
		"SELECT compact_min_shards, snapshot_retention, embedding_column, embedding_dimension, embedding_metric FROM spillpool.options WHERE table_name = 'vec'::regclass"),
	'16|1 day|v|2|l2', '0.6: the vector options beside the others');
my ($vret, $vout, $verr) = $node->psql('upgrade', "INSERT INTO vec VALUES (1, '{1,2,3}')");
like($verr, qr/expected 2 dimensions, not 3/, '0.6: inserts check the dimension');
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'spillpool'"),
	'0.6', 'CREATE EXTENSION installs 0.6');

ok(!$node->log_contains('was terminated by signal|PANIC'), 'no backend crashed');
stop_node($node, 'fast', 'end of test');
done_testing();
