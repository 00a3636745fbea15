
# Copyright: spillpool project
#
# Crash safety of flushes.  spillpool.debug_crash_at makes the flushing
# process SIGKILL itself at each step of a flush (shard files written,
# manifest.tmp written, manifest renamed = the commit point, flushed segment
# files removed), for durability 'commit' and 'none', with the postmaster
# going down (files inspected before the restart) or restarting by itself
# (restart_after_crash).  After the crash the table is at the old snapshot
# or the new one, never both: no row twice, none lost ('commit'), the same
# scan order, stats(), snapshots(), shards() and segments() agree with the
# manifest and the files, no shard file the manifest does not list, no
# manifest.tmp, no flushed segment file, and the next flush makes the next
# snapshot.  The same for a flush that stops inside a segment file (held
# back by a REPEATABLE READ snapshot) and for a crash in the background
# flush worker.  Also: max_shard_size, clean restart and kill -9 after
# successful flushes, a flush next to a REPEATABLE READ transaction, an
# open writer and a rolled-back one, a scan running across a flush, and a
# flushed asynchronous commit of a heap and a spillpool table ("never
# half-lost").
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;
use Time::HiRes qw(usleep);

# only the test's own flushes run: the worker looks once an hour, and no
# table reaches a threshold
my $node = spillpool_node('flush_crash',
	"spillpool.flush_naptime = '1h'\nspillpool.default_flush_interval = '1h'\n");

my @steps = qw(shards-written manifest-temp manifest-renamed segments-removed);
# steps after which the new snapshot is committed
my %committed_step = ('manifest-renamed' => 1, 'segments-removed' => 1);

# what each table must hold at the end (scan-order summary), checked after
# a final clean restart
my %final;

sub q1
{
	my ($sql) = @_;
	return $node->safe_psql('postgres', $sql);
}

# "count|distinct ids|md5 of every row in scan order"
sub summary
{
	my ($t) = @_;
	return q1(
		qq{SELECT count(*) || '|' || count(DISTINCT id) || '|' ||
		   coalesce(md5(string_agg(id::text || ':' || payload, ',')), '') FROM $t});
}

# "count|missing|extra" of table $t against the rows (g, md5(g)) for g in $lo..$hi
sub exact
{
	my ($t, $lo, $hi) = @_;
	return q1(
		qq{SELECT (SELECT count(*) FROM $t) || '|' ||
		(SELECT count(*) FROM generate_series($lo, $hi) g
		  WHERE NOT EXISTS (SELECT 1 FROM $t x WHERE x.id = g AND x.payload = md5(g::text))) || '|' ||
		(SELECT count(*) FROM $t x
		  WHERE x.id NOT BETWEEN $lo AND $hi OR x.payload IS DISTINCT FROM md5(x.id::text))});
}

my @stat_cols = qw(memtable_rows segment_files spilled_rows spilled_bytes shards
  shard_rows shard_bytes flushes current_snapshot quota_used);

sub stats
{
	my ($t) = @_;
	my $r = q1('SELECT ' . join(', ', @stat_cols) . " FROM spillpool.stats('$t')");
	my %s;
	@s{@stat_cols} = split /\|/, $r;
	return \%s;
}

# the table's directory, relative to the data directory and absolute
sub table_dir
{
	my ($t) = @_;
	my $dbid = q1("SELECT oid FROM pg_database WHERE datname = 'postgres'");
	my $rfn = q1("SELECT relfilenode FROM pg_class WHERE relname = '$t'");
	my $rel = "spillpool/$dbid/$rfn";
	return ($rel, $node->data_dir . "/$rel");
}

# names of the files in a directory, sorted
sub dir_files
{
	my ($dir) = @_;
	opendir(my $dh, $dir) or return ();
	my @f = sort grep { $_ ne '.' && $_ ne '..' } readdir($dh);
	closedir $dh;
	return @f;
}

# a manifest file read directly: { snapshots => [ids], shards => [file names] },
# undef if there is none
sub read_manifest
{
	my ($path) = @_;
	return undef unless -e $path;
	my $text = slurp_file($path);
	my (@snaps, @shards);
	for my $line (split /\n/, $text)
	{
		push @snaps, $1 if $line =~ /^snapshot (\d+) /;
		push @shards, "$1-$2.parquet" if $line =~ /^shard (\d+) (\d+) /;
	}
	return { snapshots => \@snaps, shards => [ sort @shards ], text => $text };
}

sub lists_snapshot
{
	my ($m, $id) = @_;
	return defined $m && scalar(grep { $_ == $id } @{ $m->{snapshots} });
}

# Everything that must agree for a table at rest: stats, snapshots(),
# shards(), segments(), the manifest and the files on disk, and the rows.
# Returns the stats.
sub check_consistent
{
	my ($t, $what) = @_;
	my $s = stats($t);
	my ($rel, $dir) = table_dir($t);
	my ($cnt, $distinct) = split /\|/, summary($t);

	is($cnt, $distinct, "$what: no row twice (count = count distinct id)");
	is($s->{memtable_rows} + $s->{spilled_rows} + $s->{shard_rows},
		$cnt, "$what: shard_rows + spilled_rows + memtable_rows = count(*)");
	is( q1(
			"SELECT count(*) || '|' || coalesce(max(snapshot_id), 0) || '|' || coalesce(sum(rows), 0) || '|' || coalesce(sum(shards), 0) FROM spillpool.snapshots('$t')"
		),
		"$s->{current_snapshot}|$s->{current_snapshot}|$s->{shard_rows}|$s->{shards}",
		"$what: spillpool.snapshots() agrees with stats()");
	is($s->{flushes}, $s->{current_snapshot}, "$what: flushes = current_snapshot");
	is( q1(
			"SELECT count(*) || '|' || coalesce(sum(rows), 0) || '|' || coalesce(sum(bytes), 0) || '|' || coalesce(max(snapshot_id), 0) FROM spillpool.shards('$t')"
		),
		"$s->{shards}|$s->{shard_rows}|$s->{shard_bytes}|$s->{current_snapshot}",
		"$what: spillpool.shards() agrees with stats()");

	# files: only what the manifest lists
	my @listed = split /\n/,
	  q1("SELECT path FROM spillpool.shards('$t') ORDER BY path");
	my @on_disk = map { "$rel/shards/$_" } dir_files("$dir/shards");
	is(join(',', @on_disk), join(',', sort @listed),
		"$what: the shards directory holds exactly the listed shard files");
	my $m = read_manifest("$dir/manifest");
	is( join(',', map { "$rel/shards/$_" } @{ $m ? $m->{shards} : [] }),
		join(',', sort @listed), "$what: the manifest file lists the same shards");
	ok(!-e "$dir/manifest.tmp", "$what: no manifest.tmp");

	my @segs = split /\n/,
	  q1("SELECT path FROM spillpool.segments('$t') ORDER BY path");
	my @seg_disk = map { "$rel/seg/$_" } dir_files("$dir/seg");
	is(join(',', @seg_disk), join(',', @segs),
		"$what: the seg directory holds exactly the segment files segments() lists");
	is( q1(
			"SELECT count(*) || '|' || coalesce(sum(rows), 0) FROM spillpool.segments('$t')"),
		"$s->{segment_files}|$s->{spilled_rows}",
		"$what: spillpool.segments() agrees with stats()");
	my $seg_bytes = 0;
	$seg_bytes += -s "$dir/seg/$_" for dir_files("$dir/seg");
	is( q1("SELECT coalesce(sum(bytes), 0) FROM spillpool.segments('$t')") . "|$s->{spilled_bytes}",
		"$seg_bytes|$seg_bytes",
		"$what: segments() bytes and spilled_bytes = the size of the segment files");
	# quota_used leaves out the zero-filled tail of the active file
	ok( $s->{quota_used} <= $s->{spilled_bytes}
		  && $s->{quota_used} >= ($s->{segment_files} > 0 ? 1 : 0)
		  && ($s->{segment_files} > 0 || $s->{quota_used} == 0),
		"$what: quota_used ($s->{quota_used}) fits the segment files");
	my $shard_bytes = 0;
	$shard_bytes += -s "$dir/shards/$_" for dir_files("$dir/shards");
	is($s->{shard_bytes}, $shard_bytes, "$what: shard_bytes = the size of the shard files");
	return $s;
}

# ALTER SYSTEM SET restart_after_crash and wait until the postmaster has it
# (a new backend inherits the postmaster's settings)
sub set_restart_after_crash
{
	my ($on) = @_;
	my $v = $on ? 'on' : 'off';
	q1("ALTER SYSTEM SET restart_after_crash = $v");
	q1('SELECT pg_reload_conf()');
	$node->poll_query_until('postgres', 'SHOW restart_after_crash', $v)
	  or die "restart_after_crash did not become $v";
	return;
}

# Waits up to 10s for the spillpool launcher (a child of the postmaster
# that pg_stat_activity does not show: it connects to no database).
sub launcher_running
{
	for (1 .. 100)
	{
		for my $pid (child_pids($node->{_pid}))
		{
			open(my $fh, '<', "/proc/$pid/cmdline") or next;
			my $cmd = <$fh> // '';
			close $fh;
			return 1 if $cmd =~ /spillpool worker/;
		}
		usleep(100_000);
	}
	return 0;
}

# Runs spillpool.flush($t) with spillpool.debug_crash_at = $step, expecting
# it to crash the server.  With $auto the postmaster restarts by itself
# (restart_after_crash); without, it goes down, $inspect->() looks at the
# files, and the node is started again.
sub crash_flush
{
	my ($t, $step, $auto, $what, $inspect) = @_;
	set_restart_after_crash($auto);
	my $pm = $node->{_pid};
	my $log_off = -s $node->logfile;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET spillpool.debug_crash_at = '$step';
		 SET spillpool.shard_row_group_rows = 10000;
		 SET spillpool.max_shard_size = '1MB';
		 SELECT spillpool.flush('$t')");
	isnt($ret, 0, "$what: the flush did not return");
	like($err, qr/server closed the connection unexpectedly|terminating connection/,
		"$what: the connection was lost");
	if ($auto)
	{
		$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_off);
		$node->wait_for_log(qr/database system is ready to accept connections/, $log_off);
		$node->poll_query_until('postgres', 'SELECT true')
		  or die "server did not come back";
		ok(pid_alive($pm), "$what: the same postmaster restarted the server");
	}
	else
	{
		forget_dead_postmaster($node, $pm);
		ok($node->log_contains('shutting down because restart_after_crash is off', $log_off),
			"$what: the postmaster went down after the crash");
		$inspect->() if $inspect;
		$node->start;
	}
	ok( $node->log_contains(
			qr/crashing at flush step "\Q$step\E" as spillpool.debug_crash_at asks/, $log_off),
		"$what: the backend crashed at step $step");
	ok(launcher_running(), "$what: the spillpool launcher runs again after the restart");
	ok( $node->log_contains(qr/was terminated by signal 9/, $log_off),
		"$what: the postmaster saw the SIGKILL");
	return $log_off;
}

# Inserts ids $lo..$hi into $t in transactions of $per rows.
sub fill
{
	my ($t, $lo, $hi, $per) = @_;
	my $sql = '';
	for (my $a = $lo; $a <= $hi; $a += $per)
	{
		my $b = $a + $per - 1;
		$b = $hi if $b > $hi;
		$sql .= "INSERT INTO $t SELECT g, md5(g::text) FROM generate_series($a, $b) g;\n";
	}
	q1($sql);
	return;
}

###########################################################################
# One crash case: durability $mode, crash at $step; with $prior, a
# successful flush of the first half of the rows comes first (old snapshot
# 1); $auto: the postmaster restarts by itself.
###########################################################################
sub crash_case
{
	my ($mode, $step, %o) = @_;
	# enough for several segment files and, at spillpool.max_shard_size =
	# 1MB, several shards
	my $p = $o{prior} ? 32000 : 0;
	my $n = $p + 120000;
	my $t = "t_${mode}_" . ($step =~ tr/-/_/r) . ($o{prior} ? '_p' : '') . ($o{auto} ? '_a' : '');
	my $what = "$mode/$step" . ($o{prior} ? ' after an earlier flush' : '')
	  . ($o{auto} ? ' (restart_after_crash)' : '');
	my $committed = $committed_step{$step} ? 1 : 0;

	q1("CREATE TABLE $t (id int, payload text) USING spillpool");
	q1("SELECT spillpool.alter_table('$t', memory_limit => '1MB', max_file_size => '1MB'"
		  . ($mode eq 'none' ? ", durability => 'none')" : ')'));
	my $old = 0;
	my $first = 1;
	if ($o{prior})
	{
		fill($t, 1, $p, 4000);
		$old = q1("SELECT spillpool.flush('$t')");
		is($old, 1, "$what: the earlier flush made snapshot 1");
		$first = $p + 1;
	}
	my $new = $old + 1;
	# transactions of 6000 rows, and one bigger than memory_limit that goes
	# through private files
	fill($t, $first, $first + 47999, 6000);
	fill($t, $first + 48000, $first + 71999, 24000);
	fill($t, $first + 72000, $n, 6000);

	my $before = summary($t);
	like($before, qr/^$n\|$n\|/, "$what: $n rows before the flush");
	my $s = stats($t);
	is($s->{current_snapshot}, $old, "$what: at snapshot $old before the flush");
	cmp_ok($s->{segment_files}, '>=', 2, "$what: several segment files before the flush");
	if ($mode eq 'none')
	{
		cmp_ok($s->{memtable_rows}, '>', 0, "$what: some rows in memory before the flush");
		cmp_ok($s->{spilled_rows}, '<', $n - $first + 1,
			"$what: some rows only in memory before the flush");
	}
	my ($rel, $dir) = table_dir($t);
	my @segs_before = dir_files("$dir/seg");

	my $inspect = sub {
		my $m = read_manifest("$dir/manifest");
		my @shards = dir_files("$dir/shards");
		my @new_shards = grep { /^$new-\d+\.parquet$/ } @shards;
		my $tmp = read_manifest("$dir/manifest.tmp");
		my @segs_left = grep { -e "$dir/seg/$_" } @segs_before;
		if ($step eq 'shards-written')
		{
			cmp_ok(scalar(@new_shards), '>=', 2,
				"$what: on disk: shard files of snapshot $new written");
			ok(!lists_snapshot($m, $new), "$what: on disk: the manifest does not list them");
			ok(!defined $tmp, "$what: on disk: no manifest.tmp yet");
		}
		elsif ($step eq 'manifest-temp')
		{
			cmp_ok(scalar(@new_shards), '>=', 2,
				"$what: on disk: shard files of snapshot $new written");
			ok(lists_snapshot($tmp, $new), "$what: on disk: manifest.tmp lists snapshot $new");
			ok(!lists_snapshot($m, $new), "$what: on disk: the manifest does not");
		}
		else
		{
			ok(lists_snapshot($m, $new), "$what: on disk: the manifest lists snapshot $new");
			ok(!defined $tmp, "$what: on disk: no manifest.tmp");
			is(join(',', grep { /^$new-/ } @{ $m->{shards} }), join(',', @new_shards),
				"$what: on disk: the listed shard files exist");
		}
		if ($step eq 'segments-removed')
		{
			is(scalar(@segs_left), 0, "$what: on disk: the flushed segment files are gone")
			  or diag("left: @segs_left");
		}
		else
		{
			is(scalar(@segs_left), scalar(@segs_before),
				"$what: on disk: the segment files are still there");
		}
		if ($old > 0)
		{
			ok(lists_snapshot($m, $old), "$what: on disk: the manifest lists snapshot $old");
		}
	};
	my $log_off = crash_flush($t, $step, $o{auto}, $what, $inspect);

	$s = check_consistent($t, "$what, after the crash");
	is($s->{current_snapshot}, $committed ? $new : $old,
		"$what: at snapshot " . ($committed ? $new : $old) . ' after the crash');
	if (!$committed)
	{
		ok( $node->log_contains(
				qr/removing spillpool shard file "[^"]*\/shards\/$new-\d+\.parquet" that the manifest does not list/,
				$log_off),
			"$what: the interrupted flush's shard files were removed at load");
		if ($old > 0)
		{
			ok(!$node->log_contains(qr/removing spillpool shard file "[^"]*\/shards\/$old-/, $log_off),
				"$what: the shard files of snapshot $old were kept");
		}
	}
	else
	{
		is($s->{shard_rows}, $n, "$what: every row is in the shards");
		is($s->{spilled_rows} + $s->{memtable_rows}, 0,
			"$what: no flushed row in segments or memory any more");
		is($s->{segment_files}, 0, "$what: no segment file left");
		is(q1("SELECT count(*) FROM spillpool.scan(NULL::$t, $new)"),
			$n, "$what: time travel to snapshot $new sees every row");
	}

	my $cnt;
	if ($mode eq 'commit' || $committed)
	{
		is(summary($t), $before, "$what: the same rows in the same order after the crash");
		is(exact($t, 1, $n), "$n|0|0", "$what: exactly ids 1..$n after the crash");
		$cnt = $n;
	}
	else
	{
		($cnt) = split /\|/, summary($t);
		cmp_ok($cnt, '<=', $n, "$what: no more rows than before");
		is( q1(
				"SELECT count(*) FROM $t WHERE id NOT BETWEEN 1 AND $n OR payload IS DISTINCT FROM md5(id::text)"
			),
			'0',
			"$what: every surviving row is intact");
		if ($old > 0)
		{
			is(exact($t, 1, $p) =~ s/^\d+\|//r, '0|' . ($cnt - $p),
				"$what: the rows flushed in snapshot $old survive, once each");
		}
	}

	# the next flush after the restart
	my $cur = $s->{current_snapshot};
	my $cur_rows = $s->{shard_rows};
	my $m = 3000;
	fill($t, $n + 1, $n + $m, 1000);
	my ($ret, $out, $err) = $node->psql('postgres', "SELECT spillpool.flush('$t')");
	is($ret, 0, "$what: a flush after the restart works") or diag($err);
	is($out, $cur + 1, "$what: and makes snapshot " . ($cur + 1));
	$s = check_consistent($t, "$what, after the next flush");
	my ($cnt2) = split /\|/, summary($t);
	is($cnt2, $cnt + $m, "$what: the new rows are there");
	is($s->{shard_rows}, $cnt2, "$what: every row in the shards after the next flush");
	is(exact($t, $n + 1, $n + $m) =~ s/^\d+\|//r, '0|' . $cnt,
		"$what: ids " . ($n + 1) . "..." . ($n + $m) . ' all there (the rest is the old rows)');
	if ($mode eq 'commit' || $committed)
	{
		is(exact($t, 1, $n + $m), ($n + $m) . '|0|0', "$what: exactly ids 1.." . ($n + $m));
	}
	is(q1("SELECT count(*) FROM spillpool.scan(NULL::$t, $cur)"),
		$cur_rows, "$what: time travel to snapshot $cur sees the rows flushed before the restart");
	$final{$t} = summary($t);
	return;
}

###########################################################################
# spillpool.max_shard_size: a flush starts another shard once one is that
# big, at a row group boundary (the crash cases rely on several shards)
###########################################################################
{
	q1('CREATE TABLE ms (id int, payload text) USING spillpool');
	fill('ms', 1, 64000, 16000);
	is( q1(
			"SET spillpool.shard_row_group_rows = 10000; SET spillpool.max_shard_size = '1MB'; SELECT spillpool.flush('ms')"
		),
		'1',
		'max_shard_size: flush of 64000 rows');
	my $sh = q1(
		"SELECT string_agg(rows || ' rows, ' || bytes || ' bytes, ' || row_groups || ' row groups', '; ' ORDER BY path) FROM spillpool.shards('ms')"
	);
	cmp_ok(q1("SELECT count(*) FROM spillpool.shards('ms')"),
		'>=', 2, 'max_shard_size: 1MB of Parquet makes several shards') or diag($sh);
	is( q1(
			"SELECT count(*) FROM spillpool.shards('ms') WHERE bytes > 1048576 + bytes / row_groups + 16384"
		),
		'0',
		'max_shard_size: no shard exceeds it by more than one row group')
	  or diag($sh);
	is(exact('ms', 1, 64000), '64000|0|0', 'max_shard_size: every row once');
	$final{ms} = summary('ms');
}

for my $step (@steps)
{
	crash_case('commit', $step);
}
for my $step (@steps)
{
	crash_case('none', $step, auto => 1);
}
crash_case('commit', 'shards-written',   prior => 1, auto => 1);
crash_case('commit', 'manifest-renamed', prior => 1, auto => 1);
crash_case('none',   'manifest-temp',    prior => 1);
crash_case('none',   'segments-removed', prior => 1);

###########################################################################
# the background flush worker crashing at the commit point of a flush it
# started because flush_rows was reached
###########################################################################
{
	my $t = 'wk';
	my $what = 'flush worker crash at manifest-renamed';
	q1("CREATE TABLE $t (id int, payload text) USING spillpool");
	q1("SELECT spillpool.alter_table('$t', memory_limit => '1MB', max_file_size => '1MB')");
	fill($t, 1, 64000, 8000);
	set_restart_after_crash(0);
	my $pm = $node->{_pid};
	my $log_off = -s $node->logfile;
	$node->append_conf('postgresql.conf',
		"spillpool.debug_crash_at = 'manifest-renamed'\nspillpool.flush_naptime = '100ms'\n");
	$node->reload;
	$node->poll_query_until('postgres', 'SHOW spillpool.flush_naptime', '100ms');
	# 64000 rows buffered, no more writes: lowering flush_rows makes the
	# table due
	q1("SELECT spillpool.alter_table('$t', flush_rows => 50000)");
	my $tries = 0;
	usleep(100_000) while pid_alive($pm) && ++$tries < 50;
	my $n = 64000;
	ok(!pid_alive($pm),
		"$what: the worker flushes a table made due by alter_table(flush_rows) without a further write"
	);
	if (pid_alive($pm))
	{
		# a write makes the table pick up its new options
		$node->psql('postgres', "INSERT INTO $t VALUES (64001, md5('64001'))");
		$n = 64001;
	}
	forget_dead_postmaster($node, $pm);
	ok( $node->log_contains(
			qr/crashing at flush step "manifest-renamed" as spillpool.debug_crash_at asks/, $log_off),
		"$what: a flush worker crashed at the step");
	ok($node->log_contains(qr/background worker .* was terminated by signal 9/, $log_off),
		"$what: it was a background worker");
	$node->append_conf('postgresql.conf',
		"spillpool.debug_crash_at = ''\nspillpool.flush_naptime = '1h'\n");
	$node->start;
	q1("SELECT spillpool.alter_table('$t', flush_rows => 1000000)");
	my $s = check_consistent($t, "$what, after the crash");
	is("$s->{current_snapshot}|$s->{shard_rows}|$s->{spilled_rows}", "1|$n|0",
		"$what: at snapshot 1 with every row in the shard");
	is(exact($t, 1, $n), "$n|0|0", "$what: exactly ids 1..$n after the crash");
	is(summary($t), q1("SELECT count(*) || '|' || count(*) || '|' || md5(string_agg(g::text || ':' || md5(g::text), ',' ORDER BY g)) FROM generate_series(1, $n) g"),
		"$what: in commit order");
	fill($t, 70001, 71000, 1000);
	is(q1("SELECT spillpool.flush('$t')"), 2, "$what: the next flush makes snapshot 2");
	is(exact($t, 70001, 71000) =~ s/^\d+\|//r, "0|$n", "$what: the new rows once each");
	check_consistent($t, "$what, after the next flush");
	$final{$t} = summary($t);
}

###########################################################################
# a crash in a flush that stops in the middle of a segment file: rows
# committed after an open REPEATABLE READ snapshot stay behind, so the
# flushed position is inside the file that holds them
###########################################################################
sub held_crash_case
{
	my ($step) = @_;
	my $t = 'h_' . ($step =~ tr/-/_/r);
	my $what = "commit/$step, flush held back by a snapshot";
	my $committed = $committed_step{$step} ? 1 : 0;
	q1("CREATE TABLE $t (id int, payload text) USING spillpool");
	q1("SELECT spillpool.alter_table('$t', memory_limit => '1MB', max_file_size => '1MB')");
	fill($t, 1, 60000, 6000);
	my $rr = $node->background_psql('postgres', on_error_stop => 0);
	$rr->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
	is($rr->query_safe("SELECT count(*) FROM $t"), '60000', "$what: RR snapshot taken");
	fill($t, 60001, 64000, 1000);
	my $before = summary($t);
	my $s = stats($t);
	cmp_ok($s->{segment_files}, '>=', 3, "$what: several segment files");
	my ($rel, $dir) = table_dir($t);
	my @segs_before = dir_files("$dir/seg");

	my $log_off = crash_flush(
		$t, $step, 0, $what,
		sub {
			my $m = read_manifest("$dir/manifest");
			is(lists_snapshot($m, 1) ? 1 : 0, $committed,
				"$what: on disk: the manifest " . ($committed ? 'lists' : 'does not list') . ' snapshot 1');
			if ($committed)
			{
				like($m->{text}, qr/^flush \d+ [1-9]\d*$/m,
					"$what: on disk: the flushed position is inside a segment file");
			}
			my @left = grep { -e "$dir/seg/$_" } @segs_before;
			if ($step eq 'segments-removed')
			{
				ok(scalar(@left) >= 1 && scalar(@left) < scalar(@segs_before),
					"$what: on disk: some, not all, segment files removed");
			}
			else
			{
				is(scalar(@left), scalar(@segs_before), "$what: on disk: every segment file still there");
			}
		});
	eval { $rr->quit; };

	$s = check_consistent($t, "$what, after the crash");
	is($s->{current_snapshot}, $committed, "$what: at snapshot $committed after the crash");
	is($s->{shard_rows}, $committed ? 60000 : 0,
		"$what: the shards hold the rows the RR snapshot saw");
	is($s->{spilled_rows}, $committed ? 4000 : 64000, "$what: the rest is in segments");
	is(summary($t), $before, "$what: the same rows in the same order after the crash");
	is(exact($t, 1, 64000), '64000|0|0', "$what: exactly ids 1..64000 after the crash");

	fill($t, 64001, 65000, 500);
	is(q1("SELECT spillpool.flush('$t')"), $committed + 1,
		"$what: the next flush makes snapshot " . ($committed + 1));
	$s = check_consistent($t, "$what, after the next flush");
	is($s->{shard_rows}, 65000, "$what: the next flush took every row");
	is(exact($t, 1, 65000), '65000|0|0', "$what: exactly ids 1..65000");
	is(q1("SELECT count(*) FROM spillpool.scan(NULL::$t, 1)"), $committed ? 60000 : 65000,
		"$what: time travel to snapshot 1");
	$final{$t} = summary($t);
	return;
}

held_crash_case($_) for @steps;

###########################################################################
# a clean restart and a kill -9 after successful flushes keep everything
###########################################################################
for my $mode (qw(commit none))
{
	my $t = "s_$mode";
	my $what = "successful flush, $mode";
	q1("CREATE TABLE $t (id int, payload text) USING spillpool");
	q1("SELECT spillpool.alter_table('$t', memory_limit => '1MB', max_file_size => '1MB', durability => '$mode')");
	fill($t, 1, 40000, 4000);
	is(q1("SELECT spillpool.flush('$t')"), 1, "$what: snapshot 1");
	fill($t, 40001, 50000, 2500);
	is(q1("SELECT spillpool.flush('$t')"), 2, "$what: snapshot 2");
	fill($t, 50001, 60000, 2500);    # not flushed
	my $before = summary($t);
	my $sb = stats($t);

	restart_node($node, $what);
	is(summary($t), $before, "$what: clean restart keeps every row in order");
	my $s = check_consistent($t, "$what, after a clean restart");
	is("$s->{current_snapshot}|$s->{shard_rows}|$s->{shards}",
		"$sb->{current_snapshot}|$sb->{shard_rows}|$sb->{shards}",
		"$what: clean restart keeps the snapshots and shards");
	is($s->{spilled_rows}, 10000, "$what: the unflushed rows are in segments");

	my @shards = split /\n/, q1("SELECT path FROM spillpool.shards('$t') ORDER BY path");
	crash_node($node);
	$node->start;
	$s = check_consistent($t, "$what, after kill -9");
	is("$s->{current_snapshot}|$s->{shard_rows}|$s->{shards}",
		"$sb->{current_snapshot}|$sb->{shard_rows}|$sb->{shards}",
		"$what: kill -9 keeps the snapshots and shards");
	is(join(',', split /\n/, q1("SELECT path FROM spillpool.shards('$t') ORDER BY path")),
		join(',', @shards), "$what: the same shard files after kill -9");
	is(exact($t, 1, 50000) =~ s/^\d+\|//r, '0|' . ($s->{spilled_rows} + $s->{memtable_rows}),
		"$what: kill -9 keeps every flushed row");
	if ($mode eq 'commit')
	{
		is(summary($t), $before, "$what: kill -9 keeps every row in order");
	}
	else
	{
		is( q1(
				"SELECT count(*) FROM $t WHERE id NOT BETWEEN 1 AND 60000 OR payload IS DISTINCT FROM md5(id::text)"
			),
			'0',
			"$what: every surviving row is intact after kill -9");
	}
	is(q1("SELECT count(*) FROM spillpool.scan(NULL::$t, 1)"), 40000,
		"$what: time travel to snapshot 1 after kill -9");
	my ($cnt) = split /\|/, summary($t);
	is(q1("SELECT spillpool.flush('$t')"), 3, "$what: the next flush makes snapshot 3");
	is(exact($t, 1, 50000) =~ s/^\d+\|//r, '0|' . ($cnt - 50000),
		"$what: every row of the earlier flushes once after it");
	if ($mode eq 'commit')
	{
		is(exact($t, 1, 60000), '60000|0|0', "$what: exactly ids 1..60000 after it");
	}
	check_consistent($t, "$what, after the next flush");
	$final{$t} = summary($t);
}

###########################################################################
# a flush next to a REPEATABLE READ transaction, an open writer and an
# aborted one takes only rows every snapshot sees
###########################################################################
{
	my $t = 'rr';
	q1("CREATE TABLE $t (id int, payload text) USING spillpool");
	fill($t, 1, 1000, 500);
	my $rr_view = summary($t);

	my $rr = $node->background_psql('postgres');
	$rr->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
	is($rr->query_safe("SELECT count(*) FROM $t"), '1000', 'RR: the snapshot sees 1000 rows');

	# committed after the RR snapshot
	fill($t, 1001, 2000, 500);
	# an open writer and an aborted one
	my $w = $node->background_psql('postgres');
	$w->query_safe('BEGIN');
	$w->query_safe("INSERT INTO $t SELECT g, md5(g::text) FROM generate_series(3001, 3500) g");
	q1("BEGIN; INSERT INTO $t SELECT g, md5(g::text) FROM generate_series(9001, 9500) g; ROLLBACK");

	is(q1("SELECT spillpool.flush('$t')"), 1, 'RR: the flush makes snapshot 1');
	my $s = stats($t);
	is($s->{shard_rows}, 1000, 'RR: the flush took only the rows the RR snapshot sees');
	cmp_ok($s->{spilled_rows} + $s->{memtable_rows}, '>', 0,
		'RR: rows committed after the RR snapshot stay unflushed');
	is($s->{spilled_rows}, 1000, 'RR: exactly those 1000 rows are still in segments');
	is($rr->query_safe("SELECT count(*) || '|' || count(DISTINCT id) || '|' || coalesce(md5(string_agg(id::text || ':' || payload, ',')), '') FROM $t"),
		$rr_view, 'RR: the RR transaction still sees exactly its rows after the flush');
	is($rr->query_safe("SELECT count(*) FROM $t WHERE id > 1000"), '0',
		'RR: and none committed after its snapshot');
	is(q1("SELECT spillpool.flush('$t')"), 1,
		'RR: another flush while the RR transaction is open finds nothing to take');
	is(exact($t, 1, 2000), '2000|0|0', 'RR: a new session sees ids 1..2000 once each');

	$rr->query_safe('COMMIT');
	$rr->quit;
	is(q1("SELECT spillpool.flush('$t')"), 2,
		'RR: once the RR transaction ended, a flush makes snapshot 2');
	$s = stats($t);
	is($s->{shard_rows}, 2000, 'RR: and takes the rows committed after its snapshot');
	is(exact($t, 1, 2000), '2000|0|0', 'RR: ids 1..2000 once each');
	is($w->query_safe("SELECT count(*) FROM $t WHERE id > 3000"), '500',
		'RR: the open writer still sees its own rows');

	$w->query_safe('COMMIT');
	$w->quit;
	is(q1("SELECT count(*) FROM $t WHERE id > 3000"), '500',
		'RR: the writer\'s rows are visible once after its commit');
	is(q1("SELECT spillpool.flush('$t')"), 3, 'RR: a flush after the writer committed');
	$s = check_consistent($t, 'RR, at the end');
	is($s->{shard_rows}, 2500, 'RR: every committed row is in the shards');
	is($s->{spilled_rows} + $s->{memtable_rows}, 0, 'RR: nothing left unflushed');
	is(q1("SELECT count(*) FROM $t WHERE id > 9000"), '0',
		'RR: no row of the rolled-back transaction');
	$final{$t} = summary($t);
}

###########################################################################
# a scan running across a flush reads every row once; the segment files it
# reads stay until it ends, and a crash before they are removed leaves no
# row twice
###########################################################################
{
	my $t = 'cur';
	q1("CREATE TABLE $t (id int, payload text) USING spillpool");
	q1("SELECT spillpool.alter_table('$t', memory_limit => '1MB', max_file_size => '1MB')");
	fill($t, 1, 64000, 8000);
	my $before = summary($t);
	my $bg = $node->background_psql('postgres');
	# every 100th row, to keep the output small; the scan reads them all
	$bg->query_safe("BEGIN; DECLARE c CURSOR FOR SELECT id FROM $t WHERE id % 100 = 0");
	my @ids = split /\n/, $bg->query_safe('FETCH 10 FROM c');
	is(q1("SELECT spillpool.flush('$t')"), 1, 'scan across a flush: the flush made snapshot 1');
	my $s = stats($t);
	is($s->{shard_rows}, 64000, 'scan across a flush: every row flushed');
	push @ids, split /\n/, $bg->query_safe('FETCH ALL FROM c');
	is(scalar(@ids), 640, 'scan across a flush: the scan returned 640 rows');
	is(join(',', @ids), join(',', map { $_ * 100 } 1 .. 640),
		'scan across a flush: each row once, in commit order');
	$bg->query_safe('COMMIT');
	$bg->quit;
	my ($rel, $dir) = table_dir($t);
	my @segs = dir_files("$dir/seg");
	note("scan across a flush: segment files left after the scan ended: @segs");
	is(summary($t), $before, 'scan across a flush: a new scan sees every row once');
	crash_node($node);
	$node->start;
	check_consistent($t, 'scan across a flush, after kill -9');
	is(summary($t), $before, 'scan across a flush: every row once after kill -9');
	is(join(',', dir_files("$dir/seg")), '', 'scan across a flush: no segment file left after kill -9');
	$final{$t} = summary($t);
}

###########################################################################
# a transaction writing a heap table and a spillpool table with
# synchronous_commit = off, flushed into a shard before its commit record
# reached the disk, then kill -9: both halves or neither ("never
# half-lost").  The WAL writer is frozen so that the commit record stays in
# the WAL buffers, as it may for a moment after an asynchronous commit.
###########################################################################
{
	q1('CREATE TABLE ah (id int, payload text)');
	q1('CREATE TABLE asp (id int, payload text) USING spillpool');
	q1("INSERT INTO asp SELECT g, md5(g::text) FROM generate_series(1, 1000) g");
	q1('CHECKPOINT');
	my $walwriter = q1("SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'");
	like($walwriter, qr/^\d+$/, 'async mixed commit: found the WAL writer');
	kill 'STOP', $walwriter;
	q1( q{SET synchronous_commit = off;
		BEGIN;
		INSERT INTO ah SELECT g, md5(g::text) FROM generate_series(1001, 2000) g;
		INSERT INTO asp SELECT g, md5(g::text) FROM generate_series(1001, 2000) g;
		COMMIT;});
	my $flushed = q1("SELECT spillpool.flush('asp')");
	is($flushed, 1, 'async mixed commit: the flush made snapshot 1');
	my $st = stats('asp');
	note("asp before the crash: shard_rows $st->{shard_rows}, spilled_rows $st->{spilled_rows}");
	crash_node($node);
	$node->start;
	my $both = q1(
		'SELECT (SELECT count(*) FROM ah) || \'|\' || (SELECT count(*) FROM asp WHERE id > 1000)');
	ok($both eq '1000|1000' || $both eq '0|0',
		"async mixed commit flushed, then kill -9: both halves or neither (heap|spillpool = $both)");
	is(exact('asp', 1, 1000) =~ s/^\d+\|//r, '0|' . ($both =~ s/^\d+\|//r),
		'async mixed commit: the earlier rows survive once each');
	check_consistent('asp', 'async mixed commit, after kill -9');
	$final{asp} = summary('asp');
}

###########################################################################
# a last clean restart keeps every table as it was
###########################################################################
restart_node($node, 'end of test');
for my $t (sort keys %final)
{
	is(summary($t), $final{$t}, "$t unchanged by the last clean restart");
}

ok(!$node->log_contains(qr/PANIC|TRAP:|terminated by signal (?!9:)/),
	'no server process died other than by the injected SIGKILLs');

stop_node($node, 'fast', 'end of test');
done_testing();
