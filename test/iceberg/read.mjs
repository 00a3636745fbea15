// read.mjs - read an Iceberg table over HTTP with icebird (hyparam's
// JavaScript Iceberg reader, an implementation written elsewhere) and print
// it as JSON lines, values normalised as normalize.mjs describes.
//
//   node test/iceberg/read.mjs TABLE_URL [options]
//
// TABLE_URL is the table directory, e.g. http://127.0.0.1:PORT/t (served by
// serve.mjs), or one of its metadata files, .../t/metadata/v3.metadata.json.
// Without a metadata file icebird reads TABLE_URL/metadata/version-hint.text,
// which must hold a number N, and then TABLE_URL/metadata/vN.metadata.json.
//
// Options:
//   --snapshot ID     read snapshot ID (exact decimal, any 64-bit id) instead
//                     of the current one; it must be in the metadata's
//                     "snapshots"
//   --ref NAME        read the snapshot that refs.NAME points at
//   --metadata FILE   the metadata file name under TABLE_URL/metadata/
//                     (icebird's metadataFileName), e.g. v2.metadata.json
//   --columns a,b     print only these columns, in this order
//   --prefix P        a path prefix (file:///x/t, /x/t, s3://b/t ...) under
//                     which the metadata names its files; it is replaced by
//                     TABLE_URL before fetching.  The metadata's "location"
//                     is always such a prefix, so this is only needed when
//                     files are named under some other prefix.  Repeatable.
//   --verbose         log each fetch (after rewriting) to stderr
// Modes (default: print the rows of the snapshot, one JSON object a line,
// keys in schema order, in icebird's order: manifests in manifest-list
// order, files in manifest order, rows in file order):
//   --files           print the file_path of each live data file (status not
//                     DELETED, content 0) of the snapshot, one a line, as the
//                     manifests spell it, in the same order the rows come in
//                     (hand them to duckdb_files.mjs, which takes file://
//                     URLs and plain paths).  Warns on stderr if the snapshot
//                     has delete files, which DuckDB would not apply.
//   --entries         print every manifest entry of the snapshot (all
//                     statuses, data and delete files) as JSON after
//                     icebird's sequence-number inheritance:
//                     {"manifest","status","snapshot_id","sequence_number",
//                      "file_sequence_number","content","file_path",
//                      "file_format","record_count","file_size_in_bytes"}
//                     (longs as decimal strings)
//   --snapshots       print each snapshot in the metadata as JSON:
//                     {"snapshot-id","parent-snapshot-id","sequence-number",
//                      "timestamp-ms","operation","manifest-list","current"}
//                     (ids as exact decimal strings)
//   --schema          print the current schema's fields, one JSON a line:
//                     {"id","name","type","required"}
// A table with no current snapshot prints no rows/files/entries.
// Exit status: 0 on success, 1 on any error (one "read.mjs: ..." line on
// stderr), 2 on bad usage.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { icebergLatestVersion, icebergManifests, icebergMetadata, icebergRead } from 'icebird';
import { splitManifestEntries } from 'icebird/src/manifest.js';
import { translateS3Url } from 'icebird/src/fetch.js';
import { DEFAULT_PARSERS } from 'hyparquet/src/convert.js';
import { Days, Micros, normalizeIceberg } from './normalize.mjs';

function usage(msg) {
  if (msg) process.stderr.write(`read.mjs: ${msg}\n`);
  process.stderr.write('usage: node read.mjs TABLE_URL [--snapshot ID | --ref NAME] [--metadata FILE] '
    + '[--columns a,b] [--prefix P]... [--verbose] [--files | --entries | --snapshots | --schema]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { prefixes: [], mode: 'rows' };
  const need = (i, name) => {
    if (argv[i + 1] === undefined) usage(`${name} needs a value`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--snapshot': o.snapshot = need(i, a); i++; break;
      case '--ref': o.ref = need(i, a); i++; break;
      case '--metadata': o.metadata = need(i, a); i++; break;
      case '--columns': o.columns = need(i, a).split(',').map((c) => c.trim()).filter(Boolean); i++; break;
      case '--prefix': o.prefixes.push(need(i, a)); i++; break;
      case '--verbose': o.verbose = true; break;
      case '--files': case '--entries': case '--snapshots': case '--schema':
        if (o.mode !== 'rows') usage('only one of --files, --entries, --snapshots, --schema');
        o.mode = a.slice(2);
        break;
      default:
        if (a.startsWith('--')) usage(`unknown option ${a}`);
        if (o.url !== undefined) usage('only one TABLE_URL');
        o.url = a;
    }
  }
  if (o.url === undefined) usage('TABLE_URL missing');
  if (o.snapshot !== undefined && o.ref !== undefined) usage('--snapshot and --ref exclude each other');
  if (o.snapshot !== undefined && !/^-?\d+$/.test(o.snapshot)) usage(`--snapshot ${o.snapshot}: not an integer`);
  if (!/^https?:\/\//.test(o.url)) usage(`TABLE_URL must be an http(s) URL (serve the table with serve.mjs): ${o.url}`);
  return o;
}

// ---- hyparquet value parsers ----------------------------------------------
// icebird calls hyparquet's parquetReadObjects without "parsers", so
// hyparquet uses its DEFAULT_PARSERS, read at each call.  Their defaults
// lose precision for us (timestamps become JS Dates: milliseconds only; byte
// arrays without a UTF-8 annotation, i.e. Iceberg binary, are decoded as
// UTF-8 lossily), so replace them with exact ones.  This only works while
// icebird and this script share one copy of hyparquet: checked below.
function floorDiv(a, b) {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function patchParsers() {
  const icebirdDir = path.dirname(fileURLToPath(import.meta.resolve('icebird')));
  const nested = path.join(icebirdDir, '..', 'node_modules', 'hyparquet');
  if (fs.existsSync(nested)) {
    throw new Error(`icebird has its own hyparquet (${nested}); pin "hyparquet" in package.json to icebird's version so the value parsers can be replaced`);
  }
  Object.assign(DEFAULT_PARSERS, {
    timestampFromMilliseconds: (ms) => new Micros(BigInt(ms) * 1000n),
    timestampFromMicroseconds: (us) => new Micros(BigInt(us)),
    timestampFromNanoseconds: (ns) => new Micros(floorDiv(BigInt(ns), 1000n)),
    dateFromDays: (days) => new Days(Number(days)),
    // A valid UTF-8 byte string stays a JS string (icebird compares delete
    // file paths as strings); anything else is kept as bytes.  Either way
    // the original bytes can be recovered exactly (ignoreBOM keeps a BOM).
    stringFromBytes: (bytes) => {
      if (bytes === undefined || bytes === null) return bytes;
      try {
        return strictUtf8.decode(bytes);
      } catch {
        return new Uint8Array(bytes);
      }
    },
  });
}

// ---- big integers in metadata JSON ---------------------------------------
// JSON.parse turns 64-bit snapshot ids into doubles.  icebird works with
// those (it only compares them with each other); to print ids and to find
// --snapshot exactly we parse the same text again keeping long integers.
function parseJsonExact(text) {
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![.\deE])/g,
    (tok) => (tok.startsWith('"') ? tok : `"\\u0000big:${tok}"`));
  return JSON.parse(marked, (k, v) => (typeof v === 'string' && v.startsWith('\u0000big:') ? BigInt(v.slice(5)) : v));
}
const idString = (v) => (v === undefined || v === null ? null : BigInt(v).toString());

// ---- fetch: map file locations onto the HTTP server ------------------------
function installFetch(tableUrl, prefixes, verbose) {
  const realFetch = globalThis.fetch;
  const origin = new URL(tableUrl).origin;
  globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    let mapped = url;
    for (const { prefix, encode } of prefixes) {
      if (url === prefix || url.startsWith(prefix + '/')) {
        let rest = url.slice(prefix.length);
        if (encode) rest = rest.split('/').map(encodeURIComponent).join('/');
        mapped = tableUrl + rest;
        break;
      }
    }
    // Only ever talk to the server TABLE_URL names (serve.mjs on loopback).
    let target;
    try {
      target = new URL(mapped);
    } catch {
      target = undefined;
    }
    if (target?.origin !== origin) {
      throw new Error(`refusing to fetch ${url}: it is not under TABLE_URL, the table location or a --prefix (${prefixes.map((p) => p.prefix).join(', ')})`);
    }
    const method = init?.method ?? 'GET';
    let range = '';
    if (init?.headers) range = new Headers(init.headers).get('range') ?? '';
    if (verbose) process.stderr.write(`fetch ${method} ${mapped}${range ? ` ${range}` : ''}${mapped !== url ? ` (${url})` : ''}\n`);
    let res;
    try {
      res = await realFetch(mapped, init);
    } catch (e) {
      throw new Error(`${method} ${mapped}: ${e.message}${e.cause?.message ? ` (${e.cause.message})` : ''}`);
    }
    if (!res.ok) {
      throw new Error(`${method} ${mapped}${mapped !== url ? ` (named ${url})` : ''}: HTTP ${res.status} ${res.statusText}`);
    }
    return res;
  };
  return (p) => {
    p = p.replace(/\/+$/, '');
    if (!p || prefixes.some((x) => x.prefix === p)) return;
    const add = (prefix, encode) => {
      if (!prefixes.some((x) => x.prefix === prefix)) prefixes.push({ prefix, encode });
    };
    if (p.startsWith('/')) {
      // a plain path: also match its file: URI spellings
      add(p, true);
      add('file://' + p, false);
      add('file:' + p, false);
    } else {
      add(p, false);
      if (p.startsWith('file:///')) add(p.slice('file://'.length), true);
      // icebird rewrites s3:// and s3a:// names to https://BUCKET.s3.amazonaws.com/...
      // before it fetches them
      if (/^s3a?:\/\/[^/]+\//.test(p)) add(translateS3Url(p), false);
    }
    prefixes.sort((a, b) => b.prefix.length - a.prefix.length);
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  patchParsers();

  // TABLE_URL may name a metadata file: split it into table and file name.
  let tableUrl = o.url.replace(/\/+$/, '');
  let metadataFileName = o.metadata;
  const m = /^(.*)\/metadata\/([^/]+\.metadata\.json)$/.exec(tableUrl);
  if (m) {
    if (metadataFileName && metadataFileName !== m[2]) usage('--metadata disagrees with the metadata file in TABLE_URL');
    tableUrl = m[1];
    metadataFileName = m[2];
  }

  const prefixes = [];
  const addPrefix = installFetch(tableUrl, prefixes, o.verbose);
  for (const p of o.prefixes) addPrefix(p);

  // Which metadata file: icebird's own version-hint logic, then read that
  // one file both through icebird and as text (for exact ids).
  if (!metadataFileName) {
    const version = await icebergLatestVersion({ tableUrl });
    metadataFileName = `${version}.metadata.json`;
  }
  const metadata = await icebergMetadata({ tableUrl, metadataFileName });
  const text = await (await fetch(`${tableUrl}/metadata/${metadataFileName}`)).text();
  const exact = parseJsonExact(text);
  if (metadata['format-version'] > 2) {
    process.stderr.write(`read.mjs: warning: format-version ${metadata['format-version']}; icebird 0.3.1 reads v1 and v2 only\n`);
  }
  if (typeof metadata.location === 'string') addPrefix(metadata.location);

  const snapshots = metadata.snapshots ?? [];
  const exactSnapshots = exact.snapshots ?? [];
  const currentId = exact['current-snapshot-id'];

  if (o.mode === 'snapshots') {
    for (const s of exactSnapshots) {
      process.stdout.write(JSON.stringify({
        'snapshot-id': idString(s['snapshot-id']),
        'parent-snapshot-id': idString(s['parent-snapshot-id']),
        'sequence-number': idString(s['sequence-number']),
        'timestamp-ms': idString(s['timestamp-ms']),
        operation: s.summary?.operation ?? null,
        'manifest-list': s['manifest-list'] ?? null,
        current: currentId !== undefined && currentId !== null && BigInt(s['snapshot-id']) === BigInt(currentId),
      }) + '\n');
    }
    return;
  }

  const schema = metadata.schemas?.find((s) => s['schema-id'] === metadata['current-schema-id']);
  if (!schema) throw new Error(`current schema ${metadata['current-schema-id']} not in "schemas"`);
  if (o.mode === 'schema') {
    for (const f of schema.fields) {
      process.stdout.write(JSON.stringify({ id: f.id, name: f.name, type: f.type, required: f.required }) + '\n');
    }
    return;
  }

  // Pick the snapshot.
  let wanted;
  if (o.snapshot !== undefined) wanted = BigInt(o.snapshot);
  else if (o.ref !== undefined) {
    const ref = exact.refs?.[o.ref];
    if (!ref) throw new Error(`no ref "${o.ref}" in the metadata (refs: ${Object.keys(exact.refs ?? {}).join(', ') || 'none'})`);
    wanted = BigInt(ref['snapshot-id']);
  } else if (currentId === undefined || currentId === null || BigInt(currentId) < 0n) {
    // No current snapshot: an empty table.
    if (o.verbose) process.stderr.write('read.mjs: the table has no current snapshot\n');
    return;
  } else wanted = BigInt(currentId);
  const index = exactSnapshots.findIndex((s) => BigInt(s['snapshot-id']) === wanted);
  if (index < 0) {
    throw new Error(`snapshot ${wanted} is not in the metadata (snapshots: ${exactSnapshots.map((s) => idString(s['snapshot-id'])).join(', ') || 'none'})`);
  }
  if (snapshots.length !== exactSnapshots.length) throw new Error('metadata parsed two ways disagrees');
  const twin = snapshots.findIndex((s, i) => i !== index && s['snapshot-id'] === snapshots[index]['snapshot-id']);
  if (twin >= 0) {
    throw new Error(`snapshot ids ${wanted} and ${idString(exactSnapshots[twin]['snapshot-id'])} are the same JS number; icebird cannot tell them apart`);
  }
  if (wanted === 0n) throw new Error('snapshot id 0: icebird 0.3.1 takes a current-snapshot-id of 0 for "no snapshot"');
  // icebird reads metadata['current-snapshot-id']: point it at our snapshot
  // (same object from icebird's own parse, so the comparison it does holds).
  const md = { ...metadata, 'current-snapshot-id': snapshots[index]['snapshot-id'] };

  const manifests = await icebergManifests(md);
  const { dataEntries, deleteEntries } = splitManifestEntries(manifests);

  if (o.mode === 'entries') {
    for (const { url, entries } of manifests) {
      for (const e of entries) {
        const f = e.data_file;
        process.stdout.write(JSON.stringify({
          manifest: url,
          status: e.status,
          snapshot_id: idString(e.snapshot_id),
          sequence_number: idString(e.sequence_number),
          file_sequence_number: idString(e.file_sequence_number),
          content: f.content ?? 0,
          file_path: f.file_path,
          file_format: f.file_format,
          record_count: idString(f.record_count),
          file_size_in_bytes: idString(f.file_size_in_bytes),
        }) + '\n');
      }
    }
    return;
  }
  if (o.mode === 'files') {
    if (deleteEntries.length) {
      process.stderr.write(`read.mjs: warning: snapshot ${wanted} has ${deleteEntries.length} delete file(s); --files lists data files only\n`);
    }
    for (const e of dataEntries) process.stdout.write(e.data_file.file_path + '\n');
    return;
  }

  // Rows.
  let fields = schema.fields;
  if (o.columns) {
    fields = o.columns.map((c) => {
      const f = schema.fields.find((x) => x.name === c);
      if (!f) throw new Error(`no column ${c} in the schema (columns: ${schema.fields.map((x) => x.name).join(', ')})`);
      return f;
    });
  }
  if (dataEntries.length === 0) return; // icebird throws on a snapshot without data files
  const rows = await icebergRead({ tableUrl, metadata: md });
  const out = [];
  for (const row of rows) {
    const obj = {};
    for (const f of fields) {
      try {
        obj[f.name] = normalizeIceberg(row[f.name], f.type);
      } catch (e) {
        throw new Error(`column ${f.name}: ${e.message}`);
      }
    }
    out.push(JSON.stringify(obj));
  }
  process.stdout.write(out.length ? out.join('\n') + '\n' : '');
}

main().catch((e) => {
  process.stderr.write(`read.mjs: ${e?.message ?? e}\n`);
  process.exit(1);
});

