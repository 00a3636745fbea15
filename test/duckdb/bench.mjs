// bench.mjs - time DuckDB writing the writer benchmark's rows to Parquet.
//
// This file owns the DuckDB half of the writer benchmark; the other half
// is test/parquet/writer_bench.c.  Both write the same 2M rows of
// (id bigint, ts timestamptz, device int, temp float8, msg text):
//
//   id = i, ts = 2024-01-01 00:00:00+00 + i seconds, device = i % 1000,
//   temp = round(((i * 7919) % 10000) / 100.0, 2), msg = 'event ' || (i % 5000)
//
// DuckDB runs with one thread; the table is built in memory first (not
// timed), then `COPY t TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)`
// is timed, RUNS times.  Prints one line per run and a "median" line with
// elapsed ms and file bytes.
//
//   node test/duckdb/bench.mjs [OUTPUT_FILE [RUNS [ROWS]]]

import { DuckDBInstance } from '@duckdb/node-api';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = process.argv[2] || join(tmpdir(), 'spillpool-duckdb-bench.parquet');
const runs = Math.max(1, Number(process.argv[3] || 3));
const nrows = Math.max(1, Number(process.argv[4] || 2000000));

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run('SET threads = 1');
await con.run("SET TimeZone = 'UTC'");
await con.run(`CREATE TABLE t AS SELECT
    i::BIGINT AS id,
    TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i) AS ts,
    (i % 1000)::INTEGER AS device,
    round(((i * 7919) % 10000) / 100.0, 2)::DOUBLE AS temp,
    'event ' || (i % 5000) AS msg
  FROM range(${nrows}) r(i)`);
const version = (await (await con.runAndReadAll('SELECT version() AS v')).getRowObjectsJson())[0].v;

const times = [];
let bytes = 0;
for (let k = 0; k < runs; k++) {
  const t0 = performance.now();
  await con.run(`COPY t TO '${out.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`);
  const ms = performance.now() - t0;
  bytes = statSync(out).size;
  times.push(ms);
  console.log(`duckdb_bench run ${k + 1}: rows=${nrows} ms=${ms.toFixed(1)} bytes=${bytes} (DuckDB ${version}, threads=1)`);
}
times.sort((a, b) => a - b);
console.log(`duckdb_bench median: rows=${nrows} ms=${times[Math.floor(runs / 2)].toFixed(1)} bytes=${bytes}`);
