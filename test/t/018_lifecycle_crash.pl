
# Copyright: spillpool project
#
# Crash safety of retention (drop_shards), snapshot expiry and the Iceberg
# metadata every snapshot commits (compaction's own steps are in 016).
# spillpool.debug_crash_at makes the backend SIGKILL itself at each step;
# the postmaster restarts the server.  After the crash the table is at the
# old snapshot or the new one, as the step says, with exactly the rows of
# that snapshot at their positions (none lost, none doubled), no shard file
# the manifest does not list, no Iceberg file the metadata does not
# reference, and (once the background worker has caught up) Iceberg
# metadata that describes the current snapshot.  Doing the operation again
# afterwards reaches the new state.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;
use IPC::Run;
use JSON::PP;
use Time::HiRes qw(usleep);

my $node = spillpool_node('lifecycle_crash',
	"spillpool.flush_naptime = '100ms'\nspillpool.maintenance_naptime = '1s'\n"
	  . "spillpool.default_flush_interval = '1h'\nspillpool.default_compact_min_shards = 0\n"
	  . "restart_after_crash = on\n");

sub q1 { return $node->safe_psql('postgres', $_[0]); }




# The Iceberg files of the metadata directory that the current metadata
# does not reference (manifest lists of its snapshots, the manifests they
# name, the last metadata files and version-hint.text), and the current
# snapshot the metadata names.
sub iceberg_state
{
	my ($dir) = @_;
	my $hint = slurp_file("$dir/metadata/version-hint.text");
	my $md = decode_json(slurp_file("$dir/metadata/v$hint.metadata.json"));
	my %ref = ('version-hint.text' => 1);
	$ref{"v$_.metadata.json"} = 1 for (1 .. $hint);
	my @lists = map { $_->{'manifest-list'} } @{ $md->{snapshots} };
	for my $l (@lists)
	{
		(my $name = $l) =~ s{.*/}{};
		$ref{$name} = 1;
		my ($out, $err) = ('', '');
		IPC::Run::run(
			[
				'/usr/bin/python3', '-c',
				'import sys; sys.path.append("/usr/lib/python3/dist-packages"); '
				  . 'import avro.datafile, avro.io; '
				  . 'r = avro.datafile.DataFileReader(open(sys.argv[1], "rb"), avro.io.DatumReader()); '
				  . '[print(x["manifest_path"]) for x in r]',
				"$dir/metadata/$name"
			],
			'>', \$out, '2>', \$err) or die "reading $name: $err";
		for my $m (split /\n/, $out)
		{
			$m =~ s{.*/}{};
			$ref{$m} = 1;
		}
	}
	opendir(my $dh, "$dir/metadata") or die;
	my @stray = sort grep { !/^\.\.?$/ && !$ref{$_} } readdir($dh);
	closedir $dh;
	# the metadata version the manifest was committed with
	my ($version) = slurp_file("$dir/manifest") =~ /^iceberg \d+ (\d+) /m;
	return (join(',', @stray), $md->{'current-snapshot-id'}, $hint eq ($version // '') ? 1 : 0);
}

# What every case checks after the crash: the snapshot, the rows, the files.
sub check_state
{
	my ($what, $t, $snap, $rows) = @_;
	is(q1("SELECT current_snapshot FROM spillpool.stats('$t')"), $snap, "$what: at snapshot $snap");
	is(rows_with_positions($node, $t), $rows, "$what: exactly the rows of that snapshot, at their positions");
	my $dir = table_dir_of($node, $t);
	my ($disk, $listed) = shard_files($dir);
	is($disk, $listed, "$what: every shard file on disk is listed in the manifest, and only those");
	ok(!-e "$dir/manifest.tmp", "$what: no manifest.tmp left");
	# the worker writes metadata a crash left unwritten
	my ($cur, $stray, $published);
	for (1 .. 150)
	{
		# the worker may publish new metadata (and remove what the old one
		# named) while this reads: read again
		my @state = eval { iceberg_state($dir) };
		($stray, $cur, $published) = @state if @state;
		last if @state && $cur eq $snap && $published;
		usleep(100_000);
	}
	ok($published, "$what: the metadata of the committed manifest is published");
	is($cur, $snap, "$what: the Iceberg metadata describes snapshot $snap");
	is($stray, '', "$what: no Iceberg file that the metadata does not reference");
	return;
}

my $case = 0;

# a table of four flushes, two of them older than the retention limit
sub make_table
{
	my $t = 'lc' . ++$case;
	q1("CREATE TABLE $t (id int, ts timestamptz, v text) USING spillpool");
	for my $i (1 .. 4)
	{
		my $ts = $i <= 2 ? "'2020-01-01'" : 'now()';
		q1("INSERT INTO $t SELECT g, $ts, md5(g::text) FROM generate_series($i * 1000, $i * 1000 + 299) g");
		q1("SELECT spillpool.flush('$t')");
	}
	q1("INSERT INTO $t SELECT g, '2020-01-01', 'unflushed' FROM generate_series(100000, 100049) g");
	return $t;
}

# retention: old or new snapshot by the step
for my $step (qw(iceberg-avro-written manifest-temp drop-manifest-renamed iceberg-metadata-written))
{
	my $t = make_table();
	my $before = rows_with_positions($node, $t);
	crash_backend_at($node, $step, "SELECT spillpool.drop_shards('$t', '2021-01-01', 'ts')");
	my $committed = ($step eq 'drop-manifest-renamed' || $step eq 'iceberg-metadata-written');
	# the dropped rows are those of shards 1 and 2; the unflushed old rows stay
	my $after = q1(
		"SELECT md5(string_agg(t.position || ':' || (t.row)::text, ',' ORDER BY t.position)) || ' ' || count(*)
		 FROM spillpool.tail(NULL::$t, 0, 1000000) t WHERE (t.row).id >= 3000");
	check_state("drop at $step", $t, $committed ? 5 : 4, $committed ? $after : $before);
	is(q1("SELECT count(*) FROM spillpool.scan(NULL::$t, 4)"), '1200',
		"drop at $step: time travel to the last flush reads every shard");
	# once more: the drop is made (or was made)
	q1("SELECT spillpool.drop_shards('$t', '2021-01-01', 'ts')");
	is(q1("SELECT string_agg(operation, ',' ORDER BY snapshot_id) FROM spillpool.snapshots('$t')"),
		'append,append,append,append,delete', "drop at $step: one delete snapshot in the end");
	is(q1("SELECT count(*) FROM $t"), '650', "drop at $step: the rows the retention keeps");
}

# expiry: every snapshot but the last.  The table: four flushes, a delete
# (snapshot 5) that dropped the first two shards, one more flush (6); the
# expiry keeps 6, takes the shard lines and files that only 1 to 5 held
# (those 5 removed) out, in its second step once no scan needs them
sub shard_names
{
	my ($t) = @_;
	return join(',', sort map { s{.*/}{}r } glob(table_dir_of($node, $t) . '/shards/*.parquet'));
}
for my $step (
	qw(manifest-temp expire-manifest-renamed iceberg-metadata-written expire-manifest-pruned expire-file-removed))
{
	my $t = make_table();
	q1("SELECT spillpool.drop_shards('$t', '2021-01-01', 'ts')");
	q1("INSERT INTO $t SELECT g, now(), 'six' FROM generate_series(6000, 6009) g");
	q1("SELECT spillpool.flush('$t')");
	my $rows = rows_with_positions($node, $t);
	crash_backend_at($node, $step, "SELECT spillpool.expire_snapshots('$t', now())");
	my $committed = ($step ne 'manifest-temp');
	check_state("expiry at $step", $t, 6, $rows);
	my ($ret, $out, $err) = $node->psql('postgres', "SELECT count(*) FROM spillpool.scan(NULL::$t, 4)");
	if ($committed)
	{
		like($err, qr/snapshot 4 of spillpool table "$t" has expired/,
			"expiry at $step: snapshot 4 has expired");
		# after a crash before the second step, the worker does it
		my $names;
		for (1 .. 150)
		{
			$names = shard_names($t);
			last if $names eq '3-0.parquet,4-0.parquet,6-0.parquet';
			usleep(100_000);
		}
		is($names, '3-0.parquet,4-0.parquet,6-0.parquet',
			"expiry at $step: only the files of the kept snapshot are left");
	}
	else
	{
		is($out, '1200', "expiry at $step: snapshot 4 is still held");
	}
	q1("SELECT spillpool.expire_snapshots('$t', now())");
	is(q1("SELECT string_agg(snapshot_id::text, ',') FROM spillpool.snapshots('$t')"), '6',
		"expiry at $step: expiring again keeps the last snapshot only");
	is(shard_names($t), '3-0.parquet,4-0.parquet,6-0.parquet', "expiry at $step: and only its files");
	check_state("expiry at $step, done again", $t, 6, $rows);
}

# a flush: its Avro files are written before its commit point
{
	my $t = make_table();
	my $before = rows_with_positions($node, $t);
	crash_backend_at($node, 'iceberg-avro-written', "SELECT spillpool.flush('$t')");
	check_state('flush at iceberg-avro-written', $t, 4, $before);
	q1("SELECT spillpool.flush('$t')");
	check_state('flush at iceberg-avro-written, done again', $t, 5, $before);
}

ok(!$node->log_contains('PANIC'), 'no PANIC');
stop_node($node, 'fast', 'end of test');
done_testing();
