
# Copyright: spillpool project
#
# A real full file system: a 16 MB tmpfs that test/run-tests.sh mounts (as
# root) and hands over in SPILLPOOL_FULL_DISK_DIR; the node's spillpool
# directory ($PGDATA/spillpool, where every table's segments, shards and
# manifest live) is moved there, while WAL and heap files stay on the
# ordinary disk.  A small durability = 'commit' transaction whose block does
# not fit any more fails at COMMIT with ERRCODE_DISK_FULL and rolls back:
# the room for the block written after the commit record is taken before
# it (zero-filled at PRE_COMMIT), so the server never PANICs.  The next
# commits on the still-full disk fail the same way, every acknowledged row
# stays, and once space is freed commits work again, also after a restart.
# Then a clean shutdown on the full disk: the rows of a durability 'none'
# table that do not fit are named in a WARNING, and exactly the others
# come back.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;

my $dir = $ENV{SPILLPOOL_FULL_DISK_DIR};
plan skip_all =>
  'SPILLPOOL_FULL_DISK_DIR is not set (test/run-tests.sh mounts a small tmpfs there as root)'
  unless defined $dir && -d $dir && -w $dir;

my $node = spillpool_node('fulldisk', "spillpool.flush_naptime = '1h'\n");
my $pgdata = $node->data_dir;
stop_node($node, 'fast', 'moving the spillpool directory');
if (-d "$pgdata/spillpool")
{
	system('cp', '-a', "$pgdata/spillpool", "$dir/spillpool") == 0
	  or die "cannot copy $pgdata/spillpool to $dir";
	system('rm', '-rf', "$pgdata/spillpool") == 0 or die "cannot remove $pgdata/spillpool";
}
else
{
	mkdir("$dir/spillpool", 0700) or die "cannot create $dir/spillpool: $!";
}
symlink("$dir/spillpool", "$pgdata/spillpool") or die "cannot link $pgdata/spillpool: $!";
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE TABLE fd (id int, payload text) USING spillpool;
	SELECT spillpool.alter_table('fd', max_file_size => '256kB');
});
ok(-l "$pgdata/spillpool", 'the spillpool directory is on the small file system');

# one transaction of 100 rows of 320 random hex characters (about 32 kB)
my $next_id = 1;
sub insert_txn
{
	my $from = $next_id;
	my $to = $from + 99;
	my ($ret, $out, $err) = $node->psql(
		'postgres',
		"\\set VERBOSITY verbose\nINSERT INTO fd SELECT g, repeat(md5(random()::text), 10) FROM generate_series($from, $to) g",
		on_error_stop => 1);
	$next_id = $to + 1 if $ret == 0;
	return ($ret, $err);
}

# fill the file system with a file, then give 160 kB back
my $filler = "$dir/filler";
{
	open(my $fh, '>:raw', $filler) or die "cannot create $filler: $!";
	my $chunk = "\0" x 65536;
	while (syswrite($fh, $chunk)) { }
	close $fh;
}
truncate($filler, (-s $filler) - 160 * 1024) or die "cannot truncate $filler: $!";

my ($acked, $failed, $err_seen) = (0, 0, '');
for my $i (1 .. 40)
{
	my ($ret, $err) = insert_txn();
	if ($ret == 0) { $acked += 100; next; }
	$failed++;
	$err_seen = $err;
	last;
}
cmp_ok($acked, '>', 0, "some transactions committed before the disk filled ($acked rows)");
is($failed, 1, 'then a commit failed');
like($err_seen, qr/ERROR:  53100: /, 'with ERRCODE_DISK_FULL');
like($err_seen, qr/No space left on device/, 'saying the device is full');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is up');
ok(!$node->log_contains('PANIC'), 'no PANIC');

# the disk is still full: the next commits fail the same way
for my $i (1 .. 3)
{
	my ($ret, $err) = insert_txn();
	isnt($ret, 0, "commit $i on the still-full disk fails");
	like($err, qr/ERROR:  53100: /, "commit $i: ERRCODE_DISK_FULL");
}
ok(!$node->log_contains('PANIC'), 'still no PANIC');
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT id), max(id) FROM fd'),
	"$acked|$acked|$acked", 'every acknowledged row is there, and no other');

# space again: commits work, and nothing is lost across a restart
unlink($filler) or die "cannot remove $filler: $!";
for my $i (1 .. 3)
{
	my ($ret, $err) = insert_txn();
	is($ret, 0, "commit $i after space was freed") or diag($err);
	$acked += 100 if $ret == 0;
}
restart_node($node, 'after the full disk');
is($node->safe_psql('postgres', 'SELECT count(*), count(DISTINCT id), max(id) FROM fd'),
	"$acked|$acked|$acked", 'after a restart every acknowledged row is there');
is($node->safe_psql('postgres', "SELECT spillpool.flush('fd') > 0"), 't', 'the table flushes');
is($node->safe_psql('postgres', 'SELECT count(*) FROM fd'), $acked, 'and reads the same rows');

$node->safe_psql('postgres', 'DROP TABLE fd');

# A clean shutdown writes the rows of durability 'none' tables, which are
# only in memory, to segment files.  On a full disk it writes what fits,
# whole blocks, and a WARNING names the table and the rows that are lost
# (with the real errno); after the restart exactly the others are there.
$node->safe_psql(
	'postgres', q{
	CREATE TABLE fdn (id int, payload text) USING spillpool;
	SELECT spillpool.alter_table('fdn', durability => 'none', memory_limit => '32MB');
});
my $none_rows = 0;
for my $i (0 .. 19)
{
	$node->safe_psql('postgres',
		"INSERT INTO fdn SELECT g, repeat(md5(random()::text), 4) FROM generate_series("
		  . ($i * 2500 + 1) . ', ' . (($i + 1) * 2500) . ') g');
	$none_rows += 2500;
}
is($node->safe_psql('postgres', "SELECT memtable_rows, segment_files FROM spillpool.stats('fdn')"),
	"$none_rows|0", 'the rows are in memory only');
{
	open(my $fh, '>:raw', $filler) or die "cannot create $filler: $!";
	my $chunk = "\0" x 65536;
	while (syswrite($fh, $chunk)) { }
	close $fh;
}
my $log_off = -s $node->logfile;
$node->stop('fast');
my $log = slurp_file($node->logfile, $log_off);
my ($lost) = $log =~ /WARNING:  could not write (\d+) rows of spillpool table \d+ at shutdown to "[^"]+": No space left on device/;
ok(defined $lost, 'the shutdown names the table and the rows it could not write')
  or diag($log);
$lost //= -1;
cmp_ok($lost, '>', 0, "rows were lost to the full disk ($lost)");
unlike($log, qr/No child processes/, 'with the real errno');
unlink($filler) or die "cannot remove $filler: $!";
$node->start;
is($node->safe_psql('postgres', 'SELECT count(*) FROM fdn'), $none_rows - $lost,
	'after the restart every row the warning did not count as lost is there');
is($node->safe_psql('postgres', 'SELECT count(*) = count(DISTINCT id) FROM fdn'), 't',
	'and none twice');

ok(!$node->log_contains('was terminated by signal|PANIC'), 'no server process crashed');
stop_node($node, 'fast', 'end of test');
done_testing();
