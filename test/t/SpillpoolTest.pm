
# Copyright: spillpool project
#
# Helpers shared by spillpool's TAP tests: a node with the library
# preloaded, and crashing, stopping and restarting it reliably.
package SpillpoolTest;

use strict;
use warnings;

use Exporter 'import';
use PostgreSQL::Test::Cluster;
use Test::More;
use Time::HiRes qw(usleep);

our @EXPORT = qw(spillpool_node child_pids pid_alive forget_dead_postmaster
  crash_node stop_node restart_node xor_file_byte rows_with_positions
  table_dir_of shard_files crash_backend_at node_with_module);

# A started node with spillpool preloaded and the extension created.
sub spillpool_node
{
	my ($name, $extra_conf) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf',
		"shared_preload_libraries = 'spillpool'\nspillpool.memory = '64MB'\n"
		  . ($extra_conf // ''));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION spillpool');
	return $node;
}

# Flips the bits of $mask in the byte at offset $off of file $path (the
# same call again puts the byte back).
sub xor_file_byte
{
	my ($path, $off, $mask) = @_;
	open(my $fh, '+<:raw', $path) or die "cannot open $path: $!";
	seek($fh, $off, 0) or die "cannot seek in $path";
	my $c;
	read($fh, $c, 1) == 1 or die "cannot read $path at $off";
	seek($fh, $off, 0) or die "cannot seek in $path";
	print $fh chr(ord($c) ^ $mask);
	close $fh;
	return;
}

# Pids of the live (non-zombie) processes whose parent is $ppid.
sub child_pids
{
	my ($ppid) = @_;
	my @pids;
	opendir(my $dh, '/proc') or die "cannot read /proc: $!";
	for my $p (grep { /^\d+$/ } readdir($dh))
	{
		open(my $fh, '<', "/proc/$p/stat") or next;
		my $stat = <$fh>;
		close $fh;
		next unless defined $stat;
		# "pid (comm) state ppid ..."; comm may contain spaces
		next unless $stat =~ /^\d+ \(.*\) (\S) (\d+) /s;
		push @pids, $p if $2 == $ppid && $1 ne 'Z';
	}
	closedir $dh;
	return @pids;
}

# True if $pid is a live process (zombies count as dead).
sub pid_alive
{
	my ($pid) = @_;
	open(my $fh, '<', "/proc/$pid/stat") or return 0;
	my $stat = <$fh>;
	close $fh;
	return 0 unless defined $stat && $stat =~ /^\d+ \(.*\) (\S) /s;
	return $1 ne 'Z' && $1 ne 'X';
}

# Waits until the processes are dead and reaped (a zombie named in a lock
# file looks like a live postmaster to the next one), then removes the dead
# postmaster's lock files and forgets its pid, so that $node->start works.
sub forget_dead_postmaster
{
	my ($node, @pids) = @_;
	for my $pid (@pids)
	{
		my $tries = 0;
		while (pid_alive($pid))
		{
			die "process $pid does not go away" if ++$tries > 3000;
			usleep(10_000);
		}
		$tries = 0;
		usleep(10_000) while -e "/proc/$pid" && ++$tries < 500;
	}
	unlink $node->data_dir . '/postmaster.pid';
	unlink $node->host . '/.s.PGSQL.' . $node->port . '.lock';
	$node->{_pid} = undef;
	return;
}

# kill -9 the postmaster and every child, wait until they are gone.
sub crash_node
{
	my ($node) = @_;
	my $pidfile = $node->data_dir . '/postmaster.pid';
	open(my $fh, '<', $pidfile) or die "cannot open $pidfile: $!";
	my $pm = <$fh>;
	close $fh;
	chomp $pm;
	# freeze the postmaster so that it forks no child we would miss
	kill 'STOP', $pm;
	my @children = child_pids($pm);
	kill 'KILL', $pm, @children;
	note "killed postmaster $pm and children @children with SIGKILL";
	forget_dead_postmaster($node, $pm, @children);
	return;
}

# Stops the node ('fast' unless told), asserting that the shutdown went
# well; if it did not (say the postmaster crashed while shutting down),
# cleans up so that the node can be started again.
sub stop_node
{
	my ($node, $mode, $what) = @_;
	$mode //= 'fast';
	my $pm = $node->{_pid};
	my $log_off = -s $node->logfile;
	my $ok = $node->stop($mode, fail_ok => 1);
	if (!$ok)
	{
		my @left = grep { pid_alive($_) } child_pids($pm);
		kill 'KILL', $pm, @left;
		forget_dead_postmaster($node, $pm, @left);
	}
	ok($ok && $node->log_contains('database system is shut down', $log_off),
		"$what: $mode shutdown completes cleanly");
	return $ok;
}

# Every row of table $t of database postgres with its position, in
# position order, as one text (an md5 and the count).
sub rows_with_positions
{
	my ($node, $t) = @_;
	return $node->safe_psql('postgres',
		"SELECT md5(string_agg(t.position || ':' || (t.row)::text, ',' ORDER BY t.position)) || ' ' || count(*)
		 FROM spillpool.tail(NULL::$t, 0, 1000000) t");
}

# The directory of table $t of database postgres.
sub table_dir_of
{
	my ($node, $t) = @_;
	my $dbid = $node->safe_psql('postgres', "SELECT oid FROM pg_database WHERE datname = 'postgres'");
	my $rfn = $node->safe_psql('postgres', "SELECT relfilenode FROM pg_class WHERE relname = '$t'");
	return $node->data_dir . "/spillpool/$dbid/$rfn";
}

# The shard files of a table directory on disk and in its manifest (listed
# by a shard line), each as a sorted, comma-separated text; with $ext
# 'hnsw', the shards' index files (listed by an index line).
sub shard_files
{
	my ($dir, $ext) = @_;
	$ext //= 'parquet';
	my $kind = $ext eq 'hnsw' ? 'index' : 'shard';
	opendir(my $dh, "$dir/shards") or return ('', '');
	my @disk = sort grep { /\.\Q$ext\E$/ } readdir($dh);
	closedir $dh;
	my @listed;
	for my $line (split /\n/, PostgreSQL::Test::Utils::slurp_file("$dir/manifest"))
	{
		push @listed, "$1-$2.$ext" if $line =~ /^$kind (\d+) (\d+) /;
	}
	return (join(',', @disk), join(',', sort @listed));
}

# Runs $sql with spillpool.debug_crash_at = $step, which makes the backend
# SIGKILL itself at that step; waits until the postmaster (with
# restart_after_crash) has restarted the server.
sub crash_backend_at
{
	my ($node, $step, $sql) = @_;
	my $log_off = -s $node->logfile;
	my ($ret) = $node->psql('postgres', "SET spillpool.debug_crash_at = '$step'; $sql");
	isnt($ret, 0, "$step: the statement did not return");
	$node->wait_for_log(qr/database system is ready to accept connections/, $log_off);
	$node->poll_query_until('postgres', 'SELECT true') or die "server did not come back";
	ok($node->log_contains(qr/crashing at flush step "\Q$step\E"/, $log_off),
		"$step: the backend crashed at the step");
	return;
}

# The node.js to run the npm module $module installed in $dir with (for
# the DuckDB and Iceberg readers).  Without them the whole test is skipped,
# or fails when SPILLPOOL_REQUIRE_DUCKDB=1 (CI); $what names the test.
sub node_with_module
{
	my ($dir, $module, $what) = @_;
	my $nodejs = $ENV{NODE} // '/usr/bin/node';
	return $nodejs if -d "$dir/node_modules/$module" && -x $nodejs;
	my $why =
	  !-x $nodejs
	  ? "no node.js at $nodejs"
	  : "$module is not installed in $dir (run npm ci there)";
	if (($ENV{SPILLPOOL_REQUIRE_DUCKDB} // '') eq '1')
	{
		fail("$what can run (SPILLPOOL_REQUIRE_DUCKDB=1): $why");
		done_testing();
		exit;
	}
	plan skip_all => $why;
	return;
}

sub restart_node
{
	my ($node, $what) = @_;
	stop_node($node, 'fast', $what);
	$node->start;
	return;
}

1;
