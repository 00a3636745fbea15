// check.mjs - read the Parquet files written by spillpool's writer with
// DuckDB and assert that DuckDB sees exactly what the writer was given.
//
// This file owns the DuckDB side of the writer test.  The files and their
// expectations (NAME.parquet + NAME.json) come from test/parquet/writer_test:
//
//   node test/duckdb/check.mjs [DIR]      # or SPILLPOOL_PARQUET_DIR=DIR
//
// reads an existing directory; without one, it builds writer_test with make
// (test/parquet/Makefile) and runs it into a fresh temporary directory,
// counting writer_test's own result as one check.  It needs no network
// beyond `npm ci` in test/duckdb, and works from the checkout root (as
// test/run-tests.sh runs it) or from anywhere else.
//
// Per file it checks, with one output line per check:
//   - parquet_file_metadata(): created_by, num_rows, number of row groups,
//     one TypeDefinedOrder column order per column;
//   - parquet_kv_metadata(): the caller-supplied key/value pairs;
//   - parquet_schema(): physical type, repetition, converted type, logical
//     type (TIMESTAMP isAdjustedToUTC, DECIMAL scale/precision, UUID, JSON,
//     INTEGER bit width, ...), type_length, scale and precision;
//   - DESCRIBE: the DuckDB type of every column;
//   - the data: per column row count, non-null count, min, max (NaN left
//     out) and the md5 of the canonical text forms in file order, all equal
//     to the expectations computed by writer_test from the generated values;
//   - parquet_metadata(): per row group the requested codec, num_values
//     counting NULLs, null_count equal to the row group's NULLs, min/max
//     statistics present exactly where the row group has a non-NaN value and
//     equal to the row group's real min/max (signed zeros as the spec
//     requires), and dictionary pages where expected.
//
// Then, as second opinions from independent implementations, every file is
// read with arrow-rs (the Rust parquet crate, via parquet-wasm) and with
// hyparquet (pure JavaScript): row count, per-column NULL count and, for
// arrow-rs, the Arrow type each column maps to.
//
// It ends with "N passed, N failed" and exits nonzero if anything failed.

import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import { parquetMetadata, parquetRead } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import * as parquetWasm from 'parquet-wasm';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allPassed, check, finish, ident, lit } from './tap.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');


// SQL turning a value of a DuckDB type into writer_test's canonical text.
// zeroNorm prints both floating-point zeros as '0' (used for min/max,
// where either zero may be returned).
function canon(type, x, zeroNorm = false) {
  if (type === 'FLOAT' || type === 'DOUBLE') {
    const fmt = type === 'FLOAT' ? '%.9g' : '%.17g';
    return `(CASE WHEN ${x} IS NULL THEN NULL WHEN isnan(${x}) THEN 'nan' ` +
      `WHEN isinf(${x}) THEN (CASE WHEN ${x} > 0 THEN 'inf' ELSE '-inf' END) ` +
      `${zeroNorm ? `WHEN ${x} = 0 THEN '0' ` : ''}ELSE printf('${fmt}', ${x}) END)`;
  }
  if (type === 'BLOB') return `hex(${x})`;
  if (type === 'DATE') return `CAST((${x} - DATE '1970-01-01') AS VARCHAR)`;
  if (type.startsWith('TIMESTAMP')) return `CAST(epoch_us(${x}) AS VARCHAR)`;
  return `CAST(${x} AS VARCHAR)`;
}

const isFloat = (type) => type === 'FLOAT' || type === 'DOUBLE';

// min/max aggregate of a column, leaving NaN out like Parquet statistics
function minmax(fn, type, x) {
  const agg = isFloat(type) ? `${fn}(${x}) FILTER (WHERE NOT isnan(${x}))` : `${fn}(${x})`;
  return canon(type, agg, true);
}

async function rows(con, sql) {
  const reader = await con.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}

const num = (v) => (v === null || v === undefined ? null : Number(v));

// Find (or produce) the directory of test files.
function locateFiles() {
  const given = process.argv[2] || process.env.SPILLPOOL_PARQUET_DIR;
  if (given) return { dir: resolve(given), temp: false };

  const testdir = join(root, 'test', 'parquet');
  const dir = mkdtempSync(join(tmpdir(), 'spillpool-parquet-'));
  console.log(`# building ${testdir}/writer_test and writing test files to ${dir}`);
  try {
    execFileSync('make', ['-C', testdir, 'writer_test'], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    check(false, 'make -C test/parquet writer_test', e.message);
    return { dir, temp: true };
  }
  const run = spawnSync(join(testdir, 'build', 'writer_test'), [dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = `${run.stdout || ''}${run.stderr || ''}`.split('\n').filter((l) => l !== '');
  for (const line of out) console.log(`writer_test: ${line}`);
  const summary = out.filter((l) => /^\d+ passed, \d+ failed$/.test(l)).pop();
  check(run.status === 0, `writer_test wrote the test files (${summary || 'no summary'})`,
    `exit status ${run.status}${run.error ? `, ${run.error.message}` : ''}`);
  return { dir, temp: true };
}

async function checkFile(con, dir, exp) {
  const name = exp.file.replace(/\.parquet$/, '');
  const path = join(dir, exp.file);
  const F = lit(path);
  const cols = exp.columns;

  if (!existsSync(path)) {
    check(false, `${name}: file exists`, path);
    return;
  }

  // --- file metadata
  const fm = (await rows(con, `SELECT * FROM parquet_file_metadata(${F})`))[0];
  check(fm.created_by === exp.created_by, `${name}: created_by is "${exp.created_by}"`, fm.created_by);
  check(num(fm.num_rows) === exp.rows, `${name}: num_rows = ${exp.rows}`, fm.num_rows);
  check(num(fm.num_row_groups) === exp.row_groups, `${name}: ${exp.row_groups} row groups`, fm.num_row_groups);
  if (Array.isArray(fm.column_orders)) {
    check(fm.column_orders.length === cols.length &&
      fm.column_orders.every((o) => String(o).includes('TypeDefinedOrder')),
    `${name}: column_orders are TypeDefinedOrder for all ${cols.length} columns`, JSON.stringify(fm.column_orders));
  }

  // --- key/value metadata
  const kv = await rows(con, `SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${F})`);
  const kvmap = Object.fromEntries(kv.map((r) => [r.k, r.v]));
  const missing = Object.entries(exp.kv).filter(([k, v]) => kvmap[k] !== v);
  check(missing.length === 0, `${name}: key_value_metadata has the ${Object.keys(exp.kv).length} pairs given`,
    JSON.stringify(missing));

  // --- schema
  const schema = await rows(con, `SELECT * FROM parquet_schema(${F})`);
  check(schema.length === cols.length + 1 && num(schema[0].num_children) === cols.length,
    `${name}: schema is a root group with ${cols.length} children`, schema.length);
  const desc = await rows(con, `DESCRIBE SELECT * FROM read_parquet(${F})`);
  cols.forEach((c, i) => {
    const s = schema[i + 1] || {};
    const problems = [];
    if (s.name !== c.name) problems.push(`name ${s.name}`);
    if (s.type !== c.physical) problems.push(`type ${s.type}`);
    if (s.repetition_type !== c.repetition) problems.push(`repetition ${s.repetition_type}`);
    if ((s.converted_type ?? null) !== c.converted) problems.push(`converted_type ${s.converted_type}`);
    if (num(s.type_length) !== c.type_length) problems.push(`type_length ${s.type_length}`);
    if (num(s.scale) !== c.scale || num(s.precision) !== c.precision) {
      problems.push(`scale/precision ${s.scale}/${s.precision}`);
    }
    if (c.logical === null) {
      if (s.logical_type !== null) problems.push(`logical_type ${s.logical_type}`);
    } else {
      for (const part of c.logical) {
        // DuckDB prints IntType's i8 bitWidth as a raw character
        const m = /^IntType\(bitWidth=(\d+), (.*)$/.exec(part);
        const alts = m ? [part, `IntType(bitWidth=${String.fromCharCode(Number(m[1]))}, ${m[2]}`] : [part];
        if (!alts.some((a) => String(s.logical_type).includes(a))) problems.push(`logical_type ${s.logical_type}`);
      }
    }
    check(problems.length === 0,
      `${name}.${c.name}: schema ${c.physical} ${c.repetition} converted=${c.converted} logical=${c.logical ? c.logical.join(' ') : null}`,
      problems.join(', '));
    const d = desc[i] || {};
    check(d.column_name === c.name && d.column_type === c.duckdb_type,
      `${name}.${c.name}: DuckDB reads it as ${c.duckdb_type}`, `${d.column_name} ${d.column_type}`);
  });

  // --- values: counts, min/max, md5 of the canonical text in file order
  const sel = ['count(*) AS n'];
  cols.forEach((c, i) => {
    const x = ident(c.name);
    sel.push(`count(${x}) AS nn${i}`);
    sel.push(`${minmax('min', c.duckdb_type, x)} AS min${i}`);
    sel.push(`${minmax('max', c.duckdb_type, x)} AS max${i}`);
    sel.push(`md5(coalesce(string_agg(coalesce(${canon(c.duckdb_type, x)}, '\\N'), chr(10) ` +
      `ORDER BY file_row_number), '')) AS md5${i}`);
  });
  const v = (await rows(con, `SELECT ${sel.join(', ')} FROM read_parquet(${F}, file_row_number=true)`))[0];
  check(num(v.n) === exp.rows, `${name}: DuckDB reads ${exp.rows} rows`, v.n);
  cols.forEach((c, i) => {
    check(num(v.n) === c.count && num(v[`nn${i}`]) === c.non_null,
      `${name}.${c.name}: ${c.count} values, ${c.non_null} non-null`, `${v.n}, ${v[`nn${i}`]}`);
    check(v[`min${i}`] === c.min && v[`max${i}`] === c.max,
      `${name}.${c.name}: min ${JSON.stringify(c.min)}, max ${JSON.stringify(c.max)}`,
      `got ${JSON.stringify(v[`min${i}`])}, ${JSON.stringify(v[`max${i}`])}`);
    check(v[`md5${i}`] === c.md5, `${name}.${c.name}: md5 of all values in order is ${c.md5}`, v[`md5${i}`]);
  });

  // --- per row group metadata and statistics
  const md = await rows(con, `SELECT * FROM parquet_metadata(${F}) ORDER BY row_group_id, column_id`);
  const rgs = [];
  for (const r of md) {
    const g = num(r.row_group_id);
    if (!rgs[g]) rgs[g] = { rows: num(r.row_group_num_rows), cols: [] };
    rgs[g].cols[num(r.column_id)] = r;
  }
  check(rgs.length === exp.row_groups && md.length === exp.row_groups * cols.length,
    `${name}: parquet_metadata lists ${exp.row_groups} row groups x ${cols.length} columns`, md.length);
  if (rgs.length === 0) return;

  // the real per-row-group nulls/min/max, to compare with the statistics
  let lo = 0;
  const bounds = rgs.map((g, i) => {
    const b = `(${i}, ${lo}, ${lo + g.rows})`;
    lo += g.rows;
    return b;
  });
  const rsel = ['g.rg AS rg', 'count(*) AS n'];
  cols.forEach((c, i) => {
    const x = `d.${ident(c.name)}`;
    rsel.push(`count(${x}) AS nn${i}`);
    rsel.push(`${minmax('min', c.duckdb_type, x)} AS min${i}`);
    rsel.push(`${minmax('max', c.duckdb_type, x)} AS max${i}`);
  });
  const actual = await rows(con, `SELECT ${rsel.join(', ')} FROM read_parquet(${F}, file_row_number=true) d ` +
    `JOIN (VALUES ${bounds.join(', ')}) g(rg, lo, hi) ON d.file_row_number >= g.lo AND d.file_row_number < g.hi ` +
    'GROUP BY g.rg ORDER BY g.rg');
  check(actual.length === rgs.length && actual.every((a, i) => num(a.n) === rgs[i].rows),
    `${name}: row group row counts add up to the file's rows`, actual.map((a) => a.n).join(','));

  for (let i = 0; i < cols.length; i++) {
    const c = cols[i];
    const T = c.duckdb_type;
    const st = await rows(con,
      `SELECT row_group_id, ${canon(T, `TRY_CAST(stats_min_value AS ${T})`, true)} AS smin, ` +
      `${canon(T, `TRY_CAST(stats_max_value AS ${T})`, true)} AS smax, ` +
      `stats_min_value, stats_max_value FROM parquet_metadata(${F}) WHERE column_id = ${i} ORDER BY row_group_id`);
    const codec = [];
    const counts = [];
    const stats = [];
    const dict = [];
    const zeros = [];
    rgs.forEach((g, k) => {
      const m = g.cols[i];
      const a = actual[k] || {};
      const s = st[k] || {};
      if (m.compression !== exp.codec) codec.push(`rg${k}: ${m.compression}`);
      const nulls = num(a.n) - num(a[`nn${i}`]);
      if (num(m.num_values) !== g.rows || m.stats_null_count === null || num(m.stats_null_count) !== nulls) {
        counts.push(`rg${k}: num_values ${m.num_values}/${g.rows}, null_count ${m.stats_null_count}/${nulls}`);
      }
      const amin = a[`min${i}`] ?? null;
      const amax = a[`max${i}`] ?? null;
      const infinite = [amin, amax].some((x) => x === 'inf' || x === '-inf');
      if (infinite && m.stats_min_value === null && m.stats_max_value === null) {
        // DuckDB's parquet_metadata() shows no infinite float statistics
        // (also for files it writes itself); writer_test's own footer walk
        // checks they are there.
      } else if (amin === null || c.stats === 'absent') {
        if (m.stats_min_value !== null || m.stats_max_value !== null) {
          stats.push(`rg${k}: expected no min/max, got ${m.stats_min_value}/${m.stats_max_value}`);
        }
      } else if (s.smin !== amin || s.smax !== amax) {
        stats.push(`rg${k}: stats ${m.stats_min_value}/${m.stats_max_value} (${s.smin}/${s.smax}) vs data ${amin}/${amax}`);
      }
      if (c.zero_signs && amin !== null) {
        if (!(String(m.stats_min_value).startsWith('-') && !String(m.stats_max_value).startsWith('-') &&
          s.smin === '0' && s.smax === '0')) {
          zeros.push(`rg${k}: ${m.stats_min_value}/${m.stats_max_value}`);
        }
      }
      const hasDict = m.dictionary_page_offset !== null;
      const dictEnc = String(m.encodings).includes('DICTIONARY');
      const want = c.dict === 'all' ? true : c.dict === 'none' ? false : c.dict === 'first' ? k === 0 : null;
      if (hasDict !== dictEnc || (want !== null && hasDict !== want)) {
        dict.push(`rg${k}: dictionary_page_offset ${m.dictionary_page_offset}, encodings ${m.encodings}`);
      }
    });
    const where = `${name}.${c.name}`;
    check(codec.length === 0, `${where}: every row group compressed with ${exp.codec}`, codec.join('; '));
    check(counts.length === 0, `${where}: num_values counts NULLs and null_count matches the data in every row group`,
      counts.join('; '));
    check(stats.length === 0,
      `${where}: min/max statistics ${c.stats === 'absent' ? 'absent' : 'equal each row group\'s real min/max (NaN ignored)'}`,
      stats.join('; '));
    if (c.zero_signs) {
      check(zeros.length === 0, `${where}: zero statistics written as min -0.0, max +0.0`, zeros.join('; '));
    }
    check(dict.length === 0, `${where}: dictionary pages ${c.dict === 'any' ? 'consistent with encodings' : `in ${c.dict} row groups`}`,
      dict.join('; '));
  }
}

// The Arrow type (as apache-arrow prints it) arrow-rs gives a column
function arrowType(duckdbType) {
  const simple = {
    BOOLEAN: 'Bool', SMALLINT: 'Int16', INTEGER: 'Int32', BIGINT: 'Int64', FLOAT: 'Float32',
    DOUBLE: 'Float64', VARCHAR: 'Utf8', JSON: 'Utf8', BLOB: 'Binary', DATE: 'Date32<DAY>',
    TIMESTAMP: 'Timestamp<MICROSECOND>', 'TIMESTAMP WITH TIME ZONE': 'Timestamp<MICROSECOND, UTC>',
    UUID: 'FixedSizeBinary[16]',
  };
  if (simple[duckdbType]) return simple[duckdbType];
  const m = /^DECIMAL\((\d+),(\d+)\)$/.exec(duckdbType);
  if (m) return `Decimal[${m[1]}e${Number(m[2]) > 0 ? '+' : ''}${m[2]}]`;
  return '?';
}

// Second opinions: arrow-rs (parquet-wasm) and hyparquet read the file.
async function checkOtherReaders(dir, exp) {
  const name = exp.file.replace(/\.parquet$/, '');
  const buf = readFileSync(join(dir, exp.file));
  const cols = exp.columns;
  const nullsExpected = cols.map((c) => c.count - c.non_null);

  try {
    const table = tableFromIPC(parquetWasm.readParquet(new Uint8Array(buf)).intoIPCStream());
    const nulls = cols.map((c, i) => (table.getChildAt(i) ? table.getChildAt(i).nullCount : -1));
    const types = table.schema.fields.map((f) => String(f.type));
    check(table.numRows === exp.rows && JSON.stringify(nulls) === JSON.stringify(nullsExpected),
      `${name}: arrow-rs reads ${exp.rows} rows with the expected NULLs per column`,
      `${table.numRows} rows, nulls ${nulls}`);
    const wrong = cols.map((c, i) => [c, i])
      .filter(([c, i]) => types[i] !== arrowType(c.duckdb_type) || table.schema.fields[i].name !== c.name)
      .map(([c, i]) => `${c.name}: ${types[i]}`);
    check(wrong.length === 0, `${name}: arrow-rs maps every column to the expected Arrow type`, wrong.join(', '));
  } catch (e) {
    check(false, `${name}: arrow-rs reads the file`, String(e));
  }

  try {
    const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const meta = parquetMetadata(file);
    const nulls = cols.map(() => 0);
    const seen = cols.map(() => 0);
    await parquetRead({
      file,
      metadata: meta,
      compressors,
      onChunk: ({ columnName, columnData }) => {
        const i = cols.findIndex((c) => c.name === columnName);
        if (i < 0) return;
        for (let k = 0; k < columnData.length; k++) {
          if (columnData[k] === null || columnData[k] === undefined) nulls[i]++;
        }
        seen[i] += columnData.length;
      },
    });
    check(Number(meta.num_rows) === exp.rows && seen.every((n) => n === exp.rows) &&
      JSON.stringify(nulls) === JSON.stringify(nullsExpected),
    `${name}: hyparquet reads ${exp.rows} rows with the expected NULLs per column`,
    `${meta.num_rows} rows, values ${seen}, nulls ${nulls}`);
  } catch (e) {
    check(false, `${name}: hyparquet reads the file`, String(e));
  }
}

async function main() {
  const { dir, temp } = locateFiles();
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  await con.run("SET TimeZone = 'UTC'");
  const version = (await rows(con, 'SELECT version() AS v'))[0].v;
  console.log(`# DuckDB ${version}, files in ${dir}`);

  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  check(files.length > 0, `found expectation files in ${dir}`, files.length);
  for (const f of files) {
    let exp;
    try {
      exp = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    } catch (e) {
      check(false, `${f}: parses as JSON`, e.message);
      continue;
    }
    try {
      await checkFile(con, dir, exp);
    } catch (e) {
      check(false, `${exp.file}: DuckDB reads the file`, e.message);
    }
    await checkOtherReaders(dir, exp);
  }

  if (temp && allPassed()) rmSync(dir, { recursive: true, force: true });
  else if (temp) console.log(`# test files kept in ${dir}`);
  finish({ plan: false });
}

main().catch((e) => {
  check(false, 'unexpected error', e.stack || String(e));
  finish({ plan: false });
});
