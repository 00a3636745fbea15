// flush_bench.mjs - the DuckDB baseline of test/bench.sh's flush section.
//
// test/bench.sh times `SELECT spillpool.flush('t')` writing the rows of its
// deterministic CSV (id, ts, device, temp, msg) into one zstd Parquet shard.
// This script is the baseline: DuckDB (one thread) reads the SAME CSV into an
// in-memory table (not timed) with the same column types
//
//   id BIGINT, ts TIMESTAMPTZ, device INTEGER, temp DOUBLE, msg VARCHAR
//
// then times `COPY t TO 'OUTPUT' (FORMAT parquet, COMPRESSION zstd)`, RUNS
// times (the file is removed before each run).  Output, one line each:
//
//   duckdb_flush version: <DuckDB version> threads=1
//   duckdb_flush fingerprint: rows|sum_id|sum_device|sum_temp_x100|sum_epoch|sum_msg_len
//   duckdb_flush run K: rows=N ms=X bytes=B
//   duckdb_flush median: rows=N ms=X bytes=B
//   duckdb_flush file: row_groups=G codecs=ZSTD
//
// The fingerprint lets bench.sh check that DuckDB holds exactly the rows the
// PostgreSQL side loaded.  With --metadata, it instead prints the compressed
// and uncompressed bytes and encodings per column of each Parquet FILE (used
// to compare spillpool's shard with DuckDB's file):
//
//   node test/duckdb/flush_bench.mjs CSV OUTPUT [RUNS]
//   node test/duckdb/flush_bench.mjs --metadata FILE...

import { DuckDBInstance } from '@duckdb/node-api';
import { rmSync, statSync } from 'node:fs';

const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;

async function rows(con, sql) {
  return (await con.runAndReadAll(sql)).getRowObjectsJson();
}

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run('SET threads = 1');
await con.run("SET TimeZone = 'UTC'");

if (process.argv[2] === '--metadata') {
  for (const file of process.argv.slice(3)) {
    const F = quote(file);
    const meta = (await rows(con, `SELECT num_rows::VARCHAR AS n, created_by FROM parquet_file_metadata(${F})`))[0];
    const rgs = (await rows(con, `SELECT count(DISTINCT row_group_id)::VARCHAR AS g FROM parquet_metadata(${F})`))[0].g;
    console.log(`parquet_metadata ${file}: rows=${meta.n} row_groups=${rgs} bytes=${statSync(file).size} created_by=${meta.created_by}`);
    const cols = await rows(con, `SELECT path_in_schema AS col,
        sum(total_compressed_size)::VARCHAR AS comp,
        sum(total_uncompressed_size)::VARCHAR AS raw,
        string_agg(DISTINCT compression, ',') AS codec,
        string_agg(DISTINCT encodings, ',') AS enc,
        bool_or(dictionary_page_offset IS NOT NULL)::VARCHAR AS dict
      FROM parquet_metadata(${F}) GROUP BY path_in_schema, column_id ORDER BY column_id`);
    for (const c of cols) {
      console.log(`  ${c.col.padEnd(8)} compressed=${c.comp.padStart(10)} uncompressed=${c.raw.padStart(10)} codec=${c.codec} encodings=${c.enc} dictionary=${c.dict}`);
    }
  }
  process.exit(0);
}

const csv = process.argv[2];
const out = process.argv[3];
const runs = Math.max(1, Number(process.argv[4] || 3));
if (!csv || !out) {
  console.error('usage: node flush_bench.mjs CSV OUTPUT [RUNS] | --metadata FILE...');
  process.exit(2);
}

const version = (await rows(con, 'SELECT version() AS v'))[0].v;
console.log(`duckdb_flush version: ${version} threads=1`);

// Not timed: the same rows, same order, same types as the PostgreSQL tables.
await con.run('CREATE TABLE t (id BIGINT, ts TIMESTAMPTZ, device INTEGER, temp DOUBLE, msg VARCHAR)');
await con.run(`COPY t FROM ${quote(csv)} (FORMAT csv, HEADER false)`);
const fp = (await rows(con, `SELECT concat_ws('|', count(*), sum(id), sum(device),
    sum(round(temp * 100)::BIGINT), sum(epoch(ts)::BIGINT), sum(length(msg))) AS f FROM t`))[0].f;
console.log(`duckdb_flush fingerprint: ${fp}`);
const nrows = Number(fp.split('|')[0]);

const times = [];
let bytes = 0;
for (let k = 0; k < runs; k++) {
  rmSync(out, { force: true });
  const t0 = performance.now();
  await con.run(`COPY t TO ${quote(out)} (FORMAT parquet, COMPRESSION zstd)`);
  const ms = performance.now() - t0;
  bytes = statSync(out).size;
  times.push(ms);
  console.log(`duckdb_flush run ${k + 1}: rows=${nrows} ms=${ms.toFixed(1)} bytes=${bytes}`);
}
times.sort((a, b) => a - b);
const mid = times.length % 2 ? times[(times.length - 1) / 2]
  : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
console.log(`duckdb_flush median: rows=${nrows} ms=${mid.toFixed(1)} bytes=${bytes}`);
const f = (await rows(con, `SELECT count(DISTINCT row_group_id)::VARCHAR AS g,
    string_agg(DISTINCT compression, ',') AS c FROM parquet_metadata(${quote(out)})`))[0];
console.log(`duckdb_flush file: row_groups=${f.g} codecs=${f.c}`);
