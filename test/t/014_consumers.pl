
# Copyright: spillpool project
#
# Streaming consumers across crashes: 4 writers commit small transactions
# into a spillpool table (durability 'commit', memory_limit 1MB so rows also
# reach segment files) and 2 consumers read it with
# BEGIN; spillpool.consume(...); COMMIT, while spillpool.flush moves rows to
# Parquet shards every 1.5 s and the server is killed with SIGKILL
# (postmaster and all children) every few seconds, 7 times.  A writer counts
# a row as acknowledged once its COMMIT returned; a consumer counts a batch
# as received once its COMMIT returned.  After the last restart both
# consumers drain the table to its end.
#
# A crash between the consume's commit record reaching disk and COMMIT
# returning leaves the offset moved past a batch the consumer never saw
# acknowledged.  A real consumer resolves that on reconnect by comparing the
# stored offset with the last position it processed, so this one does too:
# the batch it was committing counts as received if and only if the stored
# offset is exactly that batch's last position (anything else fails).
#
# Asserted for each consumer: no position and no (writer, seq) twice, the
# positions strictly increase across its whole log, every acknowledged row
# was received exactly once, and what it received is exactly the table's
# final contents, with the positions tail reports at the end (a row keeps
# its position through the tiers and the restarts).  Also: the table holds
# every acknowledged row, and of the others only whole transactions that
# were committing at a crash; the rows committed after a restart all have
# greater positions than the rows committed before it; the consumers view
# shows both consumers at the end without lag.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);
use POSIX qw(WNOHANG);
use FindBin;
use lib $FindBin::RealBin;
use SpillpoolTest;

my $CYCLES = 7;            # kill -9 cycles
my $CYCLE_SECONDS = 5;     # clients run this long before each kill
my $WRITERS = 4;
my $WRITER_TXS = 20000;    # transactions in a writer's script (never all run)
my $CONSUMER_ITERATIONS = 30000;
my $SEQ_PER_LAUNCH = 1_000_000;    # (writer, seq) stay unique across launches
my %CONSUMERS = (
	c1 => { batch => 100, wait => '200ms' },
	c2 => { batch => 500, wait => '1s' });
# what a client may print on stderr when the server is killed under it
my $CONN_LOST =
  qr/server closed the connection unexpectedly|connection to server was lost|could not receive data from server|could not send data to server|no connection to the server|terminating connection|This probably means the server terminated abnormally|before or while processing the request/;
# and when it started too early
my $CONN_REFUSED =
  qr/could not connect to server|connection to server .* failed|the database system is (starting up|in recovery mode|shutting down|not yet accepting connections)|Connection refused|No such file or directory/;

# no statement logging: the writers' and consumers' statements would make
# most of the test's I/O
my $node = spillpool_node('consumers', "log_statement = 'none'\n");
my $dir = $node->basedir;

$node->safe_psql(
	'postgres', q{
	CREATE TABLE ev (w int, seq int, pad text) USING spillpool;
	SELECT spillpool.alter_table('ev', memory_limit => '1MB');
});

# Rows of transaction $t of a writer's script: seqs 10t .. 10t + k - 1 (plus
# the launch's base), k = 1 .. 5.
sub tx_rows { my ($t) = @_; return 1 + $t % 5; }

# The scripts, shared by all launches (psql variables: w, base; cname,
# batch, wait).
{
	open(my $fh, '>', "$dir/writer.sql") or die;
	for my $t (1 .. $WRITER_TXS)
	{
		my ($lo, $hi) = (10 * $t, 10 * $t + tx_rows($t) - 1);
		print $fh "BEGIN;\n",
		  "INSERT INTO ev (w, seq, pad) SELECT :w, :base + g, repeat('p', 100) FROM generate_series($lo, $hi) g;\n",
		  "COMMIT;\n", "\\echo ack $t\n",
		  # a pause, so that the run makes tens of thousands of rows, not millions
		  "DO \$\$BEGIN PERFORM pg_sleep(0.004); END\$\$;\n";
	}
	close $fh;
	open($fh, '>', "$dir/consumer.sql") or die;
	print $fh "BEGIN;\n",
	  "SELECT t.position, (t.row).w, (t.row).seq FROM spillpool.consume(NULL::ev, :'cname', :batch, :'wait') t;\n",
	  "COMMIT;\n", "\\echo ack\n"
	  for 1 .. $CONSUMER_ITERATIONS;
	close $fh;
	open($fh, '>', "$dir/flusher.sql") or die;
	print $fh "SELECT pg_sleep(1.5);\nSELECT spillpool.flush('ev');\n" for 1 .. 1000;
	close $fh;
}

# Starts psql on $script with variables %vars, stdout and stderr to files
# named after $tag; returns the client.
my $launches = 0;
sub launch
{
	my ($kind, $name, $script, %vars) = @_;
	my $tag = sprintf('%s-%s-%d', $kind, $name, ++$launches);
	my %c = (
		kind => $kind,
		name => $name,
		out => "$dir/$tag.out",
		err => "$dir/$tag.err",
		vars => \%vars);
	my @cmd = (
		$node->installed_command('psql'), '-X', '-q', '-A', '-t',
		'-v', 'ON_ERROR_STOP=1',
		(map { ('-v', "$_=$vars{$_}") } sort keys %vars),
		'-d', $node->connstr('postgres'), '-f', $script);
	my $pid = fork();
	die "fork failed: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDIN, '<', '/dev/null') or POSIX::_exit(126);
		open(STDOUT, '>', $c{out}) or POSIX::_exit(126);
		open(STDERR, '>', $c{err}) or POSIX::_exit(126);
		exec(@cmd) or POSIX::_exit(127);
	}
	$c{pid} = $pid;
	return \%c;
}

sub slurp
{
	my ($file) = @_;
	open(my $fh, '<', $file) or return '';
	local $/;
	my $s = <$fh>;
	close $fh;
	return $s // '';
}

# Reaps client $c if it has exited (waiting at most $wait seconds); sets
# $c->{status}.  True if it has exited.
sub reap
{
	my ($c, $wait) = @_;
	return 1 if defined $c->{status};
	my $deadline = time() + ($wait // 0);
	while (1)
	{
		my $r = waitpid($c->{pid}, WNOHANG);
		if ($r == $c->{pid})
		{
			$c->{status} = $?;
			return 1;
		}
		return 0 if time() >= $deadline;
		usleep(20_000);
	}
}

# per writer: launches (base, cycle, acknowledged transactions, output)
my %writer_launches;
my $next_base = 0;
# per consumer: the received rows [position, w, seq] in order, and the rows
# of the batch in flight when its client died
my %received;
my %pending;
my %received_before_drain;
my $recovered = 0;
my $cycle = 0;
my @problems;

sub start_writer
{
	my ($w) = @_;
	my $base = ($next_base += $SEQ_PER_LAUNCH);
	my $c = launch('writer', $w, "$dir/writer.sql", w => $w, base => $base);
	$c->{base} = $base;
	$c->{cycle} = $cycle;
	push @{ $writer_launches{$w} }, $c;
	return $c;
}

sub start_consumer
{
	my ($name) = @_;
	return launch(
		'consumer', $name, "$dir/consumer.sql",
		cname => $name,
		batch => $CONSUMERS{$name}{batch},
		wait => $CONSUMERS{$name}{wait});
}

sub start_flusher { return launch('flusher', 'f', "$dir/flusher.sql"); }

# Reads what a dead consumer client printed: batches acknowledged by "ack"
# go to the consumer's log, the rest is the batch in flight.
sub collect_consumer
{
	my ($c) = @_;
	my @batch;
	for my $line (split /\n/, slurp($c->{out}))
	{
		if ($line eq 'ack')
		{
			push @{ $received{ $c->{name} } }, @batch;
			@batch = ();
		}
		elsif ($line =~ /^(\d+)\|(\d+)\|(\d+)$/)
		{
			push @batch, [ $1, $2, $3 ];
		}
		else
		{
			push @problems, "$c->{name}: unexpected output line '$line'";
		}
	}
	$pending{ $c->{name} } = \@batch;
	return;
}

# A writer client's acknowledged transactions.
sub collect_writer
{
	my ($c) = @_;
	my @acks;
	for my $line (split /\n/, slurp($c->{out}))
	{
		if ($line =~ /^ack (\d+)$/) { push @acks, $1; }
		else { push @problems, "writer $c->{name}: unexpected output line '$line'"; }
	}
	$c->{acks} = \@acks;
	return;
}

# After a restart: the consumer's stored offset decides whether the batch in
# flight at the crash was committed.
sub settle_consumer
{
	my ($name) = @_;
	my $stored = $node->safe_psql('postgres',
		"SELECT coalesce((SELECT c.position FROM spillpool.consumers c WHERE c.rel = 'ev'::regclass AND c.consumer = '$name'), 0)"
	);
	my $log = $received{$name} // [];
	my $last = @$log ? $log->[-1][0] : 0;
	my $batch = $pending{$name} // [];
	if ($stored == $last)
	{
		# not committed: the rows come again
	}
	elsif (@$batch && $stored == $batch->[-1][0] && $batch->[0][0] > $last)
	{
		push @{ $received{$name} }, @$batch;
		$recovered++;
		note "$name: the batch in flight at the crash was committed (offset $stored)";
	}
	else
	{
		push @problems,
		  "$name: stored offset $stored after a crash, last acknowledged position $last, batch in flight "
		  . (@$batch ? "$batch->[0][0]..$batch->[-1][0]" : 'none');
	}
	$pending{$name} = [];
	return;
}

# Checks a client that exited while the server was up: a client that could
# not connect yet is started again; any other exit is a problem (unless its
# script ran to its end).
sub check_exited
{
	my ($c) = @_;
	my $err = slurp($c->{err});
	return 'done' if $c->{status} == 0;
	return 'retry' if $err =~ $CONN_REFUSED && slurp($c->{out}) eq '';
	push @problems, "$c->{kind} $c->{name} exited with status $c->{status} while the server was up: $err";
	return 'failed';
}

for my $cy (1 .. $CYCLES)
{
	my @clients;
	$cycle = $cy;
	settle_consumer($_) for sort keys %CONSUMERS;
	push @clients, start_writer($_) for 1 .. $WRITERS;
	push @clients, start_consumer($_) for sort keys %CONSUMERS;
	push @clients, start_flusher();

	my $until = time() + $CYCLE_SECONDS;
	while (time() < $until)
	{
		for my $i (0 .. $#clients)
		{
			my $c = $clients[$i];
			next if $c->{checked} || !reap($c);
			$c->{checked} = 1;
			my $what = check_exited($c);
			if ($what eq 'retry')
			{
				note "$c->{kind} $c->{name} could not connect; starting it again";
				if ($c->{kind} eq 'writer')
				{
					pop @{ $writer_launches{ $c->{name} } };
					push @clients, start_writer($c->{name});
				}
				elsif ($c->{kind} eq 'consumer')
				{
					push @clients, start_consumer($c->{name});
				}
				else
				{
					push @clients, start_flusher();
				}
			}
		}
		usleep(100_000);
	}

	crash_node($node);
	for my $c (@clients)
	{
		next if $c->{checked};
		if (!reap($c, 60))
		{
			kill 'KILL', $c->{pid};
			reap($c, 10);
			push @problems, "$c->{kind} $c->{name} did not exit after the crash";
		}
		my $err = slurp($c->{err});
		# everything it printed on stderr must be about the lost connection
		for my $line (grep { /\S/ } split /\n/, $err)
		{
			push @problems, "$c->{kind} $c->{name}: $line"
			  unless $line =~ $CONN_LOST;
		}
	}
	for my $c (@clients)
	{
		next if $c->{kind} eq 'flusher';
		next if $c->{checked} && $c->{status} != 0 && slurp($c->{out}) eq '';
		if ($c->{kind} eq 'writer') { collect_writer($c); }
		else { collect_consumer($c); }
	}
	$node->start;
	note "cycle $cycle: "
	  . join(', ',
		map { "$_ received " . scalar(@{ $received{$_} // [] }) } sort keys %CONSUMERS);
}

# a launch whose output was not collected acknowledged nothing
for my $w (1 .. $WRITERS)
{
	$_->{acks} //= [] for @{ $writer_launches{$w} };
}

# drain both consumers to the end
my %drained;
for my $name (sort keys %CONSUMERS)
{
	settle_consumer($name);
	$received_before_drain{$name} = scalar(@{ $received{$name} // [] });
	while (1)
	{
		my $out = $node->safe_psql('postgres',
			"BEGIN; SELECT t.position, (t.row).w, (t.row).seq FROM spillpool.consume(NULL::ev, '$name', 5000) t; COMMIT;"
		);
		last if $out eq '';
		for my $line (split /\n/, $out)
		{
			if ($line =~ /^(\d+)\|(\d+)\|(\d+)$/)
			{
				push @{ $received{$name} }, [ $1, $2, $3 ];
				$drained{$name}++;
			}
			else
			{
				push @problems, "$name drain: unexpected output line '$line'";
			}
		}
	}
}

is(join("\n", @problems), '', 'no client failed other than by losing its connection in a crash');

###########################################################################
# the table
###########################################################################
my %table;     # "w:seq" -> position
my @table_rows;
{
	my $out = $node->safe_psql('postgres',
		'SELECT t.position, (t.row).w, (t.row).seq FROM spillpool.tail(NULL::ev, 0, 100000000) t');
	my ($prev, $increasing, $dups) = (0, 1, 0);
	for my $line (split /\n/, $out)
	{
		my ($p, $w, $s) = split /\|/, $line;
		$increasing = 0 unless $p > $prev;
		$prev = $p;
		$dups++ if exists $table{"$w:$s"};
		$table{"$w:$s"} = $p;
		push @table_rows, [ $p, $w, $s ];
	}
	ok($increasing, 'tail of the whole table: positions strictly increase');
	is($dups, 0, 'tail of the whole table: no (writer, seq) twice');
	my $sel = $node->safe_psql('postgres', q{SELECT w || ':' || seq FROM ev});
	my @sel = split /\n/, $sel;
	my %sel = map { $_ => 1 } @sel;
	is(scalar(@sel), scalar(@table_rows), 'SELECT and tail return as many rows');
	is(scalar(grep { !$sel{ "$_->[1]:$_->[2]" } } @table_rows),
		0, 'SELECT returns every row tail returns');
	note scalar(@table_rows) . ' rows in the table';
}

# acknowledged rows; rows of the transactions in flight at the crashes
my ($out_of_order, $missing, $stray, $torn, $inflight_present) = (0, 0, 0, 0, 0);
my %acked;       # "w:seq" of the acknowledged rows
my %cycle_of;    # "w:seq" -> cycle of the acknowledged and in-flight rows
for my $w (1 .. $WRITERS)
{
	for my $c (@{ $writer_launches{$w} })
	{
		my $last = @{ $c->{acks} } ? $c->{acks}[-1] : 0;
		# one acknowledgement per transaction, in order
		$out_of_order++ if join(',', @{ $c->{acks} }) ne join(',', 1 .. $last);
		for my $t (1 .. $last + 1)
		{
			my @keys = map { "$w:" . ($c->{base} + 10 * $t + $_) } 0 .. tx_rows($t) - 1;
			my $present = grep { exists $table{$_} } @keys;
			$cycle_of{$_} = $c->{cycle} for @keys;
			if ($t <= $last)
			{
				$acked{$_} = 1 for @keys;
				$missing += @keys - $present;
			}
			elsif ($present)
			{
				$torn++ if $present != @keys;
				$inflight_present++;
			}
		}
	}
}
$stray = grep { !exists $cycle_of{$_} } keys %table;
my $acked = scalar(keys %acked);
cmp_ok($acked, '>', 5000, "the writers had $acked rows acknowledged");
is($out_of_order, 0, 'each writer got one acknowledgement per transaction, in order');
is($missing, 0, 'every acknowledged row is in the table');
is($stray, 0, 'no row in the table beyond the acknowledged ones and the transactions in flight');
is($torn, 0, 'a transaction in flight at a crash is in the table whole or not at all');
note "$inflight_present transactions in flight at a crash were committed";

# positions are never reused: rows committed after a restart come after
# every row committed before it
{
	my (%min, %max);
	for my $r (@table_rows)
	{
		my $cy = $cycle_of{"$r->[1]:$r->[2]"} // next;
		$min{$cy} = $r->[0] if !defined $min{$cy} || $r->[0] < $min{$cy};
		$max{$cy} = $r->[0] if !defined $max{$cy} || $r->[0] > $max{$cy};
	}
	my @cy = sort { $a <=> $b } keys %min;
	my $bad = 0;
	my $max_before = 0;
	for my $cy (@cy)
	{
		$bad++ if $min{$cy} <= $max_before;
		$max_before = $max{$cy} if $max{$cy} > $max_before;
	}
	is(scalar(@cy), $CYCLES, 'every cycle committed rows');
	is($bad, 0, 'after each restart, new rows have positions above all earlier ones')
	  or diag(join(', ', map { "cycle $_: $min{$_}..$max{$_}" } @cy));
}

###########################################################################
# each consumer
###########################################################################
for my $name (sort keys %CONSUMERS)
{
	my $log = $received{$name} // [];
	my (%pos, %key);
	my ($dup_pos, $dup_key, $not_increasing, $wrong_pos, $not_in_table) = (0, 0, 0, 0, 0);
	my $prev = 0;
	for my $r (@$log)
	{
		my ($p, $w, $s) = @$r;
		$dup_pos++ if $pos{$p}++;
		$dup_key++ if $key{"$w:$s"}++;
		$not_increasing++ unless $p > $prev;
		$prev = $p;
		if (!exists $table{"$w:$s"}) { $not_in_table++; }
		elsif ($table{"$w:$s"} != $p) { $wrong_pos++; }
	}
	my $acked_not_once = grep { ($key{$_} // 0) != 1 } keys %acked;
	my $table_not_received = grep { !$key{$_} } keys %table;
	is($dup_pos, 0, "$name: no position received twice");
	is($dup_key, 0, "$name: no (writer, seq) received twice");
	is($not_increasing, 0, "$name: positions strictly increase across the whole log");
	is($not_in_table, 0, "$name: every received row is in the table");
	is($wrong_pos, 0, "$name: every row was received with the position tail reports at the end");
	is(scalar(@$log), scalar(@table_rows), "$name: received exactly as many rows as the table holds");
	is($acked_not_once, 0, "$name: every acknowledged row was received exactly once");
	is($table_not_received, 0, "$name: every row in the table was received");
	cmp_ok($received_before_drain{$name}, '>', $acked / 10,
		"$name: consumed while the writers ran ($received_before_drain{$name} rows before the drain)");
	note "$name: " . ($drained{$name} // 0) . ' rows in the final drain';
}
note "$recovered batches in flight at a crash turned out committed";

is( $node->safe_psql(
		'postgres',
		q{SELECT string_agg(c.consumer || ':' || (c.position = (SELECT max(t.position) FROM spillpool.tail(NULL::ev, 0, 100000000) t)) || ':' || c.lag_rows, ',' ORDER BY c.consumer)
		  FROM spillpool.consumers c WHERE c.rel = 'ev'::regclass}),
	'c1:true:0,c2:true:0',
	'the consumers view: both consumers at the last position, no lag');

my $stats = $node->safe_psql('postgres',
	q{SELECT shards > 0, shard_rows > 0, shard_rows < memtable_rows + spilled_rows + shard_rows FROM spillpool.stats('ev')});
is($stats, 't|t|t', 'the table has rows in shards and rows not flushed yet');

# nothing crashed apart from our kills
ok(!$node->log_contains('was terminated by signal|PANIC'),
	'no server process died of a signal other than our SIGKILLs');

stop_node($node, 'fast', 'end of test');
done_testing();
