
# Copyright: spillpool project
#
# The Iceberg v2 metadata spillpool commits with every snapshot, read by
# implementations no one here wrote:
#   - icebird (npm), over HTTP: test/iceberg/serve.mjs serves the data
#     directory on 127.0.0.1 and spillpool.iceberg_location_prefix points
#     the metadata at it;
#   - Debian's python3-avro (test/iceberg/check_avro.py) reads every
#     manifest list and manifest of every snapshot and checks them against
#     the Iceberg spec's field ids, counts and lengths;
#   - DuckDB reads the data files the current metadata lists.
# The table's columns include an int[] (an Iceberg list, a Parquet LIST).
# After appends (rows arriving by INSERT VALUES, INSERT ... SELECT from a
# heap table with compressed values, and COPY), a compaction, a retention
# drop and an expiry, each reader returns the rows spillpool.scan returns at
# the same snapshot, compared value by value; older snapshots are read by
# id; a restart changes nothing; a new location prefix writes every kept
# snapshot again.
#
# Needs test/iceberg/node_modules (npm ci there); without it the test is
# skipped, unless SPILLPOOL_REQUIRE_DUCKDB=1, when it fails.
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
use JSON::PP;
use Encode qw(decode);

my $root = abs_path("$FindBin::RealBin/../..");
my $icedir = "$root/test/iceberg";
my $python = '/usr/bin/python3';
my $nodejs = node_with_module($icedir, 'icebird', 'Iceberg readers');

my $node = PostgreSQL::Test::Cluster->new('iceberg');
$node->init;

# the HTTP server over the data directory, and the prefix that names it
my ($srv_out, $srv_err) = ('', '');
my $server = IPC::Run::start([ $nodejs, "$icedir/serve.mjs", $node->data_dir ],
	'>', \$srv_out, '2>', \$srv_err);
my $deadline = time + 30;
$server->pump_nb while $srv_out !~ /^\d+\n/ && time < $deadline && (sleep(0.05) || 1);
my ($port) = $srv_out =~ /^(\d+)\n/;
ok(defined $port, 'the HTTP server is listening') or BAIL_OUT("serve.mjs: $srv_err");
my $prefix = "http://127.0.0.1:$port";

$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'spillpool'
spillpool.memory = '64MB'
spillpool.flush_naptime = '1h'
spillpool.maintenance_naptime = '1h'
spillpool.shard_row_group_rows = 100
spillpool.iceberg_location_prefix = '$prefix'
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION spillpool');

my $cols = 'id bigint, ts timestamptz, lts timestamp, v text, n numeric(12,3), u uuid, '
  . 'f float8, r real, b bool, d date, i int, s smallint, bin bytea, js jsonb, iv interval, ia int[]';
my @names = qw(id ts lts v n u f r b d i s bin js iv ia);
$node->safe_psql('postgres', "CREATE TABLE ev ($cols) USING spillpool");
$node->safe_psql('postgres', "SELECT spillpool.alter_table('ev', compact_min_shards => 0)");

# Each column as normalize.mjs prints it: timestamps as microseconds since
# 1970, binary as hex, booleans as true/false.
my %pg_form = (
	ts => "(extract(epoch FROM ts) * 1000000)::bigint::text",
	lts => "(extract(epoch FROM lts) * 1000000)::bigint::text",
	b => "CASE WHEN b THEN 'true' WHEN NOT b THEN 'false' END",
	bin => "encode(bin, 'hex')",
	ia => "to_json(ia)::text");
my $pg_row = join(" || chr(31) || ",
	map { "coalesce(" . ($pg_form{$_} // "${_}::text") . ", '\\N')" } @names);

my $json = JSON::PP->new->canonical->allow_nonref;

# A value in one comparable form: floats by value, JSON canonically.
sub canon
{
	my ($name, $v) = @_;
	return $v if $v eq '\\N';
	if ($name eq 'f' || $name eq 'r')
	{
		return $v if $v !~ /^-?[\d.]+(e[-+]?\d+)?$/i;
		return sprintf('%.17g', $v);
	}
	if ($name eq 'ia')
	{
		# a LIST (Iceberg type list, element id 1000000 + attnum): a JSON array
		return $json->encode(ref $v ? $v : $json->decode($v));
	}
	if ($name eq 'js')
	{
		# hyparquet parses JSON-annotated chunks: a JSON string comes back
		# as its bare text
		my $d = eval { $json->decode($v) };
		return $json->encode($@ ? $v : $d);
	}
	return $v;
}

# The rows of snapshot $snap as spillpool.scan returns them, sorted.
sub pg_rows
{
	my ($snap) = @_;
	my $out = decode('UTF-8',
		$node->safe_psql('postgres', "SELECT $pg_row FROM spillpool.scan(NULL::ev, $snap)"));
	my @rows;
	for my $line (split /\n/, $out)
	{
		my @v = split /\x1f/, $line, -1;
		push @rows, join("\x1f", map { canon($names[$_], $v[$_]) } 0 .. $#names);
	}
	return [ sort @rows ];
}

# JSON lines of a reader, in the same form, sorted.
sub reader_rows
{
	my ($out) = @_;
	my @rows;
	for my $line (split /\n/, $out)
	{
		my $o = decode_json($line);
		push @rows, join("\x1f", map {
			my $v = $o->{$_};
			# numbers go to canon as they are: "$v" would round a double
			# to 15 digits
			my $s = !defined $v ? '\\N' : JSON::PP::is_bool($v) ? ($v ? 'true' : 'false') : $v;
			canon($_, $s)
		} @names);
	}
	return [ sort @rows ];
}

sub run_cmd
{
	my ($cmd, $in) = @_;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run($cmd, '<', \($in // ''), '>', \$out, '2>', \$err,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	return ($ok, $out, $err);
}

my $dbid = $node->safe_psql('postgres', "SELECT oid FROM pg_database WHERE datname = 'postgres'");

# the table's directory, URL and location (it changes with a TRUNCATE)
sub table_paths
{
	my $rfn = $node->safe_psql('postgres', "SELECT pg_relation_filenode('ev')");
	my $rel = "spillpool/$dbid/$rfn";
	return ($node->data_dir . "/$rel", "$prefix/$rel");
}

sub compare_rows
{
	my ($what, $want, $got) = @_;
	my %w = map { $_ => 1 } @$want;
	my @extra = grep { !$w{$_} } @$got;
	my %g = map { $_ => 1 } @$got;
	my @missing = grep { !$g{$_} } @$want;
	ok(scalar(@$got) == scalar(@$want) && !@extra && !@missing,
		"$what: " . scalar(@$want) . " rows, the same values")
	  or diag(Encode::encode('UTF-8', sprintf("got %d rows, want %d; first missing: %s; first extra: %s",
			scalar(@$got), scalar(@$want), $missing[0] // '-', $extra[0] // '-')));
}

# Every reader against spillpool.scan at snapshot $snap (the current one
# unless $older), plus the spec check of every manifest.
sub check_readers
{
	my ($what, $snap, $older) = @_;
	my ($dir, $url) = table_paths();
	my $want = pg_rows($snap);
	my @opt = $older ? ('--snapshot', $snap) : ();

	my ($ok, $out, $err) = run_cmd([ $nodejs, "$icedir/read.mjs", $url, @opt ]);
	ok($ok, "$what: icebird reads snapshot $snap") or diag($err);
	compare_rows("$what: icebird, snapshot $snap", $want, reader_rows($out)) if $ok;
	return if $older;

	($ok, $out, $err) = run_cmd([ $nodejs, "$icedir/read.mjs", $url, '--files' ]);
	ok($ok, "$what: icebird lists the data files") or diag($err);
	my $files = $out;
	($ok, $out, $err) = run_cmd(
		[ $nodejs, "$icedir/duckdb_files.mjs", '--table-dir', $dir, '--prefix', $url, '-' ], $files);
	ok($ok, "$what: DuckDB reads the listed data files") or diag($err);
	compare_rows("$what: DuckDB on the listed files", $want, reader_rows($out)) if $ok;

	($ok, $out, $err) = run_cmd([ $python, "$icedir/check_avro.py", $dir, '--prefix', $url ]);
	ok($ok && $out =~ /^ok: \d+ manifests/m,
		"$what: every manifest list and manifest follows the spec (python3-avro)")
	  or diag("$out$err");

	my $cur = $node->safe_psql('postgres', "SELECT current_snapshot FROM spillpool.stats('ev')");
	is($cur, $snap, "$what: snapshot $snap is the current one");
	my $loc = $node->safe_psql('postgres',
		"SELECT metadata_location FROM spillpool.iceberg_tables WHERE table_name = 'ev'");
	like($loc, qr{^\Q$url\E/metadata/v\d+\.metadata\.json$},
		"$what: spillpool.iceberg_tables names the current metadata under the prefix");
	return;
}

# 1. appends, by each route.  INSERT VALUES, with NULLs and edge values.
$node->safe_psql('postgres', q{
INSERT INTO ev VALUES
	(1, '2020-01-01 10:00+00', '2020-01-01 10:00', 'a', 1.5, '11111111-2222-3333-4444-555555555555',
	 0.1, 0.1, true, '2020-01-01', 7, 3, '\xdeadbeef', '{"a": 1, "b": [1, 2]}', '1 day', '{1,NULL,3}'),
	(2, '2020-01-02 00:00+00', NULL, NULL, NULL, NULL, 'NaN', '-Infinity', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{}'),
	(3, '1969-12-31 23:59:59.999999+00', '0001-01-01 00:00', '', -99999999.999, '00000000-0000-0000-0000-000000000000',
	 '1e308', '3.4028235e38', false, '1970-01-01', -2147483648, -32768, '\x', '[]', '-3 years 2 mons', NULL),
	(4, '2020-06-01 00:00+02', '2020-06-01 00:00', 'ünïcödé ✓', 0.001, 'ffffffff-ffff-ffff-ffff-ffffffffffff',
	 '-0', '1e-45', true, '2020-02-29', 2147483647, 32767, '\x00ff', '"s"', '00:00:01.5', '{-2147483648,NULL}');
INSERT INTO ev SELECT g, '2020-03-01 00:00+00'::timestamptz + g * interval '1 minute', '2020-03-01'::timestamp + g * interval '1 second',
	md5(g::text), g / 7.0, md5(g::text)::uuid, g / 3.0, g / 9.0, g % 2 = 0, '2020-03-01'::date + g % 100, g, (g % 1000)::smallint,
	decode(md5(g::text), 'hex'), jsonb_build_object('g', g), make_interval(secs => g),
	CASE WHEN g % 5 = 0 THEN NULL ELSE ARRAY(SELECT g * k FROM generate_series(1, g % 4) k) END
FROM generate_series(5, 400) g;
});
is($node->safe_psql('postgres', "SELECT spillpool.flush('ev')"), '1', 'snapshot 1: INSERT VALUES');

# INSERT ... SELECT from a heap table whose long values are compressed
$node->safe_psql('postgres', q{
CREATE TABLE src (LIKE ev);
INSERT INTO src SELECT g, '2020-04-01 00:00+00'::timestamptz + g * interval '1 hour', NULL,
	repeat(md5(g::text), 200), g, NULL, g, g, NULL, NULL, g, NULL, NULL,
	jsonb_build_object('long', repeat('x', 5000)), NULL, ARRAY[g, NULL]
FROM generate_series(401, 600) g;
INSERT INTO ev SELECT * FROM src;
});
is($node->safe_psql('postgres',
		"SELECT count(*) FROM src WHERE pg_column_compression(v) IS NOT NULL"),
	'200', 'the heap copy holds its long values compressed');
is($node->safe_psql('postgres', "SELECT spillpool.flush('ev')"), '2', 'snapshot 2: INSERT ... SELECT');

# COPY
my $copyfile = PostgreSQL::Test::Utils::tempdir() . '/ev.copy';
$node->safe_psql('postgres', qq{
COPY (SELECT g, '2020-05-01 00:00+00'::timestamptz + g * interval '1 day', NULL, 'copy ' || g, g * 1.25,
	NULL, g * 0.5, NULL, true, NULL, NULL, NULL, NULL, NULL, NULL,
	CASE WHEN g % 2 = 0 THEN ARRAY[g] END FROM generate_series(601, 900) g)
	TO '$copyfile';
COPY ev FROM '$copyfile';
});
is($node->safe_psql('postgres', "SELECT spillpool.flush('ev')"), '3', 'snapshot 3: COPY');
# rows not yet flushed are no part of any snapshot
$node->safe_psql('postgres',
	"INSERT INTO ev (id, ts, v) VALUES (901, '2020-07-01', 'in the memtable only')");
check_readers('after three appends', 3);
check_readers('after three appends', 1, 1);
check_readers('after three appends', 2, 1);

# the shards carry the Iceberg field ids (attribute numbers)
{
	my ($dir) = table_paths();
	my ($ok, $out, $err) = run_cmd([ $nodejs, "$icedir/duckdb_files.mjs", '--field-ids', glob("$dir/shards/*.parquet") ]);
	my $want = join(',', map { "$names[$_]=" . ($_ + 1) } 0 .. $#names);
	my @got = map {
		my $c = decode_json($_)->{columns};
		join(',', map { "$_=" . ($c->{$_} // '-') } @names)
	} split /\n/, $out;
	ok($ok && @got == 3 && !(grep { $_ ne $want } @got),
		'every shard carries the field ids of the Iceberg schema') or diag("$out$err");
}

# the list column in the Iceberg schema: a list whose element id is
# 1000000 + attnum, counted in last-column-id, and carried by the shards'
# element field
{
	my ($dir) = table_paths();
	my $hint = slurp_file("$dir/metadata/version-hint.text");
	chomp $hint;
	my $meta = decode_json(slurp_file("$dir/metadata/v$hint.metadata.json"));
	my ($ia) = grep { $_->{name} eq 'ia' } @{ $meta->{schemas}[0]{fields} };
	is_deeply($ia, { id => 16, name => 'ia', required => JSON::PP::false,
			type => { type => 'list', 'element-id' => 1000016, element => 'int',
				'element-required' => JSON::PP::false } },
		'the Iceberg schema has ia as a list of int with element id 1000016');
	is($meta->{'last-column-id'}, 1000016, 'last-column-id counts the element id');
	my ($ok, $out, $err) = run_cmd([ $nodejs, '-e', q{
		const { DuckDBInstance } = require(process.argv[1] + '/node_modules/@duckdb/node-api');
		(async () => {
			const con = await (await DuckDBInstance.create(':memory:')).connect();
			const r = await con.runAndReadAll(`SELECT DISTINCT field_id FROM parquet_schema('${process.argv[2]}') WHERE name = 'element'`);
			console.log(r.getRows().map((x) => String(x[0])).join(','));
		})();
	}, "$root/test/duckdb", (glob("$dir/shards/*.parquet"))[0] ]);
	is($ok ? $out : $err, "1000016\n", "the shards' list element carries field id 1000016");
}

# 2. a compaction: a replace snapshot; older snapshots still read by id
$node->safe_psql('postgres', "SELECT spillpool.alter_table('ev', compact_target_size => '64MB')");
is($node->safe_psql('postgres', "SELECT spillpool.compact('ev')"), '4', 'snapshot 4: compaction');
is($node->safe_psql('postgres', "SELECT operation FROM spillpool.snapshots('ev') WHERE snapshot_id = 4"),
	'replace', 'the compaction is a replace snapshot');
check_readers('after a compaction', 4);
check_readers('after a compaction', 2, 1);

# 3. newer rows, then retention drops the old shard whole
$node->safe_psql('postgres', q{
INSERT INTO ev (id, ts, v, f) SELECT g, '2026-11-01 00:00+00'::timestamptz + g * interval '1 minute', 'new ' || g, g
FROM generate_series(902, 1000) g;
});
is($node->safe_psql('postgres', "SELECT spillpool.flush('ev')"), '5', 'snapshot 5: newer rows (and row 901)');
is($node->safe_psql('postgres', "SELECT spillpool.drop_shards('ev', '2025-01-01', 'ts')"),
	'900', 'retention drops the 900 rows of the compacted shard');
is($node->safe_psql('postgres', "SELECT operation FROM spillpool.snapshots('ev') WHERE snapshot_id = 6"),
	'delete', 'retention commits a delete snapshot');
check_readers('after a retention drop', 6);
check_readers('after a retention drop', 4, 1);
check_readers('after a retention drop', 5, 1);

# 4. expiry: every snapshot but the current one
is($node->safe_psql('postgres', "SELECT spillpool.expire_snapshots('ev', now())"), '5',
	'expiry takes snapshots 1 to 5');
check_readers('after an expiry', 6);
{
	my ($dir, $url) = table_paths();
	my ($ok, $out, $err) = run_cmd([ $nodejs, "$icedir/read.mjs", $url, '--snapshots' ]);
	my @ids = map { decode_json($_)->{'snapshot-id'} } split /\n/, $out;
	is("@ids", '6', 'the metadata lists the one snapshot kept');
	my @shards = glob("$dir/shards/*.parquet");
	is(scalar(@shards), 2,
		'the shard files of the expired snapshots are gone (but for the one the kept delete removed)');
	($ok, $out, $err) = run_cmd([ $nodejs, "$icedir/read.mjs", $url, '--snapshot', '4' ]);
	ok(!$ok && $err =~ /snapshot/i, 'an expired snapshot is no longer in the metadata');
}

# 5. a restart: the same metadata, read the same
restart_node($node, 'restart');
check_readers('after a restart', 6);

# 6. a new location prefix (the data directory's path): the next commit
# writes every kept snapshot again under it
$node->safe_psql('postgres', "ALTER SYSTEM SET spillpool.iceberg_location_prefix = ''");
$node->reload;
$node->safe_psql('postgres', "INSERT INTO ev (id, ts, v) VALUES (1001, now(), 'after the prefix changed')");
is($node->safe_psql('postgres', "SELECT spillpool.flush('ev')"), '7', 'snapshot 7 after the prefix changed');
{
	my ($dir, $url) = table_paths();
	my $loc = $node->safe_psql('postgres',
		"SELECT metadata_location FROM spillpool.iceberg_tables WHERE table_name = 'ev'");
	is($loc, "$dir/metadata/" . ($loc =~ m{(v\d+\.metadata\.json)$})[0],
		'the metadata names the files by their path in the data directory');
	my ($ok, $out, $err) = run_cmd([ $python, "$icedir/check_avro.py", $dir, '--prefix', $dir, '--allow-schemeless' ]);
	ok($ok, 'the rewritten manifests follow the spec') or diag("$out$err");
	for my $snap (6, 7)
	{
		($ok, $out, $err) = run_cmd([ $nodejs, "$icedir/read.mjs", $url, '--snapshot', $snap, '--prefix', $dir ]);
		ok($ok, "icebird reads snapshot $snap of the rewritten metadata") or diag($err);
		compare_rows("rewritten metadata, snapshot $snap", pg_rows($snap), reader_rows($out)) if $ok;
	}
	my @stale = grep { !/-2-\d+\.avro$/ } glob("$dir/metadata/*.avro");
	is(scalar(@stale), 0, 'the Avro files of the old prefix are gone');
}

# 7. many appends: every 100th after the last compaction or retention
# writes a manifest of the whole table, so a manifest list names at most 101
# manifests; an expiry whose oldest kept snapshot is such a one keeps the
# rule where it was
$node->safe_psql('postgres', "ALTER SYSTEM SET spillpool.iceberg_location_prefix = '$prefix'");
$node->reload;
$node->safe_psql('postgres', 'CREATE TABLE many (id int) USING spillpool');
sub flush_many
{
	my ($from, $to) = @_;
	$node->safe_psql('postgres', qq{
DO \$\$
BEGIN
	FOR i IN $from..$to LOOP
		INSERT INTO many VALUES (i * 2), (i * 2 + 1);
		COMMIT;
		PERFORM spillpool.flush('many');
	END LOOP;
END
\$\$;});
}

sub check_many
{
	my ($what) = @_;
	my $rfn = $node->safe_psql('postgres', "SELECT pg_relation_filenode('many')");
	my $dir = $node->data_dir . "/spillpool/$dbid/$rfn";
	my $url = "$prefix/spillpool/$dbid/$rfn";
	my $cur = $node->safe_psql('postgres', "SELECT current_snapshot FROM spillpool.stats('many')");
	my $want = $node->safe_psql('postgres', "SELECT count(*) || ' ' || sum(id) FROM spillpool.scan(NULL::many, $cur)");
	my ($ok, $out, $err) = run_cmd([ $nodejs, "$icedir/read.mjs", $url ]);
	my ($n, $sum) = (0, 0);
	for (split /\n/, $out) { $n++; $sum += decode_json($_)->{id}; }
	ok($ok && "$n $sum" eq $want, "$what: icebird reads the $want (rows, sum) of snapshot $cur")
	  or diag("got $n $sum; $err");
	($ok, $out, $err) = run_cmd([ $python, "$icedir/check_avro.py", $dir, '--prefix', $url ]);
	ok($ok, "$what: the manifests follow the spec") or diag("$out$err");
	my @lists = glob("$dir/metadata/snap-*-$cur.avro");
	($ok, $out, $err) = run_cmd([ $nodejs, "$icedir/read.mjs", $url, '--entries' ]);
	my %manifests = map { decode_json($_)->{manifest} => 1 } split /\n/, $out;
	ok(scalar(keys %manifests) <= 101, "$what: the current list names " . scalar(keys %manifests)
		  . " manifests (at most 101)");
	return;
}

flush_many(1, 130);
check_many('130 appends');
my $t100 = $node->safe_psql('postgres',
	"SELECT committed_at FROM spillpool.snapshots('many') WHERE snapshot_id = 100");
is($node->safe_psql('postgres', "SELECT spillpool.expire_snapshots('many', '$t100')"), '99',
	'expiry keeps snapshots 100 to 130');
flush_many(131, 260);
check_many('260 appends after an expiry at the 100th');
$node->safe_psql('postgres', "SELECT spillpool.compact('many')");
flush_many(261, 270);
check_many('a compaction and 10 appends');

$server->kill_kill;
ok(!$node->log_contains('could not write the Iceberg metadata|PANIC'), 'no Iceberg write failed');
stop_node($node, 'fast', 'end of test');
done_testing();
