
# Copyright: spillpool project
#
# The background worker's maintenance rounds (spillpool.maintenance_naptime):
# it compacts a table with more small shards than its compact_min_shards
# (and not one with fewer, nor one whose compact_min_shards is 0), drops the
# shards its retention no longer keeps (never unflushed rows), and expires
# snapshots older than its snapshot_retention, deleting their files once
# the cursor that still reads them is closed.  Rows are compared with a
# heap copy after each step.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;
use Time::HiRes qw(usleep);

my $node = spillpool_node('maintenance',
	"spillpool.flush_naptime = '100ms'\nspillpool.maintenance_naptime = '1s'\n"
	  . "spillpool.default_flush_interval = '1h'\nspillpool.default_snapshot_retention = '1h'\n");

sub q1 { return $node->safe_psql('postgres', $_[0]); }

# waits until $sql returns $want (30 s at most); true if it did
sub wait_for
{
	my ($sql, $want) = @_;
	for (1 .. 300)
	{
		return 1 if q1($sql) eq $want;
		usleep(100_000);
	}
	return 0;
}

# the table and its heap copy hold the same rows
sub same_rows
{
	my ($t, $what) = @_;
	is(q1("SELECT count(*) FROM ((SELECT * FROM $t EXCEPT ALL SELECT * FROM ${t}_ref)
		UNION ALL (SELECT * FROM ${t}_ref EXCEPT ALL SELECT * FROM $t)) d"),
		'0', "$what: the same rows as the heap copy");
}

q1("CREATE TABLE c (id int, ts timestamptz, v text) USING spillpool");
q1("CREATE TABLE c_ref (id int, ts timestamptz, v text)");
q1("CREATE TABLE n (id int, ts timestamptz, v text) USING spillpool");
q1("SELECT spillpool.alter_table('c', compact_min_shards => 3)");
q1("SELECT spillpool.alter_table('n', compact_min_shards => 0)");
for my $i (1 .. 5)
{
	q1("INSERT INTO c SELECT g, '2020-01-01'::timestamptz + g * interval '1 minute', md5(g::text)
		FROM generate_series($i * 100, $i * 100 + 49) g");
	q1("SELECT spillpool.flush('c')");
	q1("INSERT INTO n SELECT g, now(), 'n' FROM generate_series($i * 100, $i * 100 + 9) g");
	q1("SELECT spillpool.flush('n')");
}
q1("INSERT INTO c_ref SELECT * FROM c");

# 1. compaction: c has 5 small shards (> 3), n has 5 and compact_min_shards 0
ok(wait_for("SELECT shards FROM spillpool.stats('c')", '1'),
	'the worker compacts the 5 small shards of c into one');
is(q1("SELECT operation FROM spillpool.snapshots('c') ORDER BY snapshot_id DESC LIMIT 1"),
	'replace', 'the worker committed a replace snapshot');
same_rows('c', 'after the compaction');
is(q1("SELECT shards FROM spillpool.stats('n')"), '5',
	'n (compact_min_shards 0) is left alone');
q1("INSERT INTO c SELECT g, '2020-06-01', 'two more' FROM generate_series(900, 901) g");
q1("SELECT spillpool.flush('c')");
q1("INSERT INTO c_ref SELECT * FROM c WHERE id >= 900");
sleep(3);
is(q1("SELECT shards FROM spillpool.stats('c')"), '2',
	'two small shards (not more than 3) stay as they are');

# 2. retention: the shards of 2020 go, the row of 2020 not yet flushed stays
q1("INSERT INTO c VALUES (1000, now(), 'new'), (1001, '2020-01-01', 'old but unflushed')");
q1("INSERT INTO c_ref SELECT * FROM c WHERE id >= 1000");
q1("SELECT spillpool.alter_table('c', retention_column => 'ts', retention => '30 days')");
ok(wait_for("SELECT operation FROM spillpool.snapshots('c') ORDER BY snapshot_id DESC LIMIT 1", 'delete'),
	'the worker drops the shards older than the retention in a delete snapshot');
is(q1("SELECT count(*), min(id), max(id) FROM c"), '2|1000|1001',
	'the unflushed rows stay, the old shards are gone');
q1("DELETE FROM c_ref WHERE id < 1000");
same_rows('c', 'after the retention drop');
ok($node->log_contains(qr/spillpool dropped 252 rows of table "c" older than its retention/),
	'the worker logs what retention dropped');

# 3. expiry: a cursor opened before a compaction and an expiry keeps the
# files it reads until it is closed
q1("CREATE TABLE e (id int, ts timestamptz, v text) USING spillpool");
for my $i (1 .. 3)
{
	q1("INSERT INTO e SELECT g, now(), md5(g::text) FROM generate_series($i * 100, $i * 100 + 99) g");
	q1("SELECT spillpool.flush('e')");
}
my $dir = table_dir_of($node, 'e');
# rows committed before the cursor opens, flushed after the compaction
q1("INSERT INTO e SELECT g, now(), 'five' FROM generate_series(400, 409) g");
my $bg = $node->background_psql('postgres');
$bg->query_safe("BEGIN; DECLARE cur CURSOR FOR SELECT id FROM e");
is($bg->query_safe("FETCH 1 FROM cur"), '100', 'the cursor read its first row');
q1("SELECT spillpool.compact('e')");
q1("SELECT spillpool.flush('e')");
# (a flush may leave rows a running transaction cannot see yet to the next)
my $snaps = q1("SELECT count(*) FROM spillpool.snapshots('e')");
my @before = glob("$dir/shards/*.parquet");
is(q1("SELECT spillpool.expire_snapshots('e', now())"), $snaps - 1,
	'every snapshot but the last expires');
my @held = glob("$dir/shards/*.parquet");
is(scalar(@held), scalar(@before), 'the replaced shards stay while the cursor that reads them is open');
my @rest = split /\n/, $bg->query_safe("FETCH ALL FROM cur");
is(scalar(@rest) . ' ' . join(',', @rest[0, -1]), '309 101,409',
	'the cursor reads its other 309 rows, 101 to 409, from the replaced shards and the memtable');
$bg->query_safe("COMMIT");
$bg->quit;
ok(wait_for("SELECT count(*) = (SELECT count(*) FROM spillpool.shards('e')) FROM pg_ls_dir('"
		  . ($dir =~ s{^.*/(spillpool/)}{$1}r) . "/shards') f", 't'),
	'the worker deletes them once the cursor is closed: the files left are the live shards');
my ($disk, $listed) = shard_files($dir);
is($disk, $listed, 'the shard files on disk are those the manifest lists');
is(q1("SELECT count(*), sum(id) FROM e"), '310|78895', 'e has its 310 rows');
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM spillpool.scan(NULL::e, 1)');
like($err, qr/snapshot 1 of spillpool table "e" has expired/, 'time travel to snapshot 1 has expired');

# 4. expiry by the worker: snapshot_retention 0 keeps the current snapshot only
q1("SELECT spillpool.alter_table('c', snapshot_retention => '0')");
ok(wait_for("SELECT count(*) FROM spillpool.snapshots('c')", '1'),
	'the worker expires every snapshot of c but the current one');
($disk, $listed) = shard_files(table_dir_of($node, 'c'));
is($disk, $listed, 'c: the shard files on disk are those the manifest lists');
same_rows('c', 'after the expiry');

ok(!$node->log_contains('PANIC|could not write the Iceberg metadata'), 'no PANIC, no Iceberg failure');
stop_node($node, 'fast', 'end of test');
done_testing();
