
# Copyright: spillpool project
#
# Crash safety of compaction.  spillpool.debug_crash_at makes the compacting
# backend SIGKILL itself at each step (new shard files written, the
# manifest's temporary file written, the manifest renamed = the commit
# point); the postmaster restarts the server.  After the crash the table is
# at the old snapshot (the run's small shards, the new files gone) or the
# new one (one "replace" snapshot, the small shards kept for time travel):
# the same rows at the same positions in the same order, none lost or
# doubled, no shard file the manifest does not list, no manifest.tmp; time
# travel to the last flush still reads the small shards; a second
# compaction after an interrupted one makes the new snapshot.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;

my $node = spillpool_node('compact_crash',
	"spillpool.flush_naptime = '1h'\nspillpool.default_flush_interval = '1h'\nrestart_after_crash = on\n");

sub q1 { return $node->safe_psql('postgres', $_[0]); }


# the scan order of SELECT
sub scan_order
{
	my ($t) = @_;
	return q1("SELECT md5(string_agg(id::text, ',')) FROM (SELECT id FROM $t) s");
}



my $case = 0;
for my $step (qw(compact-shards-written manifest-temp compact-manifest-renamed))
{
	$case++;
	my $t = "cc$case";
	q1("CREATE TABLE $t (id int, v text) USING spillpool");
	for my $i (1 .. 12)
	{
		q1("INSERT INTO $t SELECT g, md5(g::text) FROM generate_series($i * 1000, $i * 1000 + 499) g");
		q1("SELECT spillpool.flush('$t')");
	}
	# rows still in the memtable and segments, too
	q1("INSERT INTO $t SELECT g, 'unflushed' FROM generate_series(100000, 100099) g");
	my $before = rows_with_positions($node, $t);
	my $order = scan_order($t);
	my $snap_before = q1("SELECT current_snapshot FROM spillpool.stats('$t')");
	is(q1("SELECT shards FROM spillpool.stats('$t')"), '12', "$step: 12 small shards");

	my $log_off = -s $node->logfile;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET spillpool.debug_crash_at = '$step'; SELECT spillpool.compact('$t')");
	isnt($ret, 0, "$step: the compaction did not return");
	$node->wait_for_log(qr/database system is ready to accept connections/, $log_off);
	$node->poll_query_until('postgres', 'SELECT true') or die "server did not come back";
	ok($node->log_contains(qr/crashing at flush step "\Q$step\E"/, $log_off),
		"$step: the backend crashed at the step");

	my $committed = ($step eq 'compact-manifest-renamed');
	is(rows_with_positions($node, $t), $before, "$step: the same rows at the same positions after the crash");
	is(scan_order($t), $order, "$step: the same scan order");
	is(q1("SELECT current_snapshot FROM spillpool.stats('$t')"),
		$committed ? $snap_before + 1 : $snap_before,
		"$step: the table is at the " . ($committed ? 'new' : 'old') . ' snapshot');
	is(q1("SELECT shards FROM spillpool.stats('$t')"), $committed ? '1' : '12',
		"$step: shards of the current snapshot");
	my ($disk, $listed) = shard_files(table_dir_of($node, $t));
	is($disk, $listed, "$step: every shard file on disk is listed in the manifest, and only those");
	ok(!-e table_dir_of($node, $t) . '/manifest.tmp', "$step: no manifest.tmp left");
	is(q1("SELECT count(*) FROM spillpool.scan(NULL::$t, $snap_before)"), '6000',
		"$step: time travel to the last flush reads the 12 small shards");

	# an interrupted compaction is done again; the result is the same
	my $after = q1("SELECT spillpool.compact('$t')");
	is($after, $snap_before + 1, "$step: compacting again makes (or keeps) the replace snapshot");
	is(q1("SELECT operation FROM spillpool.snapshots('$t') ORDER BY snapshot_id DESC LIMIT 1"),
		'replace', "$step: the last snapshot replaced shards");
	is(rows_with_positions($node, $t), $before, "$step: the same rows at the same positions after compacting");
	is(scan_order($t), $order, "$step: the same scan order after compacting");
	($disk, $listed) = shard_files(table_dir_of($node, $t));
	is($disk, $listed, "$step: the files agree with the manifest after compacting");

	# and it survives a restart
	$node->restart;
	is(rows_with_positions($node, $t), $before, "$step: the same after a restart");
}

ok(!$node->log_contains('PANIC'), 'no PANIC');
stop_node($node, 'fast', 'end of test');
done_testing();
