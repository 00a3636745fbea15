
# Copyright: spillpool project
#
# Clean restarts keep every row of every tier, in the same scan order, for
# both durability modes; a durability 'none' table survives a kill -9
# consistent and usable.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;

my $node = spillpool_node('restart');

# Per round r: c_*_r durability 'commit', n_*_r durability 'none'; *_mem_r
# stay below their memory_limit, *_spill_r pass it (evictions, and one
# transaction bigger than memory_limit that goes through private files).
my %next;

sub create_round
{
	my ($r) = @_;
	$node->safe_psql(
		'postgres', qq{
		CREATE TABLE c_mem_$r (id int, payload text) USING spillpool;
		CREATE TABLE c_spill_$r (id int, payload text) USING spillpool;
		CREATE TABLE n_mem_$r (id int, payload text) USING spillpool;
		CREATE TABLE n_spill_$r (id int, payload text) USING spillpool;
		SELECT spillpool.alter_table('c_spill_$r', memory_limit => '256kB', max_file_size => '256kB');
		SELECT spillpool.alter_table('n_mem_$r', durability => 'none');
		SELECT spillpool.alter_table('n_spill_$r', durability => 'none', memory_limit => '256kB',
									 max_file_size => '256kB', spill_compression => 'zstd');
	});
	$next{$_} = 1 for map { "${_}_$r" } qw(c_mem c_spill n_mem n_spill);
	return;
}

# SQL inserting $n rows per transaction for $ntx transactions, ids
# continuing from $next{table}.
sub fill
{
	my ($table, $ntx, $n) = @_;
	my $sql = '';
	for (1 .. $ntx)
	{
		my ($lo, $hi) = ($next{$table}, $next{$table} + $n - 1);
		$sql .=
		  "INSERT INTO $table SELECT g, md5(g::text) FROM generate_series($lo, $hi) g;\n";
		$next{$table} = $hi + 1;
	}
	return $sql;
}

# fills the tables of round $r, interleaving them
sub fill_round
{
	my ($r) = @_;
	my $sql = '';
	for (1 .. 4)
	{
		$sql .= fill("c_mem_$r",   1, 150);
		$sql .= fill("n_mem_$r",   1, 150);
		$sql .= fill("c_spill_$r", 2, 1500);
		$sql .= fill("n_spill_$r", 2, 1500);
	}
	# one transaction bigger than memory_limit, then small ones after it
	$sql .= fill("c_spill_$r", 1, 12000);
	$sql .= fill("n_spill_$r", 1, 12000);
	$sql .= fill("c_spill_$r", 3, 700);
	$sql .= fill("n_spill_$r", 3, 700);
	$sql .= fill("c_mem_$r",   2, 100);
	$sql .= fill("n_mem_$r",   2, 100);
	$node->safe_psql('postgres', $sql);
	return;
}

# "count|missing|extra" of table $t against ids 1..$hi
sub exact
{
	my ($t, $hi) = @_;
	return $node->safe_psql(
		'postgres', qq{
		SELECT (SELECT count(*) FROM $t) || '|' ||
		(SELECT count(*) FROM generate_series(1, $hi) g
		  WHERE NOT EXISTS (SELECT 1 FROM $t x WHERE x.id = g AND x.payload = md5(g::text))) || '|' ||
		(SELECT count(*) FROM $t x
		  WHERE x.id NOT BETWEEN 1 AND $hi OR x.payload IS DISTINCT FROM md5(x.id::text))});
}

# the rows in scan order, as one string
sub scan_order
{
	my ($t) = @_;
	return $node->safe_psql('postgres',
		"SELECT string_agg(id::text || ':' || payload, ',') FROM $t");
}

sub stats
{
	my ($t) = @_;
	my $r = $node->safe_psql('postgres',
		"SELECT memtable_rows, segment_files, spilled_rows, spilled_bytes FROM spillpool.stats('$t')"
	);
	my %s;
	@s{qw(memtable_rows segment_files spilled_rows spilled_bytes)} = split /\|/, $r;
	return \%s;
}

# segment files listed by spillpool.segments(): "files|rows|bytes"
sub segments
{
	my ($t) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) || '|' || coalesce(sum(rows), 0) || '|' || coalesce(sum(bytes), 0) FROM spillpool.segments('$t')"
	);
}

my %after;    # scan order of earlier rounds' tables after their restart
for my $r (1 .. 2)
{
	create_round($r);
	is( $node->safe_psql(
			'postgres',
			"SELECT string_agg(table_name || ':' || durability, ',' ORDER BY table_name::text) FROM spillpool.options WHERE table_name::text LIKE '%\\_$r'"
		),
		"c_mem_$r:commit,c_spill_$r:commit,n_mem_$r:none,n_spill_$r:none",
		"round $r: durability options set");
	fill_round($r);
	my @tables = map { "${_}_$r" } qw(c_mem c_spill n_mem n_spill);

	my (%before, %st);
	for my $t (@tables)
	{
		my $total = $next{$t} - 1;
		is(exact($t, $total), "$total|0|0", "$t holds all $total rows before restart");
		$before{$t} = scan_order($t);
		$st{$t} = stats($t);
	}

	# durability 'commit': every committed row is in a segment already
	for my $t ("c_mem_$r", "c_spill_$r")
	{
		is($st{$t}{spilled_rows}, $next{$t} - 1,
			"$t: spilled_rows counts every committed row before restart");
	}
	# the tiers the test means to exercise are really used
	cmp_ok($st{"n_mem_$r"}{memtable_rows}, '>', 0,
		"n_mem_$r: rows in the memtable before restart");
	cmp_ok($st{"n_mem_$r"}{spilled_rows}, '<', $next{"n_mem_$r"} - 1,
		"n_mem_$r: some rows only in memory before restart");
	cmp_ok($st{"n_spill_$r"}{spilled_rows}, '>', 0,
		"n_spill_$r: some rows in segments before restart");
	cmp_ok($st{"n_spill_$r"}{memtable_rows}, '>', 0,
		"n_spill_$r: some rows in memory before restart");
	cmp_ok($st{"n_spill_$r"}{spilled_rows} + $st{"n_spill_$r"}{memtable_rows},
		'>=', $next{"n_spill_$r"} - 1,
		"n_spill_$r: memtable_rows + spilled_rows cover every row");
	cmp_ok($st{"c_spill_$r"}{segment_files}, '>', 1,
		"c_spill_$r: several segment files");

	restart_node($node, "round $r");

	for my $t (@tables)
	{
		my $total = $next{$t} - 1;
		is(exact($t, $total), "$total|0|0", "$t holds all $total rows after restart");
		ok(scan_order($t) eq $before{$t}, "$t: scan order unchanged by restart");
		my $s = stats($t);
		is($s->{memtable_rows}, 0, "$t: memtable empty after restart");
		is($s->{spilled_rows}, $total, "$t: spilled_rows = $total after restart");
		is( segments($t),
			"$s->{segment_files}|$total|$s->{spilled_bytes}",
			"$t: spillpool.segments() agrees with stats() and holds every row");
		$after{$t} = scan_order($t);
	}
	# the tables of the earlier round are untouched by this restart: nothing
	# written out twice, nothing lost
	if ($r > 1)
	{
		for my $t (map { "${_}_" . ($r - 1) } qw(c_mem c_spill n_mem n_spill))
		{
			ok(scan_order($t) eq $after{$t},
				"$t unchanged by the next round's restart");
		}
	}
}

###########################################################################
# durability 'none' and kill -9: rows may be lost, but the table stays
# consistent and usable
###########################################################################
{
	$node->safe_psql(
		'postgres', q{
		CREATE TABLE n_crash (batch int, id int, payload text) USING spillpool;
		SELECT spillpool.alter_table('n_crash', durability => 'none', memory_limit => '256kB');
	});
	my $batches = 20;
	my $per = 1000;
	my $sql = '';
	for my $b (1 .. $batches)
	{
		$sql .= sprintf(
			"INSERT INTO n_crash SELECT %d, g, md5(g::text) FROM generate_series(%d, %d) g;\n",
			$b, ($b - 1) * $per + 1, $b * $per);
	}
	$node->safe_psql('postgres', $sql);
	# make the commit records of those transactions durable in WAL; the
	# rows already written out to segment files must then survive
	$node->safe_psql('postgres', 'CHECKPOINT');
	my $s = stats('n_crash');
	cmp_ok($s->{spilled_rows}, '>', 0, 'n_crash: some rows were written to segments');
	cmp_ok($s->{memtable_rows}, '>', 0, 'n_crash: some rows only in memory');
	my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM n_crash');
	is($before, $batches * $per, 'n_crash: all rows before the crash');

	crash_node($node);
	$node->start;

	my $cnt = $node->safe_psql('postgres', 'SELECT count(*) FROM n_crash');
	cmp_ok($cnt, '<=', $before, 'n_crash: no more rows after the crash than before');
	cmp_ok($cnt, '>=', $s->{spilled_rows},
		'n_crash: rows written to segment files before the crash survive');
	is( $node->safe_psql(
			'postgres',
			q{SELECT count(*) FROM n_crash WHERE payload IS DISTINCT FROM md5(id::text)
			  OR id NOT BETWEEN (batch - 1) * 1000 + 1 AND batch * 1000}),
		'0',
		'n_crash: every surviving row is intact');
	is( $node->safe_psql(
			'postgres',
			q{SELECT count(*) FROM (SELECT batch, count(*) AS c, count(DISTINCT id) AS d
			  FROM n_crash GROUP BY batch) s WHERE c <> 1000 OR d <> 1000}),
		'0',
		'n_crash: each transaction survived whole or not at all, without duplicates');
	is( $node->safe_psql(
			'postgres',
			q{SELECT coalesce(max(batch), 0) = count(DISTINCT batch) FROM n_crash}),
		't',
		'n_crash: the surviving transactions are the oldest ones');

	$node->safe_psql('postgres',
		"INSERT INTO n_crash SELECT 999, g, md5(g::text) FROM generate_series(998001, 999000) g");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM n_crash'),
		$cnt + 1000, 'n_crash: INSERT after the crash works and is visible');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM n_crash WHERE batch = 999'),
		'1000', 'n_crash: the new rows read back');
	my $order = scan_order('n_crash');
	restart_node($node, 'n_crash');
	is($node->safe_psql('postgres', 'SELECT count(*) FROM n_crash'),
		$cnt + 1000, 'n_crash: clean restart after the crash keeps everything');
	ok(scan_order('n_crash') eq $order, 'n_crash: and keeps the scan order');
}

ok(!$node->log_contains('was terminated by signal|PANIC'),
	'no server process crashed');
stop_node($node, 'fast', 'end of test');
done_testing();
