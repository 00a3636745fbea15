
# Copyright: spillpool project
#
# Damaged shard files never return wrong rows.  A shard of each codec (zstd,
# lz4, none) gets single-byte changes at random positions (a fixed seed),
# one at a time, with the server running; after each, a full scan (every
# column, in row order, as an md5) and an aggregate computed inside the scan
# must either fail with ERRCODE_DATA_CORRUPTED or return exactly what they
# returned before.  What catches the changes: the CRC32C of each shard's
# footer recorded in the manifest (checked before the footer is parsed),
# the Parquet page CRCs (checked before a page is decompressed), and the
# reader's own checks of the page headers.  A change in the footer is also
# tried on its own, and the byte is put back after each try.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;

my $node = spillpool_node('shardcorrupt', "spillpool.flush_naptime = '1h'\n");
my $pgdata = $node->data_dir;

my $full_sql = "SELECT md5(string_agg(t::text, E'\\n' ORDER BY id)) FROM TBL t";
my $agg_sql =
  "SELECT count(*) || '|' || sum(i8) || '|' || avg(f8) || '|' || min(ts) || '|' || max(n) "
  . "|| '|' || count(s) FROM TBL";

# runs $sql; 'error' for XX001, the result text, or 'other: ...'
sub outcome
{
	my ($sql) = @_;
	my ($ret, $out, $err) =
	  $node->psql('postgres', "\\set VERBOSITY verbose\n$sql", on_error_stop => 1);
	return $out if $ret == 0;
	return 'error' if $err =~ /ERROR:  XX001: /;
	return "other: $err";
}

my $seed = 20261204;
srand($seed);
note("random seed $seed");

for my $codec ('zstd', 'lz4', 'none')
{
	my $t = "sc_$codec";
	$node->safe_psql(
		'postgres', qq{
		CREATE TABLE $t (id int, i8 bigint, f8 float8, s text, ts timestamptz,
		                 n numeric(12, 2), b bool) USING spillpool;
		SELECT spillpool.alter_table('$t', shard_compression => '$codec');
		INSERT INTO $t SELECT i, i::bigint * 1000003, i * 0.25, 'text ' || (i % 700),
			timestamptz '2026-01-01 00:00+00' + i * interval '1 minute',
			(i % 10007) * 0.01, i % 3 = 0
		FROM generate_series(1, 20000) i;
		SET spillpool.shard_row_group_rows = 2000;
		SELECT spillpool.flush('$t');
	});
	my $dir = $node->safe_psql('postgres',
		"SELECT format('spillpool/%s/%s/shards', (SELECT oid FROM pg_database WHERE datname = current_database()), pg_relation_filenode('$t'))"
	);
	my @files = glob("$pgdata/$dir/*.parquet");
	is(scalar(@files), 1, "$codec: one shard file");
	my $file = $files[0];
	my $size = -s $file;
	(my $full = $full_sql) =~ s/TBL/$t/;
	(my $agg = $agg_sql) =~ s/TBL/$t/;
	my $want_full = outcome($full);
	my $want_agg = outcome($agg);
	like($want_agg, qr/^20000\|/, "$codec: the aggregate before any damage");

	my %count = (error => 0, same => 0, wrong => 0);
	my $tries = 0;
	my $check = sub {
		my ($what) = @_;
		for my $q ([$full, $want_full], [$agg, $want_agg])
		{
			my $got = outcome($q->[0]);
			if ($got eq 'error') { $count{error}++; }
			elsif ($got eq $q->[1]) { $count{same}++; }
			else
			{
				$count{wrong}++;
				diag("$codec: $what: got '$got', want '$q->[1]'");
			}
		}
	};
	for my $i (1 .. 200)
	{
		my $off = int(rand($size));
		my $mask = 1 + int(rand(255));
		xor_file_byte($file, $off, $mask);
		$check->("byte $off ^ $mask");
		xor_file_byte($file, $off, $mask);
		$tries++;
	}

	# the footer: a byte of the FileMetaData, its length and the magic
	for my $back (1, 5, 9, 40, 200)
	{
		my $off = $size - $back;
		xor_file_byte($file, $off, 0x10);
		my ($ret, $out, $err) =
		  $node->psql('postgres', "\\set VERBOSITY verbose\n$full", on_error_stop => 1);
		like($err,
			qr/ERROR:  XX001: (checksum mismatch in the footer of spillpool shard|invalid footer length|could not read the footer)/,
			"$codec: a change $back bytes before the end is found in the footer");
		xor_file_byte($file, $off, 0x10);
	}

	is($count{wrong}, 0,
		"$codec: $tries random byte changes: no wrong result ($count{error} errors, $count{same} unchanged)");
	cmp_ok($count{error}, '>', 0, "$codec: the changes are found");
	is(outcome($full), $want_full, "$codec: intact again");
}

ok(!$node->log_contains('was terminated by signal|PANIC'), 'no server process crashed');
stop_node($node, 'fast', 'end of test');
done_testing();
