
# Copyright: spillpool project
#
# The HNSW index of each shard across crashes and damage.  The backend
# SIGKILLs itself (spillpool.debug_crash_at) with an index file half
# written (index-build) and with every index written but the manifest not
# yet renamed (index-written), in a flush and in a compaction; the
# postmaster restarts the server.  After each crash the snapshot is the
# old one and whole: the same rows at the same positions, every shard and
# index file on disk listed in the manifest and only those, and
# nearest-neighbour queries equal to the exact ones.  The flush or
# compaction done again commits with its index.  An index file deleted or
# with a flipped byte gives a WARNING and exact results; a clean restart
# keeps the indexes in use.  An INSERT returns while a flush builds.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;
use IPC::Run;

my $node = spillpool_node('knn_crash',
	"spillpool.flush_naptime = '1h'\nspillpool.maintenance_naptime = '1h'\n"
	  . "spillpool.default_flush_interval = '1h'\nrestart_after_crash = on\n");

sub q1 { return $node->safe_psql('postgres', $_[0]); }

# the distance operators are in schema spillpool
q1("ALTER DATABASE postgres SET search_path = public, spillpool");

# vectors of 16 pseudo-random coordinates, the same in both tables
q1(q{CREATE FUNCTION vec(seed int) RETURNS real[] LANGUAGE sql IMMUTABLE
	AS $$ SELECT array_agg((hashint4(seed * 64 + d) & 1048575) / 1048576.0 ORDER BY d)::real[]
		FROM generate_series(1, 16) d $$});
q1("CREATE TABLE t (id int, emb real[]) USING spillpool");
q1("SELECT spillpool.alter_table('t', embedding_column => 'emb', embedding_dimension => 16, "
	  . "compact_min_shards => 0)");
q1("CREATE TABLE h (id int, emb real[])");

sub add_rows
{
	my ($lo, $hi) = @_;
	q1("INSERT INTO t SELECT g, vec(g) FROM generate_series($lo, $hi) g");
	q1("INSERT INTO h SELECT g, vec(g) FROM generate_series($lo, $hi) g");
	return;
}

# Do 20 nearest-neighbour queries (exact at this ef_search) give the heap's answers?
sub knn_matches
{
	my ($what) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', q{
		SET spillpool.ef_search = 100000;
		SELECT count(*) FROM generate_series(1, 20) q
		WHERE ARRAY(SELECT id FROM t ORDER BY emb <-> vec(100000 + q) LIMIT 10)
			= ARRAY(SELECT id FROM h ORDER BY emb <-> vec(100000 + q) LIMIT 10)});
	is($out, '20', "$what: nearest neighbours equal the exact ones");
	return $err;
}

sub check_whole
{
	my ($what, $snap, $rows) = @_;
	is(q1("SELECT current_snapshot FROM spillpool.stats('t')"), $snap, "$what: at snapshot $snap");
	is(rows_with_positions($node, 't'), $rows, "$what: the same rows at the same positions");
	my $dir = table_dir_of($node, 't');
	my ($disk, $listed) = shard_files($dir);
	is($disk, $listed, "$what: shard files on disk are those the manifest lists");
	($disk, $listed) = shard_files($dir, 'hnsw');
	is($disk, $listed, "$what: index files on disk are those the manifest lists");
	knn_matches($what);
	return;
}

# a first shard with its index
add_rows(1, 2000);
q1("SELECT spillpool.flush('t')");
is(q1("SELECT index_vectors FROM spillpool.shards('t')"), '2000', 'the first flush indexed its 2000 vectors');

# crashes in the second flush: its index half written, then all written
add_rows(2001, 4000);
my $rows = rows_with_positions($node, 't');
for my $step (qw(index-build index-written))
{
	crash_backend_at($node, $step, "SELECT spillpool.flush('t')");
	check_whole("flush crashed at $step", '1', $rows);
}
q1("SELECT spillpool.flush('t')");
is(q1("SELECT string_agg(index_vectors::text, ',' ORDER BY snapshot_id) FROM spillpool.shards('t')"),
	'2000,2000', 'the flush done again commits with its index');
check_whole('after the second flush', '2', $rows);

# crashes in a compaction's index build
for my $step (qw(index-build index-written))
{
	crash_backend_at($node, $step, "SELECT spillpool.compact('t')");
	check_whole("compaction crashed at $step", '2', $rows);
}
q1("SELECT spillpool.compact('t')");
is(q1("SELECT count(*) || ':' || sum(index_vectors) FROM spillpool.shards('t')"),
	'1:4000', 'the compaction done again writes one shard with its index');
check_whole('after the compaction', '3', $rows);

# a clean restart: the indexes are used
restart_node($node, 'clean restart');
like(q1("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM t ORDER BY emb <-> vec(1) LIMIT 5"),
	qr/Shards Searched by Index: 1\n.*Shards Searched Exactly: 0/s,
	'after a restart the shard is searched by its index');

# damage: a flipped byte, then a missing file; each time a WARNING and
# exact results (new connections: a backend keeps indexes it read)
my $index = $node->data_dir . '/' . q1("SELECT index_path FROM spillpool.shards('t')");
xor_file_byte($index, 200, 0x40);
my $err = knn_matches('a flipped byte in the index');
like($err, qr/WARNING:  index of a shard of spillpool table "t" cannot be used; searching the shard exactly\n.*checksum/s,
	'a flipped byte: the WARNING names the checksum');
unlink $index or die "cannot remove $index: $!";
$err = knn_matches('a missing index file');
like($err, qr/cannot be used.*\n.*is missing/s, 'a missing file: the WARNING says so');

# ingest never waits for an index build: an INSERT while a flush builds
q1("CREATE TABLE big (id int, emb real[]) USING spillpool");
q1("SELECT spillpool.alter_table('big', embedding_column => 'emb', embedding_dimension => 16, "
	  . "index_ef_construction => 400)");
q1("INSERT INTO big SELECT g, vec(g) FROM generate_series(1, 40000) g");
my ($in, $out, $ferr) = ('', '', '');
my $flush = IPC::Run::start(
	[ 'psql', '-X', '-d', $node->connstr('postgres'), '-c', "SELECT spillpool.flush('big')" ],
	'<', \$in, '>', \$out, '2>', \$ferr);
my $busy = q{SELECT count(*) FROM pg_stat_activity
	WHERE query = 'SELECT spillpool.flush(''big'')' AND state = 'active'};
$node->poll_query_until('postgres', "SELECT ($busy) = 1", 't') or die 'the flush did not start';
q1("INSERT INTO big VALUES (0, vec(0))");
is(q1($busy), '1', 'an INSERT returned while the flush was still running');
$flush->finish;
is(q1("SELECT count(*) || ':' || (SELECT sum(index_vectors) FROM spillpool.shards('big')) FROM big"),
	'40001:40000', 'the flush indexed its rows, and the row inserted meanwhile is there');

done_testing();
