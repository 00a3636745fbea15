// analytics_bench.mjs - the DuckDB baseline of test/bench.sh's analytics
// section: the same queries over the same Parquet shard files that
// spillpool wrote.
//
//   node test/duckdb/analytics_bench.mjs QUERIES.json THREADS RUNS SHARD...
//
// QUERIES.json is a list of {"name": ..., "sql": ...} whose SQL reads the
// view "t" (the shard files, via read_parquet) and the table "dim"
// (device INTEGER, name VARCHAR) of 1,000 rows, as test/bench.sh builds
// them on the PostgreSQL side.  Each query runs once to warm up, then RUNS
// timed times; output, one line per query:
//
//   analytics NAME ms=MEDIAN rows=N
//
// and first a line "analytics version: <DuckDB version> threads=THREADS".
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const [queriesFile, threads, runs, ...files] = process.argv.slice(2);
if (!queriesFile || !threads || !runs || files.length === 0) {
  console.error('usage: node analytics_bench.mjs QUERIES.json THREADS RUNS SHARD...');
  process.exit(2);
}
const quote = (s) => `'${String(s).replaceAll("'", "''")}'`;
const queries = JSON.parse(readFileSync(queriesFile, 'utf8'));

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run(`SET threads = ${Number(threads)}`);
await con.run("SET TimeZone = 'UTC'");
await con.run(`CREATE VIEW t AS SELECT * FROM read_parquet([${files.map(quote).join(', ')}])`);
await con.run(`CREATE TABLE dim AS SELECT i::INTEGER AS device, 'device ' || i AS name
  FROM range(0, 1000) AS r(i)`);
const version = (await con.runAndReadAll('SELECT version()')).getRows()[0][0];
console.log(`analytics version: ${version} threads=${threads}`);

for (const q of queries) {
  let nrows = 0;
  const times = [];
  for (let i = 0; i <= Number(runs); i++) {
    const start = process.hrtime.bigint();
    const reader = await con.runAndReadAll(q.sql);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    nrows = reader.getRows().length;
    if (i > 0) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`analytics ${q.name} ms=${median.toFixed(2)} rows=${nrows}`);
}
