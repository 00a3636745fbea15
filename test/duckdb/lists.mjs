// lists.mjs - DuckDB reads the LIST columns of spillpool's shards and must
// see, row by row, what PostgreSQL has in a heap copy of the table.
//
//   node test/duckdb/lists.mjs EXPECTATIONS.json
//
// The expectations (test/t/020_parquet_lists.pl writes them) are
//   { "shards": ["/abs/.../1-0.parquet", ...],
//     "columns": [ { "name": "i4", "duckdb_type": "INTEGER[]", "kind": "int" }, ... ],
//     "rows": { "<id>": { "<column>": ["1", null, ...] | null, ... }, ... } }
// with every list as the array of its elements' canonical texts (null for
// a NULL element), null for a NULL array and for an array PostgreSQL
// stores as an exception (several dimensions: NULL to other readers).
// Canonical texts, PostgreSQL side / DuckDB side:
//   int, bool, text, uuid, decimal, numeric (text form)
//               e::text / CAST(e AS VARCHAR)
//   float4, float8  the IEEE 754 bits in hex (float4send/float8send) or
//               'NaN' / DuckDB's CAST(e AS VARCHAR), a round-trip form,
//               turned into its bits here
//   date        days since 1970-01-01 or 'infinity' / '-infinity'
//   timestamp, timestamptz  microseconds since 1970-01-01 (UTC) or
//               'infinity' / '-infinity'
// Prints "ok - ..." / "not ok - ...", then "N passed, N failed" and
// "1..N"; exits nonzero if anything failed.

import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { check, finish, ident, lit } from './tap.mjs';

// DuckDB SQL of an element's canonical text (floats finished in JS)
function elemSql(kind, e) {
  switch (kind) {
    case 'date':
      return `(CASE WHEN ${e} = 'infinity'::DATE THEN 'infinity' WHEN ${e} = '-infinity'::DATE THEN '-infinity' ` +
        `ELSE CAST(${e} - DATE '1970-01-01' AS VARCHAR) END)`;
    case 'timestamp':
    case 'timestamptz': {
      const T = kind === 'timestamp' ? 'TIMESTAMP' : 'TIMESTAMPTZ';
      return `(CASE WHEN ${e} = 'infinity'::${T} THEN 'infinity' WHEN ${e} = '-infinity'::${T} THEN '-infinity' ` +
        `ELSE CAST(epoch_us(${e}) AS VARCHAR) END)`;
    }
    default:
      return `CAST(${e} AS VARCHAR)`;
  }
}

// DuckDB's text of a float element as PostgreSQL's canonical form
function floatCanon(kind, s) {
  if (s === null) return null;
  const x = s === 'nan' || s === '-nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s);
  if (Number.isNaN(x)) return 'NaN';
  const dv = new DataView(new ArrayBuffer(8));
  if (kind === 'float4') dv.setFloat32(0, x);
  else dv.setFloat64(0, x);
  return [...new Uint8Array(dv.buffer, 0, kind === 'float4' ? 4 : 8)]
    .map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function main() {
  const exp = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  await con.run("SET TimeZone = 'UTC'");
  const files = `[${exp.shards.map(lit).join(', ')}]`;
  const cols = exp.columns;

  const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${files})`)).getRowObjectsJson();
  for (const c of cols) {
    const d = desc.find((r) => r.column_name === c.name) || {};
    check(d.column_type === c.duckdb_type, `${c.name}: DuckDB reads it as ${c.duckdb_type}`, d.column_type);
  }

  const sel = ['CAST(id AS VARCHAR) AS id'].concat(cols.map((c) =>
    `to_json(list_transform(${ident(c.name)}, lambda e: ${elemSql(c.kind, 'e')})) AS ${ident(c.name)}`));
  const got = (await con.runAndReadAll(`SELECT ${sel.join(', ')} FROM read_parquet(${files})`)).getRowObjectsJson();
  const want = exp.rows;
  check(got.length === Object.keys(want).length, `DuckDB reads ${Object.keys(want).length} rows`, got.length);
  for (const c of cols) {
    const bad = [];
    let elements = 0;
    for (const r of got) {
      let v = r[c.name] === null ? null : JSON.parse(r[c.name]);
      if (v !== null && (c.kind === 'float4' || c.kind === 'float8')) v = v.map((s) => floatCanon(c.kind, s));
      if (v !== null) elements += v.length;
      const w = (want[r.id] || {})[c.name];
      if (JSON.stringify(v) !== JSON.stringify(w === undefined ? 'missing' : w)) {
        bad.push(`id ${r.id}: DuckDB ${JSON.stringify(v)}, PostgreSQL ${JSON.stringify(w)}`);
      }
    }
    check(bad.length === 0, `${c.name}: every row as in PostgreSQL (${elements} elements)`,
      bad.slice(0, 5).join('; '));
  }
}

main().catch((e) => {
  check(false, 'unexpected error', e.stack || String(e));
}).finally(() => finish());
