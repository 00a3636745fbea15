// query.mjs - run one SQL query in DuckDB (in memory, one thread) and print
// its rows, one line each, the columns separated by tabs, NULL as \N.
//
//   node test/duckdb/query.mjs "SELECT ... FROM read_parquet('/abs/x.parquet')"
//
// TAP tests use it to have DuckDB, as an independent reader, compute the
// same per-row fingerprints of a shard that PostgreSQL computes of the
// table.  Values are printed as DuckDB's own text form of each column
// (cast the columns to VARCHAR in the query for a stable form).  A DuckDB
// error is printed to stderr and the exit status is 1.
import { DuckDBInstance } from '@duckdb/node-api';

async function main() {
  const sql = process.argv[2];
  if (!sql) {
    console.error('usage: node query.mjs SQL');
    process.exit(2);
  }
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await instance.connect();
  const reader = await con.runAndReadAll(sql);
  const lines = [];
  for (const row of reader.getRows()) {
    lines.push(row.map((v) => (v === null ? '\\N' : String(v))).join('\t'));
  }
  process.stdout.write(lines.length ? lines.join('\n') + '\n' : '');
}

main().catch((e) => {
  console.error(`duckdb: ${e.message}`);
  process.exit(1);
});
