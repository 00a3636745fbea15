// shards.mjs - read the Parquet shards that spillpool.flush() wrote with
// DuckDB and check that DuckDB sees what PostgreSQL has in the table.
//
//   node test/duckdb/shards.mjs EXPECTATIONS.json
//
// The expectations are computed by PostgreSQL from the table itself (see
// test/t/009_duckdb_shards.pl, which writes the file):
//
//   { "shards": [ {
//       "table": "t_zstd", "path": "/abs/.../spillpool/5/16414/shards/1-0.parquet",
//       "rows": 600, "codec": "zstd",       // the table's shard_compression
//       "row_groups": 6,                     // as spillpool.shards() says
//       "row_group_rows": 100,               // spillpool.shard_row_group_rows
//       "float_nan": "4,5" | null,          // spillpool.float_nan, if any
//       "columns": [ {
//         "name": "c_num5", "pgtype": "numeric(5,2)",   // format_type()
//         "attnum": 18, "typid": 1700, "typmod": 327686, // spillpool.columns
//         "kind": "decimal", "duckdb_type": "DECIMAL(5,2)",
//         "non_null": 590,          // values Parquet holds (NaN etc. are NULL)
//         "min": "-999.99", "max": "999.99",   // canonical text, see below
//         "md5": "...",             // md5 of the canonical texts in row order
//         "exceptions": "12:NaN\n" | null,     // spillpool.exceptions.<i>
//         "infinite": [ { "row": 4, "pg": "infinity" } ]  // date/timestamp
//       } ] } ] }
//
// Canonical text forms, chosen so that PostgreSQL's SQL and DuckDB's SQL
// produce the same string for the same value (kind: PostgreSQL side /
// DuckDB side):
//   int         int2/int4/int8: x::text / CAST(x AS VARCHAR)
//   decimal     numeric(p,s), p <= 38: x::text / CAST(x AS VARCHAR); both
//               print exactly s fraction digits.  NaN is NULL in Parquet.
//   float4      the IEEE 754 bits in big-endian hex, or 'NaN':
//   float8      encode(float4send(x), 'hex') / encode(float8send(x), 'hex')
//               in PostgreSQL; in DuckDB the exact value as the JavaScript
//               number the client returns, turned into bits here.  (Text
//               does not work: both print round-trip forms, but not always
//               the same one: PostgreSQL prints -3.7140410143809024e+16
//               where DuckDB prints -3.714041014380902e+16, and DuckDB
//               prints FLOAT -1085714.25 where PostgreSQL prints
//               -1085714.2.)  For min/max -0 counts as +0 (either may come
//               back); NaN sorts above everything in both systems.
//   bool        'true' / 'false' on both sides; min/max = bool_and/bool_or.
//   text        text, varchar, bpchar, json, jsonb and every type stored as
//               its text form (arrays, enums, interval, composite, time,
//               unconstrained numeric...): the output function's text,
//               format('%s', x) in PostgreSQL (keeps char(n)'s padding;
//               the test keeps NULL NULL, which format() would make ''),
//               CAST(x AS VARCHAR) in DuckDB; min/max compare bytes
//               (COLLATE "C" in PostgreSQL, DuckDB's default), which is
//               the Parquet statistics' order for UTF-8 too.
//   bytea       lower-case hex: encode(x, 'hex') / lower(hex(x)); min/max
//               as strings (hex order = unsigned byte order).
//   uuid        x::text / CAST(x AS VARCHAR) (lower-case, hyphenated);
//               string min/max = byte order = Parquet FLBA order.
//   date        days since 1970-01-01 as an integer, or 'infinity' /
//               '-infinity': PostgreSQL's date infinities must read as
//               DuckDB's DATE 'infinity' / '-infinity'.
//   timestamp   microseconds since 1970-01-01 00:00 (UTC for timestamptz)
//   timestamptz as an integer (epoch_us() in DuckDB), or 'infinity' /
//               '-infinity', which must read as DuckDB's infinities.
//               Timestamps too large for INT64 microseconds since 1970 are
//               exceptions (NULL in Parquet).
//   list        a LIST column (a one-dimensional array of a mapped element
//               type, "elem_kind" in the expectations, not a float): '['
//               and the elements' canonical texts ('\N' for NULL) joined
//               by ',' and ']'; no min/max (LIST columns have no
//               statistics).  Arrays of several dimensions are exceptions.
// NULL is '\N'; md5 is over the canonical texts joined by '\n' in row order.
//
// What DuckDB 1.5 shows for PostgreSQL's infinities (the policy this file
// tests): DuckDB's own infinities are DATE +-2147483647 days and TIMESTAMP
// +-9223372036854775807 us (INT32/INT64 max and -max).  A value written as
// INT32/INT64 max reads as 'infinity'.  A value written as INT32_MIN /
// INT64_MIN is no infinity to DuckDB: the date prints as
// '5877642-06-23 (BC)', the timestamp's epoch_us() is
// -9223372036854775808, CAST(ts AS VARCHAR) fails with "Conversion Error:
// Date out of range in timestamp conversion", and so does every query of
// parquet_metadata() on the file (its statistics are converted to text).
//
// Per shard this checks, one output line per check: the file exists;
// DESCRIBE gives each column the DuckDB type of spillpool's mapping;
// parquet_file_metadata() rows and row groups; parquet_kv_metadata()
// spillpool.version, spillpool.columns, spillpool.type.<col>,
// spillpool.exceptions.<i> and spillpool.float_nan; per column row count,
// non-null count, min, max and md5 against PostgreSQL; each infinite date or
// timestamp read as DuckDB's infinity; and parquet_metadata(): per column
// chunk the expected codec, num_values counting NULLs, null_count equal to
// the row group's NULLs, min/max statistics present where the row group has
// a (non-NaN) value and equal to the row group's real min/max.  Two
// exceptions: byte-array statistics are left out when the min or max is
// longer than 4096 bytes (spillpool's writer does so on purpose), and
// DuckDB shows no infinite float statistics, so those are not compared.
//
// Prints "ok - ..." / "not ok - ...", then "N passed, N failed" and a plan
// line "1..N"; exits nonzero if anything failed.

import { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { check, finish, ident, lit } from './tap.mjs';

const num = (v) => (v === null || v === undefined ? null : Number(v));
const show = (v) => JSON.stringify(v);
const md5 = (s) => createHash('md5').update(s, 'utf8').digest('hex');

async function rows(con, sql) {
  const reader = await con.runAndReadAll(sql);
  return reader.getRowObjectsJson();
}

// The canonical text of a FLOAT/DOUBLE value as the JavaScript number the
// DuckDB client returns (exact for both types): 'NaN', or the IEEE 754 bits
// in big-endian hex, as PostgreSQL's encode(float4send(x), 'hex') /
// encode(float8send(x), 'hex') print them.  zeroNorm turns -0 into +0.
function floatCanon(kind, v, zeroNorm = false) {
  if (v === null || v === undefined) return null;
  const x = Number(v);
  if (Number.isNaN(x)) return 'NaN';
  const dv = new DataView(new ArrayBuffer(8));
  if (kind === 'float4') dv.setFloat32(0, zeroNorm && x === 0 ? 0 : x);
  else dv.setFloat64(0, zeroNorm && x === 0 ? 0 : x);
  const n = kind === 'float4' ? 4 : 8;
  return [...new Uint8Array(dv.buffer, 0, n)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const isFloat = (kind) => kind === 'float4' || kind === 'float8';

// Parquet min/max statistics of byte arrays longer than this are left out
// by spillpool's writer (PARQUET_MAX_STATISTICS_BYTES in
// src/parquet/parquet_write.h, as parquet-mr and parquet-cpp do by default)
const MAX_STATISTICS_BYTES = 4096;

async function rawRows(con, sql) {
  const reader = await con.runAndReadAll(sql);
  return reader.getRowObjects();
}

// SQL turning column x of a kind into its canonical text (not for floats,
// which are made canonical in JavaScript by floatCanon()); elem is a list's
// element kind.
function canon(kind, x, elem) {
  switch (kind) {
    case 'list':
      return `(CASE WHEN ${x} IS NULL THEN NULL ELSE '[' || array_to_string(list_transform(${x}, ` +
        `lambda e: coalesce(${canon(elem, 'e')}, '\\N')), ',') || ']' END)`;
    case 'bytea':
      return `lower(hex(${x}))`;
    case 'date':
      return `(CASE WHEN ${x} = 'infinity'::DATE THEN 'infinity' WHEN ${x} = '-infinity'::DATE THEN '-infinity' ` +
        `ELSE CAST(${x} - DATE '1970-01-01' AS VARCHAR) END)`;
    case 'timestamp':
    case 'timestamptz': {
      const T = kind === 'timestamp' ? 'TIMESTAMP' : 'TIMESTAMPTZ';
      return `(CASE WHEN ${x} = 'infinity'::${T} THEN 'infinity' WHEN ${x} = '-infinity'::${T} THEN '-infinity' ` +
        `ELSE CAST(epoch_us(${x}) AS VARCHAR) END)`;
    }
    default:
      return `CAST(${x} AS VARCHAR)`;
  }
}

// kinds whose min/max are taken on the values (then made canonical); the
// others take min/max of the canonical strings (byte order)
const nativeOrder = new Set(['int', 'decimal', 'bool', 'date', 'timestamp', 'timestamptz']);

function minSql(fn, kind, x) {
  if (kind === 'list') return 'NULL::VARCHAR';
  if (nativeOrder.has(kind)) return canon(kind, `${fn}(${x})`);
  return `${fn}(${canon(kind, x)})`;
}

// the statistics' min/max of a kind's column in the DuckDB type T, canonical
function statCanon(kind, T, s) {
  if (kind === 'text') return s;
  return canon(kind, `TRY_CAST(${s} AS ${T})`);
}

const CODECS = { zstd: 'ZSTD', lz4: 'LZ4_RAW', none: 'UNCOMPRESSED' };

async function checkShard(con, sh) {
  const name = `${sh.table}/${basename(sh.path)}`;
  const F = lit(sh.path);
  const cols = sh.columns;
  const codec = CODECS[sh.codec] || sh.codec;

  if (!existsSync(sh.path)) {
    check(false, `${name}: shard file exists`, sh.path);
    return;
  }
  check(true, `${name}: shard file exists`);

  // --- DuckDB's type for every column
  try {
    const desc = await rows(con, `DESCRIBE SELECT * FROM read_parquet(${F})`);
    check(desc.length === cols.length, `${name}: DuckDB sees ${cols.length} columns`, desc.length);
    cols.forEach((c, i) => {
      const d = desc[i] || {};
      check(d.column_name === c.name && d.column_type === c.duckdb_type,
        `${name}.${c.name} (${c.pgtype}): DuckDB reads it as ${c.duckdb_type}`, `${d.column_name} ${d.column_type}`);
    });
  } catch (e) {
    check(false, `${name}: DESCRIBE read_parquet()`, e.message);
  }

  // --- file metadata: rows and row groups
  try {
    const fm = (await rows(con, `SELECT num_rows, num_row_groups FROM parquet_file_metadata(${F})`))[0];
    check(num(fm.num_rows) === sh.rows, `${name}: parquet_file_metadata num_rows = ${sh.rows}`, fm.num_rows);
    const want = Math.ceil(sh.rows / sh.row_group_rows);
    check(num(fm.num_row_groups) === want && sh.row_groups === want,
      `${name}: ${want} row groups of ${sh.row_group_rows} rows (spillpool.shards() says ${sh.row_groups})`,
      fm.num_row_groups);
  } catch (e) {
    check(false, `${name}: parquet_file_metadata()`, e.message);
  }

  // --- key/value metadata
  try {
    const kv = await rows(con, `SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata(${F})`);
    const kvmap = new Map(kv.map((r) => [r.k, r.v]));
    check(typeof kvmap.get('spillpool.version') === 'string' && kvmap.get('spillpool.version') !== '',
      `${name}: kv spillpool.version present`, show(kvmap.get('spillpool.version')));
    const entries = String(kvmap.get('spillpool.columns') ?? '').split(',');
    const bad = cols.filter((c, i) => {
      const p = (entries[i] || '').split(':');
      return p.length !== (c.kind === 'list' ? 5 : 4) || Number(p[0]) !== c.attnum ||
        Number(p[2]) !== c.typid || Number(p[3]) !== c.typmod;
    });
    check(entries.length === cols.length && bad.length === 0,
      `${name}: kv spillpool.columns lists attnum:kind:type:typmod of the ${cols.length} columns`,
      `${show(kvmap.get('spillpool.columns'))}, wrong for ${bad.map((c) => c.name).join(',')}`);
    cols.forEach((c, i) => {
      const k = `spillpool.type.${c.name}`;
      check(kvmap.get(k) === c.pgtype, `${name}: kv ${k} = ${show(c.pgtype)}`, show(kvmap.get(k)));
      const ek = `spillpool.exceptions.${i}`;
      const got = kvmap.has(ek) ? kvmap.get(ek) : null;
      if (c.exceptions !== null || got !== null) {
        check(got === c.exceptions, `${name}: kv ${ek} (${c.name}) = ${show(c.exceptions)}`, show(got));
      }
    });
    const fnan = kvmap.has('spillpool.float_nan') ? kvmap.get('spillpool.float_nan') : null;
    check(fnan === (sh.float_nan ?? null), `${name}: kv spillpool.float_nan = ${show(sh.float_nan ?? null)}`,
      show(fnan));
  } catch (e) {
    check(false, `${name}: parquet_kv_metadata()`, e.message);
  }

  // --- the values against PostgreSQL
  try {
    const sel = ['count(*) AS n'];
    cols.forEach((c, i) => {
      const x = ident(c.name);
      sel.push(`count(${x}) AS nn${i}`);
      if (!isFloat(c.kind)) {
        sel.push(`${minSql('min', c.kind, x)} AS min${i}`);
        sel.push(`${minSql('max', c.kind, x)} AS max${i}`);
        sel.push(`md5(coalesce(string_agg(coalesce(${canon(c.kind, x, c.elem_kind)}, '\\N'), chr(10) ` +
          'ORDER BY file_row_number), \'\')) AS md5' + i);
      }
    });
    const v = (await rows(con, `SELECT ${sel.join(', ')} FROM read_parquet(${F}, file_row_number=true)`))[0];
    check(num(v.n) === sh.rows, `${name}: DuckDB reads ${sh.rows} rows`, v.n);
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i];
      const where = `${name}.${c.name}`;
      let mn = v[`min${i}`] ?? null;
      let mx = v[`max${i}`] ?? null;
      let hash = v[`md5${i}`];
      if (isFloat(c.kind)) {
        // the exact values, as JavaScript numbers
        const x = ident(c.name);
        const m = (await rawRows(con, `SELECT min(${x}) AS mn, max(${x}) AS mx FROM read_parquet(${F})`))[0];
        mn = floatCanon(c.kind, m.mn, true);
        mx = floatCanon(c.kind, m.mx, true);
        const vals = await rawRows(con, `SELECT ${x} AS v FROM read_parquet(${F}, file_row_number=true) ` +
          'ORDER BY file_row_number');
        hash = md5(vals.map((r) => (r.v === null ? '\\N' : floatCanon(c.kind, r.v))).join('\n'));
      }
      check(num(v.n) === sh.rows && num(v[`nn${i}`]) === c.non_null,
        `${where}: ${sh.rows} values, ${c.non_null} non-null`, `${v.n}, ${v[`nn${i}`]}`);
      check(mn === c.min && mx === c.max, `${where}: min ${show(c.min)}, max ${show(c.max)}`,
        `got ${show(mn)}, ${show(mx)}`);
      check(hash === c.md5, `${where}: md5 of the values in row order is ${c.md5}`, hash);
    }
  } catch (e) {
    check(false, `${name}: DuckDB reads the values`, e.message);
  }

  // --- PostgreSQL's infinities read as DuckDB's infinities (the policy)
  for (const c of cols) {
    for (const inf of c.infinite || []) {
      const T = c.duckdb_type;
      const x = ident(c.name);
      const what = `${name}.${c.name} row ${inf.row}: PostgreSQL ${inf.pg} reads as DuckDB's ${T} ${inf.pg}`;
      const at = `FROM read_parquet(${F}, file_row_number=true) WHERE file_row_number = ${inf.row}`;
      try {
        const r = (await rows(con, `SELECT ${canon(c.kind, x)} AS canon, ${x} = ${lit(inf.pg)}::${T} AS is_inf ${at}`))[0] || {};
        // what DuckDB prints for it (CAST may fail: TRY_CAST does not catch it)
        let txt;
        try {
          txt = JSON.stringify((await rows(con, `SELECT CAST(${x} AS VARCHAR) AS t ${at}`))[0].t);
        } catch (e) {
          txt = `an error on CAST to VARCHAR (${e.message})`;
        }
        console.log(`# ${name}.${c.name} row ${inf.row}: PostgreSQL ${inf.pg}, DuckDB shows ${txt} ` +
          `(${r.is_inf ? 'its' : 'not its'} ${inf.pg}, canonical ${show(r.canon)})`);
        check(r.is_inf === true, what, `DuckDB shows ${txt}, canonical ${show(r.canon)}`);
      } catch (e) {
        check(false, what, e.message);
      }
    }
  }

  // --- per column chunk: codec, counts, statistics
  let md;
  try {
    md = await rows(con, `SELECT row_group_id, row_group_num_rows, column_id, compression, num_values, ` +
      `stats_null_count, stats_min_value, stats_max_value FROM parquet_metadata(${F}) ORDER BY row_group_id, column_id`);
  } catch (e) {
    check(false, `${name}: parquet_metadata() reads the footer`, e.message);
    return;
  }
  check(true, `${name}: parquet_metadata() reads the footer`);
  const rgs = [];
  for (const r of md) {
    const g = num(r.row_group_id);
    if (!rgs[g]) rgs[g] = { rows: num(r.row_group_num_rows), cols: [] };
    rgs[g].cols[num(r.column_id)] = r;
  }
  check(md.length === rgs.length * cols.length && rgs.every((g) => g && g.cols.length === cols.length),
    `${name}: parquet_metadata lists ${cols.length} column chunks in each of ${rgs.length} row groups`, md.length);
  const sizes = rgs.map((g) => g.rows);
  check(sizes.every((n, k) => (k < sizes.length - 1 ? n === sh.row_group_rows : n > 0 && n <= sh.row_group_rows)),
    `${name}: every row group but the last has ${sh.row_group_rows} rows`, sizes.join(','));

  // the real per-row-group NULLs and min/max (NaN left out, as Parquet
  // statistics leave it out)
  let lo = 0;
  const bounds = rgs.map((g, k) => {
    const b = `(${k}, ${lo}, ${lo + g.rows})`;
    lo += g.rows;
    return b;
  });
  let actual;
  try {
    const rsel = ['g.rg AS rg', 'count(*) AS n'];
    cols.forEach((c, i) => {
      let x = `d.${ident(c.name)}`;
      rsel.push(`count(${x}) AS nn${i}`);
      if (!isFloat(c.kind)) {
        rsel.push(`${minSql('min', c.kind, x)} AS min${i}`);
        rsel.push(`${minSql('max', c.kind, x)} AS max${i}`);
      }
    });
    actual = await rows(con, `SELECT ${rsel.join(', ')} FROM read_parquet(${F}, file_row_number=true) d ` +
      `JOIN (VALUES ${bounds.join(', ')}) g(rg, lo, hi) ON d.file_row_number >= g.lo AND d.file_row_number < g.hi ` +
      'GROUP BY g.rg ORDER BY g.rg');
    // floats: the exact values as JavaScript numbers, NaN left out
    for (let i = 0; i < cols.length; i++) {
      if (!isFloat(cols[i].kind)) continue;
      const x = `(CASE WHEN isnan(d.${ident(cols[i].name)}) THEN NULL ELSE d.${ident(cols[i].name)} END)`;
      const fr = await rawRows(con, `SELECT g.rg AS rg, min(${x}) AS mn, max(${x}) AS mx ` +
        `FROM read_parquet(${F}, file_row_number=true) d JOIN (VALUES ${bounds.join(', ')}) g(rg, lo, hi) ` +
        'ON d.file_row_number >= g.lo AND d.file_row_number < g.hi GROUP BY g.rg ORDER BY g.rg');
      fr.forEach((r, k) => {
        if (!actual[k]) return;
        actual[k][`min${i}`] = r.mn;
        actual[k][`max${i}`] = r.mx;
      });
    }
  } catch (e) {
    check(false, `${name}: DuckDB reads the row groups`, e.message);
    return;
  }

  for (let i = 0; i < cols.length; i++) {
    const c = cols[i];
    const T = c.duckdb_type;
    const where = `${name}.${c.name}`;
    let st;
    if (c.kind === 'list') {
      // no statistics at all: element bounds are not the list's
      const withStats = rgs.filter((g) => {
        const m = g.cols[i] || {};
        return m.stats_min_value !== null || m.stats_max_value !== null || m.stats_null_count !== null;
      });
      check(rgs.every((g) => (g.cols[i] || {}).compression === codec),
        `${where}: every column chunk compressed with ${codec}`);
      check(withStats.length === 0, `${where}: no statistics in any row group (a LIST)`, withStats.length);
      check(rgs.every((g) => num((g.cols[i] || {}).num_values) >= g.rows),
        `${where}: num_values counts the list entries (at least one per row)`);
      continue;
    }
    try {
      st = isFloat(c.kind)
        ? await rawRows(con, `SELECT row_group_id, TRY_CAST(stats_min_value AS ${T}) AS smin, ` +
          `TRY_CAST(stats_max_value AS ${T}) AS smax FROM parquet_metadata(${F}) ` +
          `WHERE column_id = ${i} ORDER BY row_group_id`)
        : await rows(con, `SELECT row_group_id, ${statCanon(c.kind, T, 'stats_min_value')} AS smin, ` +
          `${statCanon(c.kind, T, 'stats_max_value')} AS smax FROM parquet_metadata(${F}) ` +
          `WHERE column_id = ${i} ORDER BY row_group_id`);
    } catch (e) {
      check(false, `${where}: statistics`, e.message);
      continue;
    }
    const codecs = [];
    const counts = [];
    const stats = [];
    rgs.forEach((g, k) => {
      const m = g.cols[i] || {};
      const a = actual[k] || {};
      const s = st[k] || {};
      if (m.compression !== codec) codecs.push(`rg${k}: ${m.compression}`);
      const nulls = num(a.n) - num(a[`nn${i}`]);
      if (num(m.num_values) !== g.rows || m.stats_null_count === null || num(m.stats_null_count) !== nulls) {
        counts.push(`rg${k}: num_values ${m.num_values}/${g.rows}, null_count ${m.stats_null_count}/${nulls}`);
      }
      let amin = a[`min${i}`] ?? null;
      let amax = a[`max${i}`] ?? null;
      let smin = s.smin ?? null;
      let smax = s.smax ?? null;
      const infinite = isFloat(c.kind) && [amin, amax].some((z) => z === Infinity || z === -Infinity);
      if (isFloat(c.kind)) {
        [amin, amax, smin, smax] = [amin, amax, smin, smax].map((z) => floatCanon(c.kind, z, true));
      }
      const bytes = (z) => (c.kind === 'bytea' ? z.length / 2 : Buffer.byteLength(z, 'utf8'));
      const long = (c.kind === 'text' || c.kind === 'bytea') && amin !== null &&
        (bytes(amin) > MAX_STATISTICS_BYTES || bytes(amax) > MAX_STATISTICS_BYTES);
      if (infinite && m.stats_min_value === null && m.stats_max_value === null) {
        // DuckDB's parquet_metadata() shows no infinite float statistics,
        // also for files DuckDB writes itself: nothing to compare
      } else if (amin === null || long) {
        if (m.stats_min_value !== null || m.stats_max_value !== null) {
          stats.push(`rg${k}: ${long ? `min or max longer than ${MAX_STATISTICS_BYTES} bytes` : 'no value'}, ` +
            `but min/max ${m.stats_min_value}/${m.stats_max_value}`);
        }
      } else if (m.stats_min_value === null || m.stats_max_value === null) {
        stats.push(`rg${k}: min/max statistics missing (data ${amin}/${amax})`);
      } else if (smin !== amin || smax !== amax) {
        stats.push(`rg${k}: statistics ${m.stats_min_value}/${m.stats_max_value} (${smin}/${smax}) vs data ${amin}/${amax}`);
      }
    });
    check(codecs.length === 0, `${where}: every column chunk compressed with ${codec}`, codecs.join('; '));
    check(counts.length === 0, `${where}: num_values counts NULLs and null_count statistics match in every row group`,
      counts.join('; '));
    check(stats.length === 0, `${where}: min/max statistics present and equal to each row group's min/max ` +
      `(absent only where it has no value${isFloat(c.kind) ? ' but NaN' : ''}` +
      `${c.kind === 'text' || c.kind === 'bytea' ? ` or a min/max over ${MAX_STATISTICS_BYTES} bytes` : ''})`,
      stats.join('; '));
  }
}

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.log('usage: node shards.mjs EXPECTATIONS.json');
    process.exitCode = 2;
    return;
  }
  const exp = JSON.parse(readFileSync(file, 'utf8'));
  const instance = await DuckDBInstance.create(':memory:');
  const con = await instance.connect();
  await con.run("SET TimeZone = 'UTC'");
  const version = (await rows(con, 'SELECT version() AS v'))[0].v;
  console.log(`# DuckDB ${version}, ${exp.shards.length} shards from ${file}`);
  check(exp.shards.length > 0, 'the expectations list shards', exp.shards.length);
  for (const sh of exp.shards) {
    try {
      await checkShard(con, sh);
    } catch (e) {
      check(false, `${sh.table}/${basename(sh.path)}: unexpected error`, e.stack || String(e));
    }
  }
  finish();
}

main().catch((e) => {
  check(false, 'unexpected error', e.stack || String(e));
  finish();
});
