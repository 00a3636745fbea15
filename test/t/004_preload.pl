
# Copyright: spillpool project
#
# Without spillpool in shared_preload_libraries every entry point fails
# with a clear error and a hint, and nothing crashes.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;

my $msg  = 'spillpool must be loaded via shared_preload_libraries';
my $hint = qr/HINT:  .*shared_preload_libraries/;

# Runs $sql on $node expecting the missing-preload error with its hint.
sub fails_unpreloaded
{
	my ($node, $sql, $label) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql, on_error_stop => 1);
	isnt($ret, 0, "$label: fails");
	like($err, qr/ERROR:  \Q$msg\E/, "$label: with the missing-preload error");
	like($err, $hint, "$label: with a hint naming shared_preload_libraries");
	return;
}

###########################################################################
# a server that never preloaded the library
###########################################################################
my $bare = PostgreSQL::Test::Cluster->new('bare');
$bare->init;
$bare->append_conf('postgresql.conf', "spillpool.memory = '64MB'\n");
$bare->start;
fails_unpreloaded($bare, 'CREATE EXTENSION spillpool', 'CREATE EXTENSION without preload');
is($bare->safe_psql('postgres',
		"SELECT count(*) FROM pg_extension WHERE extname = 'spillpool'"),
	'0', 'the failed CREATE EXTENSION left no extension behind');
is($bare->safe_psql('postgres',
		"SELECT count(*) FROM pg_am WHERE amname = 'spillpool'"),
	'0', 'and no access method');
is($bare->safe_psql('postgres', 'SELECT 1'), '1', 'server still up');
ok(!$bare->log_contains('was terminated by signal|PANIC'), 'no crash on the bare server');
stop_node($bare, 'fast', 'bare server');

###########################################################################
# a server where the extension exists, restarted without the library
###########################################################################
my $node = PostgreSQL::Test::Cluster->new('unloaded');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'spillpool'\nspillpool.memory = '64MB'\n");
$node->start;
$node->safe_psql(
	'postgres', q{
	CREATE EXTENSION spillpool;
	CREATE TABLE t (id int, payload text) USING spillpool;
	SELECT spillpool.alter_table('t', memory_limit => '1MB');
	INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g;
});
is($node->safe_psql('postgres', 'SELECT count(*), sum(id) FROM t'),
	'5000|12502500', 'rows stored while preloaded');

stop_node($node, 'fast', 'preloaded server');
$node->append_conf('postgresql.conf', "shared_preload_libraries = ''\n");
$node->start;
is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'', 'restarted without the library');

fails_unpreloaded($node, 'CREATE TABLE t2 (a int) USING spillpool',
	'CREATE TABLE USING spillpool');
fails_unpreloaded($node, 'SELECT count(*) FROM t', 'SELECT count(*)');
fails_unpreloaded($node, 'SELECT * FROM t', 'SELECT *');
fails_unpreloaded($node, 'INSERT INTO t VALUES (1, md5(\'1\'))', 'INSERT');
fails_unpreloaded($node, "COPY t FROM PROGRAM 'echo 1'", 'COPY FROM');
fails_unpreloaded($node, "SELECT * FROM spillpool.stats('t')", 'spillpool.stats(rel)');
fails_unpreloaded($node, 'SELECT * FROM spillpool.stats()', 'spillpool.stats()');
fails_unpreloaded($node, "SELECT * FROM spillpool.table_stats('t')",
	'spillpool.table_stats(rel)');
fails_unpreloaded($node, "SELECT * FROM spillpool.segments('t')", 'spillpool.segments(rel)');
fails_unpreloaded($node, "SELECT spillpool.alter_table('t', memory_limit => '2MB')",
	'spillpool.alter_table()');
fails_unpreloaded($node, 'SELECT spillpool.require_preload()', 'spillpool.require_preload()');

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server still up after all that');
is($node->safe_psql('postgres', q{SELECT memory_limit FROM spillpool.table_options WHERE relid = 't'::regclass}),
	'1048576', 'the failed alter_table changed nothing');
ok(!$node->log_contains('was terminated by signal|PANIC'),
	'no server process crashed without the library');

# back with the library: everything is as it was
stop_node($node, 'fast', 'unloaded server');
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'spillpool'\n");
$node->start;
is($node->safe_psql('postgres', 'SELECT count(*), sum(id) FROM t'),
	'5000|12502500', 'preloaded again: every row is still there');
$node->safe_psql('postgres',
	'INSERT INTO t SELECT g, md5(g::text) FROM generate_series(5001, 5010) g');
is($node->safe_psql('postgres', 'SELECT count(*) FROM t'),
	'5010', 'and the table takes rows again');
ok(!$node->log_contains('was terminated by signal|PANIC'), 'no server process crashed');
stop_node($node, 'fast', 'end of test');
done_testing();
