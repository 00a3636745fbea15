
# Copyright: spillpool project
#
# Torn and corrupt segment files: a torn tail of the last segment file is cut
# off when the table is loaded after startup and the table stays usable;
# corruption anywhere else fails the scan with SQLSTATE XX001 naming the
# file, never returns wrong rows and never crashes the server.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;

use constant BLOCK_MAGIC => 0x42504C53;

sub read_file_bin
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or die "cannot open $path: $!";
	local $/;
	my $data = <$fh>;
	close $fh;
	return $data // '';
}

# The blocks of a segment file: offset, header size, comp_len, nrows.  The
# header's fields (magic, version, codec, flags, raw_len, comp_len, nrows,
# reserved, fxid, first position, crc32c, header crc32c) take 48 bytes (format
# version 2); the header size is
# found by checking that the blocks chain exactly to the end of the data.
# Zero bytes after the last block (a preallocated file) end the data.
sub parse_blocks
{
	my ($path) = @_;
	my $data = read_file_bin($path);
	my $len  = length $data;
	for my $hsize (48, 56)
	{
		my @blocks;
		my $off = 0;
		my $ok  = 1;
		while ($off < $len)
		{
			last if substr($data, $off) !~ /[^\0]/;
			if ($off + $hsize > $len) { $ok = 0; last; }
			my ($magic, $version, $codec, $flags, $raw_len, $comp_len, $nrows) =
			  unpack('V v C C V V V', substr($data, $off, 20));
			if ($magic != BLOCK_MAGIC || $version != 2 || $off + $hsize + $comp_len > $len)
			{
				$ok = 0;
				last;
			}
			push @blocks,
			  {
				off      => $off,
				hsize    => $hsize,
				comp_len => $comp_len,
				raw_len  => $raw_len,
				nrows    => $nrows,
				codec    => $codec,
				end      => $off + $hsize + $comp_len
			  };
			$off += $hsize + $comp_len;
		}
		return @blocks if $ok && @blocks;
	}
	die "cannot parse the blocks of $path";
}

sub truncate_file
{
	my ($path, $size) = @_;
	truncate($path, $size) or die "cannot truncate $path: $!";
	return;
}

sub append_bytes
{
	my ($path, $bytes) = @_;
	open(my $fh, '>>:raw', $path) or die "cannot open $path: $!";
	print $fh $bytes;
	close $fh;
	return;
}

# Flips the bits of one byte at $off.
sub flip_byte
{
	my ($path, $off) = @_;
	open(my $fh, '+<:raw', $path) or die "cannot open $path: $!";
	seek($fh, $off, 0) or die;
	my $c;
	read($fh, $c, 1) == 1 or die "cannot read $path at $off";
	seek($fh, $off, 0) or die;
	print $fh chr(ord($c) ^ 0xFF);
	close $fh;
	return;
}

my $node = spillpool_node('corrupt');
my $pgdata = $node->data_dir;

# "count|missing|extra" of table $t against the ids in the SQL set $set
sub exact
{
	my ($t, $set) = @_;
	return $node->safe_psql(
		'postgres', qq{
		SELECT (SELECT count(*) FROM $t) || '|' ||
		(SELECT count(*) FROM ($set) s(g)
		  WHERE NOT EXISTS (SELECT 1 FROM $t x WHERE x.id = g AND x.payload = md5(g::text))) || '|' ||
		(SELECT count(*) FROM $t x
		  WHERE x.id NOT IN ($set) OR x.payload IS DISTINCT FROM md5(x.id::text))});
}

# SQL inserting transactions $from..$to of $per rows each into $t; the rows
# of transaction $i have ids ($i - 1) * $per + 1 .. $i * $per
sub fill_sql
{
	my ($t, $from, $to, $per) = @_;
	return join('',
		map {
			sprintf(
				"INSERT INTO %s SELECT g, md5(g::text) FROM generate_series(%d, %d) g;\n",
				$t, ($_ - 1) * $per + 1, $_ * $per)
		} $from .. $to);
}

# path (relative to PGDATA) of every segment file of $t, in order
sub segment_paths
{
	my ($t) = @_;
	return split /\n/,
	  $node->safe_psql('postgres',
		"SELECT path FROM spillpool.segments('$t') ORDER BY seqno");
}

# runs $sql expecting failure; returns (stderr with verbose errors)
sub fails_with
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"\\set VERBOSITY verbose\n$sql", on_error_stop => 1);
	return ($ret, $out, $err);
}

###########################################################################
# (a) the last segment file cut in the middle of its last block
###########################################################################
$node->safe_psql('postgres',
	'CREATE TABLE t_tail (id int, payload text) USING spillpool');
$node->safe_psql('postgres', fill_sql('t_tail', 1, 10, 500));
my @paths = segment_paths('t_tail');
is(scalar(@paths), 1, '(a) one segment file');
my $file = "$pgdata/$paths[0]";
stop_node($node, 'fast', '(a)');

my @blocks = parse_blocks($file);
is(scalar(@blocks), 10, '(a) one block per committed transaction');
is($blocks[-1]{nrows}, 500, '(a) the last block holds the last transaction');
my $cut = $blocks[-1]{off} + $blocks[-1]{hsize} + int($blocks[-1]{comp_len} / 2);
truncate_file($file, $cut);

my $log_off = -s $node->logfile;
$node->start;
is(exact('t_tail', 'SELECT generate_series(1, 4500)'),
	'4500|0|0', '(a) every row except the torn block\'s is readable');
ok($node->log_contains('LOG:  (?!statement: ).*torn', $log_off),
	'(a) the server log has a LOG line about the torn block');
is(-s $file, $blocks[-1]{off}, '(a) the torn block was cut off the file');
is(join(',', map { $_->{off} } parse_blocks($file)),
	join(',', map { $_->{off} } @blocks[0 .. $#blocks - 1]),
	'(a) the file now holds exactly the blocks before the torn one');
is($node->safe_psql('postgres', "SELECT spilled_rows FROM spillpool.stats('t_tail')"),
	'4500', '(a) stats count the remaining rows');
$node->safe_psql('postgres', fill_sql('t_tail', 11, 11, 500));
is( exact(
		't_tail', 'SELECT generate_series(1, 4500) UNION ALL SELECT generate_series(5001, 5500)'),
	'5000|0|0',
	'(a) table usable after the cut: new rows readable');

###########################################################################
# (b) 100 zero bytes after the last block of the last file.  Zeros after
# the last block are what spillpool's own preallocation leaves there, so
# they are taken as unused space: nothing is cut, nothing is lost, and the
# next block is written where the data ends.
###########################################################################
stop_node($node, 'fast', '(b)');
my @bblocks = parse_blocks($file);
is(scalar(@bblocks), 10, '(b) the block written after the cut follows the earlier ones');
my $file_size_before = -s $file;
append_bytes($file, "\0" x 100);
$log_off = -s $node->logfile;
$node->start;
my $set_b = 'SELECT generate_series(1, 4500) UNION ALL SELECT generate_series(5001, 5500)';
is(exact('t_tail', $set_b), '5000|0|0', '(b) all rows readable after trailing zeros');
ok(!$node->log_contains('torn', $log_off),
	'(b) trailing zeros are not reported as a torn block');
is(-s $file, $file_size_before + 100, '(b) the zeros stay as unused space');
is(scalar(parse_blocks($file)), 10, '(b) no block lost');
$node->safe_psql('postgres', fill_sql('t_tail', 12, 12, 500));
restart_node($node, '(b)');
is( exact('t_tail', "$set_b UNION ALL SELECT generate_series(5501, 6000)"),
	'5500|0|0',
	'(b) rows written after the zeros were found survive a restart');

###########################################################################
# (c) a flipped byte in the payload of the first block of a finished
# segment file
###########################################################################
$node->safe_psql(
	'postgres', q{
	CREATE TABLE t_bad (id int, payload text) USING spillpool;
	SELECT spillpool.alter_table('t_bad', max_file_size => '256kB');
	CREATE TABLE t_bad2 (id int, payload text) USING spillpool;
	SELECT spillpool.alter_table('t_bad2', max_file_size => '256kB');
	CREATE TABLE t_bad3 (id int, payload text) USING spillpool;
});
$node->safe_psql('postgres',
	fill_sql('t_bad', 1, 20, 1500) . fill_sql('t_bad2', 1, 20, 1500) . fill_sql('t_bad3', 1, 10, 500));
is(exact('t_bad', 'SELECT generate_series(1, 30000)'), '30000|0|0', '(c) rows before the damage');
my @bad_paths  = segment_paths('t_bad');
my @bad2_paths = segment_paths('t_bad2');
my @bad3_paths = segment_paths('t_bad3');
cmp_ok(scalar(@bad_paths), '>=', 2, '(c) t_bad has several segment files');
is( $node->safe_psql('postgres',
		"SELECT status FROM spillpool.segments('t_bad') ORDER BY seqno LIMIT 1"),
	'finished',
	'(c) its first segment file is finished');
stop_node($node, 'fast', '(c)');

my @fblocks = parse_blocks("$pgdata/$bad_paths[0]");
cmp_ok(scalar(@fblocks), '>=', 2, '(c) the first file of t_bad has several blocks');
flip_byte("$pgdata/$bad_paths[0]",
	$fblocks[0]{off} + $fblocks[0]{hsize} + int($fblocks[0]{comp_len} / 2));

# (c2) t_bad2: the last block of a finished file
my @f2blocks = parse_blocks("$pgdata/$bad2_paths[0]");
flip_byte("$pgdata/$bad2_paths[0]",
	$f2blocks[-1]{off} + $f2blocks[-1]{hsize} + int($f2blocks[-1]{comp_len} / 2));

# (c3) t_bad3: the first block of the last (only) file, which has more
# blocks after it: corruption, not a torn tail
is(scalar(@bad3_paths), 1, '(c3) t_bad3 has a single segment file');
my $bad3_file = "$pgdata/$bad3_paths[0]";
my @f3blocks  = parse_blocks($bad3_file);
cmp_ok(scalar(@f3blocks), '>=', 2, '(c3) with several blocks');
my $bad3_size = -s $bad3_file;
flip_byte($bad3_file,
	$f3blocks[0]{off} + $f3blocks[0]{hsize} + int($f3blocks[0]{comp_len} / 2));

$node->start;

for my $case (['(c)', 't_bad', $bad_paths[0]], ['(c2)', 't_bad2', $bad2_paths[0]],
	['(c3)', 't_bad3', $bad3_paths[0]])
{
	my ($label, $t, $path) = @$case;
	# <relfilenode>/seg/<number>.seg identifies the file
	my ($name) = $path =~ m{([^/]+/seg/[^/]+)$};
	for my $q ("SELECT count(*) FROM $t", "SELECT sum(length(payload)) FROM $t",
		"SELECT id, payload FROM $t")
	{
		my ($ret, $out, $err) = fails_with($q);
		isnt($ret, 0, "$label $q fails");
		like($err, qr/ERROR:  XX001: /, "$label $q fails with SQLSTATE XX001");
		like($err, qr/\Q$name\E/, "$label the error names the file $name");
		unlike($out, qr/\d/, "$label $q returns no rows")
		  if $q =~ /count|sum/;
	}
	is($node->safe_psql('postgres', 'SELECT 1'), '1', "$label server still up");
}
is(-s $bad3_file, $bad3_size, '(c3) the damaged file was not cut short');

# the damaged tables still refuse to return anything after a restart, and
# the healthy one is untouched
restart_node($node, '(c)');
{
	my ($ret, $out, $err) = fails_with('SELECT count(*) FROM t_bad');
	like($err, qr/ERROR:  XX001: /, '(c) still XX001 after a restart');
}
is( exact('t_tail',
		"$set_b UNION ALL SELECT generate_series(5501, 6000)"),
	'5500|0|0',
	'undamaged table unaffected');

###########################################################################
# (e) every byte of a block header, with the server running: a bit flipped
# anywhere in the 48 bytes of a block's header gives XX001 or exactly the
# rows there are, never fewer or others, whether the block's rows are also
# in memory (the scan then takes them from there by the header's batch
# number) or only on disk (memory_limit 64kB evicted them); a flush of a
# table with a damaged header fails and takes nothing.
###########################################################################
for my $case (['t_hdr_mem', ''], ['t_hdr_disk', ", memory_limit => '64kB'"])
{
	my ($t, $opt) = @$case;
	$node->safe_psql('postgres', "CREATE TABLE $t (id int, payload text) USING spillpool");
	$node->safe_psql('postgres',
		"SELECT spillpool.alter_table('$t', spill_compression => 'lz4'$opt)");
	$node->safe_psql('postgres', fill_sql($t, 1, 20, 200));
	my @hpaths = segment_paths($t);
	my $hfile = "$pgdata/$hpaths[0]";
	my @hblocks = parse_blocks($hfile);
	my $boff = $hblocks[0]{off};
	my %outcome = (error => 0, exact => 0, wrong => 0);
	for my $byte (0 .. $hblocks[0]{hsize} - 1)
	{
		for my $bit (0, 7)
		{
			xor_file_byte($hfile, $boff + $byte, 1 << $bit);
			my ($ret, $out, $err) = fails_with(
				"SELECT (SELECT count(*) FROM $t) || '|' || (SELECT count(*) FROM $t x
				  WHERE x.payload IS DISTINCT FROM md5(x.id::text)) || '|' || (SELECT count(DISTINCT id) FROM $t)");
			if ($ret != 0 && $err =~ /ERROR:  XX001: /)
			{
				$outcome{error}++;
			}
			elsif ($ret == 0 && $out eq '4000|0|4000')
			{
				$outcome{exact}++;
			}
			else
			{
				$outcome{wrong}++;
				diag("$t: byte $byte bit $bit: ret $ret, out '$out', err '$err'");
			}
			xor_file_byte($hfile, $boff + $byte, 1 << $bit);
		}
	}
	is($outcome{wrong}, 0,
		"(e) $t: no flipped header bit returns wrong rows ($outcome{error} errors, $outcome{exact} exact)");
	# only a flip in the block's CRC (bytes 40-43) may go unnoticed, when
	# the scan takes the rows from memory and reads no payload to check
	cmp_ok($outcome{error}, '>=', 2 * ($hblocks[0]{hsize} - 4),
		"(e) $t: every other flip is an error");
	is(exact($t, 'SELECT generate_series(1, 4000)'), '4000|0|0', "(e) $t: intact again");
}
{
	my @hpaths = segment_paths('t_hdr_disk');
	my $hfile = "$pgdata/$hpaths[0]";
	my @hblocks = parse_blocks($hfile);
	# bit 0 of the third byte of the transaction id
	xor_file_byte($hfile, $hblocks[0]{off} + 26, 1);
	my ($ret, $out, $err) = fails_with("SELECT spillpool.flush('t_hdr_disk')");
	like($err, qr/ERROR:  XX001: checksum mismatch in the block header/,
		'(e) a flush over a damaged header fails with XX001');
	xor_file_byte($hfile, $hblocks[0]{off} + 26, 1);
	$node->safe_psql('postgres', "SELECT spillpool.flush('t_hdr_disk')");
	is(exact('t_hdr_disk', 'SELECT generate_series(1, 4000)'), '4000|0|0',
		'(e) the flush after the repair takes every row');
}

###########################################################################
# (d) a lost manifest: the table has shards, and the manifest that lists
# them is deleted.  Reads fail with XX001 naming the manifest, before and
# after a restart, and no shard file is removed; with the manifest back,
# every row reads again.
###########################################################################
$node->safe_psql('postgres',
	'CREATE TABLE t_man (id int, payload text) USING spillpool');
$node->safe_psql('postgres', fill_sql('t_man', 1, 4, 500));
$node->safe_psql('postgres', "SELECT spillpool.flush('t_man')");
$node->safe_psql('postgres', fill_sql('t_man', 5, 6, 500));
my $man_dir = $pgdata . '/'
  . $node->safe_psql('postgres',
	"SELECT format('spillpool/%s/%s', (SELECT oid FROM pg_database WHERE datname = current_database()), pg_relation_filenode('t_man'))");
my $manifest = "$man_dir/manifest";
ok(-f $manifest, '(d) the table has a manifest');
my @shard_files = glob("$man_dir/shards/*.parquet");
is(scalar(@shard_files), 1, '(d) one shard file');
my $saved = read_file_bin($manifest);
unlink($manifest) or die "cannot remove $manifest: $!";
for my $when ('running', 'after a restart')
{
	for my $q ('SELECT count(*) FROM t_man', 'SELECT id FROM t_man ORDER BY id LIMIT 3')
	{
		my ($ret, $out, $err) = fails_with($q);
		isnt($ret, 0, "(d) $when: $q fails");
		like($err, qr/ERROR:  XX001: spillpool manifest ".*manifest" is missing/,
			"(d) $when: XX001 naming the manifest");
		unlike($out, qr/\d/, "(d) $when: $q returns no rows");
	}
	my ($ret, $out, $err) = fails_with("SELECT spillpool.flush('t_man')");
	like($err, qr/XX001/, "(d) $when: a flush fails too");
	my @shards_now = glob("$man_dir/shards/*.parquet");
	is(scalar(@shards_now), scalar(@shard_files), "(d) $when: the shard file is still there");
	ok(!-f $manifest, "(d) $when: no manifest was made up");
	restart_node($node, '(d)') if $when eq 'running';
}
open(my $mfh, '>:raw', $manifest) or die "cannot write $manifest: $!";
print $mfh $saved;
close $mfh;
restart_node($node, '(d) manifest restored');
is(exact('t_man', 'SELECT generate_series(1, 3000)'), '3000|0|0',
	'(d) with the manifest restored every row reads');

ok(!$node->log_contains('was terminated by signal|PANIC'), 'no server process crashed');
stop_node($node, 'fast', 'end of test');
done_testing();
