#!/usr/bin/env bash
# Build, install and test spillpool against the Debian PostgreSQL 15 packages.
#
# Run as root from anywhere (typically the checkout root):
#   sudo bash test/run-tests.sh                 # all suites
#   sudo bash test/run-tests.sh regress tap     # only some suites
#   SPILLPOOL_TESTS='isolation|tap' bash test/run-tests.sh
#
# Steps:
#   1. test/setup.sh installs missing packages and picks an unprivileged user;
#   2. make + make install (as root) with the Debian PG 15 pg_config;
#   3. copies the checkout (without .git, node_modules and old test output)
#      to a fresh temporary directory owned by that user, because PostgreSQL
#      will not run as root;
#   4. as that user runs `make installcheck` once per suite (regress,
#      isolation, tap), disabling the other suites with empty REGRESS= /
#      ISOLATION= / TAP_TESTS= assignments so every suite runs even if an
#      earlier one fails;
#   5. runs the standalone C unit tests of the Parquet library, writer and
#      reader (`make -s -C test/parquet check`, which prints one
#      "N passed, N failed" line per test program; they are added up);
#   6. installs the npm dependencies of test/duckdb and test/iceberg (before
#      the TAP suite, whose tests 009 and 017 have DuckDB and icebird read
#      what they write, with SPILLPOOL_REQUIRE_DUCKDB=1 so they fail rather
#      than skip without them) and runs `node test/duckdb/check.mjs` as that
#      user: DuckDB reads the Parquet files the writer test produces; then
#      test/iceberg/selftest.sh checks the Iceberg readers themselves on a
#      table built by hand (skipped otherwise);
#   7. on failure prints the tails of regression.diffs, server logs and TAP
#      logs;
#   8. prints a final line "N passed, N failed" (individual tests, parsed
#      from pg_regress and prove output) and exits nonzero on any failure.
#
# Environment:
#   SPILLPOOL_TESTS        suites to run: any of regress, isolation, tap,
#                          unit, duckdb, all (separated by '|', ',' or spaces;
#                          default all). Positional arguments do the same.
#   SPILLPOOL_REGRESS      override the Makefile's REGRESS list
#   SPILLPOOL_ISOLATION    override the Makefile's ISOLATION list
#   SPILLPOOL_PROVE_TESTS  override the Makefile's PROVE_TESTS glob
#   SPILLPOOL_KEEP_WORKDIR=1  keep the temporary copy even if all tests pass
#                          (it is always kept when something fails)
set -euo pipefail

readonly PG_BINDIR=/usr/lib/postgresql/15/bin
readonly PG_CONFIG="$PG_BINDIR/pg_config"
readonly LOG_TAIL_LINES=200
readonly ALL_SUITES=(regress isolation tap unit duckdb)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly ROOT
TEST_USER=""
WORKDIR=""
LOGDIR=""
PASSED=0
FAILED=0
declare -A SELECTED=()
declare -a SUITE_RESULTS=()

say() { printf '\n=== %s\n' "$*"; }
die() { printf 'run-tests: ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- options

select_suites() {
    local spec="$*" word
    local -a words
    [[ -n "$spec" ]] || spec="${SPILLPOOL_TESTS:-all}"
    IFS='|, ' read -r -a words <<<"$spec"
    for word in "${words[@]}"; do
        [[ -n "$word" ]] || continue
        case "$word" in
            all) local s; for s in "${ALL_SUITES[@]}"; do SELECTED[$s]=1; done ;;
            regress|isolation|tap|unit|duckdb) SELECTED[$word]=1 ;;
            *) die "unknown test suite '$word' (use regress, isolation, tap, unit, duckdb or all)" ;;
        esac
    done
    [[ ${#SELECTED[@]} -gt 0 ]] || die "no test suites selected"
}

suite_selected() { [[ -n "${SELECTED[$1]:-}" ]]; }

# ---------------------------------------------------------------- setup/build

require_root() {
    [[ ${EUID} -eq 0 ]] || die "must run as root (try: sudo bash test/run-tests.sh)"
}

run_setup() {
    say "setup"
    bash "$ROOT/test/setup.sh" || die "test/setup.sh failed"
    TEST_USER=$(bash "$ROOT/test/setup.sh" --print-user)
    id -u "$TEST_USER" >/dev/null 2>&1 || die "test user '$TEST_USER' does not exist"
}

build_and_install() {
    say "build and install (PG_CONFIG=$PG_CONFIG)"
    make -C "$ROOT" -j"$(nproc)" PG_CONFIG="$PG_CONFIG" \
        && make -C "$ROOT" PG_CONFIG="$PG_CONFIG" install
}

# ---------------------------------------------------------------- work copy

# Copy the checkout into a new directory owned by the test user.
make_work_copy() {
    WORKDIR=$(mktemp -d /tmp/spillpool-test.XXXXXX)
    LOGDIR="$WORKDIR/.run-logs"
    say "copying checkout to $WORKDIR (owner $TEST_USER)"
    tar -C "$ROOT" -cf - \
        --exclude=./.git --exclude=node_modules --exclude=./demo --exclude=./test/parquet/build \
        --exclude=./tmp_check --exclude=./tmp_check_iso --exclude=./output_iso \
        --exclude=./results --exclude=./log \
        --exclude=./regression.diffs --exclude=./regression.out \
        . | tar -C "$WORKDIR" -xf -
    mkdir -p "$WORKDIR/.home" "$WORKDIR/.tmp" "$LOGDIR"
    chown -R "$TEST_USER:" "$WORKDIR"
    chmod 0755 "$WORKDIR"
}

# PATH for commands run as the test user; keeps a non-standard node dir.
user_path() {
    local path="$PG_BINDIR:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    local node
    node=$(command -v node 2>/dev/null || true)
    if [[ -n "$node" && ":$path:" != *":${node%/*}:"* ]]; then
        path="$path:${node%/*}"
    fi
    printf '%s\n' "$path"
}

# run_as_user DIR CMD... : run CMD in DIR as the test user with a clean,
# deterministic environment (C.UTF-8 locale, no stray PG* variables).
# TMPDIR keeps pg_regress/TAP socket directories inside the copy, so they
# are removed with it.
run_as_user() {
    local dir="$1"; shift
    runuser -u "$TEST_USER" -- env -i -C "$dir" \
        PATH="$(user_path)" HOME="$WORKDIR/.home" TMPDIR="$WORKDIR/.tmp" \
        USER="$TEST_USER" LOGNAME="$TEST_USER" \
        LANG=C.UTF-8 CI="${CI:-}" PG_CONFIG="$PG_CONFIG" \
        "$@" </dev/null
}

# Stop any server a crashed or interrupted test left running in the copy.
stop_leftover_servers() {
    local pidfile
    [[ -n "$WORKDIR" && -d "$WORKDIR" ]] || return 0
    while IFS= read -r pidfile; do
        run_as_user "$WORKDIR" "$PG_BINDIR/pg_ctl" -D "$(dirname "$pidfile")" -m immediate stop \
            >/dev/null 2>&1 || true
    done < <(find "$WORKDIR" -name postmaster.pid 2>/dev/null)
}

# A 16 MB tmpfs owned by the test user, for the full-disk TAP test (only
# root can mount it).  Sets FULL_DISK_DIR; false if it cannot be mounted.
FULL_DISK_DIR=
mount_full_disk() {
    local dir="$WORKDIR/.fulldisk"
    mkdir -p "$dir"
    if ! mount -t tmpfs -o "size=16m,mode=0700,uid=$(id -u "$TEST_USER"),gid=$(id -g "$TEST_USER")" \
        tmpfs "$dir" 2>"$LOGDIR/mount.err"; then
        say "tap: could not mount a tmpfs for the full-disk test ($(cat "$LOGDIR/mount.err")); it is skipped"
        return 1
    fi
    FULL_DISK_DIR=$dir
}

cleanup() {
    local status=$?
    stop_leftover_servers
    if [[ -n "$FULL_DISK_DIR" ]]; then
        umount "$FULL_DISK_DIR" 2>/dev/null || umount -l "$FULL_DISK_DIR" 2>/dev/null || true
    fi
    if [[ -n "$WORKDIR" && -d "$WORKDIR" ]]; then
        if [[ $status -eq 0 && $FAILED -eq 0 && -z "${SPILLPOOL_KEEP_WORKDIR:-}" ]]; then
            rm -rf "$WORKDIR"
        else
            printf 'run-tests: test copy kept for inspection: %s (remove with rm -rf)\n' "$WORKDIR" >&2
        fi
    fi
}

# ---------------------------------------------------------------- counting

record() {  # record SUITE PASSED FAILED NOTE
    PASSED=$((PASSED + $2))
    FAILED=$((FAILED + $3))
    SUITE_RESULTS+=("$(printf '%-10s %4d passed, %4d failed%s' "$1" "$2" "$3" "${4:+  ($4)}")")
}

# Count tests from pg_regress / pg_isolation_regress output.
count_pg_regress() {  # count_pg_regress SUITE LOGFILE STATUS
    local suite="$1" log="$2" status="$3" line n m k pass=0 fail=0 found=0
    while IFS= read -r line; do
        found=1
        if [[ "$line" =~ All\ ([0-9]+)\ tests\ passed ]]; then
            pass=$((pass + BASH_REMATCH[1]))
        elif [[ "$line" =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ passed,\ ([0-9]+)\ failed ]]; then
            pass=$((pass + BASH_REMATCH[1]))
        elif [[ "$line" =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ failed,\ ([0-9]+)\ of\ these ]]; then
            n=${BASH_REMATCH[1]} m=${BASH_REMATCH[2]} k=${BASH_REMATCH[3]}
            pass=$((pass + m - n + k)); fail=$((fail + n - k))
        elif [[ "$line" =~ ([0-9]+)\ of\ ([0-9]+)\ tests\ failed ]]; then
            n=${BASH_REMATCH[1]} m=${BASH_REMATCH[2]}
            pass=$((pass + m - n)); fail=$((fail + n))
        fi
    done < <(grep -E ' tests (passed|failed)' "$log" || true)
    local note=""
    if [[ $status -ne 0 && $fail -eq 0 ]]; then
        fail=1
        note="make exited $status"
        ((found)) || note="no pg_regress summary; $note"
    fi
    record "$suite" "$pass" "$fail" "$note"
}

# Count tests from prove output ("Files=N, Tests=M" and the summary report).
count_prove() {  # count_prove SUITE LOGFILE STATUS
    local suite="$1" log="$2" status="$3" line total=0 fail=0 died=0 note=""
    while IFS= read -r line; do
        if [[ "$line" =~ ^Files=[0-9]+,\ Tests=([0-9]+) ]]; then
            total=$((total + BASH_REMATCH[1]))
        elif [[ "$line" =~ Wstat:\ ([0-9]+).*\ Tests:\ [0-9]+\ Failed:\ ([0-9]+)\) ]]; then
            fail=$((fail + BASH_REMATCH[2]))
            if [[ ${BASH_REMATCH[2]} -eq 0 && ${BASH_REMATCH[1]} -ne 0 ]]; then
                died=$((died + 1))
            fi
        fi
    done < <(grep -E '^Files=[0-9]+, Tests=|\(Wstat: [0-9]+.* Failed: [0-9]+\)' "$log" || true)
    local pass=$((total > fail ? total - fail : 0))
    fail=$((fail + died))
    [[ $died -eq 0 ]] || note="$died test file(s) died"
    if [[ $status -ne 0 && $fail -eq 0 ]]; then
        fail=1
        note="make exited $status"
    fi
    record "$suite" "$pass" "$fail" "$note"
}

# ---------------------------------------------------------------- failure logs

print_tail() {
    local file="$1"
    [[ -f "$file" && -s "$file" ]] || return 0
    printf '\n----- last %d lines of %s -----\n' "$LOG_TAIL_LINES" "${file#"$WORKDIR"/}"
    tail -n "$LOG_TAIL_LINES" "$file"
}

# Diffs and server log of a pg_regress output directory; initdb's log only
# if the server never got as far as writing its own log.
print_pg_regress_logs() {
    print_tail "$1/regression.diffs"
    if [[ -s "$1/log/postmaster.log" ]]; then
        print_tail "$1/log/postmaster.log"
    else
        print_tail "$1/log/initdb.log"
    fi
}

show_failure_logs() {  # show_failure_logs SUITE
    local f
    say "$1 failed; relevant logs follow"
    case "$1" in
        regress)
            print_pg_regress_logs "$WORKDIR" ;;
        isolation)
            print_pg_regress_logs "$WORKDIR/output_iso" ;;
        tap)
            for f in "$WORKDIR"/tmp_check/log/*; do print_tail "$f"; done ;;
    esac
}

# ---------------------------------------------------------------- suites

# Make variables that leave only SUITE enabled in `make installcheck`.
make_vars_for() {
    case "$1" in
        regress)   printf '%s\n' "ISOLATION=" "TAP_TESTS="
                   [[ -z "${SPILLPOOL_REGRESS:-}" ]] || printf 'REGRESS=%s\n' "$SPILLPOOL_REGRESS" ;;
        isolation) printf '%s\n' "REGRESS=" "TAP_TESTS="
                   [[ -z "${SPILLPOOL_ISOLATION:-}" ]] || printf 'ISOLATION=%s\n' "$SPILLPOOL_ISOLATION" ;;
        tap)       printf '%s\n' "REGRESS=" "ISOLATION="
                   [[ -z "${SPILLPOOL_PROVE_TESTS:-}" ]] || printf 'PROVE_TESTS=%s\n' "$SPILLPOOL_PROVE_TESTS" ;;
    esac
}

tap_tests_present() {
    local pattern
    local -a patterns
    read -r -a patterns <<<"${SPILLPOOL_PROVE_TESTS:-test/t/*.pl}"
    for pattern in "${patterns[@]}"; do
        compgen -G "$WORKDIR/$pattern" >/dev/null && return 0
    done
    return 1
}

run_make_suite() {  # run_make_suite SUITE
    local suite="$1" log="$LOGDIR/$1.out" status=0
    local -a vars
    mapfile -t vars < <(make_vars_for "$suite")
    if [[ "$suite" == tap ]] && ! tap_tests_present; then
        say "tap: SKIPPED (no test/t/*.pl files)"
        SUITE_RESULTS+=("$(printf '%-10s skipped (no test files)' tap)")
        return 0
    fi
    if [[ "$suite" == tap ]]; then
        # TAP test 009 reads every shard it writes with DuckDB: it must run
        install_duckdb_modules || true
        vars+=("SPILLPOOL_REQUIRE_DUCKDB=1")
        # TAP test 013 fills a real file system: a small tmpfs
        if mount_full_disk; then
            vars+=("SPILLPOOL_FULL_DISK_DIR=$FULL_DISK_DIR")
        fi
    fi
    say "$suite: make installcheck ${vars[*]}"
    run_as_user "$WORKDIR" env "${vars[@]}" make PG_CONFIG="$PG_CONFIG" "${vars[@]}" installcheck 2>&1 \
        | tee "$log" || status=${PIPESTATUS[0]}
    if [[ "$suite" == tap ]]; then
        count_prove "$suite" "$log" "$status"
    else
        count_pg_regress "$suite" "$log" "$status"
    fi
    [[ $status -eq 0 ]] || show_failure_logs "$suite"
}

# Records SUITE from the last "N passed, N failed" line of LOG; a run that
# failed without such a line counts as one failure.
count_passed_failed() {  # count_passed_failed SUITE LOGFILE STATUS
    local suite="$1" log="$2" status="$3" line
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
    if [[ -n "$line" ]]; then
        local pass fail
        pass=${line%% passed*}
        fail=${line#*passed, }
        fail=${fail%% failed*}
        if [[ $status -ne 0 && $fail -eq 0 ]]; then fail=1; fi
        record "$suite" "$pass" "$fail" ""
    elif [[ $status -eq 0 ]]; then
        record "$suite" 1 0 "no count printed"
    else
        record "$suite" 0 1 "exited $status"
    fi
}

# The standalone C unit tests of the Parquet writer and reader.
run_unit_tests() {
    local status=0 log="$WORKDIR/unit.log"
    say "unit: C unit tests under test/parquet"
    : > "$log"
    if [[ -f "$WORKDIR/test/parquet/Makefile" ]]; then
        run_as_user "$WORKDIR" make -s -C test/parquet check 2>&1 \
            | tee -a "$log" || status=$?
    fi
    if [[ ! -s "$log" ]]; then
        SUITE_RESULTS+=("$(printf '%-10s skipped (no unit tests)' unit)")
        return 0
    fi
    # writer_test and reader_test each print "N passed, N failed"; add them up
    local pass=0 fail=0 line
    while IFS= read -r line; do
        pass=$((pass + ${line%% passed*}))
        line=${line#*passed, }
        fail=$((fail + ${line%% failed*}))
    done < <(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" || true)
    if [[ $status -ne 0 && $fail -eq 0 ]]; then fail=1; fi
    record unit "$pass" "$fail" ""
}

# Installs DuckDB's npm package into the work copy once (the duckdb suite
# and TAP test 009, which reads the shards the tests write, need it).
DUCKDB_MODULES=""
install_duckdb_modules() {
    local dir="$WORKDIR/test/duckdb"
    [[ -z "$DUCKDB_MODULES" ]] || { [[ "$DUCKDB_MODULES" == ok ]]; return; }
    DUCKDB_MODULES=failed
    [[ -f "$dir/package.json" ]] || return 1
    say "npm install in test/duckdb (@duckdb/node-api) and test/iceberg (icebird)"
    if run_as_user "$dir" env npm_config_update_notifier=false bash -c \
            'if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund && exit 0; fi
             npm install --no-audit --no-fund' 2>&1 &&
       { [[ ! -f "$WORKDIR/test/iceberg/package.json" ]] ||
         run_as_user "$WORKDIR/test/iceberg" env npm_config_update_notifier=false \
            npm ci --no-audit --no-fund 2>&1; }; then
        DUCKDB_MODULES=ok
    fi
    [[ "$DUCKDB_MODULES" == ok ]]
}

run_duckdb_check() {
    local dir="$WORKDIR/test/duckdb" status=0
    if [[ ! -f "$dir/package.json" ]]; then
        say "duckdb: SKIPPED (no test/duckdb/package.json)"
        SUITE_RESULTS+=("$(printf '%-10s skipped (no test/duckdb/package.json)' duckdb)")
        return 0
    fi
    say "duckdb: node test/duckdb/check.mjs"
    if ! install_duckdb_modules; then
        record duckdb 0 1 "npm install failed"
        return 0
    fi
    run_as_user "$WORKDIR" node test/duckdb/check.mjs 2>&1 | tee "$WORKDIR/duckdb.log" || status=$?
    count_passed_failed duckdb "$WORKDIR/duckdb.log" "$status"
    if [[ -f "$WORKDIR/test/iceberg/selftest.sh" ]]; then
        status=0
        say "duckdb: test/iceberg/selftest.sh (the Iceberg readers on a table built by hand)"
        run_as_user "$WORKDIR" bash test/iceberg/selftest.sh 2>&1 | tee "$WORKDIR/iceberg-selftest.log" \
            || status=${PIPESTATUS[0]}
        count_passed_failed iceberg-readers "$WORKDIR/iceberg-selftest.log" "$status"
    fi
}

print_summary() {
    local line
    say "summary"
    for line in "${SUITE_RESULTS[@]}"; do printf '  %s\n' "$line"; done
    printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
}

main() {
    select_suites "$@"
    require_root
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    run_setup
    if ! build_and_install; then
        record build 0 1 "make or make install failed"
        print_summary
        exit 1
    fi
    make_work_copy
    local suite
    for suite in regress isolation tap; do
        if suite_selected "$suite"; then run_make_suite "$suite"; fi
    done
    if suite_selected unit; then run_unit_tests; fi
    if suite_selected duckdb; then run_duckdb_check; fi
    print_summary
    [[ $FAILED -eq 0 ]]
}

main "$@"
