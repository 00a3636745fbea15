
# Copyright: spillpool project
#
# The background flush: the launcher starts a per-database worker when a
# table reaches flush_rows, flush_bytes or flush_interval, or when a writer
# hit a disk limit; at startup it flushes tables nobody has touched since.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;

my $node = spillpool_node('flush_worker', "spillpool.flush_naptime = '200ms'\n");

# Waits until $sql returns 't' (at most 60 s); returns true if it did.
sub wait_for
{
	my ($db, $sql) = @_;
	return $node->poll_query_until($db, $sql);
}

$node->safe_psql(
	'postgres', q{
	CREATE TABLE by_rows (id int, msg text) USING spillpool;
	SELECT spillpool.alter_table('by_rows', flush_rows => 1000);
	CREATE TABLE by_bytes (id int, msg text) USING spillpool;
	SELECT spillpool.alter_table('by_bytes', flush_bytes => '64kB');
	CREATE TABLE by_time (id int) USING spillpool;
	SELECT spillpool.alter_table('by_time', flush_interval => '2s');
	CREATE TABLE not_due (id int) USING spillpool;
});

# below the thresholds nothing happens
$node->safe_psql('postgres',
	'INSERT INTO by_rows SELECT g, md5(g::text) FROM generate_series(1, 999) g');
$node->safe_psql('postgres', 'INSERT INTO not_due SELECT generate_series(1, 100)');
sleep(1);
is( $node->safe_psql('postgres',
		q{SELECT current_snapshot FROM spillpool.stats('by_rows')}),
	'0', 'no flush below flush_rows');
is($node->safe_psql('postgres', q{SELECT spillpool.flush_if_due('by_rows') IS NULL}),
	't', 'flush_if_due agrees that nothing is due');

# flush_rows
$node->safe_psql('postgres',
	'INSERT INTO by_rows SELECT g, md5(g::text) FROM generate_series(1000, 1500) g');
ok( wait_for(
		'postgres',
		q{SELECT current_snapshot = 1 FROM spillpool.stats('by_rows')}),
	'flush_rows reached: the worker flushed');
is( $node->safe_psql(
		'postgres',
		q{SELECT shard_rows, spilled_rows + memtable_rows FROM spillpool.stats('by_rows')}),
	'1500|0', 'every committed row went into the shard');
is( $node->safe_psql(
		'postgres',
		q{SELECT count(*), count(DISTINCT id), sum(id) FROM by_rows}),
	'1500|1500|1125750', 'rows read back from the shard');

# flush_bytes (64kB of raw row data)
$node->safe_psql('postgres',
	q{INSERT INTO by_bytes SELECT g, repeat('x', 100) FROM generate_series(1, 1000) g});
ok( wait_for(
		'postgres',
		q{SELECT current_snapshot = 1 AND shard_rows = 1000 FROM spillpool.stats('by_bytes')}),
	'flush_bytes reached: the worker flushed');

# flush_interval
$node->safe_psql('postgres', 'INSERT INTO by_time VALUES (1), (2), (3)');
ok( wait_for(
		'postgres',
		q{SELECT current_snapshot = 1 AND shard_rows = 3 FROM spillpool.stats('by_time')}),
	'flush_interval passed: the worker flushed');
is( $node->safe_psql('postgres',
		q{SELECT current_snapshot FROM spillpool.stats('not_due')}),
	'0', 'a table below every threshold is left alone');

# a second database gets its own worker
$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql(
	'other', q{
	CREATE EXTENSION spillpool;
	CREATE TABLE o (id int) USING spillpool;
	SELECT spillpool.alter_table('o', flush_rows => 10);
	INSERT INTO o SELECT generate_series(1, 50);
});
ok( wait_for(
		'other', q{SELECT current_snapshot = 1 AND shard_rows = 50 FROM spillpool.stats('o')}),
	'a table in another database is flushed');

# a writer that hits max_disk_size asks for a flush; after it, writes fit
$node->safe_psql(
	'postgres', q{
	CREATE TABLE capped (id int, pad text) USING spillpool;
	SELECT spillpool.alter_table('capped', spill_compression => 'none',
		max_disk_size => '400kB', memory_limit => '64kB');
});
my ($ret, $out, $err);
for my $i (1 .. 40)
{
	($ret, $out, $err) = $node->psql('postgres',
		"INSERT INTO capped SELECT g, repeat('y', 200) FROM generate_series($i * 1000, $i * 1000 + 199) g"
	);
	last if $ret != 0;
}
like($err, qr/would exceed its max_disk_size/, 'the table reached its disk limit');
ok( wait_for(
		'postgres', q{SELECT current_snapshot >= 1 FROM spillpool.stats('capped')}),
	'the disk limit made the worker flush the table');
is( $node->psql(
		'postgres',
		q{INSERT INTO capped SELECT g, repeat('y', 200) FROM generate_series(1, 199) g}),
	0,
	'after the flush the next write fits');

# at startup, tables nobody touches are flushed once due
$node->safe_psql(
	'postgres', q{
	CREATE TABLE untouched (id int) USING spillpool;
	SELECT spillpool.alter_table('untouched', flush_interval => '5s');
	INSERT INTO untouched SELECT generate_series(1, 77);
});
my $rel = $node->safe_psql('postgres',
	q{SELECT d.oid || '/' || pg_relation_filenode('untouched') FROM pg_database d WHERE datname = current_database()}
);
# keep it from being flushed before the restart
$node->append_conf('postgresql.conf', "spillpool.flush_naptime = '1h'\n");
$node->restart;
my $manifest = $node->data_dir . "/spillpool/$rel/manifest";
ok(!-e $manifest, 'no manifest before the restart flush');
$node->append_conf('postgresql.conf', "spillpool.flush_naptime = '200ms'\n");
$node->reload;
my $found = 0;
for (1 .. 300)
{
	if (-e $manifest && slurp_file($manifest) =~ /^snapshot 1 \d+ 77 1 append 0 0$/m)
	{
		$found = 1;
		last;
	}
	select(undef, undef, undef, 0.1);
}
ok($found, 'a table untouched since the restart was flushed by its database worker');
is($node->safe_psql('postgres', 'SELECT count(*), sum(id) FROM untouched'),
	'77|3003', 'and its rows are all there');

done_testing();
