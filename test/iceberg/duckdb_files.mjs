// duckdb_files.mjs - read Parquet data files with DuckDB and print every row
// as one JSON line, in the same normalised form as read.mjs (see
// normalize.mjs for the table of forms), in file order, then row order.
//
//   node test/iceberg/duckdb_files.mjs [options] FILE.parquet...
//   node read.mjs --files URL | node test/iceberg/duckdb_files.mjs [options] -
//
// FILE may be a local path or a file:// URL; "-" reads more names from stdin,
// one a line (empty lines ignored).  Options:
//   --columns a,b      print only these columns, in this order
//   --union-by-name    let files with different column sets be read together
//                      (read_parquet's union_by_name; off by default so that a
//                      file whose columns differ is an error)
//   --table-dir DIR --prefix P
//                      a name that starts with P (e.g. the table location,
//                      s3://b/t) has P replaced by DIR (repeatable --prefix);
//                      other file:// URLs are turned into paths
//   --field-ids        print, per file, the Parquet field_id of each top-level
//                      column instead of rows: {"file":..., "columns":{"a":1,...}}
//                      (DuckDB's parquet_schema(); for checking the ids a
//                      writer put in the Parquet schema)
// Exit status: 0 on success, 1 on any error (message on stderr), 2 on bad usage.
//
// The files are read in one read_parquet([...]) call with filename and
// file_row_number, and ordered by (position of the file in the list,
// row number in the file), so the order never depends on DuckDB's threads.
import { DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import {
  dateFromDays, decimalFromUnscaled, double, float32, hex, timeFromMicros,
} from './normalize.mjs';

function usage(msg) {
  if (msg) process.stderr.write(`duckdb_files.mjs: ${msg}\n`);
  process.stderr.write('usage: node duckdb_files.mjs [--columns a,b] [--union-by-name] [--table-dir DIR --prefix P...] [--field-ids] FILE...|-\n');
  process.exit(2);
}

// value: a DuckDBValue (or JS primitive) from @duckdb/node-api getRows();
// type: its DuckDBType.
export function normalizeDuck(value, type) {
  if (value === null || value === undefined) return null;
  switch (DuckDBTypeId[type.typeId]) {
    case 'BOOLEAN':
      return Boolean(value);
    case 'TINYINT': case 'SMALLINT': case 'INTEGER':
    case 'UTINYINT': case 'USMALLINT': case 'UINTEGER':
      return Number(value);
    case 'BIGINT': case 'UBIGINT': case 'HUGEINT': case 'UHUGEINT':
      return BigInt(value).toString();
    case 'FLOAT':
      return float32(value);
    case 'DOUBLE':
      return double(value);
    case 'DECIMAL':
      return decimalFromUnscaled(value.value, value.scale);
    case 'VARCHAR':
      return String(value);
    case 'UUID':
      return value.toString().toLowerCase();
    case 'BLOB':
      return hex(value.bytes);
    case 'DATE':
      return dateFromDays(value.days);
    case 'TIME':
      return timeFromMicros(value.micros);
    case 'TIMESTAMP': case 'TIMESTAMP_TZ':
      return BigInt(value.micros).toString();
    case 'TIMESTAMP_MS':
      return (BigInt(value.millis) * 1000n).toString();
    case 'TIMESTAMP_S':
      return (BigInt(value.seconds) * 1000000n).toString();
    case 'TIMESTAMP_NS':
      return (BigInt(value.nanos) / 1000n).toString();
    case 'LIST': case 'ARRAY':
      return value.items.map((v) => normalizeDuck(v, type.valueType));
    case 'STRUCT': {
      const out = {};
      type.entryNames.forEach((n, i) => {
        out[n] = normalizeDuck(value.entries[n], type.entryTypes[i]);
      });
      return out;
    }
    case 'MAP':
      return value.entries.map(({ key, value: v }) => [normalizeDuck(key, type.keyType), normalizeDuck(v, type.valueType)]);
    default:
      throw new Error(`unsupported DuckDB type ${type.toString()}`);
  }
}

function sqlString(s) {
  return `'${s.replace(/'/g, "''")}'`;
}

function sqlIdent(s) {
  return `"${s.replace(/"/g, '""')}"`;
}

async function main() {
  const argv = process.argv.slice(2);
  let columns;
  let unionByName = false;
  let fieldIds = false;
  const prefixes = [];
  let tableDir;
  const names = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--columns') {
      if (argv[i + 1] === undefined) usage('--columns needs a value');
      columns = argv[++i].split(',').map((c) => c.trim()).filter(Boolean);
    } else if (a === '--union-by-name') unionByName = true;
    else if (a === '--field-ids') fieldIds = true;
    else if (a === '--prefix') {
      if (argv[i + 1] === undefined) usage('--prefix needs a value');
      prefixes.push(argv[++i].replace(/\/+$/, ''));
    } else if (a === '--table-dir') {
      if (argv[i + 1] === undefined) usage('--table-dir needs a value');
      tableDir = argv[++i].replace(/\/+$/, '');
    } else if (a === '-') {
      names.push(...fs.readFileSync(0, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean));
    } else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else names.push(a);
  }
  if (names.length === 0) usage('no files');
  if (prefixes.length && tableDir === undefined) usage('--prefix needs --table-dir');
  prefixes.sort((a, b) => b.length - a.length);
  const files = names.map((n) => {
    const p = prefixes.find((x) => n === x || n.startsWith(x + '/'));
    if (p !== undefined) {
      n = tableDir + n.slice(p.length);
      if (/^[a-z][a-z0-9+.-]*:/i.test(p)) n = decodeURIComponent(n);
    } else if (n.startsWith('file:')) n = fileURLToPath(n);
    if (!fs.existsSync(n)) throw new Error(`no such file: ${n}`);
    return n;
  });

  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const con = await instance.connect();
  const list = `[${files.map(sqlString).join(', ')}]`;

  if (fieldIds) {
    // parquet_schema gives one row per schema element; the top-level columns
    // are the children of the root (the first row of each file).
    const reader = await con.runAndReadAll(
      `SELECT file_name, name, field_id, num_children FROM parquet_schema(${list})`);
    const rowsByFile = new Map();
    for (const [file, name, fid, nchild] of reader.getRows()) {
      if (!rowsByFile.has(file)) rowsByFile.set(file, []);
      rowsByFile.get(file).push({ name, fid: fid === null ? null : Number(fid), n: Number(nchild ?? 0) });
    }
    // Rows are the schema tree in depth-first order; row 0 is the root.
    const subtreeEnd = (rows, i) => {
      let next = i + 1;
      for (let c = 0; c < rows[i].n; c++) next = subtreeEnd(rows, next);
      return next;
    };
    const byFile = new Map();
    for (const [file, rows] of rowsByFile) {
      const cols = {};
      let i = 1;
      for (let c = 0; c < rows[0].n; c++) {
        cols[rows[i].name] = rows[i].fid;
        i = subtreeEnd(rows, i);
      }
      byFile.set(file, { cols });
    }
    for (const f of files) {
      const e = byFile.get(f);
      process.stdout.write(JSON.stringify({ file: f, columns: e ? e.cols : {} }) + '\n');
    }
    return;
  }

  const opts = ['filename = true', 'file_row_number = true'];
  if (unionByName) opts.push('union_by_name = true');
  // The data columns: everything but the two bookkeeping columns we add.
  const desc = await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${list}, ${opts.join(', ')})`);
  const all = desc.getRows().map((r) => String(r[0])).filter((n) => n !== 'filename' && n !== 'file_row_number');
  if (columns) {
    for (const c of columns) if (!all.includes(c)) throw new Error(`no column ${c} in the files (they have: ${all.join(', ')})`);
  } else columns = all;
  const sql = `SELECT ${columns.map(sqlIdent).join(', ')}
    FROM read_parquet(${list}, ${opts.join(', ')})
    ORDER BY list_position(${list}, filename), file_row_number`;
  const reader = await con.runAndReadAll(sql);
  const types = reader.columnTypes();
  const out = [];
  for (const row of reader.getRows()) {
    const obj = {};
    columns.forEach((c, i) => {
      obj[c] = normalizeDuck(row[i], types[i]);
    });
    out.push(JSON.stringify(obj));
  }
  process.stdout.write(out.length ? out.join('\n') + '\n' : '');
}

main().catch((e) => {
  process.stderr.write(`duckdb_files.mjs: ${e.message}\n`);
  process.exit(1);
});
