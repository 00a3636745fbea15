
# Copyright: spillpool project
#
# Crash safety of durability 'commit' (the default): every row whose COMMIT
# returned survives a kill -9 of the postmaster and all its children, and
# nothing of an uncommitted transaction survives.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;
use IPC::Run;


my $node = spillpool_node('crash');

# Verify the crash helper itself: after it the postmaster and all its
# children are gone, and the server restarts through crash recovery.
{
	my $pm = $node->{_pid};
	my @kids = child_pids($pm);
	ok(scalar(@kids) >= 4, 'postmaster has children before the crash');
	crash_node($node);
	ok(!pid_alive($pm) && !(grep { pid_alive($_) } @kids),
		'crash helper killed the postmaster and every child');
	my $log_off = -s $node->logfile;
	$node->start;
	ok( $node->log_contains(
			'database system was interrupted|was not properly shut down', $log_off),
		'server went through crash recovery after the kill');
}

# SQL checking that table $t holds exactly the rows (g, md5(g::text)) for g
# in $lo..$hi: returns "count|missing|extra".
sub exact_rows_sql
{
	my ($t, $lo, $hi) = @_;
	return qq{
		SELECT (SELECT count(*) FROM $t) || '|' ||
		(SELECT count(*) FROM generate_series($lo, $hi) g
		  WHERE NOT EXISTS (SELECT 1 FROM $t x WHERE x.id = g AND x.payload = md5(g::text))) || '|' ||
		(SELECT count(*) FROM $t x
		  WHERE x.id NOT BETWEEN $lo AND $hi OR x.payload IS DISTINCT FROM md5(x.id::text))};
}

$node->safe_psql(
	'postgres', q{
	CREATE TABLE t_a (id int, payload text) USING spillpool;
	CREATE TABLE t_a2 (id int, payload text) USING spillpool;
	CREATE TABLE t_b (id int, payload text) USING spillpool;
	CREATE TABLE h_b (id int, payload text);
	CREATE TABLE t_c (id int, payload text) USING spillpool;
	CREATE TABLE t_c2 (client int, n int) USING spillpool;
	CREATE TABLE t_d (id int, payload text) USING spillpool;
	SELECT spillpool.alter_table('t_d', memory_limit => '1MB');
});

###########################################################################
# (a) a transaction that wrote only to spillpool tables, killed right after
# its COMMIT returned
###########################################################################
$node->safe_psql(
	'postgres', q{
	BEGIN;
	INSERT INTO t_a SELECT g, md5(g::text) FROM generate_series(1, 1000) g;
	INSERT INTO t_a SELECT g, md5(g::text) FROM generate_series(1001, 2000) g;
	COMMIT;
});
crash_node($node);
$node->start;
is($node->safe_psql('postgres', exact_rows_sql('t_a', 1, 2000)),
	'2000|0|0', '(a) spillpool-only transaction: all committed rows survive kill -9');

###########################################################################
# (a2) the same, but the WAL writer is frozen, so the asynchronously written
# commit record of the spillpool-only transaction has not left the WAL
# buffers when the crash comes: what a power loss right after COMMIT
# returned looks like.  The rows were fsynced before COMMIT returned, so they
# must still be visible.
###########################################################################
{
	my $walwriter = $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'");
	like($walwriter, qr/^\d+$/, '(a2) found the WAL writer');
	kill 'STOP', $walwriter;
	$node->safe_psql(
		'postgres', q{
		BEGIN;
		INSERT INTO t_a2 SELECT g, md5(g::text) FROM generate_series(1, 500) g;
		COMMIT;
	});
	crash_node($node);
	$node->start;
	is($node->safe_psql('postgres', exact_rows_sql('t_a2', 1, 500)),
		'500|0|0',
		'(a2) spillpool-only commit survives a crash that loses unflushed WAL');
	# and they must stay visible once new transactions run
	$node->safe_psql('postgres',
		'CREATE TABLE h_a2 (x int); INSERT INTO h_a2 VALUES (1); INSERT INTO h_a2 VALUES (2)');
	is($node->safe_psql('postgres', exact_rows_sql('t_a2', 1, 500)),
		'500|0|0', '(a2) rows still exactly there after later transactions');
}

###########################################################################
# (b) one transaction writing a heap table and a spillpool table
###########################################################################
$node->safe_psql(
	'postgres', q{
	BEGIN;
	INSERT INTO h_b SELECT g, md5(g::text) FROM generate_series(1, 3000) g;
	INSERT INTO t_b SELECT g, md5(g::text) FROM generate_series(1, 3000) g;
	COMMIT;
});
crash_node($node);
$node->start;
is($node->safe_psql('postgres', exact_rows_sql('h_b', 1, 3000)),
	'3000|0|0', '(b) heap rows of the mixed transaction survive');
is($node->safe_psql('postgres', exact_rows_sql('t_b', 1, 3000)),
	'3000|0|0', '(b) spillpool rows of the mixed transaction survive');

###########################################################################
# (c) many small autocommit transactions, then kill -9
###########################################################################
{
	my $script = join('',
		map { "INSERT INTO t_c VALUES ($_, md5('$_'));\n" } 1 .. 200);
	$node->safe_psql('postgres', $script);

	# and concurrent committers sharing the group fsync
	$node->pgbench(
		'--no-vacuum --client=4 --transactions=50',
		0,
		[qr{processed: 200/200}],
		[qr{^$}],
		'(c) pgbench: 4 clients x 50 single-row commits',
		{
			'001_crash_insert' =>
			  q{INSERT INTO t_c2 VALUES (:client_id, 1);}
		});
	crash_node($node);
	$node->start;
	is($node->safe_psql('postgres', exact_rows_sql('t_c', 1, 200)),
		'200|0|0', '(c) all 200 autocommit rows survive kill -9');
	is( $node->safe_psql(
			'postgres',
			q{SELECT string_agg(client || ':' || cnt, ',' ORDER BY client) FROM (SELECT client, count(*) AS cnt FROM t_c2 GROUP BY client) s}
		),
		'0:50,1:50,2:50,3:50',
		'(c) all 200 concurrent pgbench commits survive kill -9');
}

###########################################################################
# (c3) a client committing single rows in a loop when the crash comes: every
# row whose INSERT ... RETURNING came back survives; at most the one
# statement in flight may be there without having been acknowledged
###########################################################################
{
	$node->safe_psql('postgres',
		'CREATE TABLE t_c3 (id int, payload text) USING spillpool');
	my $script = $node->basedir . '/loop.sql';
	open(my $fh, '>', $script) or die;
	print $fh "INSERT INTO t_c3 VALUES ($_, md5('$_')) RETURNING id;\n" for 1 .. 50000;
	close $fh;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[
			$node->installed_command('psql'), '-X', '-A', '-t', '-q',
			'-d', $node->connstr('postgres'), '-f', $script
		],
		'>', \$out, '2>', \$err);
	my $deadline = time() + $PostgreSQL::Test::Utils::timeout_default;
	while (($out =~ tr/\n//) < 500 && time() < $deadline)
	{
		$h->pump_nb;
		usleep(5_000);
	}
	crash_node($node);
	eval { $h->finish; };
	$h->kill_kill;
	my @acked = grep { /^\d+$/ } split /\n/, $out;
	cmp_ok(scalar(@acked), '>=', 500, '(c3) the loop had committed rows when the crash came');
	ok(scalar(@acked) < 50000, '(c3) and was still running');
	my $max = $acked[-1];
	$node->start;
	my $present = $node->safe_psql('postgres',
		'SELECT count(*) || \'|\' || count(DISTINCT id) || \'|\' || coalesce(max(id), 0) FROM t_c3 WHERE payload = md5(id::text)');
	my ($cnt, $distinct, $maxp) = split /\|/, $present;
	my $missing = $node->safe_psql('postgres',
		"SELECT count(*) FROM generate_series(1, $max) g WHERE NOT EXISTS (SELECT 1 FROM t_c3 WHERE id = g)");
	is($missing, 0, "(c3) all $max acknowledged rows survive kill -9");
	is($cnt, $distinct, '(c3) no row twice');
	ok($maxp <= $max + 1, '(c3) nothing beyond the statement in flight');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM t_c3'), $cnt, '(c3) no damaged rows');
}

###########################################################################
# (d) a big committed transaction through private files, and a big
# uncommitted one in another session, then kill -9
###########################################################################
{
	my $dbid = $node->safe_psql('postgres',
		"SELECT oid FROM pg_database WHERE datname = 'postgres'");
	my $rfn = $node->safe_psql('postgres',
		"SELECT relfilenode FROM pg_class WHERE relname = 't_d'");
	my $segdir = $node->data_dir . "/spillpool/$dbid/$rfn/seg";
	ok(-d $segdir, '(d) table directory exists');

	my $bg = $node->background_psql('postgres');
	$bg->query_safe('BEGIN');
	$bg->query_safe(
		'INSERT INTO t_d SELECT g, md5(g::text) FROM generate_series(1000001, 1300000) g');
	my @tmp = glob("$segdir/tmp-*");
	ok(scalar(@tmp) >= 1,
		'(d) the open transaction spilled its rows to private tmp-* files');

	$node->safe_psql(
		'postgres', q{
		BEGIN;
		INSERT INTO t_d SELECT g, md5(g::text) FROM generate_series(1, 300000) g;
		COMMIT;
	});
	crash_node($node);
	eval { $bg->quit; };

	$node->start;
	is($node->safe_psql('postgres', exact_rows_sql('t_d', 1, 300000)),
		'300000|0|0',
		'(d) big committed transaction: all 300000 rows, none of the uncommitted one');
	@tmp = glob("$segdir/tmp-*");
	is(scalar(@tmp), 0, '(d) no tmp-* files left once the table was loaded')
	  or diag("left: @tmp");
	is( $node->safe_psql(
			'postgres',
			"SELECT spilled_rows, memtable_rows FROM spillpool.stats('t_d')"),
		'300000|0',
		'(d) stats count exactly the committed rows');

	# still writable, and the new rows come after the old ones
	$node->safe_psql('postgres',
		'INSERT INTO t_d SELECT g, md5(g::text) FROM generate_series(300001, 300010) g');
	is($node->safe_psql('postgres', exact_rows_sql('t_d', 1, 300010)),
		'300010|0|0', '(d) table usable after the crash');
}

# nothing crashed apart from our kills
ok(!$node->log_contains('was terminated by signal|PANIC'),
	'no server process died of a signal other than our SIGKILLs');

stop_node($node, 'fast', 'end of test');
done_testing();
