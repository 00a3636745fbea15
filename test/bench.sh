#!/usr/bin/env bash
#
# test/bench.sh - spillpool performance benchmark against heap baselines.
#
# Usage (as root, from the checkout root):
#
#     bash test/bench.sh
#     BENCH_ONLY=flush bash test/bench.sh          # only section e
#     BENCH_ROWS=200000 BENCH_REPS=1 BENCH_SECONDS=2 BENCH_SKIP_RSS=1 \
#         bash test/bench.sh                       # quick smoke test
#
# What it does:
#   * makes sure PostgreSQL 15 (+ pgbench) is installed and that spillpool.so
#     is installed (builds and installs it with PGXS if it is missing);
#   * creates a throwaway cluster in a temp dir (unix socket only, owned by the
#     unprivileged user "postgres", or "spillpool" which is created if needed),
#     with shared_preload_libraries='spillpool', spillpool.memory='1GB',
#     shared_buffers='1GB', max_wal_size='4GB', checkpoint_timeout='30min',
#     autovacuum=off (so background vacuums do not disturb timings);
#   * generates a deterministic CSV of BENCH_ROWS (default 2,000,000) rows
#     (id, ts, device, temp, msg) and, for the memory test, streams a
#     10,000,000-row version through a FIFO;
#   * measures (median of BENCH_REPS repetitions, fresh table each time):
#       a. server-side COPY of the 2M-row CSV into heap, unlogged heap, the
#          parse floor (COPY ... WHERE false), spillpool durability 'commit'
#          and spillpool durability 'none' (memory_limit 64MB);
#       b. pgbench single-row INSERT tps (-c 4 -j 2): heap vs spillpool
#          'commit' with synchronous_commit=on, unlogged heap vs spillpool
#          'none' with synchronous_commit=off;
#       c. SELECT count(*), avg(temp) over 2M rows (median of 5 runs after a
#          warm-up): heap vs spillpool with memory_limit 64MB;
#       d. peak memory of the backend doing a single COPY of 10M rows into a
#          spillpool table with memory_limit 64MB (heap COPY as reference);
#       e. flush to Parquet: the 2M CSV rows loaded into a spillpool table
#          (memory_limit 64MB, durability 'commit', automatic flushes held
#          off), then `SELECT spillpool.flush(...)` timed; baseline DuckDB
#          (test/duckdb/flush_bench.mjs, @duckdb/node-api, threads=1) reading
#          the same CSV into memory (not timed) and timing
#          `COPY t TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)`.
#          Also the shard's bytes vs DuckDB's file (heap pg_table_size for
#          reference), and on the flushed table (median of 5 runs after a
#          warm-up, every row in the shard) `SELECT device, avg(temp) ...
#          GROUP BY device` and `SELECT count(*), avg(temp) ... WHERE id
#          BETWEEN N/2 AND N/2 + N/200` against a VACUUM ANALYZEd heap table
#          (parallel defaults; max_parallel_workers_per_gather=0 as a second
#          reference), with the Row Groups Read/Skipped of EXPLAIN ANALYZE.
#          Installs test/duckdb's npm dependencies (npm ci) if missing;
#       f. analytics: a fixed set of 12 queries (count, sums and averages,
#          min/max of a timestamp, GROUP BY, top 10, a time range with GROUP
#          BY, text equality, LIKE, count(DISTINCT), two-column GROUP BY, a
#          join with a 1,000-row dimension table) on the data set with every
#          row flushed and with half of it unflushed, against heap (parallel
#          defaults) and DuckDB (test/duckdb/analytics_bench.mjs, one and two
#          threads) reading the flushed table's shard files; ratios and their
#          geometric mean;
#       g. streaming consumers (python3 with psycopg2, installed with apt-get
#          if missing): the latency from a writer's COMMIT returning to a
#          spillpool.tail(..., wait => '10s') waiting on another connection
#          of the same process returning that row, over 1,000 single-row
#          commits 5 ms apart (median and p99; also from the INSERT being
#          sent, which includes the commit's own sync); and the rate at which one
#          consumer drains the 2M rows with spillpool.consume in batches of
#          10,000 rows, each batch its own transaction, against SELECT * of
#          the same rows, both with every row transferred into the client
#          (libpq); once with the rows unflushed (memory_limit 64MB, flush
#          thresholds out of reach) and once after spillpool.flush (every
#          row in a Parquet shard);
#       h. compaction: the rows in $BENCH_COMPACT_FLUSHES (2,000) rounds of
#          INSERT ... SELECT and spillpool.flush, then one spillpool.compact,
#          against one flush of the same rows into another table; a full
#          scan of each before and after (the compaction once; scans median
#          of several runs);
#       i. nearest neighbours (test/knn_bench.py, python3 with numpy and
#          psycopg2, installed with apt-get if missing): a deterministic set
#          of $BENCH_KNN_ROWS (1,000,000) vectors of 128 dimensions around
#          1,000 random centres, binary COPY and flushed into 10 shards (each
#          flush timed, against the same rows flushed into a table without an
#          embedding column), plus 20,000 unflushed vectors; 1,000 queries
#          near the centres: recall@10 at the default spillpool.ef_search
#          against numpy's exact top 10, latency (median, p99) against the
#          exact scan (spillpool.enable_knn = off, $BENCH_KNN_EXACT queries,
#          which must give numpy's answers); one run;
#   * prints a Markdown summary table (also written to $BENCH_OUT if set).
#
# Each spillpool measurement is isolated: if it fails, its row reports
# "FAILED (error)" and the benchmark continues.  The cluster is stopped and
# the temp dir (including all generated data) removed on exit, even on error.
#
# Environment:
#   BENCH_REPS=3        repetitions per measurement (median is reported)
#   BENCH_ROWS=2000000  rows of the CSV data set (a, c, e); smaller for smoke tests
#   BENCH_ONLY=         run only these sections (comma/space separated: copy,
#                       insert, select, memory, flush, analytics, consume,
#                       compact, knn);
#                       default all
#   BENCH_KNN_ROWS=1000000  flushed vectors of section i (10 shards)
#   BENCH_KNN_EXACT=10  queries of section i also timed as an exact scan
#   BENCH_SKIP_FLUSH=0  1 = skip the flush/Parquet section (e)
#   BENCH_SECONDS=10    pgbench duration (-T) per run
#   BENCH_SKIP_RSS=0    1 = skip the 10M-row peak-memory test (d)
#   BENCH_OUT=          also write the Markdown summary to this file
#   BENCH_NO_BUILD=0    1 = never run make; if spillpool.so is missing the
#                       spillpool rows report FAILED and heap baselines still run
#   BENCH_PORT=54329    port number of the throwaway cluster (socket only)
#   BENCH_EXTRA_CONF=   more postgresql.conf lines for the cluster, e.g.
#                       "spillpool.enable_aggregate_pushdown = off"
#   TMPDIR=/tmp         where the temp dir (cluster + ~150 MB CSV) is created;
#                       needs a few GB free
#
set -euo pipefail
umask 022

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT_DIR=$(cd "$SCRIPT_DIR/.." && pwd)
readonly SCRIPT_DIR ROOT_DIR

readonly PG_MAJOR=15
readonly PGBIN=/usr/lib/postgresql/$PG_MAJOR/bin
readonly PG_CONFIG_BIN=$PGBIN/pg_config

BENCH_REPS=${BENCH_REPS:-3}
BENCH_ROWS=${BENCH_ROWS:-2000000}
BENCH_ONLY=${BENCH_ONLY:-}
BENCH_SKIP_FLUSH=${BENCH_SKIP_FLUSH:-0}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_SKIP_RSS=${BENCH_SKIP_RSS:-0}
BENCH_OUT=${BENCH_OUT:-}
BENCH_NO_BUILD=${BENCH_NO_BUILD:-0}
BENCH_PORT=${BENCH_PORT:-54329}
BENCH_EXTRA_CONF=${BENCH_EXTRA_CONF:-}
BENCH_KNN_ROWS=${BENCH_KNN_ROWS:-1000000}
BENCH_KNN_EXACT=${BENCH_KNN_EXACT:-10}

readonly ALL_SECTIONS=(copy insert select memory flush analytics consume compact knn)
readonly DATA_ROWS=$BENCH_ROWS
readonly RSS_ROWS=10000000
readonly SELECT_RUNS=5
readonly MEMORY_LIMIT=64MB
readonly MEMORY_LIMIT_MB=64
readonly RSS_TARGET_MB=$((MEMORY_LIMIT_MB + 64))
readonly PGBENCH_CLIENTS=4
readonly PGBENCH_THREADS=2
readonly TABLE_COLUMNS='id bigint, ts timestamptz, device int, temp float8, msg text'

# Globals filled in as we go.
BENCH_USER=
WORK_DIR=
DATA_DIR=
CSV_2M=
SPILLPOOL_OK=0
SPILLPOOL_REASON=
LAST_VALUE=
LAST_ERROR=
SHARD_BYTES=
RANGE_LO=
RANGE_HI=
RANGE_ROWS=
BG_PIDS=()
declare -A RESULT=()   # key -> median value (numeric) or empty
declare -A FAILURE=()  # key -> error message if the measurement failed
declare -A SAMPLES=()  # key -> space-separated per-repetition values

# ---------------------------------------------------------------- utilities

log() { printf '%s\n' "$*"; }
section() { printf '\n=== %s ===\n' "$*"; }
die() { printf 'bench.sh: error: %s\n' "$*" >&2; exit 1; }

# Run a command as the unprivileged benchmark user.
as_user() { runuser -u "$BENCH_USER" -- "$@"; }

# psql against the throwaway cluster: quiet, unaligned, stop on first error.
psql_bench() {
    as_user "$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
        -h "$WORK_DIR" -p "$BENCH_PORT" -d postgres "$@"
}

# Median of the numeric arguments (mean of the two middle values if even).
median() {
    printf '%s\n' "$@" | sort -g | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) exit 1
            if (NR % 2) printf "%.3f\n", v[(NR + 1) / 2]
            else        printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}

fmt1() { awk -v x="$1" 'BEGIN { printf "%.1f", x }'; }
fmt0() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }
fmt_mb() { awk -v x="$1" 'BEGIN { printf "%.2f MB", x / 1048576 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) exit 1; printf "%.2f", a / b }'; }
is_number() { [[ ${1:-} =~ ^[0-9]+([.][0-9]+)?$ ]]; }

# "PASS"/"MISS" for "<ratio> <op> <target>" with op one of <= >=.
verdict() {
    local r=$1 op=$2 t=$3
    if awk -v r="$r" -v t="$t" -v op="$op" \
        'BEGIN { exit !((op == "<=") ? (r <= t) : (r >= t)) }'; then
        echo PASS
    else
        echo MISS
    fi
}

# Extract a one-line error message from a psql/pgbench stderr file.
error_from_file() {
    local file=$1 msg
    msg=$(grep -m1 -E '(ERROR|FATAL|PANIC):' "$file" 2>/dev/null |
          sed -E 's/^.*(ERROR|FATAL|PANIC): +/\1: /') || true
    [[ -n $msg ]] || msg=$(grep -v '^[[:space:]]*$' "$file" 2>/dev/null | tail -n 1) || true
    [[ -n $msg ]] || msg="unknown error"
    printf '%s' "${msg:0:160}"
}

# Sum of "Time: X ms" lines printed by psql's \timing (all of them, one per line).
timings_from_output() { awk '/^Time: / { print $2 }' "$1"; }

# Run an SQL file; on success output goes to $2, on failure LAST_ERROR is set.
run_sql_file() {
    local sql=$1 out=$2 err=$WORK_DIR/psql.err
    if psql_bench -f "$sql" >"$out" 2>"$err"; then
        return 0
    fi
    LAST_ERROR=$(error_from_file "$err")
    return 1
}

# After a failure (which may have been a backend crash) wait until the server
# accepts connections again; restart it if the postmaster is gone.
ensure_server_up() {
    local i
    for ((i = 0; i < 120; i++)); do
        if as_user "$PGBIN/pg_isready" -q -h "$WORK_DIR" -p "$BENCH_PORT" -d postgres; then
            return 0
        fi
        sleep 0.5
    done
    log "server not answering; restarting it"
    as_user "$PGBIN/pg_ctl" -D "$DATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
    as_user "$PGBIN/pg_ctl" -D "$DATA_DIR" -l "$WORK_DIR/server.log" -w -t 300 start >/dev/null
}

# Record the outcome of one repetition of measurement $1.
record_sample() { SAMPLES[$1]="${SAMPLES[$1]:-} $2"; }
record_failure() {
    local key=$1 msg=$2
    FAILURE[$key]=${msg//|//}
    log "  $key: FAILED ($msg)"
}
# Turn collected samples into medians.
finish_result() {
    local key=$1
    # shellcheck disable=SC2086  # intentional word splitting of the samples
    if [[ -z ${FAILURE[$key]:-} && -n ${SAMPLES[$key]:-} ]]; then
        RESULT[$key]=$(median ${SAMPLES[$key]})
    fi
}
is_spillpool_key() { [[ $1 == spillpool* ]]; }

# --------------------------------------------------------------- setup

check_root() {
    [[ $EUID -eq 0 ]] || die "run as root (it creates a cluster owned by an unprivileged user)"
    [[ $BENCH_REPS =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPS must be a positive integer"
    [[ $BENCH_SECONDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer"
    [[ $BENCH_PORT =~ ^[1-9][0-9]*$ ]] || die "BENCH_PORT must be a port number"
    if [[ ! $BENCH_ROWS =~ ^[1-9][0-9]*$ ]] || ((BENCH_ROWS < 1000)); then
        die "BENCH_ROWS must be an integer >= 1000"
    fi
    # Selective query of the flush section: 1000000..1010000 for 2M rows.
    RANGE_LO=$((DATA_ROWS / 2))
    RANGE_HI=$((DATA_ROWS / 2 + DATA_ROWS / 200))
    RANGE_ROWS=$((RANGE_HI - RANGE_LO + 1))
    local word known
    for word in ${BENCH_ONLY//,/ }; do
        for known in "${ALL_SECTIONS[@]}"; do
            [[ $word == "$known" ]] && continue 2
        done
        die "BENCH_ONLY: unknown section '$word' (use ${ALL_SECTIONS[*]})"
    done
}

# Is section $1 (copy insert select memory flush) to run?
section_selected() {
    [[ $1 == flush && $BENCH_SKIP_FLUSH == 1 ]] && return 1
    [[ -z ${BENCH_ONLY//[, ]/} ]] && return 0
    [[ " ${BENCH_ONLY//,/ } " == *" $1 "* ]]
}

# Marks measurements $2... as skipped for reason $1 (shown in the summary).
skip_keys() {
    local reason=$1 key
    shift
    for key in "$@"; do FAILURE[$key]="skipped ($reason)"; done
}

# "2M" for 2000000, "500k" for 500000, else the number.
rows_label() {
    local n=$1
    if ((n % 1000000 == 0)); then
        echo "$((n / 1000000))M"
    elif ((n % 1000 == 0)); then
        echo "$((n / 1000))k"
    else
        echo "$n"
    fi
}

install_packages_if_missing() {
    local pkgs=()
    [[ -x $PGBIN/postgres && -x $PGBIN/initdb && -x $PGBIN/pg_ctl && -x $PGBIN/psql ]] ||
        pkgs+=("postgresql-$PG_MAJOR")
    [[ -x $PGBIN/pgbench ]] || pkgs+=(postgresql-contrib)
    if ((${#pkgs[@]})); then
        log "installing missing packages: ${pkgs[*]}"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}"
    fi
}

install_build_deps_if_missing() {
    local pkgs=()
    [[ -x $PG_CONFIG_BIN && -f $("$PG_CONFIG_BIN" --pgxs 2>/dev/null || echo /nonexistent) ]] ||
        pkgs+=("postgresql-server-dev-$PG_MAJOR")
    [[ -f /usr/include/lz4.h ]] || pkgs+=(liblz4-dev)
    [[ -f /usr/include/zstd.h ]] || pkgs+=(libzstd-dev)
    [[ -f /usr/include/zlib.h ]] || pkgs+=(zlib1g-dev)
    [[ -f /usr/include/brotli/decode.h ]] || pkgs+=(libbrotli-dev)
    command -v make >/dev/null && command -v gcc >/dev/null || pkgs+=(build-essential)
    if ((${#pkgs[@]})); then
        log "installing missing build dependencies: ${pkgs[*]}"
        apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${pkgs[@]}"
    fi
}

# Sets SPILLPOOL_OK=1 if spillpool.so is installed (building it if needed).
ensure_spillpool_installed() {
    local libdir so build_log=$WORK_DIR/build.log
    libdir=$("$PG_CONFIG_BIN" --pkglibdir)
    so=$libdir/spillpool.so
    if [[ -f $so ]]; then
        SPILLPOOL_OK=1
        log "using installed $so"
        return 0
    fi
    if [[ $BENCH_NO_BUILD == 1 ]]; then
        SPILLPOOL_REASON="$so not installed (BENCH_NO_BUILD=1)"
        log "WARNING: $SPILLPOOL_REASON; spillpool rows will fail"
        return 0
    fi
    log "$so missing: building and installing spillpool from $ROOT_DIR (log: build.log)"
    if install_build_deps_if_missing &&
        make -C "$ROOT_DIR" PG_CONFIG="$PG_CONFIG_BIN" >"$build_log" 2>&1 &&
        make -C "$ROOT_DIR" PG_CONFIG="$PG_CONFIG_BIN" install >>"$build_log" 2>&1 &&
        [[ -f $so ]]; then
        SPILLPOOL_OK=1
        log "installed $so"
    else
        SPILLPOOL_REASON="build failed: $(grep -m1 -E 'error:|\*\*\*' "$build_log" 2>/dev/null || tail -n 1 "$build_log")"
        SPILLPOOL_REASON=${SPILLPOOL_REASON:0:160}
        log "WARNING: could not build spillpool; spillpool rows will fail. Last build output:"
        tail -n 15 "$build_log" | sed 's/^/    /'
    fi
}

choose_bench_user() {
    if id -u postgres >/dev/null 2>&1; then
        BENCH_USER=postgres
    else
        if ! id -u spillpool >/dev/null 2>&1; then
            log "creating system user spillpool"
            useradd --system --no-create-home --shell /usr/sbin/nologin spillpool
        fi
        BENCH_USER=spillpool
    fi
}

create_work_dir() {
    WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/spillpool-bench.XXXXXX")
    chown "$BENCH_USER": "$WORK_DIR"
    chmod 700 "$WORK_DIR"
    DATA_DIR=$WORK_DIR/data
    CSV_2M=$WORK_DIR/data_2m.csv
    # The unix socket path must stay below ~100 bytes.
    ((${#WORK_DIR} < 80)) || die "temp dir path too long for a unix socket: $WORK_DIR (set TMPDIR)"
    cd "$WORK_DIR"
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    cd /
    local pid
    for pid in "${BG_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    if [[ -n $DATA_DIR && -f $DATA_DIR/postmaster.pid ]]; then
        as_user "$PGBIN/pg_ctl" -D "$DATA_DIR" -m immediate -w -t 60 stop >/dev/null 2>&1
        if [[ -f $DATA_DIR/postmaster.pid ]]; then
            pid=$(head -n 1 "$DATA_DIR/postmaster.pid")
            [[ $pid =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null
        fi
    fi
    if [[ -n $WORK_DIR && -d $WORK_DIR ]]; then
        rm -rf -- "$WORK_DIR"
    fi
    exit "$rc"
}

write_server_config() {
    local with_spillpool=$1
    {
        echo "# spillpool benchmark settings"
        if [[ $with_spillpool == 1 ]]; then
            echo "shared_preload_libraries = 'spillpool'"
            echo "spillpool.memory = '1GB'"
            # no background flush during the measurements: the flush
            # section flushes explicitly (and sets its own thresholds)
            echo "spillpool.default_flush_rows = 2147483647"
            echo "spillpool.default_flush_bytes = '1TB'"
            echo "spillpool.default_flush_interval = '24h'"
        fi
        echo "shared_buffers = '1GB'"
        echo "max_wal_size = '4GB'"
        echo "checkpoint_timeout = '30min'"
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$WORK_DIR'"
        echo "port = $BENCH_PORT"
        echo "max_connections = 30"
        echo "timezone = 'UTC'"
        echo "autovacuum = off"
        echo "fsync = on"
        echo "synchronous_commit = on"
        if [[ -n "$BENCH_EXTRA_CONF" ]]; then
            printf '%s\n' "$BENCH_EXTRA_CONF"
        fi
    } >"$DATA_DIR/bench.conf"
    chown "$BENCH_USER": "$DATA_DIR/bench.conf"
}

start_cluster() {
    log "initdb in $DATA_DIR (user $BENCH_USER)"
    as_user "$PGBIN/initdb" -D "$DATA_DIR" -U "$BENCH_USER" -A trust -E UTF8 \
        --no-locale --no-sync >"$WORK_DIR/initdb.log" 2>&1 ||
        { cat "$WORK_DIR/initdb.log" >&2; die "initdb failed"; }
    echo "include 'bench.conf'" >>"$DATA_DIR/postgresql.conf"
    write_server_config "$SPILLPOOL_OK"

    if ! as_user "$PGBIN/pg_ctl" -D "$DATA_DIR" -l "$WORK_DIR/server.log" -w -t 300 start >/dev/null; then
        if [[ $SPILLPOOL_OK == 1 ]]; then
            log "WARNING: server failed to start with spillpool preloaded; server log:"
            tail -n 20 "$WORK_DIR/server.log" | sed 's/^/    /'
            SPILLPOOL_OK=0
            SPILLPOOL_REASON="server failed to start with shared_preload_libraries='spillpool': $(error_from_file "$WORK_DIR/server.log")"
            write_server_config 0
            as_user "$PGBIN/pg_ctl" -D "$DATA_DIR" -l "$WORK_DIR/server.log" -w -t 300 start >/dev/null ||
                die "server failed to start even without spillpool (see log above)"
        else
            tail -n 20 "$WORK_DIR/server.log" >&2
            die "server failed to start"
        fi
    fi
    log "server running: $(psql_bench -c 'SELECT version()')"

    if [[ $SPILLPOOL_OK == 1 ]]; then
        if ! psql_bench -c 'CREATE EXTENSION spillpool' >/dev/null 2>"$WORK_DIR/ext.err"; then
            SPILLPOOL_OK=0
            SPILLPOOL_REASON="CREATE EXTENSION failed: $(error_from_file "$WORK_DIR/ext.err")"
            log "WARNING: $SPILLPOOL_REASON"
        else
            log "extension spillpool $(psql_bench -c "SELECT extversion FROM pg_extension WHERE extname = 'spillpool'") created"
        fi
    fi
}

# SELECT producing the deterministic data set of $1 rows (streams, no tuplestore).
data_query() {
    local rows=$1
    cat <<EOF
SELECT i AS id,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' AS ts,
       (i % 1000)::int AS device,
       round(((i * 7919) % 10000) / 100.0, 2)::float8 AS temp,
       'event ' || (i % 5000) AS msg
  FROM (SELECT generate_series(1::bigint, $rows) AS i) AS g
EOF
}

generate_csv() {
    log "generating $DATA_ROWS-row CSV $CSV_2M"
    local start end
    start=$(date +%s.%N)
    psql_bench -c "COPY ($(data_query "$DATA_ROWS")) TO '$CSV_2M' WITH (FORMAT csv)"
    end=$(date +%s.%N)
    log "  $(wc -l <"$CSV_2M") rows, $(du -m "$CSV_2M" | cut -f1) MB, $(fmt1 "$(awk -v a="$start" -v b="$end" 'BEGIN{print b-a}')") s"
    log "  first row: $(head -n 1 "$CSV_2M")"
}

# DDL (to stdout) creating table $1 of kind $2:
# heap | unlogged | spillpool | spillpool_commit | spillpool_none
table_ddl() {
    local name=$1 kind=$2
    echo "DROP TABLE IF EXISTS $name;"
    case $kind in
        heap) echo "CREATE TABLE $name ($TABLE_COLUMNS);" ;;
        unlogged) echo "CREATE UNLOGGED TABLE $name ($TABLE_COLUMNS);" ;;
        spillpool*)
            echo "CREATE TABLE $name ($TABLE_COLUMNS) USING spillpool;"
            case $kind in
                spillpool_commit) echo "SELECT spillpool.alter_table('$name', memory_limit => '$MEMORY_LIMIT', durability => 'commit');" ;;
                spillpool_none) echo "SELECT spillpool.alter_table('$name', memory_limit => '$MEMORY_LIMIT', durability => 'none');" ;;
                *) echo "SELECT spillpool.alter_table('$name', memory_limit => '$MEMORY_LIMIT');" ;;
            esac
            ;;
        *) die "unknown table kind $kind" ;;
    esac
}

# ------------------------------------------------------- a. COPY throughput

readonly COPY_KEYS=(copy_heap copy_unlogged copy_floor spillpool_copy_commit spillpool_copy_none)

copy_table_kind() {
    case $1 in
        copy_heap | copy_floor) echo heap ;;
        copy_unlogged) echo unlogged ;;
        spillpool_copy_commit) echo spillpool_commit ;;
        spillpool_copy_none) echo spillpool_none ;;
    esac
}

# One timed server-side COPY of the 2M-row CSV; sets LAST_VALUE (ms).
time_copy_once() {
    local key=$1 kind where='' sql=$WORK_DIR/copy.sql out=$WORK_DIR/copy.out
    kind=$(copy_table_kind "$key")
    [[ $key == copy_floor ]] && where=' WHERE false'
    {
        table_ddl bench_copy "$kind"
        echo "CHECKPOINT;"
        printf '%s\n' '\timing on'
        echo "COPY bench_copy FROM '$CSV_2M' WITH (FORMAT csv)$where;"
        printf '%s\n' '\timing off'
        echo "DROP TABLE bench_copy;"
    } >"$sql"
    run_sql_file "$sql" "$out" || return 1
    LAST_VALUE=$(timings_from_output "$out" | tail -n 1)
    is_number "$LAST_VALUE" || { LAST_ERROR="no timing in psql output"; return 1; }
}

bench_copy() {
    section "a. COPY $DATA_ROWS rows from CSV (server-side, ms, median of $BENCH_REPS)"
    local rep key
    for ((rep = 1; rep <= BENCH_REPS; rep++)); do
        for key in "${COPY_KEYS[@]}"; do
            [[ -n ${FAILURE[$key]:-} ]] && continue
            if is_spillpool_key "$key" && [[ $SPILLPOOL_OK != 1 ]]; then
                record_failure "$key" "$SPILLPOOL_REASON"
                continue
            fi
            if time_copy_once "$key"; then
                record_sample "$key" "$LAST_VALUE"
                log "  rep $rep  $key: $(fmt1 "$LAST_VALUE") ms"
            else
                record_failure "$key" "$LAST_ERROR"
                ensure_server_up
            fi
        done
    done
    for key in "${COPY_KEYS[@]}"; do finish_result "$key"; done

    log ""
    local floor=${RESULT[copy_floor]:-}
    for key in "${COPY_KEYS[@]}"; do
        if [[ -n ${RESULT[$key]:-} ]]; then
            local line
            line=$(printf '  %-24s %10s ms' "$key" "$(fmt1 "${RESULT[$key]}")")
            [[ -n $floor && $key != copy_floor ]] && line+="   ratio to floor $(ratio "${RESULT[$key]}" "$floor")"
            log "$line"
        else
            log "  $(printf '%-24s' "$key") FAILED (${FAILURE[$key]:-no result})"
        fi
    done
    if [[ -n ${RESULT[spillpool_copy_commit]:-} && -n $floor ]]; then
        local r
        r=$(ratio "${RESULT[spillpool_copy_commit]}" "$floor")
        log "  target: spillpool(commit)/floor <= 1.25 -> $r $(verdict "$r" '<=' 1.25)"
    else
        log "  target: spillpool(commit)/floor <= 1.25 -> n/a"
    fi
}

# ------------------------------------------------- b. pgbench single-row INSERT

readonly INSERT_KEYS=(ins_heap_sync spillpool_ins_commit_sync ins_unlogged_async spillpool_ins_none_async)

write_pgbench_script() {
    cat >"$WORK_DIR/insert.pgbench" <<'EOF'
\set id random(1, 1000000000)
\set dev random(0, 999)
\set temp random(0, 9999)
INSERT INTO bench_ins VALUES (:id, now(), :dev, :temp / 100.0, 'msg');
EOF
}

insert_table_kind() {
    case $1 in
        ins_heap_sync) echo heap ;;
        spillpool_ins_commit_sync) echo spillpool_commit ;;
        ins_unlogged_async) echo unlogged ;;
        spillpool_ins_none_async) echo spillpool_none ;;
    esac
}

# One pgbench run; sets LAST_VALUE (tps).
pgbench_once() {
    local key=$1 kind sync=on out=$WORK_DIR/pgbench.out err=$WORK_DIR/pgbench.err
    kind=$(insert_table_kind "$key")
    [[ $key == *_async ]] && sync=off
    { table_ddl bench_ins "$kind"; echo "CHECKPOINT;"; } >"$WORK_DIR/ins.sql"
    run_sql_file "$WORK_DIR/ins.sql" /dev/null || return 1
    if ! as_user env PGOPTIONS="-c synchronous_commit=$sync" \
        "$PGBIN/pgbench" -n -c "$PGBENCH_CLIENTS" -j "$PGBENCH_THREADS" -T "$BENCH_SECONDS" \
        -f "$WORK_DIR/insert.pgbench" -h "$WORK_DIR" -p "$BENCH_PORT" postgres >"$out" 2>"$err"; then
        LAST_ERROR=$(error_from_file "$err")
        return 1
    fi
    LAST_VALUE=$(sed -nE 's/^tps = ([0-9.]+) \(without initial connection time\).*/\1/p' "$out")
    is_number "$LAST_VALUE" || { LAST_ERROR="no tps in pgbench output"; return 1; }
    psql_bench -c "DROP TABLE bench_ins" >/dev/null 2>&1 || true
}

print_tps_ratio() {
    local label=$1 num=$2 den=$3 target=$4
    if [[ -n ${RESULT[$num]:-} && -n ${RESULT[$den]:-} ]]; then
        local r
        r=$(ratio "${RESULT[$num]}" "${RESULT[$den]}")
        log "  target: $label >= $target -> $r $(verdict "$r" '>=' "$target")"
    else
        log "  target: $label >= $target -> n/a"
    fi
}

bench_insert() {
    section "b. pgbench single-row INSERT, -c $PGBENCH_CLIENTS -j $PGBENCH_THREADS -T $BENCH_SECONDS (tps, median of $BENCH_REPS)"
    write_pgbench_script
    local rep key
    for ((rep = 1; rep <= BENCH_REPS; rep++)); do
        for key in "${INSERT_KEYS[@]}"; do
            [[ -n ${FAILURE[$key]:-} ]] && continue
            if is_spillpool_key "$key" && [[ $SPILLPOOL_OK != 1 ]]; then
                record_failure "$key" "$SPILLPOOL_REASON"
                continue
            fi
            if pgbench_once "$key"; then
                record_sample "$key" "$LAST_VALUE"
                log "  rep $rep  $key: $(fmt0 "$LAST_VALUE") tps"
            else
                record_failure "$key" "$LAST_ERROR"
                ensure_server_up
            fi
        done
    done
    for key in "${INSERT_KEYS[@]}"; do finish_result "$key"; done

    log ""
    for key in "${INSERT_KEYS[@]}"; do
        if [[ -n ${RESULT[$key]:-} ]]; then
            log "  $(printf '%-28s %10s tps' "$key" "$(fmt0 "${RESULT[$key]}")")"
        else
            log "  $(printf '%-28s' "$key") FAILED (${FAILURE[$key]:-no result})"
        fi
    done
    print_tps_ratio "spillpool(commit)/heap" spillpool_ins_commit_sync ins_heap_sync 1.0
    print_tps_ratio "spillpool(none, sync off)/unlogged(sync off)" spillpool_ins_none_async ins_unlogged_async 0.95
}

# --------------------------------------------------------- c. scan (SELECT)

# Load table $1 of kind $2 with the 2M-row CSV.
load_select_table() {
    local name=$1 kind=$2
    {
        table_ddl "$name" "$kind"
        echo "COPY $name FROM '$CSV_2M' WITH (FORMAT csv);"
        [[ $kind == heap ]] && echo "VACUUM ANALYZE $name;"
        echo "CHECKPOINT;"
    } >"$WORK_DIR/load.sql"
    run_sql_file "$WORK_DIR/load.sql" /dev/null
}

# Warm-up + SELECT_RUNS timed scans of table $1; sets LAST_VALUE (median ms).
time_select() {
    local name=$1 i out=$WORK_DIR/select.out
    {
        echo "SELECT count(*), avg(temp) FROM $name;"
        printf '%s\n' '\timing on'
        for ((i = 0; i < SELECT_RUNS; i++)); do
            echo "SELECT count(*), avg(temp) FROM $name;"
        done
        printf '%s\n' '\timing off'
    } >"$WORK_DIR/select.sql"
    run_sql_file "$WORK_DIR/select.sql" "$out" || return 1
    local counts
    counts=$(grep -v '^Time:' "$out" | cut -d'|' -f1 | sort -u)
    if [[ $counts != "$DATA_ROWS" ]]; then
        LAST_ERROR="wrong count(*): $(echo "$counts" | tr '\n' ' ')"
        return 1
    fi
    # shellcheck disable=SC2046
    LAST_VALUE=$(median $(timings_from_output "$out")) || true
    is_number "$LAST_VALUE" || { LAST_ERROR="no timing in psql output"; return 1; }
}

# One-line EXPLAIN of the scan on table $1 (shows whether it runs in parallel).
print_select_plan() {
    local plan
    plan=$(psql_bench -c "EXPLAIN (COSTS OFF) SELECT count(*), avg(temp) FROM $1" 2>/dev/null |
           sed -E 's/^ *(-> *)?//' | paste -sd';' | sed 's/;/ ; /g') || plan='(EXPLAIN failed)'
    log "  plan for $1: $plan"
}

print_spillpool_stats() {
    local name=${1:-bench_sel_sp}
    log "  spillpool.stats('$name'):"
    if as_user "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK_DIR" -p "$BENCH_PORT" -d postgres \
        -x -c "SELECT * FROM spillpool.stats('$name')" >"$WORK_DIR/stats.out" 2>"$WORK_DIR/stats.err"; then
        sed 's/^/    /' "$WORK_DIR/stats.out"
    else
        log "    FAILED ($(error_from_file "$WORK_DIR/stats.err"))"
    fi
}

bench_select() {
    section "c. SELECT count(*), avg(temp) over $DATA_ROWS rows (ms, median of $SELECT_RUNS runs x $BENCH_REPS)"
    local rep stats_printed=0
    for ((rep = 1; rep <= BENCH_REPS; rep++)); do
        if [[ -z ${FAILURE[select_heap]:-} ]]; then
            if load_select_table bench_sel_heap heap &&
                { ((rep > 1)) || print_select_plan bench_sel_heap; } &&
                time_select bench_sel_heap; then
                record_sample select_heap "$LAST_VALUE"
                log "  rep $rep  heap: $(fmt1 "$LAST_VALUE") ms"
            else
                record_failure select_heap "$LAST_ERROR"
                ensure_server_up
            fi
            psql_bench -c "DROP TABLE IF EXISTS bench_sel_heap" >/dev/null 2>&1 || true
        fi
        if [[ -n ${FAILURE[spillpool_select]:-} ]]; then
            :
        elif [[ $SPILLPOOL_OK != 1 ]]; then
            record_failure spillpool_select "$SPILLPOOL_REASON"
        elif load_select_table bench_sel_sp spillpool; then
            if ((!stats_printed)); then
                print_spillpool_stats
                print_select_plan bench_sel_sp
                stats_printed=1
            fi
            if time_select bench_sel_sp; then
                record_sample spillpool_select "$LAST_VALUE"
                log "  rep $rep  spillpool (memory_limit $MEMORY_LIMIT): $(fmt1 "$LAST_VALUE") ms"
            else
                record_failure spillpool_select "$LAST_ERROR"
                ensure_server_up
            fi
            psql_bench -c "DROP TABLE IF EXISTS bench_sel_sp" >/dev/null 2>&1 || true
        else
            record_failure spillpool_select "$LAST_ERROR"
            ensure_server_up
        fi
    done
    finish_result select_heap
    finish_result spillpool_select

    log ""
    local key
    for key in select_heap spillpool_select; do
        if [[ -n ${RESULT[$key]:-} ]]; then
            log "  $(printf '%-20s %10s ms' "$key" "$(fmt1 "${RESULT[$key]}")")"
        else
            log "  $(printf '%-20s' "$key") FAILED (${FAILURE[$key]:-no result})"
        fi
    done
    if [[ -n ${RESULT[spillpool_select]:-} && -n ${RESULT[select_heap]:-} ]]; then
        local r
        r=$(ratio "${RESULT[spillpool_select]}" "${RESULT[select_heap]}")
        log "  target: spillpool/heap <= 1.5 -> $r $(verdict "$r" '<=' 1.5)"
    else
        log "  target: spillpool/heap <= 1.5 -> n/a"
    fi
}

# ------------------------------------------------ d. backend peak memory (RSS)

# Reads /proc/$1/status into P_RSS P_HWM P_ANON P_SHMEM (kB).
read_proc_status() {
    local key val _rest
    P_RSS=0 P_HWM=0 P_ANON=0 P_SHMEM=0
    [[ -r /proc/$1/status ]] || return 1
    while IFS=$': \t' read -r key val _rest; do
        case $key in
            VmRSS) P_RSS=$val ;;
            VmHWM) P_HWM=$val ;;
            RssAnon) P_ANON=$val ;;
            RssShmem) P_SHMEM=$val ;;
        esac
    done 2>/dev/null <"/proc/$1/status" || return 1
    ((P_RSS > 0))
}

kill_and_reap() {
    local pid=$1
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Single COPY of RSS_ROWS rows (streamed through a FIFO) into table kind $1
# while polling the backend's /proc status every 0.1 s.
# Sets MEM_ANON MEM_SHMEM MEM_SUM MEM_HWM (MB, peaks) and MEM_COPY_MS.
measure_copy_memory() {
    local kind=$1 name=bench_rss
    local fifo=$WORK_DIR/rss.fifo pidfile=$WORK_DIR/rss.pid donefile=$WORK_DIR/rss.done
    local sql=$WORK_DIR/rss.sql out=$WORK_DIR/rss.out err=$WORK_DIR/rss.err
    rm -f "$fifo" "$pidfile" "$donefile"

    { table_ddl "$name" "$kind"; echo "CHECKPOINT;"; } >"$WORK_DIR/rss_setup.sql"
    run_sql_file "$WORK_DIR/rss_setup.sql" /dev/null || return 1

    as_user mkfifo "$fifo"
    cat >"$sql" <<EOF
\\o $pidfile
SELECT pg_backend_pid();
\\o
\\timing on
COPY $name FROM '$fifo' WITH (FORMAT csv);
\\timing off
\\o $donefile
SELECT 'done';
\\o
SELECT pg_sleep(0.5);
EOF
    # Generator: a separate backend streams the rows into the FIFO.
    as_user "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK_DIR" -p "$BENCH_PORT" -d postgres \
        -c "COPY ($(data_query "$RSS_ROWS")) TO STDOUT WITH (FORMAT csv)" \
        >"$fifo" 2>"$WORK_DIR/rss_gen.err" &
    local gen_pid=$!
    BG_PIDS+=("$gen_pid")
    psql_bench -f "$sql" >"$out" 2>"$err" &
    local loader_pid=$!
    BG_PIDS+=("$loader_pid")

    local i backend_pid=
    for ((i = 0; i < 600; i++)); do
        [[ -s $pidfile ]] && backend_pid=$(tr -dc '0-9' <"$pidfile")
        [[ -n $backend_pid ]] && break
        kill -0 "$loader_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z $backend_pid ]]; then
        kill_and_reap "$loader_pid"
        kill_and_reap "$gen_pid"
        BG_PIDS=()
        LAST_ERROR="could not get backend pid: $(error_from_file "$err")"
        return 1
    fi

    local peak_anon=0 peak_shmem=0 peak_sum=0 hwm=0
    while :; do
        if read_proc_status "$backend_pid"; then
            ((P_ANON > peak_anon)) && peak_anon=$P_ANON
            ((P_SHMEM > peak_shmem)) && peak_shmem=$P_SHMEM
            ((P_ANON + P_SHMEM > peak_sum)) && peak_sum=$((P_ANON + P_SHMEM))
            ((P_HWM > hwm)) && hwm=$P_HWM
        fi
        [[ -s $donefile ]] && break
        kill -0 "$loader_pid" 2>/dev/null || break
        sleep 0.1
    done

    local rc=0
    wait "$loader_pid" || rc=$?
    if ((rc != 0)); then
        kill_and_reap "$gen_pid"
        BG_PIDS=()
        LAST_ERROR=$(error_from_file "$err")
        return 1
    fi
    wait "$gen_pid" || true
    BG_PIDS=()

    local loaded
    loaded=$(psql_bench -c "SELECT count(*) FROM $name" 2>/dev/null) || loaded='?'
    if [[ $kind == spillpool ]]; then
        MEM_STATS=$(as_user "$PGBIN/psql" -X -q -h "$WORK_DIR" -p "$BENCH_PORT" -d postgres -x \
            -c "SELECT * FROM spillpool.stats('$name')" 2>&1) || true
    fi
    psql_bench -c "DROP TABLE IF EXISTS $name" >/dev/null 2>&1 || true
    if [[ $loaded != "$RSS_ROWS" ]]; then
        LAST_ERROR="table has $loaded rows after COPY, expected $RSS_ROWS"
        return 1
    fi

    MEM_COPY_MS=$(timings_from_output "$out" | tail -n 1)
    MEM_ANON=$(awk -v k="$peak_anon" 'BEGIN { printf "%.1f", k / 1024 }')
    MEM_SHMEM=$(awk -v k="$peak_shmem" 'BEGIN { printf "%.1f", k / 1024 }')
    MEM_SUM=$(awk -v k="$peak_sum" 'BEGIN { printf "%.1f", k / 1024 }')
    MEM_HWM=$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')
}

bench_memory() {
    section "d. backend peak memory during one COPY of $RSS_ROWS rows (MB)"
    if [[ $BENCH_SKIP_RSS == 1 ]]; then
        log "  skipped (BENCH_SKIP_RSS=1)"
        local key
        for key in spillpool_mem spillpool_mem_anon spillpool_mem_shmem spillpool_mem_hwm \
            mem_heap_anon mem_heap_shmem mem_heap_hwm; do
            FAILURE[$key]="skipped (BENCH_SKIP_RSS=1)"
        done
        return 0
    fi
    log "  (RssAnon = private memory of the backend; RssShmem = shared memory it touched:"
    log "   spillpool memtable pages and shared_buffers; VmHWM = kernel's peak of total RSS"
    log "   including mapped binaries. RssAnon/RssShmem are peaks of 0.1 s samples.)"
    local kind key
    for kind in heap spillpool; do
        key=mem_$kind
        [[ $kind == spillpool ]] && key=spillpool_mem
        if [[ $kind == spillpool && $SPILLPOOL_OK != 1 ]]; then
            record_failure "$key" "$SPILLPOOL_REASON"
            continue
        fi
        MEM_STATS=
        if measure_copy_memory "$kind"; then
            RESULT[$key]=$MEM_SUM
            RESULT[${key}_anon]=$MEM_ANON
            RESULT[${key}_shmem]=$MEM_SHMEM
            RESULT[${key}_hwm]=$MEM_HWM
            log "  $kind: RssAnon peak $MEM_ANON MB, RssShmem peak $MEM_SHMEM MB," \
                "RssAnon+RssShmem peak $MEM_SUM MB, VmHWM $MEM_HWM MB (COPY took $(fmt1 "$MEM_COPY_MS") ms)"
            if [[ -n $MEM_STATS ]]; then
                log "  spillpool.stats after the COPY:"
                printf '%s\n' "$MEM_STATS" | sed 's/^/    /'
            fi
        else
            record_failure "$key" "$LAST_ERROR"
            ensure_server_up
        fi
    done
    if [[ -n ${RESULT[spillpool_mem]:-} ]]; then
        log "  target: spillpool RssAnon+RssShmem peak <= $RSS_TARGET_MB MB (memory_limit $MEMORY_LIMIT + 64 MB)" \
            "-> ${RESULT[spillpool_mem]} MB $(verdict "${RESULT[spillpool_mem]}" '<=' "$RSS_TARGET_MB")"
    else
        log "  target: spillpool RssAnon+RssShmem peak <= $RSS_TARGET_MB MB -> n/a"
    fi
}

# ------------------------------------------- e. flush to Parquet + shard scans

readonly FLUSH_TABLE=bench_flush_sp
readonly FLUSH_HEAP=bench_flush_heap
readonly FLUSH_KEYS=(spillpool_flush flush_duckdb spillpool_shard_bytes duckdb_bytes flush_heap_bytes
    spillpool_groupby groupby_heap groupby_heap_serial spillpool_range range_heap range_heap_serial)
readonly FLUSH_SP_KEYS=(spillpool_flush spillpool_shard_bytes spillpool_groupby spillpool_range)
readonly FLUSH_HEAP_KEYS=(flush_heap_bytes groupby_heap groupby_heap_serial range_heap range_heap_serial)
readonly SERIAL_SET='SET max_parallel_workers_per_gather = 0'
readonly DUCKDB_DIR=$SCRIPT_DIR/duckdb
# Groups of the GROUP BY query (device = id % 1000; BENCH_ROWS >= 1000).
readonly GROUPBY_GROUPS=1000

DUCKDB_REASON=
DUCKDB_VERSION=
DUCKDB_FILE_INFO=
FLUSH_REF_FP=        # fingerprint of the data set, from data_query
FLUSH_REF_GROUPBY=   # digest of the GROUP BY result, from data_query
SHARD_INFO=
SHARD_PATH=
RG_READ=
RG_SKIPPED=

# SELECT of one text line summing every column of relation/subquery $1; equal
# lines mean (beyond reasonable doubt) equal rows.  flush_bench.mjs computes
# the same in DuckDB.
fingerprint_sql() {
    echo "SELECT concat_ws('|', count(*), sum(id), sum(device), sum(round(temp * 100)::bigint)," \
        "sum(extract(epoch FROM ts)::bigint), sum(length(msg))) FROM $1"
}

# SELECT of one text line: number of groups and md5 of the GROUP BY result of $1.
groupby_check_sql() {
    echo "SELECT count(*) || '|' || md5(string_agg(device || ':' || round(a::numeric, 6), ',' ORDER BY device))" \
        "FROM (SELECT device, avg(temp) AS a FROM $1 GROUP BY device) AS s"
}

# The timed query $1 (groupby | range) on table $2.
query_sql() {
    case $1 in
        groupby) echo "SELECT device, avg(temp) FROM $2 GROUP BY device" ;;
        range) echo "SELECT count(*), avg(temp) FROM $2 WHERE id BETWEEN $RANGE_LO AND $RANGE_HI" ;;
    esac
}

# Warm-up + SELECT_RUNS timed runs of query $1, after statement $2 if given;
# all results go to $WORK_DIR/query.out.  Sets LAST_VALUE (median ms).
time_query() {
    local sql=$1 pre=${2:-} i out=$WORK_DIR/query.out
    {
        if [[ -n $pre ]]; then echo "$pre;"; fi
        echo "$sql;"
        printf '%s\n' '\timing on'
        for ((i = 0; i < SELECT_RUNS; i++)); do
            echo "$sql;"
        done
        printf '%s\n' '\timing off'
    } >"$WORK_DIR/query.sql"
    run_sql_file "$WORK_DIR/query.sql" "$out" || return 1
    # shellcheck disable=SC2046
    LAST_VALUE=$(median $(timings_from_output "$out")) || true
    is_number "$LAST_VALUE" || { LAST_ERROR="no timing in psql output"; return 1; }
}

# Checks the results of query kind $1 in $WORK_DIR/query.out (all runs).
check_query_output() {
    local kind=$1 out=$WORK_DIR/query.out got
    case $kind in
        groupby)
            got=$(grep -vc '^Time:' "$out") || true
            if ((got != (SELECT_RUNS + 1) * GROUPBY_GROUPS)); then
                LAST_ERROR="GROUP BY returned $((got / (SELECT_RUNS + 1))) groups, expected $GROUPBY_GROUPS"
                return 1
            fi
            ;;
        range)
            got=$(grep -v '^Time:' "$out" | cut -d'|' -f1 | sort -u | tr '\n' ' ')
            if [[ $got != "$RANGE_ROWS " ]]; then
                LAST_ERROR="wrong count(*) for id BETWEEN $RANGE_LO AND $RANGE_HI: $got(expected $RANGE_ROWS)"
                return 1
            fi
            ;;
    esac
}

# Times query kind $3 on table $4 (after statement $5 if given) as
# repetition $1 of measurement $2.
measure_query() {
    local rep=$1 key=$2 kind=$3 table=$4 pre=${5:-}
    [[ -n ${FAILURE[$key]:-} ]] && return 0
    if time_query "$(query_sql "$kind" "$table")" "$pre" && check_query_output "$kind"; then
        record_sample "$key" "$LAST_VALUE"
        log "  rep $rep  $key: $(fmt1 "$LAST_VALUE") ms"
    else
        record_failure "$key" "$LAST_ERROR"
        ensure_server_up
    fi
}

# One-line EXPLAIN (COSTS OFF) of query kind $2 on table $3 (after statement $4).
print_query_plan() {
    local label=$1 kind=$2 table=$3 pre=${4:-} plan
    plan=$(psql_bench -c "${pre:+$pre; }EXPLAIN (COSTS OFF) $(query_sql "$kind" "$table")" 2>/dev/null |
           sed -E 's/^ *(-> *)?//' | paste -sd';' | sed 's/;/ ; /g') || plan='(EXPLAIN failed)'
    log "  plan, $label: $plan"
}

# Makes sure node and test/duckdb's node_modules are there (npm ci as in
# test/run-tests.sh); sets DUCKDB_REASON and fails otherwise.
ensure_duckdb() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        log "  node/npm missing: installing nodejs and npm (as test/setup.sh does)"
        if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm; } \
            >"$WORK_DIR/apt-node.log" 2>&1; then
            DUCKDB_REASON="node/npm not installed and apt-get install nodejs npm failed"
            return 1
        fi
    fi
    [[ -f $DUCKDB_DIR/flush_bench.mjs ]] ||
        { DUCKDB_REASON="$DUCKDB_DIR/flush_bench.mjs missing"; return 1; }
    if [[ ! -f $DUCKDB_DIR/node_modules/@duckdb/node-api/package.json ]]; then
        local cmd=ci
        [[ -f $DUCKDB_DIR/package-lock.json ]] || cmd=install
        log "  installing test/duckdb's npm dependencies: npm $cmd --prefix $DUCKDB_DIR"
        if ! env npm_config_update_notifier=false \
            npm "$cmd" --no-audit --no-fund --prefix "$DUCKDB_DIR" >"$WORK_DIR/npm.log" 2>&1; then
            DUCKDB_REASON="npm $cmd in test/duckdb failed: $(grep -m1 -i 'err' "$WORK_DIR/npm.log" || tail -n 1 "$WORK_DIR/npm.log")"
            DUCKDB_REASON=${DUCKDB_REASON:0:160}
            return 1
        fi
    fi
}

# DuckDB baseline: flush_bench.mjs reads the CSV (not timed) and times
# BENCH_REPS COPY ... TO parquet (zstd).  Records flush_duckdb and duckdb_bytes.
bench_duckdb_flush() {
    local out=$WORK_DIR/duckdb.out err=$WORK_DIR/duckdb.err fp line ms bytes
    if ! ensure_duckdb; then
        record_failure flush_duckdb "$DUCKDB_REASON"
        record_failure duckdb_bytes "$DUCKDB_REASON"
        return 0
    fi
    log "  DuckDB: node test/duckdb/flush_bench.mjs (reads the CSV into memory, then COPY TO parquet x $BENCH_REPS)"
    if ! node "$DUCKDB_DIR/flush_bench.mjs" "$CSV_2M" "$WORK_DIR/duckdb.parquet" "$BENCH_REPS" \
        >"$out" 2>"$err"; then
        LAST_ERROR=$( { grep -m1 -E 'Error' "$err" || tail -n 1 "$err"; } 2>/dev/null)
        LAST_ERROR="flush_bench.mjs failed: ${LAST_ERROR:-no output}"
        record_failure flush_duckdb "${LAST_ERROR:0:160}"
        record_failure duckdb_bytes "${LAST_ERROR:0:160}"
        return 0
    fi
    sed 's/^/    /' "$out"
    DUCKDB_VERSION=$(sed -nE 's/^duckdb_flush version: ([^ ]+).*/\1/p' "$out")
    DUCKDB_FILE_INFO=$(sed -n 's/^duckdb_flush file: //p' "$out")
    fp=$(sed -n 's/^duckdb_flush fingerprint: //p' "$out")
    if [[ -n $FLUSH_REF_FP && $fp != "$FLUSH_REF_FP" ]]; then
        record_failure flush_duckdb "DuckDB's table differs from the data set: fingerprint $fp, expected $FLUSH_REF_FP"
        record_failure duckdb_bytes "${FAILURE[flush_duckdb]}"
        return 0
    fi
    while read -r line; do
        ms=$(sed -nE 's/.* ms=([0-9.]+) .*/\1/p' <<<"$line")
        bytes=$(sed -nE 's/.* bytes=([0-9]+).*/\1/p' <<<"$line")
        is_number "$ms" && record_sample flush_duckdb "$ms"
        is_number "$bytes" && record_sample duckdb_bytes "$bytes"
    done < <(grep '^duckdb_flush run ' "$out")
    [[ -n ${SAMPLES[flush_duckdb]:-} ]] || record_failure flush_duckdb "no timings in flush_bench.mjs output"
    [[ -n ${SAMPLES[duckdb_bytes]:-} ]] || record_failure duckdb_bytes "no sizes in flush_bench.mjs output"
}

# Heap reference table for sizes and queries (loaded once, VACUUM ANALYZEd).
load_flush_heap() {
    local fp size
    if ! load_select_table "$FLUSH_HEAP" heap; then
        local key
        for key in "${FLUSH_HEAP_KEYS[@]}"; do record_failure "$key" "$LAST_ERROR"; done
        ensure_server_up
        return 1
    fi
    fp=$(psql_bench -c "$(fingerprint_sql "$FLUSH_HEAP")" 2>&1) || true
    if [[ -n $FLUSH_REF_FP && $fp != "$FLUSH_REF_FP" ]]; then
        local key
        for key in "${FLUSH_HEAP_KEYS[@]}"; do
            record_failure "$key" "heap table differs from the data set: fingerprint $fp, expected $FLUSH_REF_FP"
        done
        return 1
    fi
    size=$(psql_bench -c "SELECT pg_table_size('$FLUSH_HEAP')" 2>&1) || true
    if [[ $size =~ ^[0-9]+$ ]]; then
        RESULT[flush_heap_bytes]=$size
        log "  heap table $FLUSH_HEAP: pg_table_size $size bytes ($(fmt_mb "$size"))"
    else
        record_failure flush_heap_bytes "pg_table_size failed: $size"
    fi
}

# Fails the spillpool measurements that have not failed yet with message $1.
fail_flush_sp_keys() {
    local key
    for key in "${FLUSH_SP_KEYS[@]}"; do
        [[ -n ${FAILURE[$key]:-} ]] || record_failure "$key" "$1"
    done
}

# One line of spillpool.stats for table $1: memtable_rows|spilled_rows|shards|shard_rows|shard_bytes|flushes
flush_stats_line() {
    psql_bench -c "SELECT concat_ws('|', memtable_rows, spilled_rows, shards, shard_rows, shard_bytes, flushes)
        FROM spillpool.stats('$1')" 2>&1
}

# Loads a fresh spillpool table with the CSV (automatic flushes held off) and
# times spillpool.flush() on it; checks the counters and the shards.
# Sets LAST_VALUE (ms) and SHARD_BYTES.
time_flush_once() {
    local first=$1 sql=$WORK_DIR/flush.sql out=$WORK_DIR/flush.out st
    {
        echo "DROP TABLE IF EXISTS $FLUSH_TABLE;"
        echo "CREATE TABLE $FLUSH_TABLE ($TABLE_COLUMNS) USING spillpool;"
        # Large flush thresholds: the background worker must not flush first.
        echo "SELECT spillpool.alter_table('$FLUSH_TABLE', memory_limit => '$MEMORY_LIMIT', durability => 'commit'," \
            "flush_rows => 1000000000000, flush_bytes => '1TB', flush_interval => '100 years');"
        echo "COPY $FLUSH_TABLE FROM '$CSV_2M' WITH (FORMAT csv);"
        echo "CHECKPOINT;"
    } >"$WORK_DIR/flush_load.sql"
    run_sql_file "$WORK_DIR/flush_load.sql" /dev/null || return 1

    # memtable_rows|spilled_rows|shards|shard_rows|shard_bytes|flushes
    st=$(flush_stats_line "$FLUSH_TABLE")
    ((first)) && log "  before flush: memtable_rows|spilled_rows|shards|shard_rows|shard_bytes|flushes = $st"
    if [[ ! $st =~ ^[0-9]+\|$DATA_ROWS\|0\|0\|0\|0$ ]]; then
        LAST_ERROR="before the flush expected spilled_rows=$DATA_ROWS and no shards/flushes, stats: $st"
        return 1
    fi

    {
        printf '%s\n' '\timing on'
        echo "SELECT spillpool.flush('$FLUSH_TABLE');"
        printf '%s\n' '\timing off'
    } >"$sql"
    run_sql_file "$sql" "$out" || return 1
    LAST_VALUE=$(timings_from_output "$out" | tail -n 1)
    is_number "$LAST_VALUE" || { LAST_ERROR="no timing in psql output"; return 1; }

    st=$(flush_stats_line "$FLUSH_TABLE")
    ((first)) && log "  after flush:  memtable_rows|spilled_rows|shards|shard_rows|shard_bytes|flushes = $st" \
        "(flush returned snapshot $(grep -v '^Time:' "$out" | head -n 1))"
    local f
    IFS='|' read -r -a f <<<"$st"
    if [[ ${f[3]:-} != "$DATA_ROWS" || ${f[1]:-} != 0 ]]; then
        LAST_ERROR="after the flush spillpool.stats shows shard_rows=${f[3]:-?} spilled_rows=${f[1]:-?}, expected $DATA_ROWS and 0"
        return 1
    fi

    # shards|bytes|rows|codecs|row_groups
    SHARD_INFO=$(psql_bench -c "SELECT concat_ws('|', count(*), sum(bytes), sum(rows),
        string_agg(DISTINCT codec, ','), sum(row_groups)) FROM spillpool.shards('$FLUSH_TABLE')" 2>&1) || true
    IFS='|' read -r -a f <<<"$SHARD_INFO"
    if [[ ! ${f[1]:-} =~ ^[0-9]+$ || ${f[2]:-} != "$DATA_ROWS" ]]; then
        LAST_ERROR="spillpool.shards: shards|bytes|rows|codecs|row_groups = $SHARD_INFO (expected $DATA_ROWS rows)"
        return 1
    fi
    SHARD_BYTES=${f[1]}
    if ((first)); then
        log "  spillpool.shards: ${f[0]} shard(s), ${f[1]} bytes, ${f[2]} rows, codec ${f[3]}, ${f[4]} row groups"
        SHARD_PATH=$(psql_bench -c "SELECT path FROM spillpool.shards('$FLUSH_TABLE') ORDER BY path LIMIT 1" 2>/dev/null) || true
        [[ -z $SHARD_PATH || $SHARD_PATH == /* ]] || SHARD_PATH=$DATA_DIR/$SHARD_PATH
        if ((f[0] == 1)) && [[ -f $SHARD_PATH ]]; then
            local disk
            disk=$(stat -c %s "$SHARD_PATH")
            [[ $disk == "${f[1]}" ]] ||
                log "  WARNING: shard file $SHARD_PATH has $disk bytes on disk, spillpool.shards says ${f[1]}"
        fi
    fi
}

bench_flush() {
    section "e. flush $DATA_ROWS rows to Parquet (zstd) vs DuckDB; queries on the flushed table vs heap (ms, median of $BENCH_REPS)"
    log "  (spillpool: memory_limit $MEMORY_LIMIT, durability commit; queries: median of $SELECT_RUNS runs after a warm-up;"
    log "   selective query: id BETWEEN $RANGE_LO AND $RANGE_HI, $RANGE_ROWS rows)"

    FLUSH_REF_FP=$(psql_bench -c "$(fingerprint_sql "($(data_query "$DATA_ROWS")) AS d")" 2>&1) || FLUSH_REF_FP=
    FLUSH_REF_GROUPBY=$(psql_bench -c "$(groupby_check_sql "($(data_query "$DATA_ROWS")) AS d")" 2>&1) ||
        FLUSH_REF_GROUPBY=
    log "  data set fingerprint (rows|sum id|sum device|sum temp*100|sum epoch(ts)|sum length(msg)): ${FLUSH_REF_FP:-(failed)}"

    bench_duckdb_flush
    local heap_ok=0
    load_flush_heap && heap_ok=1
    if ((heap_ok)); then
        print_query_plan "heap GROUP BY" groupby "$FLUSH_HEAP"
        print_query_plan "heap GROUP BY, serial" groupby "$FLUSH_HEAP" "$SERIAL_SET"
        print_query_plan "heap id range" range "$FLUSH_HEAP"
    fi

    local rep first got
    for ((rep = 1; rep <= BENCH_REPS; rep++)); do
        first=0
        ((rep == 1)) && first=1
        if [[ -n ${FAILURE[spillpool_flush]:-} ]]; then
            :
        elif [[ $SPILLPOOL_OK != 1 ]]; then
            fail_flush_sp_keys "$SPILLPOOL_REASON"
        elif time_flush_once "$first"; then
            record_sample spillpool_flush "$LAST_VALUE"
            [[ -n ${FAILURE[spillpool_shard_bytes]:-} ]] || record_sample spillpool_shard_bytes "$SHARD_BYTES"
            log "  rep $rep  spillpool_flush: $(fmt1 "$LAST_VALUE") ms, shard bytes $SHARD_BYTES"
            if ((first)); then
                print_spillpool_stats "$FLUSH_TABLE"
                got=$(psql_bench -c "$(fingerprint_sql "$FLUSH_TABLE")" 2>&1) || true
                if [[ -n $FLUSH_REF_FP && $got != "$FLUSH_REF_FP" ]]; then
                    fail_flush_sp_keys "flushed table differs from the data set: fingerprint $got, expected $FLUSH_REF_FP"
                fi
                got=$(psql_bench -c "$(groupby_check_sql "$FLUSH_TABLE")" 2>&1) || true
                if [[ -n $FLUSH_REF_GROUPBY && $got != "$FLUSH_REF_GROUPBY" && -z ${FAILURE[spillpool_groupby]:-} ]]; then
                    record_failure spillpool_groupby "wrong GROUP BY result (groups|md5 $got, expected $FLUSH_REF_GROUPBY)"
                fi
                print_query_plan "spillpool GROUP BY" groupby "$FLUSH_TABLE"
                print_range_explain
            fi
            measure_query "$rep" spillpool_groupby groupby "$FLUSH_TABLE"
            measure_query "$rep" spillpool_range range "$FLUSH_TABLE"
        else
            fail_flush_sp_keys "$LAST_ERROR"
            ensure_server_up
        fi
        if ((first)) && [[ -n $SHARD_PATH && -f $SHARD_PATH && -f $WORK_DIR/duckdb.parquet ]]; then
            log "  per-column sizes (DuckDB's parquet_metadata):"
            node "$DUCKDB_DIR/flush_bench.mjs" --metadata "$SHARD_PATH" "$WORK_DIR/duckdb.parquet" 2>&1 |
                sed 's/^/    /' || true
        fi
        psql_bench -c "DROP TABLE IF EXISTS $FLUSH_TABLE" >/dev/null 2>&1 || true
        if ((heap_ok)); then
            measure_query "$rep" groupby_heap groupby "$FLUSH_HEAP"
            measure_query "$rep" groupby_heap_serial groupby "$FLUSH_HEAP" "$SERIAL_SET"
            measure_query "$rep" range_heap range "$FLUSH_HEAP"
            measure_query "$rep" range_heap_serial range "$FLUSH_HEAP" "$SERIAL_SET"
        fi
    done
    psql_bench -c "DROP TABLE IF EXISTS $FLUSH_HEAP" >/dev/null 2>&1 || true
    local key
    for key in "${FLUSH_KEYS[@]}"; do
        [[ -n ${RESULT[$key]:-} ]] || finish_result "$key"
    done

    log ""
    for key in "${FLUSH_KEYS[@]}"; do
        if [[ -n ${RESULT[$key]:-} ]]; then
            if [[ $key == *bytes ]]; then
                log "  $(printf '%-24s %12s bytes (%s)' "$key" "$(fmt0 "${RESULT[$key]}")" "$(fmt_mb "${RESULT[$key]}")")"
            else
                log "  $(printf '%-24s %12s ms' "$key" "$(fmt1 "${RESULT[$key]}")")"
            fi
        else
            log "  $(printf '%-24s' "$key") FAILED (${FAILURE[$key]:-no result})"
        fi
    done
    [[ -n $RG_READ ]] && log "  spillpool id range query: Row Groups Read $RG_READ, Row Groups Skipped $RG_SKIPPED"
    print_target "spillpool flush/DuckDB COPY TO parquet" spillpool_flush flush_duckdb '<=' 1.5
    print_target "shard bytes/DuckDB file bytes" spillpool_shard_bytes duckdb_bytes '<=' 1.05
    print_target "spillpool GROUP BY/heap" spillpool_groupby groupby_heap '<=' 1.0
    print_target "spillpool id range/heap" spillpool_range range_heap '<=' 1.0
}

# EXPLAIN ANALYZE of the selective query on the flushed table; prints it and
# sets RG_READ / RG_SKIPPED.
print_range_explain() {
    local plan
    if plan=$(psql_bench -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $(query_sql range "$FLUSH_TABLE")" 2>&1); then
        log "  EXPLAIN ANALYZE, spillpool id range:"
        printf '%s\n' "$plan" | sed 's/^/    /'
        RG_READ=$(sed -nE 's/.*Row Groups Read: *([0-9]+).*/\1/p' <<<"$plan" | head -n 1)
        RG_SKIPPED=$(sed -nE 's/.*Row Groups Skipped: *([0-9]+).*/\1/p' <<<"$plan" | head -n 1)
        if [[ -z $RG_READ ]]; then
            RG_READ='?' RG_SKIPPED='?'
            log "  WARNING: no \"Row Groups Read\" line in the plan (custom scan not used?)"
        fi
    else
        log "  EXPLAIN ANALYZE, spillpool id range: FAILED ($plan)"
    fi
}

# "target: LABEL OP T -> ratio PASS/MISS" for measurement $2 over $3.
print_target() {
    local label=$1 num=$2 den=$3 op=$4 target=$5
    if [[ -n ${RESULT[$num]:-} && -n ${RESULT[$den]:-} ]]; then
        local r
        r=$(ratio "${RESULT[$num]}" "${RESULT[$den]}")
        log "  target: $label $op $target -> $r $(verdict "$r" "$op" "$target")"
    else
        log "  target: $label $op $target -> n/a"
    fi
}

# ---------------------------------------------------------------- summary

# value cell for key $1 formatted with formatter $2
value_cell() {
    local key=$1 fmt=$2
    if [[ -n ${RESULT[$key]:-} ]]; then
        "$fmt" "${RESULT[$key]}"
    elif [[ ${FAILURE[$key]:-} == skipped* ]]; then
        printf '%s' "${FAILURE[$key]}"
    elif [[ -n ${FAILURE[$key]:-} ]]; then
        printf 'FAILED (%s)' "${FAILURE[$key]}"
    else
        printf 'n/a'
    fi
}

# summary_row LABEL KEY FMT BASELINE_LABEL BASELINE_KEY_OR_NUMBER OP TARGET
summary_row() {
    local label=$1 key=$2 fmt=$3 blabel=$4 bkey=$5 op=${6:-} target=${7:-}
    local value base bval r='–' result='–' tcell='–'
    value=$(value_cell "$key" "$fmt")
    if is_number "$bkey"; then
        bval=$bkey
        base="$blabel"
    else
        bval=${RESULT[$bkey]:-}
        base="$blabel: $(value_cell "$bkey" "$fmt")"
    fi
    [[ -n $op ]] && tcell="$op $target"
    if [[ -n ${RESULT[$key]:-} && -n $bval ]]; then
        r=$(ratio "${RESULT[$key]}" "$bval")
        [[ -n $op ]] && result=$(verdict "$r" "$op" "$target")
    elif [[ -n $op ]]; then
        case ${FAILURE[$key]:-} in
            '') result='n/a' ;;
            skipped*) result=skipped ;;
            *) result=FAILED ;;
        esac
    fi
    printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$value" "$base" "$r" "$tcell" "$result"
}

print_summary() {
    local commit rl
    rl=$(rows_label "$DATA_ROWS")
    commit=$(git -C "$ROOT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
    {
        echo "### spillpool benchmark"
        echo
        echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'), spillpool commit $commit," \
            "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM;" \
            "median of $BENCH_REPS repetitions; pgbench -c $PGBENCH_CLIENTS -j $PGBENCH_THREADS -T $BENCH_SECONDS;" \
            "shared_buffers=1GB, spillpool.memory=1GB, memory_limit=$MEMORY_LIMIT; $(date -u +%Y-%m-%d)."
        echo
        echo "| Measurement | Value | Baseline | Ratio | Target | Result |"
        echo "|---|---|---|---|---|---|"
        summary_row "COPY $rl rows, heap (ms)" copy_heap fmt1 "parse floor" copy_floor
        summary_row "COPY $rl rows, unlogged heap (ms)" copy_unlogged fmt1 "parse floor" copy_floor
        summary_row "COPY $rl rows, spillpool durability=commit (ms)" spillpool_copy_commit fmt1 "parse floor" copy_floor '<=' 1.25
        summary_row "COPY $rl rows, spillpool durability=none (ms)" spillpool_copy_none fmt1 "parse floor" copy_floor
        summary_row "INSERT tps, spillpool commit, sync on" spillpool_ins_commit_sync fmt0 "heap, sync on" ins_heap_sync '>=' 1.0
        summary_row "INSERT tps, spillpool none, sync off" spillpool_ins_none_async fmt0 "unlogged heap, sync off" ins_unlogged_async '>=' 0.95
        summary_row "SELECT count(*), avg(temp), $rl rows (ms)" spillpool_select fmt1 "heap" select_heap '<=' 1.5
        summary_row "COPY 10M rows, spillpool backend RssAnon+RssShmem peak (MB)" spillpool_mem fmt1 "budget: $RSS_TARGET_MB MB" "$RSS_TARGET_MB" '<=' 1.0
        summary_row "  of which RssAnon peak (MB)" spillpool_mem_anon fmt1 "heap COPY" mem_heap_anon
        summary_row "  of which RssShmem peak (MB)" spillpool_mem_shmem fmt1 "heap COPY" mem_heap_shmem
        summary_row "  VmHWM, total peak RSS incl. binaries (MB)" spillpool_mem_hwm fmt1 "heap COPY" mem_heap_hwm
        summary_row "spillpool.flush(), $rl rows to one Parquet shard, zstd (ms)" spillpool_flush fmt1 \
            "DuckDB COPY TO parquet zstd, 1 thread" flush_duckdb '<=' 1.5
        summary_row "Parquet shard size, $rl rows, zstd" spillpool_shard_bytes fmt_mb "DuckDB file" duckdb_bytes '<=' 1.05
        summary_row "  shard size vs heap table (pg_table_size)" spillpool_shard_bytes fmt_mb "heap" flush_heap_bytes
        summary_row "GROUP BY device, avg(temp), $rl flushed rows (ms)" spillpool_groupby fmt1 "heap" groupby_heap '<=' 1.0
        summary_row "  same, vs serial heap" spillpool_groupby fmt1 "heap, max_parallel_workers_per_gather=0" groupby_heap_serial
        summary_row "count(*), avg(temp) WHERE id BETWEEN $RANGE_LO AND $RANGE_HI, flushed (ms)" spillpool_range fmt1 \
            "heap seq scan" range_heap '<=' 1.0
        summary_row "  same, vs serial heap" spillpool_range fmt1 "heap, max_parallel_workers_per_gather=0" range_heap_serial
        local rg='n/a'
        if [[ -n $RG_READ ]]; then
            rg="$RG_READ read / $RG_SKIPPED skipped"
        elif [[ ${FAILURE[spillpool_range]:-} == skipped* ]]; then
            rg=${FAILURE[spillpool_range]}
        fi
        printf '| %s | %s | %s | %s | %s | %s |\n' "  row groups of that query (EXPLAIN ANALYZE)" "$rg" '–' '–' '–' '–'
        summary_row "tail wake-up after COMMIT returned, median (ms)" spillpool_tail_p50 fmt2 "target: 5 ms" 5 '<=' 1.0
        summary_row "tail wake-up after COMMIT returned, p99 (ms)" spillpool_tail_p99 fmt2 "target: 50 ms" 50 '<=' 1.0
        summary_row "consume drain, $rl rows unflushed, batches of $CONSUME_BATCH (rows/s)" spillpool_consume_unflushed fmt0 \
            "SELECT *" select_unflushed '>=' 0.5
        summary_row "consume drain, $rl rows flushed, batches of $CONSUME_BATCH (rows/s)" spillpool_consume_flushed fmt0 \
            "SELECT *" select_flushed '>=' 0.5
        summary_row "spillpool.compact(), $COMPACT_FLUSHES shards of $rl rows in all (ms, one run)" spillpool_compact fmt1 \
            "spillpool.flush() of the same rows at once" compact_one_flush
        summary_row "full scan after $COMPACT_FLUSHES flushes and a compaction (ms)" spillpool_scan_compacted fmt1 \
            "the same rows flushed at once" scan_one_flush '<=' 1.2
        summary_row "  full scan before the compaction (ms)" spillpool_scan_small_shards fmt1 \
            "the same rows flushed at once" scan_one_flush
        summary_row "  spillpool.expire_snapshots() after the compaction, $COMPACT_FLUSHES files deleted (ms, one run)" spillpool_expire fmt1 \
            "spillpool.compact()" spillpool_compact
        summary_row "kNN recall@10, $(rows_label "$BENCH_KNN_ROWS") vectors x 128 in 10 shards + 20k unflushed, default ef_search" \
            knn_recall fmt3 "target: 0.95" 0.95 '>=' 1.0
        summary_row "kNN query (ORDER BY emb <-> q LIMIT 10), median (ms)" knn_p50 fmt2 \
            "exact scan, median" exact_p50 '<=' 0.05
        summary_row "kNN query, p99 (ms)" knn_p99 fmt2 "exact scan, p99" exact_p99
        summary_row "  first kNN query of a session, reading the indexes (ms)" knn_cold fmt1 "median kNN query" knn_p50
        summary_row "flush of $(rows_label $((BENCH_KNN_ROWS / 10))) vectors with its HNSW index (ms, median of 10)" knn_flush_index fmt1 \
            "the same flush without an embedding column" knn_flush_noindex
        echo
        echo "Parse floor = \`COPY heap FROM file WITH (FORMAT csv) WHERE false\` (reads and parses, stores nothing)." \
            "The memory target applies to RssAnon+RssShmem (private memory plus the shared memtable pages the backend touched)."
        if section_selected flush; then
            echo
            echo "Flush: \`SELECT spillpool.flush(t)\` after COPY of the CSV into a spillpool table (memory_limit=$MEMORY_LIMIT," \
                "durability=commit, automatic flushes held off), shard_compression default${SHARD_INFO:+ (shards|bytes|rows|codec|row groups: $SHARD_INFO)}." \
                "Baseline: DuckDB ${DUCKDB_VERSION:-?} (@duckdb/node-api, threads=1) with the same rows in an in-memory table," \
                "timing \`COPY t TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)\`${DUCKDB_FILE_INFO:+ ($DUCKDB_FILE_INFO)}." \
                "Queries on the flushed table (every row in the shard) vs a VACUUM ANALYZEd heap table without index," \
                "parallel query at defaults unless noted; median of $SELECT_RUNS runs after a warm-up."
        fi
        if section_selected consume; then
            echo
            echo "Consume: tail latency from a single-row autocommit INSERT's COMMIT returning (durability commit) to" \
                "\`spillpool.tail(NULL::t, after, 1000, wait => '10s')\` on a second connection of the same python3/psycopg2" \
                "process returning the row; $LATENCY_COMMITS commits ${LATENCY_GAP_MS} ms apart after 20 for warm-up." \
                "Drain: \`spillpool.consume(NULL::t, 'bench', $CONSUME_BATCH)\` until it returns no row, each batch its own" \
                "transaction, against \`SELECT * FROM t\`; rows received into the client (libpq result), not converted to" \
                "Python objects${CONSUME_TIERS:+; before the flush memtable_rows|spilled_rows|shard_rows = $CONSUME_TIERS}."
        fi
        if section_selected compact; then
            echo
            echo "Compaction: $COMPACT_FLUSHES INSERT ... SELECT + spillpool.flush() rounds of $((DATA_ROWS / COMPACT_FLUSHES)) rows each," \
                "then \`spillpool.compact(t)\` once (spillpool.compact_target_size at its default), against one" \
                "\`spillpool.flush(t)\` of the same rows in another table; full scan = \`$(fingerprint_sql '<t>')\`," \
                "each scan the median of $SELECT_RUNS runs after a warm-up, the two tables in turn $BENCH_REPS times (median of those)."
        fi
        if section_selected knn; then
            echo
            echo "kNN: test/knn_bench.py; index_m 16, index_ef_construction 64, spillpool.ef_search 100 (defaults);" \
                "latency is the client's wall clock per query on one connection after a first query that reads the" \
                "indexes (shown on its own); recall against numpy's exact top 10 over every vector" \
                "${KNN_INFO:+($KNN_INFO)}."
        fi
        [[ -f $WORK_DIR/analytics.md ]] && cat "$WORK_DIR/analytics.md"
    } >"$WORK_DIR/summary.md"
    section "summary"
    cat "$WORK_DIR/summary.md"
    if [[ -n $BENCH_OUT ]]; then
        cp "$WORK_DIR/summary.md" "$BENCH_OUT"
        log ""
        log "summary written to $BENCH_OUT"
    fi
}

# ------------------------------------------------------------- f. analytics

# The analytics queries: name|SQL, T the table, DIM the dimension table.
readonly ANALYTICS_QUERIES=(
    "count|SELECT count(*) FROM T"
    "count_avg|SELECT count(*), avg(temp) FROM T"
    "sum_avg|SELECT sum(temp), avg(temp) FROM T"
    "minmax_ts|SELECT min(ts), max(ts) FROM T"
    "groupby|SELECT device, avg(temp) FROM T GROUP BY device"
    "top10|SELECT device, count(*) FROM T GROUP BY device ORDER BY count(*) DESC, device LIMIT 10"
    "range_groupby|SELECT device, avg(temp) FROM T WHERE ts >= TIMESTAMPTZ '2024-01-05 00:00:00+00' AND ts < TIMESTAMPTZ '2024-01-08 00:00:00+00' GROUP BY device"
    "text_eq|SELECT count(*) FROM T WHERE msg = 'event 42'"
    "like|SELECT count(*) FROM T WHERE msg LIKE '%42%'"
    "distinct|SELECT count(DISTINCT device) FROM T"
    "two_col|SELECT device, msg, count(*) FROM T GROUP BY device, msg"
    "join|SELECT d.name, avg(t.temp) FROM T t JOIN DIM d USING (device) GROUP BY d.name"
)
declare -A AN_MS=()      # "table|query" -> median ms
declare -A AN_ROWS=()    # "table|query" -> result rows
AN_DUCKDB_VERSION=

# Query $1 of ANALYTICS_QUERIES on table $2 (PostgreSQL side).
analytics_sql() {
    local sql=${1#*|}
    sql=${sql//DIM/an_dim}
    echo "${sql//FROM T/FROM $2}"
}

# Times every query on table $1 (warm-up, then SELECT_RUNS runs each).
analytics_time_table() {
    local table=$1 q name rows
    for q in "${ANALYTICS_QUERIES[@]}"; do
        name=${q%%|*}
        if time_query "$(analytics_sql "$q" "$table")"; then
            rows=$(grep -vc '^Time:' "$WORK_DIR/query.out" || true)
            rows=$((rows / (SELECT_RUNS + 1)))
            AN_MS[$table|$name]=$LAST_VALUE
            AN_ROWS[$table|$name]=$rows
            log "  $table $name: $(fmt1 "$LAST_VALUE") ms, $rows rows"
        else
            log "  $table $name: FAILED ($LAST_ERROR)"
            ensure_server_up
        fi
    done
}

# DuckDB, THREADS threads, on the shard files of table $2: fills AN_MS[duckdbN|name].
analytics_duckdb() {
    local threads=$1 table=$2 json=$WORK_DIR/analytics.json out=$WORK_DIR/analytics_duckdb.out
    local -a files
    local q first=1 line name ms
    mapfile -t files < <(psql_bench -c "SELECT path FROM spillpool.shards('$table') ORDER BY path" 2>/dev/null |
                         sed "s|^|$DATA_DIR/|")
    ((${#files[@]} > 0)) || { log "  DuckDB: no shard files of $table"; return 0; }
    {
        printf '['
        for q in "${ANALYTICS_QUERIES[@]}"; do
            local sql=${q#*|}
            sql=${sql//DIM/dim}
            sql=${sql//FROM T/FROM t}
            ((first)) || printf ','
            first=0
            printf '{"name":"%s","sql":"%s"}' "${q%%|*}" "${sql//\"/\\\"}"
        done
        printf ']\n'
    } >"$json"
    chown "$BENCH_USER": "$json"
    if ! node "$DUCKDB_DIR/analytics_bench.mjs" "$json" "$threads" "$SELECT_RUNS" "${files[@]}" \
        >"$out" 2>"$WORK_DIR/analytics_duckdb.err"; then
        log "  DuckDB ($threads threads): FAILED ($(tail -n 1 "$WORK_DIR/analytics_duckdb.err"))"
        return 0
    fi
    AN_DUCKDB_VERSION=$(sed -nE 's/^analytics version: ([^ ]+).*/\1/p' "$out")
    while read -r line; do
        name=$(awk '{print $2}' <<<"$line")
        ms=$(sed -nE 's/.* ms=([0-9.]+).*/\1/p' <<<"$line")
        AN_MS[duckdb$threads|$name]=$ms
        AN_ROWS[duckdb$threads|$name]=$(sed -nE 's/.* rows=([0-9]+).*/\1/p' <<<"$line")
    done < <(grep -E '^analytics [a-z_0-9]+ ms=' "$out")
    log "  DuckDB $AN_DUCKDB_VERSION, $threads thread(s): $(grep -c ' ms=' "$out") queries timed"
}

bench_analytics() {
    section "f. analytics: $DATA_ROWS rows, every row flushed / half unflushed, vs heap and DuckDB (ms, median of $SELECT_RUNS after a warm-up)"
    local half=$((DATA_ROWS / 2))
    {
        echo "DROP TABLE IF EXISTS an_dim;"
        echo "CREATE TABLE an_dim AS SELECT i AS device, 'device ' || i AS name FROM generate_series(0, 999) AS i;"
        echo "ANALYZE an_dim;"
        table_ddl an_heap heap
        echo "COPY an_heap FROM '$CSV_2M' WITH (FORMAT csv);"
        echo "VACUUM ANALYZE an_heap;"
        table_ddl an_flushed spillpool_commit
        echo "COPY an_flushed FROM '$CSV_2M' WITH (FORMAT csv);"
        echo "SELECT spillpool.flush('an_flushed');"
        echo "ANALYZE an_flushed;"
        table_ddl an_half spillpool_commit
        echo "COPY an_half FROM '$CSV_2M' WITH (FORMAT csv) WHERE id <= $half;"
        echo "SELECT spillpool.flush('an_half');"
        echo "COPY an_half FROM '$CSV_2M' WITH (FORMAT csv) WHERE id > $half;"
        echo "ANALYZE an_half;"
        echo "CHECKPOINT;"
    } >"$WORK_DIR/analytics_load.sql"
    if ! run_sql_file "$WORK_DIR/analytics_load.sql" /dev/null; then
        log "  loading the tables FAILED ($LAST_ERROR)"
        return 0
    fi
    log "  an_flushed: $(flush_stats_line an_flushed) (memtable_rows|spilled_rows|shards|shard_rows|shard_bytes|flushes)"
    log "  an_half:    $(flush_stats_line an_half)"
    analytics_time_table an_heap
    analytics_time_table an_flushed
    analytics_time_table an_half
    if ensure_duckdb; then
        analytics_duckdb 1 an_flushed
        analytics_duckdb 2 an_flushed
    else
        log "  DuckDB: $DUCKDB_REASON"
    fi
    analytics_summary >"$WORK_DIR/analytics.md"
    analytics_memory >>"$WORK_DIR/analytics.md"
    cat "$WORK_DIR/analytics.md"
    psql_bench -c "DROP TABLE IF EXISTS an_heap, an_flushed, an_half, an_dim" >/dev/null 2>&1 || true
}

# The memory of SpillpoolAggregate under work_mem 4MB, one process: the
# node's own peak (groups and column arrays, EXPLAIN ANALYZE's Peak Group
# Memory), the rows it spilled, and how much the backend's peak resident
# size (VmHWM) grew during the query, which also counts the shard
# decoding buffers and the shared memory it touched.
readonly ANALYTICS_MEMORY_QUERIES=(
    "GROUP BY device (1,000 groups)|SELECT device, avg(temp) FROM T GROUP BY device"
    "GROUP BY id (one group per row)|SELECT id, count(*), avg(temp) FROM T GROUP BY id"
    "GROUP BY device, msg (about 5,000 groups)|SELECT device, msg, count(*) FROM T GROUP BY device, msg"
)
analytics_memory() {
    local q label sql table out peak spilled before after
    echo
    echo "SpillpoolAggregate memory, work_mem 4MB, no parallel workers (one run each):"
    echo
    echo "| Query | table | Peak Group Memory (kB) | Rows Spilled | backend VmHWM growth (MB) |"
    echo "|---|---|---|---|---|"
    for q in "${ANALYTICS_MEMORY_QUERIES[@]}"; do
        label=${q%%|*}
        for table in an_flushed an_half; do
            sql=${q#*|}
            sql=${sql//FROM T/FROM $table}
            if ! out=$(psql_bench 2>&1 <<EOF
SET work_mem = '4MB';
SET max_parallel_workers_per_gather = 0;
SELECT 'hwm ' || (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmHWM:\s+(\d+)'))[1];
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) $sql;
SELECT 'hwm ' || (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'), 'VmHWM:\s+(\d+)'))[1];
EOF
            ); then
                printf '| %s | %s | FAILED | | |\n' "$label" "$table"
                continue
            fi
            peak=$(sed -nE 's/.*Peak Group Memory: ([0-9]+) ?kB.*/\1/p' <<<"$out" | head -n 1)
            spilled=$(sed -nE 's/.*Rows Spilled: ([0-9]+).*/\1/p' <<<"$out" | head -n 1)
            before=$(sed -nE 's/^hwm ([0-9]+)$/\1/p' <<<"$out" | head -n 1)
            after=$(sed -nE 's/^hwm ([0-9]+)$/\1/p' <<<"$out" | tail -n 1)
            printf '| %s | %s | %s | %s | %s |\n' "$label" "$table" "${peak:-–}" "${spilled:-0}" \
                "$(awk -v a="${after:-0}" -v b="${before:-0}" 'BEGIN { printf "%.1f", (a - b) / 1024 }')"
        done
    done
}

# "x.xx" ratio of AN_MS[$1] to AN_MS[$2], or "–".
analytics_ratio() {
    local a=${AN_MS[$1]:-} b=${AN_MS[$2]:-}
    if is_number "$a" && is_number "$b"; then ratio "$a" "$b"; else echo '–'; fi
}

analytics_ms() { local v=${AN_MS[$1]:-}; if is_number "$v"; then fmt1 "$v"; else echo '–'; fi; }

# Geometric mean of the ratios AN_MS[$1|q] / AN_MS[$2|q] over the queries.
analytics_geomean() {
    local q name a b
    for q in "${ANALYTICS_QUERIES[@]}"; do
        name=${q%%|*}
        a=${AN_MS[$1|$name]:-} b=${AN_MS[$2|$name]:-}
        is_number "$a" && is_number "$b" && echo "$a $b"
    done | awk '{ if ($2 > 0 && $1 > 0) { s += log($1 / $2); n++ } }
                END { if (n) printf "%.2f", exp(s / n); else printf "–" }'
}

analytics_summary() {
    local q name
    echo
    echo "#### Analytics ($(rows_label "$DATA_ROWS") rows)"
    echo
    echo "| Query | flushed (ms) | heap (ms) | flushed/heap | DuckDB 1 thread (ms) | flushed/DuckDB 1 | DuckDB 2 threads (ms) | half unflushed (ms) | half/heap |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for q in "${ANALYTICS_QUERIES[@]}"; do
        name=${q%%|*}
        local rows_note=
        if [[ -n ${AN_ROWS[an_flushed|$name]:-} && ${AN_ROWS[an_flushed|$name]} != "${AN_ROWS[an_heap|$name]:-}" ]]; then
            rows_note=" (ROWS DIFFER: ${AN_ROWS[an_flushed|$name]} vs heap ${AN_ROWS[an_heap|$name]:-?})"
        fi
        printf '| %s%s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$rows_note" \
            "$(analytics_ms "an_flushed|$name")" "$(analytics_ms "an_heap|$name")" \
            "$(analytics_ratio "an_flushed|$name" "an_heap|$name")" \
            "$(analytics_ms "duckdb1|$name")" "$(analytics_ratio "an_flushed|$name" "duckdb1|$name")" \
            "$(analytics_ms "duckdb2|$name")" \
            "$(analytics_ms "an_half|$name")" "$(analytics_ratio "an_half|$name" "an_heap|$name")"
    done
    local g gh gd r1 r2 r3
    g=$(analytics_geomean an_flushed an_heap)
    gh=$(analytics_geomean an_half an_heap)
    gd=$(analytics_geomean an_flushed duckdb1)
    r1=$(analytics_ratio "an_flushed|groupby" "duckdb1|groupby")
    r2=$(analytics_ratio "an_flushed|count_avg" "duckdb1|count_avg")
    r3=$(analytics_ratio "an_half|count_avg" "an_heap|count_avg")
    printf '| geometric mean | | | %s | | %s | | | %s |\n' "$g" "$gd" "$gh"
    echo
    echo "Targets: geometric mean of flushed/heap <= 0.2: $g ($( [[ $g == – ]] && echo '–' || verdict "$g" '<=' 0.2 ));" \
        "GROUP BY device, avg(temp) flushed <= 3x DuckDB 1 thread: $r1 ($( [[ $r1 == – ]] && echo '–' || verdict "$r1" '<=' 3 ));" \
        "count(*), avg(temp) flushed <= 3x DuckDB 1 thread: $r2 ($( [[ $r2 == – ]] && echo '–' || verdict "$r2" '<=' 3 ));" \
        "count(*), avg(temp) half unflushed <= 1.0x heap: $r3 ($( [[ $r3 == – ]] && echo '–' || verdict "$r3" '<=' 1.0 ))."
    echo "Heap: VACUUM ANALYZEd, no index, parallel query at its defaults; spillpool: memory_limit $MEMORY_LIMIT," \
        "durability commit, one flush of every row (flushed) or of the first half (half); DuckDB ${AN_DUCKDB_VERSION:-?}" \
        "(@duckdb/node-api) reads the flushed table's shard files with read_parquet; dim: 1,000 rows, heap / DuckDB table."
}

# ------------------------------------------------- h. compaction
# 2,000 small flushes into one table, then one spillpool.compact(); against
# the same rows flushed at once into another: the compaction's time against
# that flush, and a full scan before and after against the one-flush table.

readonly COMPACT_KEYS=(spillpool_compact compact_one_flush spillpool_scan_compacted
    spillpool_scan_small_shards scan_one_flush spillpool_expire)
readonly COMPACT_FLUSHES=${BENCH_COMPACT_FLUSHES:-2000}

bench_compact() {
    section "h. compaction: $COMPACT_FLUSHES small flushes, one compaction (ms)"
    local key per=$((DATA_ROWS / COMPACT_FLUSHES)) out=$WORK_DIR/compact.out
    if [[ $SPILLPOOL_OK != 1 ]]; then
        for key in "${COMPACT_KEYS[@]}"; do record_failure "$key" "$SPILLPOOL_REASON"; done
        return 0
    fi
    {
        echo "DROP TABLE IF EXISTS bench_compact_src, bench_compact_small, bench_compact_once;"
        echo "CREATE TABLE bench_compact_src ($TABLE_COLUMNS);"
        echo "COPY bench_compact_src FROM '$CSV_2M' WITH (FORMAT csv);"
        echo "CREATE TABLE bench_compact_small ($TABLE_COLUMNS) USING spillpool;"
        echo "CREATE TABLE bench_compact_once ($TABLE_COLUMNS) USING spillpool;"
        # the worker must not compact the small shards before the benchmark does
        echo "SELECT spillpool.alter_table(t, flush_rows => 100000000, flush_bytes => '100GB', flush_interval => '1 day',"
        echo "    compact_min_shards => 0)"
        echo "  FROM unnest(ARRAY['bench_compact_small', 'bench_compact_once']::regclass[]) t;"
        echo "DO \$\$ BEGIN"
        echo "  FOR i IN 0 .. $((COMPACT_FLUSHES - 1)) LOOP"
        echo "    INSERT INTO bench_compact_small SELECT * FROM bench_compact_src WHERE id > i * $per AND id <= (i + 1) * $per;"
        echo "    COMMIT;"
        echo "    PERFORM spillpool.flush('bench_compact_small');"
        echo "  END LOOP;"
        echo "END \$\$;"
        echo "INSERT INTO bench_compact_once SELECT * FROM bench_compact_src ORDER BY id;"
        echo "CHECKPOINT;"
        printf '%s\n' '\timing on'
        echo "SELECT spillpool.flush('bench_compact_once');"
        printf '%s\n' '\timing off'
    } >"$WORK_DIR/compact_load.sql"
    log "  loading: $COMPACT_FLUSHES flushes of $per rows"
    if ! run_sql_file "$WORK_DIR/compact_load.sql" "$out"; then
        for key in "${COMPACT_KEYS[@]}"; do record_failure "$key" "loading failed: $LAST_ERROR"; done
        ensure_server_up
        return 0
    fi
    record_sample compact_one_flush "$(timings_from_output "$out" | tail -n 1)"
    log "  one flush of the same rows: $(fmt1 "${SAMPLES[compact_one_flush]}") ms;" \
        "shards: $(psql_bench -c "SELECT shards FROM spillpool.stats('bench_compact_small')" 2>&1)"
    local fp_small fp_once
    fp_small=$(psql_bench -c "$(fingerprint_sql bench_compact_small)" 2>&1) || true
    fp_once=$(psql_bench -c "$(fingerprint_sql bench_compact_once)" 2>&1) || true
    [[ $fp_small == "$fp_once" ]] ||
        record_failure spillpool_scan_small_shards "the tables differ: $fp_small vs $fp_once"
    # scans alternate between the tables, BENCH_REPS times: the machine is noisy
    local rep
    for ((rep = 1; rep <= BENCH_REPS; rep++)); do
        if [[ -z ${FAILURE[spillpool_scan_small_shards]:-} ]] && time_query "$(fingerprint_sql bench_compact_small)"; then
            record_sample spillpool_scan_small_shards "$LAST_VALUE"
        fi
        if [[ -z ${FAILURE[scan_one_flush]:-} ]] && time_query "$(fingerprint_sql bench_compact_once)"; then
            record_sample scan_one_flush "$LAST_VALUE"
        fi
    done
    {
        printf '%s\n' '\timing on'
        echo "SELECT spillpool.compact('bench_compact_small');"
    } >"$WORK_DIR/compact_run.sql"
    if run_sql_file "$WORK_DIR/compact_run.sql" "$out"; then
        record_sample spillpool_compact "$(timings_from_output "$out" | tail -n 1)"
        log "  compaction: $(fmt1 "${SAMPLES[spillpool_compact]}") ms; shards now:" \
            "$(psql_bench -c "SELECT shards FROM spillpool.stats('bench_compact_small')" 2>&1)"
        local fp_after
        {
            printf '%s\n' '\timing on'
            echo "SELECT spillpool.expire_snapshots('bench_compact_small', now());"
        } >"$WORK_DIR/expire_run.sql"
        if run_sql_file "$WORK_DIR/expire_run.sql" "$out"; then
            record_sample spillpool_expire "$(timings_from_output "$out" | tail -n 1)"
        else
            record_failure spillpool_expire "$LAST_ERROR"
        fi
        fp_after=$(psql_bench -c "$(fingerprint_sql bench_compact_small)" 2>&1) || true
        if [[ $fp_after != "$fp_once" ]]; then
            record_failure spillpool_scan_compacted "the compacted table differs: $fp_after vs $fp_once"
        else
            for ((rep = 1; rep <= BENCH_REPS; rep++)); do
                if time_query "$(fingerprint_sql bench_compact_once)"; then
                    record_sample scan_one_flush "$LAST_VALUE"
                fi
                if time_query "$(fingerprint_sql bench_compact_small)"; then
                    record_sample spillpool_scan_compacted "$LAST_VALUE"
                else
                    record_failure spillpool_scan_compacted "$LAST_ERROR"
                    break
                fi
            done
        fi
    else
        record_failure spillpool_compact "$LAST_ERROR"
        record_failure spillpool_scan_compacted "no compaction"
        ensure_server_up
    fi
    for key in "${COMPACT_KEYS[@]}"; do finish_result "$key"; done
    log "  full scans (median of $SELECT_RUNS): one flush ${RESULT[scan_one_flush]:-?} ms," \
        "$COMPACT_FLUSHES shards ${RESULT[spillpool_scan_small_shards]:-?} ms, compacted ${RESULT[spillpool_scan_compacted]:-?} ms"
}

# ------------------------------------------------- g. streaming consumers

readonly CONSUME_KEYS=(spillpool_tail_p50 spillpool_tail_p99 spillpool_consume_unflushed select_unflushed
    spillpool_consume_flushed select_flushed)
readonly CONSUME_TABLE=bench_consume
readonly LATENCY_TABLE=bench_tail_latency
readonly LATENCY_COMMITS=1000
readonly LATENCY_GAP_MS=5
readonly CONSUME_BATCH=10000
# Debian's interpreter, which python3-psycopg2 installs into (a python3
# earlier on PATH, say from pyenv, would not see it)
readonly PYTHON=/usr/bin/python3
CONSUME_REASON=
CONSUME_TIERS=

fmt2() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }

# ------------------------------------------------- i. nearest neighbours
readonly KNN_KEYS=(knn_recall knn_p50 knn_p99 knn_cold exact_p50 exact_p99
    knn_flush_index knn_flush_noindex)
KNN_INFO=
fmt3() { awk -v x="$1" 'BEGIN { printf "%.3f", x }'; }

bench_knn() {
    section "i. nearest neighbours: $BENCH_KNN_ROWS vectors x 128, 10 shards + 20,000 unflushed, 1,000 queries (one run)"
    local key out=$WORK_DIR/knn.out line
    if [[ $SPILLPOOL_OK != 1 ]]; then
        for key in "${KNN_KEYS[@]}"; do record_failure "$key" "$SPILLPOOL_REASON"; done
        return 0
    fi
    if ! "$PYTHON" -c 'import numpy, psycopg2' 2>/dev/null; then
        log "  numpy or psycopg2 missing: apt-get install python3-numpy python3-psycopg2"
        { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-numpy python3-psycopg2; } \
            >"$WORK_DIR/apt-numpy.log" 2>&1 || true
    fi
    if ! "$PYTHON" -c 'import numpy, psycopg2' 2>/dev/null; then
        for key in "${KNN_KEYS[@]}"; do record_failure "$key" "python3 cannot import numpy and psycopg2"; done
        return 0
    fi
    if ! as_user "$PYTHON" "$SCRIPT_DIR/knn_bench.py" \
        --dsn "host=$WORK_DIR port=$BENCH_PORT dbname=postgres user=$BENCH_USER" \
        --rows "$BENCH_KNN_ROWS" --exact-queries "$BENCH_KNN_EXACT" >"$out" 2>&1; then
        LAST_ERROR=$(error_from_file "$out")
        for key in "${KNN_KEYS[@]}"; do record_failure "$key" "$LAST_ERROR"; done
        ensure_server_up
        return 0
    fi
    sed 's/^/  /' "$out"
    line=$(tail -n 1 "$out")
    knn_field() { sed -nE "s/.*(^| )$1=([^ ]+).*/\2/p" <<<"$line"; }
    record_sample knn_recall "$(knn_field recall)"
    record_sample knn_p50 "$(knn_field knn_p50_ms)"
    record_sample knn_p99 "$(knn_field knn_p99_ms)"
    record_sample knn_cold "$(knn_field knn_cold_ms)"
    record_sample exact_p50 "$(knn_field exact_p50_ms)"
    record_sample exact_p99 "$(knn_field exact_p99_ms)"
    record_sample knn_flush_index "$(knn_field flush_index_ms)"
    record_sample knn_flush_noindex "$(knn_field flush_noindex_ms)"
    for key in "${KNN_KEYS[@]}"; do finish_result "$key"; done
    KNN_INFO="shards $(knn_field shards), rows in shards $(knn_field shard_rows), unflushed $(knn_field unflushed),"
    KNN_INFO+=" exact scans agreeing with numpy $(knn_field exact_same) of $(knn_field exact_queries)"
    if [[ $(knn_field exact_same) != "$(knn_field exact_queries)" ]]; then
        record_failure exact_p50 "the exact scan disagrees with numpy's top 10"
    fi
}

# Makes sure /usr/bin/python3 can import psycopg2 (apt-get install
# python3-psycopg2, as test/setup.sh does); sets CONSUME_REASON otherwise.
ensure_psycopg2() {
    if [[ -x $PYTHON ]] && "$PYTHON" -c 'import psycopg2' 2>/dev/null; then
        return 0
    fi
    log "  psycopg2 missing: apt-get install python3 python3-psycopg2"
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3 python3-psycopg2; } \
        >"$WORK_DIR/apt-psycopg2.log" 2>&1; then
        CONSUME_REASON="apt-get install python3-psycopg2 failed"
        return 1
    fi
    "$PYTHON" -c 'import psycopg2' 2>/dev/null ||
        { CONSUME_REASON="$PYTHON cannot import psycopg2"; return 1; }
}

# The client side of section g: one process, one clock.
#   latency DSN TABLE COMMITS GAP_MS
#   drain DSN TABLE CONSUMER BATCH EXPECTED_ROWS
#   select DSN TABLE EXPECTED_ROWS
write_consume_client() {
    cat >"$WORK_DIR/consume_bench.py" <<'EOF'
import math
import statistics
import sys
import threading
import time

import psycopg2


def connect(dsn, autocommit=True):
    conn = psycopg2.connect(dsn)
    conn.autocommit = autocommit
    return conn


def latency(dsn, table, commits, gap_ms):
    """Writer and waiting reader on two connections of this process."""
    warm = 20
    total = warm + commits
    # the reader's and the writer's thread take turns on the GIL: switch
    # often, so that neither waits long for the other to print its clock
    sys.setswitchinterval(0.0001)
    writer = connect(dsn)
    reader = connect(dsn)
    wc = writer.cursor()
    wc.execute(f"DROP TABLE IF EXISTS {table}")
    wc.execute(f"CREATE TABLE {table} (id int, note text) USING spillpool")
    seen = {}
    errors = []
    done = threading.Event()

    def read():
        rc = reader.cursor()
        after = 0
        try:
            while not done.is_set() and len(seen) < total:
                rc.execute(f"SELECT t.position, (t.row).id FROM spillpool.tail(NULL::{table}, %s, 1000, '10s') t",
                           (after,))
                rows = rc.fetchall()
                now = time.perf_counter()
                for pos, i in rows:
                    if pos <= after:
                        errors.append(f"tail returned position {pos} after {after}")
                    after = max(after, pos)
                    if i in seen:
                        errors.append(f"row {i} returned twice")
                    seen.setdefault(i, now)
        except Exception as e:  # reported below
            if not done.is_set():
                errors.append(repr(e))

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    time.sleep(0.5)  # the reader is asleep in tail before the first commit
    committed = {}
    sent = {}
    for i in range(1, total + 1):
        time.sleep(gap_ms / 1000.0)
        sent[i] = time.perf_counter()
        wc.execute(f"INSERT INTO {table} VALUES (%s, 'x')", (i,))
        committed[i] = time.perf_counter()
    deadline = time.time() + 15
    while len(seen) < total and thread.is_alive() and time.time() < deadline:
        time.sleep(0.01)
    done.set()
    if thread.is_alive():
        reader.cancel()
        thread.join(5)
    wc.execute(f"DROP TABLE {table}")
    lat = sorted((seen[i] - committed[i]) * 1000.0 for i in range(warm + 1, total + 1) if i in seen)
    # the same from the moment the INSERT (its commit included) was sent
    lat_sent = sorted((seen[i] - sent[i]) * 1000.0 for i in range(warm + 1, total + 1) if i in seen)
    commit_ms = sorted((committed[i] - sent[i]) * 1000.0 for i in range(warm + 1, total + 1))
    missing = commits - len(lat)
    if not lat:
        print(f"latency error: no row came back; {'; '.join(errors)[:200]}")
        return 1
    p50 = statistics.median(lat)
    p99 = lat[max(0, math.ceil(0.99 * len(lat)) - 1)]
    print(f"latency commits={commits} missing={missing} errors={len(errors)} p50_ms={p50:.3f} p99_ms={p99:.3f} "
          f"min_ms={lat[0]:.3f} max_ms={lat[-1]:.3f} from_sent_p50_ms={statistics.median(lat_sent):.3f} "
          f"from_sent_p99_ms={lat_sent[max(0, math.ceil(0.99 * len(lat_sent)) - 1)]:.3f} "
          f"insert_p50_ms={statistics.median(commit_ms):.3f}")
    for e in errors[:3]:
        print(f"latency error: {e}")
    return 0 if missing == 0 and not errors else 1


def drain(dsn, table, consumer, batch, expected):
    """One consumer from position 0 to the end, each batch its own transaction."""
    conn = connect(dsn, autocommit=False)
    cur = conn.cursor()
    cur.execute("SELECT spillpool.reset_consumer(%s, %s, 0)", (table, consumer))
    conn.commit()
    rows = batches = 0
    start = time.perf_counter()
    while True:
        cur.execute(f"SELECT t.position, (t.row).* FROM spillpool.consume(NULL::{table}, %s, %s) t",
                    (consumer, batch))
        n = cur.rowcount
        conn.commit()
        if n == 0:
            break
        rows += n
        batches += 1
    secs = time.perf_counter() - start
    cur.execute("SELECT lag_rows FROM spillpool.consumers WHERE rel = %s::regclass AND consumer = %s",
                (table, consumer))
    lag = cur.fetchone()[0]
    conn.commit()
    print(f"drain rows={rows} batches={batches} seconds={secs:.3f} rows_per_s={rows / secs:.0f} lag_rows={lag}")
    return 0 if rows == expected and lag == 0 else 1


def select_all(dsn, table, expected):
    conn = connect(dsn)
    cur = conn.cursor()
    start = time.perf_counter()
    cur.execute(f"SELECT * FROM {table}")
    rows = cur.rowcount
    secs = time.perf_counter() - start
    print(f"select rows={rows} seconds={secs:.3f} rows_per_s={rows / secs:.0f}")
    return 0 if rows == expected else 1


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "latency":
        sys.exit(latency(args[0], args[1], int(args[2]), float(args[3])))
    if mode == "drain":
        sys.exit(drain(args[0], args[1], args[2], int(args[3]), int(args[4])))
    if mode == "select":
        sys.exit(select_all(args[0], args[1], int(args[2])))
    sys.exit(f"unknown mode {mode}")
EOF
}

# consume_client OUT ARGS...: runs the client; on failure sets LAST_ERROR.
consume_client() {
    local out=$1
    shift
    if "$PYTHON" "$WORK_DIR/consume_bench.py" "$@" >"$out" 2>"$WORK_DIR/consume_bench.err"; then
        return 0
    fi
    LAST_ERROR=$( { grep -m1 -E 'error|Error' "$out" || grep -m1 -E 'Error|error' "$WORK_DIR/consume_bench.err" ||
        tail -n 1 "$WORK_DIR/consume_bench.err"; } 2>/dev/null)
    LAST_ERROR="consume_bench.py $1 failed: ${LAST_ERROR:-no output}"
    LAST_ERROR=${LAST_ERROR:0:200}
    return 1
}

# One drain (consume) or select of the consume table as repetition $1 of
# measurement $2; records rows/s.
measure_drain() {
    local rep=$1 key=$2 mode=$3 dsn=$4 out=$WORK_DIR/consume_run.out
    local -a args
    [[ -n ${FAILURE[$key]:-} ]] && return 0
    if [[ $mode == drain ]]; then
        args=(drain "$dsn" "$CONSUME_TABLE" bench "$CONSUME_BATCH" "$DATA_ROWS")
    else
        args=(select "$dsn" "$CONSUME_TABLE" "$DATA_ROWS")
    fi
    if consume_client "$out" "${args[@]}"; then
        LAST_VALUE=$(sed -nE 's/.* rows_per_s=([0-9.]+).*/\1/p' "$out")
        record_sample "$key" "$LAST_VALUE"
        log "  rep $rep  $key: $(fmt0 "$LAST_VALUE") rows/s ($(sed -nE 's/.* seconds=([0-9.]+).*/\1/p' "$out") s)"
    else
        record_failure "$key" "$LAST_ERROR: $(head -n 1 "$out")"
        ensure_server_up
    fi
}

bench_consume() {
    section "g. streaming consumers: tail wake-up latency; consume drain of $DATA_ROWS rows vs SELECT * (median of $BENCH_REPS)"
    local key rep out=$WORK_DIR/consume_run.out
    if [[ $SPILLPOOL_OK != 1 ]]; then
        for key in "${CONSUME_KEYS[@]}"; do record_failure "$key" "$SPILLPOOL_REASON"; done
        return 0
    fi
    if ! ensure_psycopg2; then
        for key in "${CONSUME_KEYS[@]}"; do record_failure "$key" "$CONSUME_REASON"; done
        return 0
    fi
    write_consume_client
    local dsn="host=$WORK_DIR port=$BENCH_PORT dbname=postgres user=$BENCH_USER"

    # a. wake-up latency
    log "  latency: $LATENCY_COMMITS single-row commits ${LATENCY_GAP_MS} ms apart, a tail with wait => '10s' on another connection"
    for ((rep = 1; rep <= BENCH_REPS; rep++)); do
        [[ -n ${FAILURE[spillpool_tail_p50]:-} ]] && break
        if consume_client "$out" latency "$dsn" "$LATENCY_TABLE" "$LATENCY_COMMITS" "$LATENCY_GAP_MS"; then
            record_sample spillpool_tail_p50 "$(sed -nE 's/.* p50_ms=([-0-9.]+).*/\1/p' "$out")"
            record_sample spillpool_tail_p99 "$(sed -nE 's/.* p99_ms=([-0-9.]+).*/\1/p' "$out")"
            log "  rep $rep  $(head -n 1 "$out")"
        else
            record_failure spillpool_tail_p50 "$LAST_ERROR: $(head -n 1 "$out")"
            record_failure spillpool_tail_p99 "${FAILURE[spillpool_tail_p50]}"
            ensure_server_up
        fi
    done
    finish_result spillpool_tail_p50
    finish_result spillpool_tail_p99

    # b. drain rate, unflushed then flushed
    {
        echo "DROP TABLE IF EXISTS $CONSUME_TABLE;"
        echo "CREATE TABLE $CONSUME_TABLE ($TABLE_COLUMNS) USING spillpool;"
        echo "SELECT spillpool.alter_table('$CONSUME_TABLE', memory_limit => '$MEMORY_LIMIT'," \
            "flush_rows => 100000000, flush_bytes => '100GB', flush_interval => '1 day');"
        echo "COPY $CONSUME_TABLE FROM '$CSV_2M' WITH (FORMAT csv);"
        echo "CHECKPOINT;"
    } >"$WORK_DIR/consume_load.sql"
    if ! run_sql_file "$WORK_DIR/consume_load.sql" /dev/null; then
        for key in spillpool_consume_unflushed select_unflushed spillpool_consume_flushed select_flushed; do
            record_failure "$key" "loading $CONSUME_TABLE failed: $LAST_ERROR"
        done
        ensure_server_up
    else
        local st
        CONSUME_TIERS=$(psql_bench -c "SELECT concat_ws('|', memtable_rows, spilled_rows, shard_rows)
            FROM spillpool.stats('$CONSUME_TABLE')" 2>&1) || true
        log "  unflushed: memtable_rows|spilled_rows|shard_rows = $CONSUME_TIERS"
        for ((rep = 1; rep <= BENCH_REPS; rep++)); do
            # alternate the order: the machine is noisy
            if ((rep % 2)); then
                measure_drain "$rep" spillpool_consume_unflushed drain "$dsn"
                measure_drain "$rep" select_unflushed select "$dsn"
            else
                measure_drain "$rep" select_unflushed select "$dsn"
                measure_drain "$rep" spillpool_consume_unflushed drain "$dsn"
            fi
        done
        if psql_bench -c "SELECT spillpool.flush('$CONSUME_TABLE')" >/dev/null 2>"$WORK_DIR/consume_flush.err"; then
            st=$(psql_bench -c "SELECT concat_ws('|', memtable_rows, spilled_rows, shard_rows)
                FROM spillpool.stats('$CONSUME_TABLE')" 2>&1) || true
            log "  flushed:   memtable_rows|spilled_rows|shard_rows = $st"
            if [[ $st != "0|0|$DATA_ROWS" ]]; then
                record_failure spillpool_consume_flushed "after spillpool.flush not every row is in a shard: $st"
                record_failure select_flushed "${FAILURE[spillpool_consume_flushed]}"
            fi
            for ((rep = 1; rep <= BENCH_REPS; rep++)); do
                if ((rep % 2)); then
                    measure_drain "$rep" spillpool_consume_flushed drain "$dsn"
                    measure_drain "$rep" select_flushed select "$dsn"
                else
                    measure_drain "$rep" select_flushed select "$dsn"
                    measure_drain "$rep" spillpool_consume_flushed drain "$dsn"
                fi
            done
        else
            record_failure spillpool_consume_flushed "spillpool.flush failed: $(error_from_file "$WORK_DIR/consume_flush.err")"
            record_failure select_flushed "${FAILURE[spillpool_consume_flushed]}"
        fi
    fi
    psql_bench -c "SELECT spillpool.reset_consumer('$CONSUME_TABLE', 'bench', 0); DROP TABLE IF EXISTS $CONSUME_TABLE" \
        >/dev/null 2>&1 || psql_bench -c "DROP TABLE IF EXISTS $CONSUME_TABLE" >/dev/null 2>&1 || true
    for key in spillpool_consume_unflushed select_unflushed spillpool_consume_flushed select_flushed; do
        finish_result "$key"
    done

    log ""
    for key in "${CONSUME_KEYS[@]}"; do
        if [[ -z ${RESULT[$key]:-} ]]; then
            log "  $(printf '%-28s' "$key") FAILED (${FAILURE[$key]:-no result})"
        elif [[ $key == spillpool_tail_* ]]; then
            log "  $(printf '%-28s %12s ms' "$key" "$(fmt2 "${RESULT[$key]}")")"
        else
            log "  $(printf '%-28s %12s rows/s' "$key" "$(fmt0 "${RESULT[$key]}")")"
        fi
    done
    local v
    for key in spillpool_tail_p50:5 spillpool_tail_p99:50; do
        v=${RESULT[${key%%:*}]:-}
        if [[ -n $v ]]; then
            log "  target: ${key%%:*} <= ${key#*:} ms -> $(fmt2 "$v") ms $(verdict "$v" '<=' "${key#*:}")"
        else
            log "  target: ${key%%:*} <= ${key#*:} ms -> n/a"
        fi
    done
    print_target "consume drain/SELECT *, unflushed" spillpool_consume_unflushed select_unflushed '>=' 0.5
    print_target "consume drain/SELECT *, flushed" spillpool_consume_flushed select_flushed '>=' 0.5
}

# ------------------------------------------------------------------- main

main() {
    check_root
    install_packages_if_missing
    choose_bench_user
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    create_work_dir
    log "work dir: $WORK_DIR"
    ensure_spillpool_installed
    start_cluster
    generate_csv
    local only="BENCH_ONLY=${BENCH_ONLY}"
    if section_selected copy; then bench_copy; else skip_keys "$only" "${COPY_KEYS[@]}"; fi
    if section_selected insert; then bench_insert; else skip_keys "$only" "${INSERT_KEYS[@]}"; fi
    if section_selected select; then bench_select; else skip_keys "$only" select_heap spillpool_select; fi
    if section_selected memory; then
        bench_memory
    else
        skip_keys "$only" spillpool_mem spillpool_mem_anon spillpool_mem_shmem spillpool_mem_hwm \
            mem_heap_anon mem_heap_shmem mem_heap_hwm
    fi
    if section_selected flush; then
        bench_flush
    elif [[ $BENCH_SKIP_FLUSH == 1 ]]; then
        skip_keys "BENCH_SKIP_FLUSH=1" "${FLUSH_KEYS[@]}"
    else
        skip_keys "$only" "${FLUSH_KEYS[@]}"
    fi
    if section_selected analytics; then bench_analytics; fi
    if section_selected consume; then bench_consume; else skip_keys "$only" "${CONSUME_KEYS[@]}"; fi
    if section_selected compact; then bench_compact; else skip_keys "$only" "${COMPACT_KEYS[@]}"; fi
    if section_selected knn; then bench_knn; else skip_keys "$only" "${KNN_KEYS[@]}"; fi
    print_summary
}

main "$@"
