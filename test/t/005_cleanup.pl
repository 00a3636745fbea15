
# Copyright: spillpool project
#
# Table directories: orphans (owned by no relation) are removed by the
# background worker at startup; a committed DROP TABLE removes the table's
# directory and DROP DATABASE the database's.
use strict;
use warnings;

use File::Path qw(make_path);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;

# Waits up to the default timeout for $cond to become true.
sub poll_until
{
	my ($cond) = @_;
	my $deadline = time() + $PostgreSQL::Test::Utils::timeout_default;
	while (time() < $deadline)
	{
		return 1 if $cond->();
		usleep(100_000);
	}
	return $cond->();
}

my $node = spillpool_node('cleanup');
my $pgdata = $node->data_dir;
my $dbid   = $node->safe_psql('postgres',
	"SELECT oid FROM pg_database WHERE datname = 'postgres'");

sub table_dir
{
	my ($db, $t) = @_;
	my $oid = $node->safe_psql($db,
		"SELECT oid FROM pg_database WHERE datname = current_database()");
	my $rfn = $node->safe_psql($db, "SELECT relfilenode FROM pg_class WHERE relname = '$t'");
	return "$pgdata/spillpool/$oid/$rfn";
}

###########################################################################
# orphaned directories are removed at startup
###########################################################################
$node->safe_psql(
	'postgres', q{
	CREATE TABLE keep (id int, payload text) USING spillpool;
	INSERT INTO keep SELECT g, md5(g::text) FROM generate_series(1, 3000) g;
	CREATE TABLE keep_empty (id int) USING spillpool;
});
my $keep_dir  = table_dir('postgres', 'keep');
my $empty_dir = table_dir('postgres', 'keep_empty');
ok(-d "$keep_dir/seg",  'a table has its directory');
ok(-d "$empty_dir/seg", 'an empty table has its directory too');
my @keep_files = glob("$keep_dir/seg/*");
cmp_ok(scalar(@keep_files), '>=', 1, 'the table has segment files');

stop_node($node, 'fast', 'before the orphans');
my $orphan1 = "$pgdata/spillpool/$dbid/999999";
my $orphan2 = "$pgdata/spillpool/$dbid/888888";
my $orphan_db = "$pgdata/spillpool/4000000000";
make_path("$orphan1/seg", "$orphan2/seg", "$orphan_db/16384/seg");
for my $f ("$orphan1/seg/0000000001.seg", "$orphan1/seg/tmp-1-1.seg",
	"$orphan_db/16384/seg/0000000001.seg")
{
	open(my $fh, '>', $f) or die "cannot create $f: $!";
	print $fh "x" x 1000;
	close $fh;
}
ok(-d $orphan1 && -d $orphan2 && -d $orphan_db, 'fake orphan directories created');

my $log_off = -s $node->logfile;
$node->start;
ok(poll_until(sub { !-e $orphan1 && !-e $orphan2 }),
	'orphaned table directories removed after startup');
ok(poll_until(sub { !-e $orphan_db }),
	'orphaned directory of a database that does not exist removed');
ok($node->log_contains('removing orphaned spillpool directory', $log_off),
	'the removal is logged');
ok(-d "$keep_dir/seg" && -d "$empty_dir/seg", 'directories of live tables kept');
is_deeply([ glob("$keep_dir/seg/*") ], \@keep_files, 'their files kept');
is( $node->safe_psql(
		'postgres', q{SELECT count(*) FROM keep x WHERE x.payload = md5(x.id::text)}),
	'3000',
	'the live table still has all its rows');
$node->safe_psql('postgres', 'INSERT INTO keep_empty VALUES (1)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM keep_empty'), '1',
	'the empty live table works');

###########################################################################
# DROP TABLE
###########################################################################
$node->safe_psql(
	'postgres', q{
	CREATE TABLE d1 (id int, payload text) USING spillpool;
	INSERT INTO d1 SELECT g, md5(g::text) FROM generate_series(1, 2000) g;
	CREATE TABLE d2 (id int, payload text) USING spillpool;
	INSERT INTO d2 SELECT g, md5(g::text) FROM generate_series(1, 2000) g;
});
my $d1 = table_dir('postgres', 'd1');
my $d2 = table_dir('postgres', 'd2');
ok(-d $d1 && -d $d2, 'directories of d1 and d2 exist');

$node->safe_psql('postgres', 'BEGIN; DROP TABLE d2; ROLLBACK;');
ok(-d "$d2/seg", 'a rolled-back DROP TABLE keeps the directory');
is($node->safe_psql('postgres', 'SELECT count(*) FROM d2'),
	'2000', 'and the rows');

$node->safe_psql('postgres', 'DROP TABLE d1');
ok(!-e $d1, 'a committed DROP TABLE removes the directory');
$node->safe_psql('postgres', 'BEGIN; DROP TABLE d2; COMMIT;');
ok(!-e $d2, 'a DROP TABLE committed in a transaction block removes the directory');

# a table created and dropped in one transaction, and one whose CREATE
# rolled back, leave nothing behind
my @before = sort glob("$pgdata/spillpool/$dbid/*");
$node->safe_psql(
	'postgres', q{
	BEGIN;
	CREATE TABLE d3 (id int) USING spillpool;
	INSERT INTO d3 SELECT generate_series(1, 100);
	DROP TABLE d3;
	COMMIT;
	BEGIN;
	CREATE TABLE d4 (id int) USING spillpool;
	INSERT INTO d4 SELECT generate_series(1, 100);
	ROLLBACK;
});
is_deeply([ sort glob("$pgdata/spillpool/$dbid/*") ],
	\@before, 'CREATE+DROP in one transaction and a rolled-back CREATE leave no directory');

###########################################################################
# DROP DATABASE
###########################################################################
$node->safe_psql('postgres', 'CREATE DATABASE db2');
$node->safe_psql(
	'db2', q{
	CREATE EXTENSION spillpool;
	CREATE TABLE t (id int, payload text) USING spillpool;
	INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g;
});
my $db2oid = $node->safe_psql('postgres',
	"SELECT oid FROM pg_database WHERE datname = 'db2'");
my $db2dir = "$pgdata/spillpool/$db2oid";
ok(-d $db2dir && scalar(glob("$db2dir/*/seg/*.seg")), 'db2 has its spillpool directory with segments');
$node->safe_psql('postgres', 'DROP DATABASE db2');
ok(!-e $db2dir, 'DROP DATABASE removes spillpool/<db oid>');

# nothing comes back, nothing else goes, after a restart
restart_node($node, 'after the drops');
ok(poll_until(sub { !-e $d1 && !-e $d2 && !-e $db2dir }), 'dropped directories stay gone');
is( $node->safe_psql(
		'postgres', q{SELECT count(*) FROM keep x WHERE x.payload = md5(x.id::text)}),
	'3000',
	'the live table still has all its rows');
ok(-d "$keep_dir/seg" && -d "$empty_dir/seg", 'live directories kept after the restart');

ok(!$node->log_contains('was terminated by signal|PANIC'), 'no server process crashed');
stop_node($node, 'fast', 'end of test');
done_testing();
