#!/usr/bin/env bash
# Throwaway spillpool demo server (run as root).
#
#   bash test/demo.sh [start]   set up, build and install spillpool, create a
#                               cluster in <checkout>/demo/data (or
#                               /tmp/spillpool-demo if the server user cannot
#                               reach the checkout), start it on port 5499 and
#                               a unix socket in the demo directory, load
#                               350k rows into a spillpool table (large batches,
#                               flushed to a Parquet shard, then a COPY and a
#                               stream of small transactions that spill from the
#                               memtable to segment files), and print stats,
#                               snapshots, shards, segments, a time-travel
#                               query, an EXPLAIN with skipped row groups,
#                               a tail and a consumer, the table as an Iceberg
#                               table, its lifecycle options, nearest
#                               neighbours over a table of embeddings (its
#                               shard's HNSW index and the plan), and the files.
#   bash test/demo.sh stop      stop the demo server and delete its directory.
#
# Starting again replaces any previous demo.
set -euo pipefail

readonly PG_BINDIR=/usr/lib/postgresql/15/bin
readonly PG_CONFIG="$PG_BINDIR/pg_config"
readonly DEMO_PORT=5499
readonly FALLBACK_DIR=/tmp/spillpool-demo
readonly MARKER=.spillpool-demo
readonly LOG_TAIL_LINES=60

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
TEST_USER=""
DEMO_DIR=""
SERVER_STARTED=""
DEMO_COMPLETE=""

say() { printf '\n=== %s\n' "$*"; }
warn() { printf 'demo: WARNING: %s\n' "$*" >&2; }
die() { printf 'demo: ERROR: %s\n' "$*" >&2; exit 1; }

data_dir() { printf '%s/data\n' "$DEMO_DIR"; }
socket_dir() { printf '%s/sock\n' "$DEMO_DIR"; }
server_log() { printf '%s/server.log\n' "$DEMO_DIR"; }

require_root() {
    [[ ${EUID} -eq 0 ]] || die "must run as root (try: sudo bash test/demo.sh)"
}

# run_as USER CMD... : run CMD as USER, in the demo directory, with a clean
# environment. Standard input is passed through (used for SQL and COPY).
run_as() {
    local user="$1" home; shift
    home=$(getent passwd "$user" | cut -d: -f6)
    runuser -u "$user" -- env -i -C "${DEMO_DIR:-/}" \
        PATH="$PG_BINDIR:/usr/local/bin:/usr/bin:/bin" HOME="${home:-/}" \
        USER="$user" LOGNAME="$user" LANG=C.UTF-8 "$@"
}

run_as_user() { run_as "$TEST_USER" "$@"; }

# psql against the demo server as the server user, no psqlrc, no pager.
demo_psql() {
    run_as_user psql -X -P pager=off -h "$(socket_dir)" -p "$DEMO_PORT" -d postgres "$@"
}

# ---------------------------------------------------------------- stop

# Stop the server in DIR (if running) and delete DIR if it is a demo dir.
remove_demo_dir() {
    local dir="$1" owner
    [[ -d "$dir" ]] || return 0
    if [[ ! -e "$dir/$MARKER" ]]; then
        warn "$dir exists but was not created by test/demo.sh; leaving it alone"
        return 0
    fi
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        owner=$(stat -c %U "$dir/data")
        printf 'demo: stopping server in %s\n' "$dir/data"
        DEMO_DIR="$dir" run_as "$owner" pg_ctl -D "$dir/data" -m fast -w stop \
            || warn "pg_ctl stop failed for $dir/data"
    fi
    rm -rf "$dir"
    printf 'demo: removed %s\n' "$dir"
}

stop_demo() {
    require_root
    remove_demo_dir "$ROOT/demo"
    remove_demo_dir "$FALLBACK_DIR"
}

# ---------------------------------------------------------------- start

run_setup() {
    say "setup"
    bash "$ROOT/test/setup.sh" || die "test/setup.sh failed"
    TEST_USER=$(bash "$ROOT/test/setup.sh" --print-user)
}

build_and_install() {
    say "build and install (PG_CONFIG=$PG_CONFIG)"
    make -C "$ROOT" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" || die "build failed"
    make -C "$ROOT" PG_CONFIG="$PG_CONFIG" install || die "make install failed"
}

# Create DIR owned by the server user; succeed only if that user can use it
# and the socket path fits the unix socket length limit.
prepare_demo_dir() {
    local dir="$1" sock_path="$1/sock/.s.PGSQL.$DEMO_PORT"
    [[ "$dir" != *"'"* ]] || return 1
    [[ ${#sock_path} -le 100 ]] || return 1
    mkdir -p "$dir" || return 1
    touch "$dir/$MARKER"
    chown -R "$TEST_USER:" "$dir"
    if ! runuser -u "$TEST_USER" -- test -w "$dir" -a -x "$dir"; then
        rm -rf "$dir"
        return 1
    fi
}

choose_demo_dir() {
    if prepare_demo_dir "$ROOT/demo"; then
        DEMO_DIR="$ROOT/demo"
        # keep the demo out of `git status`
        printf '*\n' >"$DEMO_DIR/.gitignore"
    else
        printf "demo: user '%s' cannot use %s (unreachable directory or too long a socket path);\n" \
            "$TEST_USER" "$ROOT/demo"
        printf 'demo: using %s instead\n' "$FALLBACK_DIR"
        prepare_demo_dir "$FALLBACK_DIR" || die "cannot prepare $FALLBACK_DIR for user '$TEST_USER'"
        DEMO_DIR="$FALLBACK_DIR"
    fi
}

init_cluster() {
    say "initdb in $(data_dir) (as $TEST_USER)"
    run_as_user mkdir -p "$(socket_dir)"
    if ! run_as_user initdb -D "$(data_dir)" -E UTF8 --locale=C.UTF-8 \
            --auth-local=peer --auth-host=scram-sha-256 >"$DEMO_DIR/initdb.log" 2>&1; then
        tail -n "$LOG_TAIL_LINES" "$DEMO_DIR/initdb.log" >&2
        die "initdb failed"
    fi
    cat >>"$(data_dir)/postgresql.conf" <<EOF

# --- spillpool demo (test/demo.sh) ---
shared_preload_libraries = 'spillpool'
spillpool.memory = '64MB'
listen_addresses = 'localhost'
port = $DEMO_PORT
unix_socket_directories = '$(socket_dir)'
EOF
}

start_server() {
    say "starting server on port $DEMO_PORT"
    if ! run_as_user pg_ctl -D "$(data_dir)" -l "$(server_log)" -w -t 60 start; then
        tail -n "$LOG_TAIL_LINES" "$(server_log)" >&2 || true
        die "server did not start (log: $(server_log))"
    fi
    SERVER_STARTED=1
}

stop_server() {
    run_as_user pg_ctl -D "$(data_dir)" -m fast -w stop >/dev/null 2>&1 || true
    SERVER_STARTED=""
}

create_extension() {
    say "CREATE EXTENSION spillpool"
    if ! demo_psql -v ON_ERROR_STOP=1 -e -c 'CREATE EXTENSION spillpool;'; then
        tail -n "$LOG_TAIL_LINES" "$(server_log)" >&2 || true
        die "CREATE EXTENSION spillpool failed (server log: $(server_log))"
    fi
}

# SELECT producing event rows with ids FROM..TO.
event_rows_sql() {
    cat <<EOF
SELECT g,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       (g % 64)::int,
       round((20 + 10 * sin(g / 500.0))::numeric, 2)::float8,
       'device ' || (g % 64) || ' reading ' || md5(g::text)
  FROM generate_series($1, $2) AS g
EOF
}

# psql input for one INSERT ... SELECT batch, announced with \echo.
insert_batch_sql() {
    printf '\\echo INSERT INTO events SELECT ... FROM generate_series(%s, %s);\n' "$1" "$2"
    printf 'INSERT INTO events %s;\n' "$(event_rows_sql "$1" "$2")"
}

# Errors here are reported but do not stop the demo.
load_data() {
    say "create table and load 350k rows"
    demo_psql <<EOF || warn "some statements failed (see above)"
\echo CREATE TABLE events (id bigint, ts timestamptz, device int, temp float8, msg text) USING spillpool;
CREATE TABLE events (id bigint, ts timestamptz, device int, temp float8, msg text) USING spillpool;
\echo 'SELECT spillpool.alter_table(''events'', memory_limit => ''4MB'', max_file_size => ''2MB'');'
SELECT spillpool.alter_table('events', memory_limit => '4MB', max_file_size => '2MB');
\timing on
$(insert_batch_sql 1 80000)
$(insert_batch_sql 80001 160000)
$(insert_batch_sql 160001 240000)
\echo 'SELECT spillpool.flush(''events'');   -- the first 240,000 rows into a Parquet shard (snapshot 1)'
SELECT spillpool.flush('events');
EOF
    say "COPY events FROM STDIN (60000 generated rows piped from psql)"
    local copy_out
    copy_out="COPY ($(event_rows_sql 240001 300000)) TO STDOUT"
    demo_psql -c "${copy_out//$'\n'/ }" </dev/null \
        | demo_psql -c 'COPY events FROM STDIN' \
        || warn "COPY failed (see above)"
    stream_small_transactions
}

# Streams 2,000 small transactions (25 rows each) the way an event feed
# would: each commit becomes one memtable batch, and with the table's
# memory_limit of 4MB the oldest batches leave memory, already on disk.
stream_small_transactions() {
    say "2000 small transactions of 25 rows each (the memtable path)"
    local i from to
    {
        for ((i = 0; i < 2000; i++)); do
            from=$((300001 + i * 25))
            to=$((from + 24))
            printf 'INSERT INTO events %s;\n' "$(event_rows_sql "$from" "$to" | tr '\n' ' ')"
        done
    } | demo_psql -q || warn "some small transactions failed (see above)"
}

show_segment_files() {
    local dboid filenode segdir
    dboid=$(demo_psql -At -c 'SELECT oid FROM pg_database WHERE datname = current_database()' </dev/null || true)
    filenode=$(demo_psql -At -c "SELECT pg_relation_filenode('events')" </dev/null || true)
    if [[ -z "$dboid" || -z "$filenode" ]]; then
        warn "could not determine database oid / relfilenode of events"
        return 0
    fi
    segdir="$(data_dir)/spillpool/$dboid/$filenode/seg"
    say "ls -l $segdir"
    ls -l "$segdir" || warn "segment directory not found"
    say "ls -l $(dirname "$segdir")/shards"
    ls -l "$(dirname "$segdir")/shards" || warn "shard directory not found"
    say "ls -l $(dirname "$segdir")/metadata   (the Iceberg metadata)"
    ls -l "$(dirname "$segdir")/metadata" || warn "metadata directory not found"
}

# Errors here are reported but do not stop the demo.
show_report() {
    local query
    for query in \
            "SELECT * FROM spillpool.stats('events');" \
            "SELECT * FROM spillpool.snapshots('events');" \
            "SELECT snapshot_id, path, rows, bytes, codec, row_groups, first_position, last_position FROM spillpool.shards('events');" \
            "SELECT * FROM spillpool.segments('events');" \
            "SELECT count(*), min(id), max(id) FROM events;" \
            "SELECT count(*), max(id) FROM spillpool.scan(NULL::events, 1);" \
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT device, avg(temp) FROM events WHERE id BETWEEN 1000 AND 2000 GROUP BY device;" \
            "SELECT * FROM spillpool.options;" \
            "SELECT t.position, (t.row).id, (t.row).msg FROM spillpool.tail(NULL::events, 0, 3) t;" \
            "SELECT count(*), min(t.position), max(t.position) FROM spillpool.consume(NULL::events, 'demo-reader', 250000) t;" \
            "SELECT count(*), min(t.position), max(t.position) FROM spillpool.consume(NULL::events, 'demo-reader', 250000) t;" \
            "SELECT consumer, position, lag_rows, lag_time FROM spillpool.consumers;" \
            "SELECT table_namespace, table_name, metadata_location FROM spillpool.iceberg_tables;" \
            "SELECT spillpool.alter_table('events', retention_column => 'ts', retention => '30 days', snapshot_retention => '1 hour');" \
            "SELECT compact_target_size, compact_min_shards, retention_column, retention, snapshot_retention FROM spillpool.options WHERE table_name = 'events'::regclass;" \
            "CREATE TABLE docs (id int, topic int, emb real[]) USING spillpool; SELECT spillpool.alter_table('docs', embedding_column => 'emb', embedding_dimension => 16);" \
            "INSERT INTO docs SELECT g, g % 10, (SELECT array_agg(sin(g * d)) FROM generate_series(1, 16) d)::real[] FROM generate_series(1, 5000) g;" \
            "SELECT spillpool.flush('docs');   -- the shard and its HNSW index" \
            "INSERT INTO docs SELECT g, g % 10, (SELECT array_agg(sin(g * d)) FROM generate_series(1, 16) d)::real[] FROM generate_series(5001, 5200) g;" \
            "SELECT snapshot_id, rows, index_path, index_vectors FROM spillpool.shards('docs');" \
            "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT id FROM docs WHERE topic = 3 ORDER BY emb OPERATOR(spillpool.<->) (SELECT emb FROM docs WHERE id = 42) LIMIT 5;" \
            "SELECT id, topic, round((emb OPERATOR(spillpool.<->) (SELECT emb FROM docs WHERE id = 42))::numeric, 4) AS distance FROM spillpool.knn(NULL::docs, (SELECT emb FROM docs WHERE id = 42), 5);"; do
        say "$query"
        demo_psql -c "$query" </dev/null || warn "query failed: $query"
    done
    show_segment_files
}

print_instructions() {
    say "demo server is running"
    cat <<EOF
  data directory: $(data_dir)
  server log:     $(server_log)
  connect:        runuser -u $TEST_USER -- $PG_BINDIR/psql -h $(socket_dir) -p $DEMO_PORT postgres
  stop + remove:  bash test/demo.sh stop   (from $ROOT)
EOF
}

# On an unexpected exit, do not leave a half-set-up server running.
cleanup_on_failure() {
    [[ -z "$DEMO_COMPLETE" && -n "$DEMO_DIR" ]] || return 0
    if [[ -n "$SERVER_STARTED" ]]; then
        printf 'demo: stopping the demo server after the failure\n' >&2
        stop_server
    fi
    printf 'demo: demo directory kept for inspection: %s (remove with: bash test/demo.sh stop)\n' \
        "$DEMO_DIR" >&2
}

start_demo() {
    require_root
    run_setup
    build_and_install
    say "removing any previous demo"
    stop_demo
    choose_demo_dir
    trap cleanup_on_failure EXIT
    trap 'exit 130' INT TERM
    init_cluster
    start_server
    create_extension
    load_data
    show_report
    DEMO_COMPLETE=1
    print_instructions
}

main() {
    case "${1:-start}" in
        start) start_demo ;;
        stop) stop_demo ;;
        *) die "usage: bash test/demo.sh [start|stop]" ;;
    esac
}

main "$@"
