#!/usr/bin/env bash
#
# test/bench.sh - spillpool performance benchmark against heap baselines.
#
# Usage (as root, from the checkout root):
#
#     bash test/bench.sh
#
# What it does:
#   * makes sure PostgreSQL 15 (+ pgbench) is installed and that spillpool.so
#     is installed (builds and installs it with PGXS if it is missing);
#   * creates a throwaway cluster in a temp dir (unix socket only, owned by the
#     unprivileged user "postgres", or "spillpool" which is created if needed),
#     with shared_preload_libraries='spillpool', spillpool.memory='1GB',
#     shared_buffers='1GB', max_wal_size='4GB', checkpoint_timeout='30min',
#     autovacuum=off (so background vacuums do not disturb timings);
#   * generates a deterministic 2,000,000-row CSV (id, ts, device, temp, msg)
#     and, for the memory test, streams a 10,000,000-row version through a FIFO;
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
#   * prints a Markdown summary table (also written to $BENCH_OUT if set).
#
# Each spillpool measurement is isolated: if it fails, its row reports
# "FAILED (error)" and the benchmark continues.  The cluster is stopped and
# the temp dir (including all generated data) removed on exit, even on error.
#
# Environment:
#   BENCH_REPS=3        repetitions per measurement (median is reported)
#   BENCH_SECONDS=10    pgbench duration (-T) per run
#   BENCH_SKIP_RSS=0    1 = skip the 10M-row peak-memory test (d)
#   BENCH_OUT=          also write the Markdown summary to this file
#   BENCH_NO_BUILD=0    1 = never run make; if spillpool.so is missing the
#                       spillpool rows report FAILED and heap baselines still run
#   BENCH_PORT=54329    port number of the throwaway cluster (socket only)
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
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_SKIP_RSS=${BENCH_SKIP_RSS:-0}
BENCH_OUT=${BENCH_OUT:-}
BENCH_NO_BUILD=${BENCH_NO_BUILD:-0}
BENCH_PORT=${BENCH_PORT:-54329}

readonly DATA_ROWS=2000000
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
    log "  spillpool.stats('bench_sel_sp'):"
    if as_user "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$WORK_DIR" -p "$BENCH_PORT" -d postgres \
        -x -c "SELECT * FROM spillpool.stats('bench_sel_sp')" >"$WORK_DIR/stats.out" 2>"$WORK_DIR/stats.err"; then
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
    local commit
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
        summary_row "COPY 2M rows, heap (ms)" copy_heap fmt1 "parse floor" copy_floor
        summary_row "COPY 2M rows, unlogged heap (ms)" copy_unlogged fmt1 "parse floor" copy_floor
        summary_row "COPY 2M rows, spillpool durability=commit (ms)" spillpool_copy_commit fmt1 "parse floor" copy_floor '<=' 1.25
        summary_row "COPY 2M rows, spillpool durability=none (ms)" spillpool_copy_none fmt1 "parse floor" copy_floor
        summary_row "INSERT tps, spillpool commit, sync on" spillpool_ins_commit_sync fmt0 "heap, sync on" ins_heap_sync '>=' 1.0
        summary_row "INSERT tps, spillpool none, sync off" spillpool_ins_none_async fmt0 "unlogged heap, sync off" ins_unlogged_async '>=' 0.95
        summary_row "SELECT count(*), avg(temp), 2M rows (ms)" spillpool_select fmt1 "heap" select_heap '<=' 1.5
        summary_row "COPY 10M rows, spillpool backend RssAnon+RssShmem peak (MB)" spillpool_mem fmt1 "budget: $RSS_TARGET_MB MB" "$RSS_TARGET_MB" '<=' 1.0
        summary_row "  of which RssAnon peak (MB)" spillpool_mem_anon fmt1 "heap COPY" mem_heap_anon
        summary_row "  of which RssShmem peak (MB)" spillpool_mem_shmem fmt1 "heap COPY" mem_heap_shmem
        summary_row "  VmHWM, total peak RSS incl. binaries (MB)" spillpool_mem_hwm fmt1 "heap COPY" mem_heap_hwm
        echo
        echo "Parse floor = \`COPY heap FROM file WITH (FORMAT csv) WHERE false\` (reads and parses, stores nothing)." \
            "The memory target applies to RssAnon+RssShmem (private memory plus the shared memtable pages the backend touched)."
    } >"$WORK_DIR/summary.md"
    section "summary"
    cat "$WORK_DIR/summary.md"
    if [[ -n $BENCH_OUT ]]; then
        cp "$WORK_DIR/summary.md" "$BENCH_OUT"
        log ""
        log "summary written to $BENCH_OUT"
    fi
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
    bench_copy
    bench_insert
    bench_select
    bench_memory
    print_summary
}

main "$@"
