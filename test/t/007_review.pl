
# Copyright: spillpool project
#
# Cases found in review: a database whose default tablespace is not
# pg_default keeps its spillpool data across restarts; PREPARE TRANSACTION
# is refused after TRUNCATE, DROP or CREATE of a spillpool table (the
# queued file removals cannot be prepared) and the data stays; a
# transaction writing two durable tables survives a crash whole or not at
# all, even when another committer wrote one of its batches in its group.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;

my $node = spillpool_node('review',
	"max_prepared_transactions = 5\nspillpool.flush_naptime = '1h'\n");

# -- a database in another tablespace
my $tsdir = PostgreSQL::Test::Utils::tempdir();
$node->safe_psql('postgres', "CREATE TABLESPACE ts LOCATION '$tsdir'");
$node->safe_psql('postgres', 'CREATE DATABASE tsdb TABLESPACE ts');
$node->safe_psql('tsdb', 'CREATE EXTENSION spillpool');
$node->safe_psql('tsdb',
	'CREATE TABLE e (id int) USING spillpool; INSERT INTO e SELECT generate_series(1, 1000)');
restart_node($node, 'tablespace database');
# the worker sweeps orphans right after it starts; give it a moment
sleep 3;
is($node->safe_psql('tsdb', 'SELECT count(*) FROM e'), '1000',
	'rows of a database in another tablespace survive a restart');
ok(!$node->log_contains('removing orphaned spillpool directory'),
	'no directory of a live database is taken for an orphan');

# -- PREPARE TRANSACTION with queued removals
$node->safe_psql('postgres',
	'CREATE TABLE p (id int) USING spillpool; INSERT INTO p SELECT generate_series(1, 500)');
for my $ddl ('TRUNCATE p', 'DROP TABLE p', 'CREATE TABLE p2 (id int) USING spillpool')
{
	my ($ret, $out, $err) = $node->psql('postgres',
		"BEGIN; $ddl; PREPARE TRANSACTION 'x';");
	like($err, qr/cannot PREPARE a transaction that has created, truncated or dropped a spillpool table/,
		"PREPARE refused after $ddl");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_prepared_xacts'), '0',
		"nothing prepared after $ddl");
	is($node->safe_psql('postgres', 'SELECT count(*) FROM p'), '500',
		"rows intact after the refused PREPARE ($ddl)");
}
$node->safe_psql('postgres', 'INSERT INTO p VALUES (501)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM p'), '501',
	'the table takes new rows afterwards');

# -- a transaction writing two durable tables, crashed
$node->safe_psql('postgres',
	'CREATE TABLE t1 (id int) USING spillpool; CREATE TABLE t2 (id int) USING spillpool');
$node->safe_psql('postgres',
	"SET synchronous_commit = off; BEGIN; INSERT INTO t1 VALUES (1); INSERT INTO t2 VALUES (1); COMMIT;");
# a synchronous commit into t1 writes (and syncs) whatever t1 has waiting
$node->safe_psql('postgres', 'INSERT INTO t1 VALUES (2)');
crash_node($node);
$node->start;
my $both = $node->safe_psql('postgres',
	'SELECT (SELECT count(*) FROM t1 WHERE id = 1) || \'|\' || (SELECT count(*) FROM t2 WHERE id = 1)');
ok($both eq '1|1' || $both eq '0|0',
	"a two-table transaction comes back whole or not at all (t1|t2 = $both)");
is($node->safe_psql('postgres', 'SELECT count(*) FROM t1 WHERE id = 2'), '1',
	'the synchronous commit survived');

# with synchronous_commit on, both tables keep the row
$node->safe_psql('postgres',
	'BEGIN; INSERT INTO t1 VALUES (3); INSERT INTO t2 VALUES (3); COMMIT;');
crash_node($node);
$node->start;
is( $node->safe_psql('postgres',
		'SELECT (SELECT count(*) FROM t1 WHERE id = 3) || \'|\' || (SELECT count(*) FROM t2 WHERE id = 3)'),
	'1|1',
	'a synchronously committed two-table transaction survives a crash whole');

$node->stop;
done_testing();
