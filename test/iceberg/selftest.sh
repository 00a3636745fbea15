#!/usr/bin/env bash
# selftest.sh - check the Iceberg readers of this directory against a table
# built by hand (make_fixture.py), without spillpool.
#
#   bash test/iceberg/selftest.sh        # needs `npm ci` done in test/iceberg
#
# What it checks:
#   - read.mjs (icebird over serve.mjs) returns the expected rows for the
#     current snapshot, for each older snapshot id, for an older metadata
#     file, and for tables whose location is file:, s3: or http:;
#   - duckdb_files.mjs on the files `read.mjs --files` lists prints the same
#     lines, snapshot by snapshot;
#   - check_avro.py passes on the table and fails, with the expected line,
#     on each of make_fixture.py's --corrupt mistakes;
#   - serve.mjs answers HEAD with Content-Length, ranges with 206, and
#     refuses paths outside its root.
# Prints "ok"/"not ok" lines, then "N passed, N failed"; exits 1 on failure.
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
WORK=$(mktemp -d /tmp/iceberg-selftest.XXXXXX)
SERVER_PID=""
pass=0
fail=0

cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); echo "ok - $1"; }
notok() { fail=$((fail + 1)); echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/#   /' <<<"$2"; }
check() { # check DESC COMMAND...: passes when COMMAND exits 0
    local desc=$1; shift
    local out
    if out=$("$@" 2>&1); then ok "$desc"; else notok "$desc" "$out"; fi
}

if [ ! -d "$HERE/node_modules/icebird" ]; then
    echo "Bail out! run 'npm ci' in $HERE first"
    exit 1
fi

S1=5734839201938475121
S2=8000000000000000001
S3=42

# ---- the fixture and the server ---------------------------------------------
mkdir -p "$WORK/root"
$PY "$HERE/make_fixture.py" "$WORK/root/tbl" >/dev/null || { echo "Bail out! make_fixture.py failed"; exit 1; }
node "$HERE/serve.mjs" "$WORK/root" >"$WORK/port" 2>"$WORK/serve.err" &
SERVER_PID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
PORT=$(head -1 "$WORK/port")
[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "Bail out! serve.mjs printed no port"; cat "$WORK/serve.err"; exit 1; }
URL="http://127.0.0.1:$PORT/tbl"

# ---- serve.mjs ----------------------------------------------------------------
check "serve.mjs: HEAD, Range, 416 and escapes" node --input-type=module -e "
const base = 'http://127.0.0.1:$PORT';
const size = (await import('node:fs')).statSync('$WORK/root/tbl/data/00000-a.parquet').size;
const h = await fetch(base + '/tbl/data/00000-a.parquet', { method: 'HEAD' });
if (h.status !== 200 || Number(h.headers.get('content-length')) !== size) throw new Error('HEAD ' + h.status + ' ' + h.headers.get('content-length'));
const r = await fetch(base + '/tbl/data/00000-a.parquet', { headers: { Range: 'bytes=0-3' } });
if (r.status !== 206 || (await r.text()) !== 'PAR1' || r.headers.get('content-range') !== 'bytes 0-3/' + size) throw new Error('range ' + r.status);
const s = await fetch(base + '/tbl/data/00000-a.parquet', { headers: { Range: 'bytes=-4' } });
if (s.status !== 206 || (await s.text()) !== 'PAR1') throw new Error('suffix range ' + s.status);
const u = await fetch(base + '/tbl/data/00000-a.parquet', { headers: { Range: 'bytes=' + size + '-' } });
if (u.status !== 416) throw new Error('unsatisfiable range ' + u.status);
const e = await fetch(base + '/tbl/..%2f..%2fetc/passwd');
if (e.status !== 403) throw new Error('escape ' + e.status);
const d = await fetch(base + '/tbl/');
if (d.status !== 404) throw new Error('directory ' + d.status);
const p = await fetch(base + '/tbl/metadata/version-hint.text', { method: 'PUT', body: 'x' });
if (p.status !== 405) throw new Error('PUT ' + p.status);
"

# ---- read.mjs: expected rows ------------------------------------------------------
cat >"$WORK/expect_s2" <<'EOF'
{"id":"4","i":0,"s":0,"d":"Infinity","r":3.4028235e+38,"n":"0.00","nb":"0.0000","t":"","b":true,"dt":"0001-01-01","ts":"-62135596800000000","tstz":"946684800000001","u":"ffffffff-ffff-ffff-ffff-ffffffffffff","bin":"","tm":"23:59:59.999999"}
{"id":"5","i":-1,"s":-1,"d":"-0","r":1e-45,"n":"99999999.99","nb":"-99999999999.9999","t":"a\"b\\c\ntab\t","b":false,"dt":"9999-12-31","ts":"253402300799999999","tstz":"-2208988800000000","u":"12345678-9abc-def0-1234-56789abcdef0","bin":"c328","tm":"00:00:00.000001"}
{"id":"1","i":2147483647,"s":32767,"d":0.1,"r":0.1,"n":"12345678.91","nb":"12345678901.2345","t":"hello","b":true,"dt":"2024-02-29","ts":"1709210096123456","tstz":"1709210096123456","u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","bin":"00ff","tm":"12:34:56.5"}
{"id":"9223372036854775807","i":-2147483648,"s":-32768,"d":"NaN","r":"-Infinity","n":"-0.01","nb":"-1.0001","t":"ünïcödé ✓ 🐘","b":false,"dt":"1969-12-31","ts":"-1","tstz":"0","u":"00000000-0000-0000-0000-000000000000","bin":"efbbbf","tm":"00:00:00"}
{"id":"-9223372036854775808","i":null,"s":null,"d":null,"r":null,"n":null,"nb":null,"t":null,"b":null,"dt":null,"ts":null,"tstz":null,"u":null,"bin":null,"tm":null}
EOF
cat >"$WORK/expect_s3_ids" <<'EOF'
{"id":"4","t":"four, rewritten"}
{"id":"5","t":null}
{"id":"6","t":"six"}
{"id":"1","t":"hello"}
{"id":"9223372036854775807","t":"ünïcödé ✓ 🐘"}
{"id":"-9223372036854775808","t":null}
EOF
same() { # same DESC EXPECTED_FILE COMMAND...
    local desc=$1 expect=$2; shift 2
    local out
    if out=$("$@" 2>"$WORK/err"); then
        if [ "$out" == "$(cat "$expect")" ]; then ok "$desc"; else notok "$desc" "$(diff <(echo "$out") "$expect")"; fi
    else
        notok "$desc" "exit $?: $(cat "$WORK/err")"
    fi
}
same "read.mjs --snapshot S2: all types, exact values" "$WORK/expect_s2" node "$HERE/read.mjs" "$URL" --snapshot $S2
same "read.mjs: current snapshot (S3, overwrite)" "$WORK/expect_s3_ids" node "$HERE/read.mjs" "$URL" --columns id,t
same "read.mjs --snapshot S3 == current" "$WORK/expect_s3_ids" node "$HERE/read.mjs" "$URL" --snapshot $S3 --columns id,t
same "read.mjs --ref main == current" "$WORK/expect_s3_ids" node "$HERE/read.mjs" "$URL" --ref main --columns id,t
same "read.mjs metadata URL v3 == S2" "$WORK/expect_s2" node "$HERE/read.mjs" "$URL/metadata/v3.metadata.json"
same "read.mjs --metadata v3.metadata.json == S2" "$WORK/expect_s2" node "$HERE/read.mjs" "$URL" --metadata v3.metadata.json
printf '{"id":"1"}\n{"id":"9223372036854775807"}\n{"id":"-9223372036854775808"}\n' >"$WORK/expect_s1"
same "read.mjs --snapshot S1 (id above 2^53)" "$WORK/expect_s1" node "$HERE/read.mjs" "$URL" --snapshot $S1 --columns id
: >"$WORK/empty"
same "read.mjs on v1 (no snapshot): no rows" "$WORK/empty" node "$HERE/read.mjs" "$URL" --metadata v1.metadata.json

out=$(node "$HERE/read.mjs" "$URL" --snapshots 2>&1)
if [ "$(grep -c '"current":true' <<<"$out")" = 1 ] && grep -q "\"snapshot-id\":\"$S1\"" <<<"$out" \
    && grep -q "\"snapshot-id\":\"$S3\",\"parent-snapshot-id\":\"$S2\"" <<<"$out"; then
    ok "read.mjs --snapshots: exact ids, one current"
else notok "read.mjs --snapshots" "$out"; fi
out=$(node "$HERE/read.mjs" "$URL" --entries 2>&1)
if grep -q '"status":2,"snapshot_id":"42","sequence_number":"2","file_sequence_number":"2".*00001-b' <<<"$out" \
    && grep -q '"status":1,"snapshot_id":"42","sequence_number":"3","file_sequence_number":"3".*00002-c' <<<"$out"; then
    ok "read.mjs --entries: deleted entry and inherited sequence numbers"
else notok "read.mjs --entries" "$out"; fi

# errors: exit 1 and one clear line
err() { # err DESC REGEX COMMAND...
    local desc=$1 re=$2; shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    if [ $rc = 1 ] && grep -Eq "$re" <<<"$out"; then ok "$desc"; else notok "$desc" "exit $rc: $out"; fi
}
err "read.mjs: unknown snapshot" "snapshot 123 is not in the metadata" node "$HERE/read.mjs" "$URL" --snapshot 123
err "read.mjs: S1 rounded to a double is not S1" "is not in the metadata" node "$HERE/read.mjs" "$URL" --snapshot 5734839201938475008
err "read.mjs: no such table" "version-hint.text: HTTP 404" node "$HERE/read.mjs" "http://127.0.0.1:$PORT/nosuch"
err "read.mjs: unknown column" "no column zz" node "$HERE/read.mjs" "$URL" --columns id,zz

# ---- DuckDB agrees, snapshot by snapshot -------------------------------------------
for s in $S1 $S2 $S3; do
    node "$HERE/read.mjs" "$URL" --snapshot $s >"$WORK/ice_$s" 2>"$WORK/err" || notok "read.mjs --snapshot $s" "$(cat "$WORK/err")"
    node "$HERE/read.mjs" "$URL" --snapshot $s --files >"$WORK/files_$s" 2>"$WORK/err" || notok "read.mjs --files $s" "$(cat "$WORK/err")"
    same "duckdb_files.mjs == read.mjs for snapshot $s" "$WORK/ice_$s" node "$HERE/duckdb_files.mjs" $(cat "$WORK/files_$s")
done
out=$(node "$HERE/duckdb_files.mjs" --field-ids "$WORK/root/tbl/data/00000-a.parquet" 2>&1)
if grep -q '"columns":{"id":1,"i":2,.*"tm":15}' <<<"$out"; then ok "duckdb_files.mjs --field-ids"; else notok "duckdb_files.mjs --field-ids" "$out"; fi

# ---- other table locations ----------------------------------------------------------
for loc in "s3://bucket/wh/t_s3" "http://127.0.0.1:$PORT/t_http" "file://$WORK/root/t_file"; do
    name=${loc##*/}
    $PY "$HERE/make_fixture.py" "$WORK/root/$name" --location "$loc" >/dev/null
    same "read.mjs, location $loc" "$WORK/expect_s3_ids" node "$HERE/read.mjs" "http://127.0.0.1:$PORT/$name" --columns id,t
    check "check_avro.py, location $loc" $PY "$HERE/check_avro.py" "$WORK/root/$name" --all-versions
    node "$HERE/read.mjs" "http://127.0.0.1:$PORT/$name" --files >"$WORK/files_$name"
    same "duckdb_files.mjs --prefix, location $loc" "$WORK/expect_s3_ids" \
        node "$HERE/duckdb_files.mjs" --table-dir "$WORK/root/$name" --prefix "$loc" --columns id,t - <"$WORK/files_$name"
done

# ---- check_avro.py ----------------------------------------------------------------------
out=$($PY "$HERE/check_avro.py" "$WORK/root/tbl" --all-versions 2>&1)
if [ $? = 0 ] && [ "$out" = "ok: 3 manifests, 4 entries" ]; then ok "check_avro.py on the fixture"; else notok "check_avro.py on the fixture" "$out"; fi
corrupt() { # corrupt KIND REGEX
    rm -rf "$WORK/bad"
    $PY "$HERE/make_fixture.py" "$WORK/bad" --corrupt "$1" >/dev/null
    local out rc
    out=$($PY "$HERE/check_avro.py" "$WORK/bad" 2>&1); rc=$?
    if [ $rc = 1 ] && grep -Eq "$2" <<<"$out" && grep -q '^FAILED: ' <<<"$out"; then ok "check_avro.py catches --corrupt $1"
    else notok "check_avro.py catches --corrupt $1" "exit $rc: $out"; fi
}
corrupt field-id 'data_file.record_count: field-id is 999, the spec says 103'
corrupt map-key-id 'value_counts.key: field-id is 1119, the spec says 119'
corrupt added-count 'added_files_count 2 != 1 entries with status 1'
corrupt manifest-length 'manifest_length [0-9]+ != size of metadata/m3-.* on disk'
corrupt record-count 'record_count is 0, not a positive count'
corrupt missing-file 'no-such-file.parquet does not exist'
corrupt metadata-key 'file metadata key "partition-spec-id" missing'
corrupt seq-number 'file metadata "sequence-number" is .7., want .3.'

echo "$pass passed, $fail failed"
[ $fail = 0 ]
