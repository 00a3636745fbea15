// make_fixture_data.mjs - the Parquet half of make_fixture.py: writes the
// fixture table's data files with DuckDB and prints, as one JSON object on
// stdout, what the manifests need to say about each file.
//
//   node test/iceberg/make_fixture_data.mjs DATA_DIR
//
// Files (all with the Iceberg field ids of make_fixture.py's schema as
// Parquet field_ids, written with FIELD_IDS):
//   00000-a.parquet  ids 1, 9223372036854775807, -9223372036854775808 (snapshot 1)
//   00001-b.parquet  ids 4, 5                                          (snapshot 2)
//   00002-c.parquet  ids 4, 5, 6 with other values                      (snapshot 3, overwrites b)
// Output: {"<file name>": {"record_count": N, "value_counts": {"<field id>": N},
//          "null_value_counts": {...}, "nan_value_counts": {...},
//          "id_min": "<long>", "id_max": "<long>"}, ...}
import { DuckDBInstance } from '@duckdb/node-api';
import path from 'node:path';
import fs from 'node:fs';

// Column name -> [Iceberg field id, DuckDB type].  Keep in step with
// SCHEMA in make_fixture.py.
export const COLUMNS = [
  ['id', 1, 'BIGINT'],
  ['i', 2, 'INTEGER'],
  ['s', 3, 'INTEGER'], // a PostgreSQL smallint: Iceberg int
  ['d', 4, 'DOUBLE'],
  ['r', 5, 'FLOAT'],
  ['n', 6, 'DECIMAL(10,2)'],
  ['nb', 7, 'DECIMAL(20,4)'],
  ['t', 8, 'VARCHAR'],
  ['b', 9, 'BOOLEAN'],
  ['dt', 10, 'DATE'],
  ['ts', 11, 'TIMESTAMP'],
  ['tstz', 12, 'TIMESTAMPTZ'],
  ['u', 13, 'UUID'],
  ['bin', 14, 'BLOB'],
  ['tm', 15, 'TIME'],
];

// Rows as SQL literals, in column order.
const NULLS = COLUMNS.slice(1).map(() => 'NULL');
const FILES = {
  '00000-a.parquet': [
    ['1', '2147483647', '32767', '0.1', '0.1', '12345678.91', '12345678901.2345', `'hello'`, 'true',
      `'2024-02-29'`, `'2024-02-29 12:34:56.123456'`, `'2024-02-29 12:34:56.123456+00'`,
      `'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'`, `'\\x00\\xFF'`, `'12:34:56.5'`],
    ['9223372036854775807', '-2147483648', '-32768', `'NaN'`, `'-Infinity'`, '-0.01', '-1.0001',
      `'ünïcödé ✓ 🐘'`, 'false', `'1969-12-31'`, `'1969-12-31 23:59:59.999999'`,
      `'1970-01-01 00:00:00+00'`, `'00000000-0000-0000-0000-000000000000'`, `'\\xEF\\xBB\\xBF'`,
      `'00:00:00'`],
    ['-9223372036854775808', ...NULLS],
  ],
  '00001-b.parquet': [
    ['4', '0', '0', `'Infinity'`, '3.4028235e38', '0', '0', `''`, 'true', `'0001-01-01'`,
      `'0001-01-01 00:00:00'`, `'2000-01-01 00:00:00.000001+00'`,
      `'ffffffff-ffff-ffff-ffff-ffffffffffff'`, `''`, `'23:59:59.999999'`],
    ['5', '-1', '-1', `'-0.0'`, '1e-45', '99999999.99', '-99999999999.9999', `'a"b\\c' || chr(10) || 'tab' || chr(9)`,
      'false', `'9999-12-31'`, `'9999-12-31 23:59:59.999999'`, `'1900-01-01 00:00:00+00'`,
      `'12345678-9abc-def0-1234-56789abcdef0'`, `'\\xC3\\x28'`, `'00:00:00.000001'`],
  ],
  '00002-c.parquet': [
    ['4', '40', '4', '4.5', '-4.5', '4.00', '4.0000', `'four, rewritten'`, 'true', `'2024-01-04'`,
      `'2024-01-04 04:04:04'`, `'2024-01-04 04:04:04+00'`, `'44444444-4444-4444-4444-444444444444'`,
      `'\\x04'`, `'04:04:04'`],
    ['5', ...NULLS],
    ['6', '60', '6', '1e300', '1e-30', '-6.66', '6.0006', `'six'`, 'false', `'2024-01-06'`,
      `'2024-01-06 06:06:06.000006'`, `'2024-01-06 06:06:06.000006+00'`,
      `'66666666-6666-6666-6666-666666666666'`, `'\\x06\\x06'`, `'06:06:06.000006'`],
  ],
};

async function main() {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: node make_fixture_data.mjs DATA_DIR\n');
    process.exit(2);
  }
  fs.mkdirSync(dir, { recursive: true });
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await instance.connect();
  await con.run(`SET TimeZone = 'UTC'`);
  const fieldIds = `{${COLUMNS.map(([n, id]) => `${n}: ${id}`).join(', ')}}`;
  const out = {};
  for (const [name, rows] of Object.entries(FILES)) {
    const file = path.join(dir, name);
    const select = rows.map((r, k) => `SELECT ${k} AS _k, ${r.map((v, i) => `CAST(${v} AS ${COLUMNS[i][2]}) AS ${COLUMNS[i][0]}`).join(', ')}`).join(' UNION ALL ');
    const cols = COLUMNS.map(([n]) => n).join(', ');
    await con.run(`COPY (SELECT ${cols} FROM (${select}) ORDER BY _k) TO '${file}' (FORMAT parquet, FIELD_IDS ${fieldIds})`);
    const stats = { record_count: rows.length, value_counts: {}, null_value_counts: {}, nan_value_counts: {} };
    const exprs = [];
    for (const [n, id, type] of COLUMNS) {
      exprs.push(`count(*) AS "vc_${id}"`, `count(*) - count(${n}) AS "nc_${id}"`);
      if (type === 'DOUBLE' || type === 'FLOAT') exprs.push(`count(*) FILTER (WHERE isnan(${n})) AS "nan_${id}"`);
    }
    exprs.push('min(id)::VARCHAR AS id_min', 'max(id)::VARCHAR AS id_max');
    const reader = await con.runAndReadAll(`SELECT ${exprs.join(', ')} FROM read_parquet('${file}')`);
    const [row] = reader.getRowObjects();
    for (const [k, v] of Object.entries(row)) {
      const m = /^(vc|nc|nan)_(\d+)$/.exec(k);
      if (m) {
        const key = { vc: 'value_counts', nc: 'null_value_counts', nan: 'nan_value_counts' }[m[1]];
        stats[key][m[2]] = Number(v);
      } else stats[k] = v;
    }
    out[name] = stats;
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(`make_fixture_data.mjs: ${e.message}\n`);
  process.exit(1);
});
