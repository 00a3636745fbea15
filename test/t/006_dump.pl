
# Copyright: spillpool project
#
# pg_dump -Fc / pg_restore round trip of a database with spillpool tables:
# every row (in scan order), every option set with alter_table, and the
# consumers' offsets.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
# no background flush: t_opts reaches its flush_rows, and the test counts
# its segment files
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'spillpool'\nspillpool.memory = '64MB'\n"
	  . "spillpool.flush_naptime = '1h'\n");
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql(
	'src', q{
	CREATE EXTENSION spillpool;
	CREATE SCHEMA s1;

	-- default options, assorted types and NULLs, several transactions
	CREATE TABLE t_plain (id int, txt text, num numeric, ts timestamptz,
						  j jsonb, bin bytea, big text) USING spillpool;
	INSERT INTO t_plain
	SELECT g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'row ' || g END,
		   g * 1.5, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 minute',
		   jsonb_build_object('g', g, 'odd', g % 2 = 1),
		   CASE WHEN g % 5 = 0 THEN NULL ELSE decode(md5(g::text), 'hex') END,
		   CASE WHEN g % 100 = 0 THEN repeat(md5(g::text), 200) END
	FROM generate_series(1, 4000) g;
	INSERT INTO t_plain (id, txt) SELECT g, 'second ' || g FROM generate_series(4001, 6000) g;
	INSERT INTO t_plain (id) VALUES (NULL);

	-- every option set, rows in several segment files
	CREATE TABLE t_opts (id int, payload text) USING spillpool;
	SELECT spillpool.alter_table('t_opts', memory_limit => '1MB', max_file_size => '256kB');
	INSERT INTO t_opts SELECT g, md5(g::text) FROM generate_series(1, 3000) g;
	INSERT INTO t_opts SELECT g, md5(g::text) FROM generate_series(3001, 40000) g;
	INSERT INTO t_opts SELECT g, md5(g::text) FROM generate_series(40001, 41000) g;
	SELECT spillpool.alter_table('t_opts', spill_compression => 'zstd',
		shard_compression => 'lz4', compression_level => 7, flush_rows => 12345,
		flush_bytes => '3MB', flush_interval => '10 minutes',
		max_disk_size => '1GB', durability => 'none');

	-- a quoted name in another schema, uncompressed segments
	CREATE TABLE s1."Mixed Case" ("Id" int, v text) USING spillpool;
	SELECT spillpool.alter_table('s1."Mixed Case"', spill_compression => 'none',
		max_disk_size => '-1');
	INSERT INTO s1."Mixed Case" SELECT g, repeat('v', g % 50) FROM generate_series(1, 2500) g;

	-- empty, with one option
	CREATE TABLE t_empty (a int) USING spillpool;
	SELECT spillpool.alter_table('t_empty', memory_limit => '512kB');

	-- consumers with stored offsets
	SELECT count(*) FROM spillpool.consume(NULL::t_plain, 'app', 7);
	SELECT spillpool.reset_consumer('s1."Mixed Case"', 'audit', 42);

	-- a heap table alongside
	CREATE TABLE h (id int PRIMARY KEY, v text);
	INSERT INTO h SELECT g, 'h' || g FROM generate_series(1, 100) g;
});

my @tables = ('t_plain', 't_opts', 's1."Mixed Case"', 't_empty', 'h');

# per table: rows, and md5 of the rows in scan order and sorted
sub table_digest
{
	my ($db, $t) = @_;
	return $node->safe_psql(
		$db, qq{
		SELECT count(*) || '|' ||
			coalesce(md5(string_agg(x::text, E'\\n')), '-') || '|' ||
			coalesce(md5(string_agg(x::text, E'\\n' ORDER BY x::text)), '-')
		FROM $t x});
}

sub options_of
{
	my ($db) = @_;
	return $node->safe_psql($db,
		q{SELECT o::text FROM spillpool.options o ORDER BY table_name::text});
}

sub stored_options_of
{
	my ($db) = @_;
	return $node->safe_psql($db,
		q{SELECT relid::text, memory_limit, max_file_size, spill_compression,
				 shard_compression, compression_level, flush_rows, flush_bytes,
				 flush_interval, max_disk_size, durability
		  FROM spillpool.table_options ORDER BY relid::text});
}

my %src = map { $_ => table_digest('src', $_) } @tables;
like($src{'t_plain'}, qr/^6001\|/, 'source t_plain has its rows');
like($src{'t_opts'}, qr/^41000\|/, 'source t_opts has its rows');
like($src{'s1."Mixed Case"'}, qr/^2500\|/, 'source mixed-case table has its rows');
like($src{'t_empty'}, qr/^0\|/, 'source t_empty is empty');
cmp_ok($node->safe_psql('src', "SELECT segment_files FROM spillpool.stats('t_opts')"),
	'>', 1, 'source t_opts has several segment files');
my $src_opts        = options_of('src');
my $src_stored_opts = stored_options_of('src');
is(scalar(split /\n/, $src_stored_opts), 3, 'options stored for the three tables given some');

my $dump = $node->basedir . '/src.dump';
$node->command_ok(
	[ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ],
	'pg_dump -Fc of the source database');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->command_ok(
	[ 'pg_restore', '--exit-on-error', '-d', $node->connstr('dst'), $dump ],
	'pg_restore into a new database');

is($node->safe_psql('dst', "SELECT extversion FROM pg_extension WHERE extname = 'spillpool'"),
	$node->safe_psql('src', "SELECT extversion FROM pg_extension WHERE extname = 'spillpool'"),
	'the restore created the extension');
is( $node->safe_psql(
		'dst', q{SELECT string_agg(c.oid::regclass::text || ':' || a.amname, ',' ORDER BY c.oid::regclass::text)
			FROM pg_class c JOIN pg_am a ON a.oid = c.relam
			WHERE c.relkind = 'r' AND c.relnamespace IN ('public'::regnamespace, 's1'::regnamespace)}),
	'h:heap,s1."Mixed Case":spillpool,t_empty:spillpool,t_opts:spillpool,t_plain:spillpool',
	'restored tables use the same access methods');

for my $t (@tables)
{
	is(table_digest('dst', $t), $src{$t}, "$t: every row restored, in the same scan order");
}
is(options_of('dst'), $src_opts, 'spillpool.options identical after the restore');
is(stored_options_of('dst'), $src_stored_opts,
	'spillpool.table_options identical after the restore');

my $offsets = q{SELECT string_agg(rel::text || ':' || consumer || ':' || owner || ':' || position, ','
	ORDER BY rel::text, consumer) FROM spillpool.consumer_offsets};
is($node->safe_psql('dst', $offsets), $node->safe_psql('src', $offsets),
	'consumer offsets identical after the restore');
like($node->safe_psql('dst', $offsets), qr/^s1."Mixed Case":audit:\w+:42,t_plain:app:\w+:\d+$/,
	'both consumers were dumped');

# the restored tables are ordinary working spillpool tables
$node->safe_psql('dst',
	q{INSERT INTO s1."Mixed Case" SELECT g, 'new' FROM generate_series(2501, 2510) g});
is($node->safe_psql('dst', 'SELECT count(*), sum("Id") FROM s1."Mixed Case"'),
	'2510|' . (2510 * 2511 / 2), 'a restored table takes new rows');
is($node->safe_psql('dst', "SELECT durability FROM spillpool.options WHERE table_name = 't_opts'::regclass"),
	'none', 'restored t_opts keeps durability none');

ok(!$node->log_contains('was terminated by signal|PANIC'), 'no server process crashed');
stop_node($node, 'fast', 'end of test');
done_testing();
