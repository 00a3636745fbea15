// normalize.mjs - one JSON form for the values read.mjs (icebird) and
// duckdb_files.mjs (DuckDB) print, chosen so a Perl TAP test can compare
// them with PostgreSQL's text output.
//
//   Iceberg type      PostgreSQL        printed as
//   ----------------  ----------------  -------------------------------------------
//   (any) null        NULL              null
//   boolean           boolean           true / false            (PG prints t / f)
//   int               int, smallint     JSON number             e.g. -32768
//   long              bigint            decimal string          e.g. "9223372036854775807"
//   float             real              JSON number, shortest decimal that reads back as
//                                       the same float32 (like PG's float4out): 0.1, not
//                                       0.10000000149011612; NaN / Infinity / -Infinity /
//                                       -0 as the strings "NaN" "Infinity" "-Infinity" "-0"
//   double            double precision  JSON number (shortest round-trip), specials as above
//   decimal(P,S)      numeric(P,S)      string with exactly S decimals, e.g. "-12.50"
//                                       (PG's numeric(P,S) text form)
//   string            text, varchar     JSON string
//   uuid              uuid              lowercase 8-4-4-4-12 string (PG's form)
//   binary, fixed[L]  bytea             lowercase hex string WITHOUT "\x", e.g. "00ff"
//                                       (compare with encode(col, 'hex'))
//   date              date              "YYYY-MM-DD" (PG with DateStyle ISO; years 1..9999)
//   time              time              "HH:MM:SS[.ffffff]" with trailing zeros of the
//                                       fraction dropped, as PG prints time
//   timestamp         timestamp         microseconds since 1970-01-01 00:00:00 as a decimal
//                                       string, e.g. "-1" for 1969-12-31 23:59:59.999999
//                                       (compare with (extract(epoch from col)*1000000)::bigint)
//   timestamptz       timestamptz       microseconds since the epoch (UTC), decimal string
//   struct / list / map                 JSON object / array / array of [key, value] pairs,
//                                       members normalised recursively
//
// Both readers hand values to the helpers below in "raw" form (bigint,
// microseconds, day numbers, byte arrays), so each Iceberg type goes through
// the same formatting code whichever reader produced it.

export class Micros {
  // A timestamp as microseconds since the epoch (bigint).
  constructor(us) {
    this.us = us;
  }
}

export class Days {
  // A date as days since 1970-01-01 (number).
  constructor(days) {
    this.days = days;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8enc = new TextEncoder();

export function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function uuidFromBytes(bytes) {
  if (bytes.length !== 16) throw new Error(`uuid value has ${bytes.length} bytes, not 16`);
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function special(x) {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (Object.is(x, -0)) return '-0';
  return undefined;
}

export function double(x) {
  x = Number(x);
  return special(x) ?? x;
}

export function float32(x) {
  x = Number(x);
  const s = special(x);
  if (s !== undefined) return s;
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const y = Number(f.toPrecision(p));
    if (Math.fround(y) === f) return y;
  }
  return f;
}

// unscaled: bigint; scale: number of decimals.
export function decimalFromUnscaled(unscaled, scale) {
  unscaled = BigInt(unscaled);
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString();
  if (scale <= 0) return (neg ? '-' : '') + digits + '0'.repeat(-scale);
  digits = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

// Big-endian two's complement bytes -> bigint.
export function bigintFromBytes(bytes) {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  if (bytes.length && bytes[0] & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v;
}

export function dateFromDays(days) {
  const d = new Date(Number(days) * 86400000);
  if (Number.isNaN(d.getTime())) throw new Error(`date out of range: ${days} days`);
  const y = d.getUTCFullYear();
  const ys = y >= 0 && y <= 9999 ? String(y).padStart(4, '0') : String(y);
  return `${ys}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

export function timeFromMicros(us) {
  us = BigInt(us);
  const sec = us / 1000000n;
  const frac = us % 1000000n;
  const hh = String(sec / 3600n).padStart(2, '0');
  const mm = String((sec / 60n) % 60n).padStart(2, '0');
  const ss = String(sec % 60n).padStart(2, '0');
  let out = `${hh}:${mm}:${ss}`;
  if (frac) out += '.' + String(frac).padStart(6, '0').replace(/0+$/, '');
  return out;
}

export function bytesOf(v) {
  // Byte strings arrive as Uint8Array, or as a JS string when a reader
  // decoded them as UTF-8 (read.mjs makes that decoding exact and reversible).
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return utf8enc.encode(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new Error(`expected bytes, got ${typeof v}`);
}

export function stringOf(v) {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) {
    try {
      return utf8.decode(v);
    } catch {
      throw new Error(`string value is not valid UTF-8: ${hex(v)}`);
    }
  }
  // a string column whose Parquet chunks are annotated JSON (spillpool
  // writes json/jsonb so): hyparquet parses the text; print it back as JSON
  if (v !== null && typeof v === 'object') return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? x.toString() : x));
  throw new Error(`expected a string, got ${typeof v}`);
}

export function microsOf(v) {
  if (v instanceof Micros) return v.us;
  if (v instanceof Date) return BigInt(v.getTime()) * 1000n; // millisecond precision only
  if (typeof v === 'bigint') return v;
  throw new Error(`expected a timestamp, got ${v?.constructor?.name ?? typeof v}`);
}

export function daysOf(v) {
  if (v instanceof Days) return v.days;
  if (v instanceof Date) return Math.floor(v.getTime() / 86400000);
  if (typeof v === 'number') return v;
  throw new Error(`expected a date, got ${v?.constructor?.name ?? typeof v}`);
}

// ---- Iceberg-typed normalisation (read.mjs) --------------------------------

let warnedLossyDecimal = false;

// type: an Iceberg schema type (string or nested object), value: as icebird /
// hyparquet returned it (with read.mjs's parsers in place).
export function normalizeIceberg(value, type) {
  if (value === null || value === undefined) return null;
  if (typeof type === 'object') {
    switch (type.type) {
      case 'struct': {
        const out = {};
        for (const f of type.fields) out[f.name] = normalizeIceberg(value[f.name], f.type);
        return out;
      }
      case 'list':
        return Array.from(value, (e) => normalizeIceberg(e, type.element));
      case 'map': {
        const entries = value instanceof Map ? [...value.entries()]
          : Array.isArray(value) ? value.map((e) => (Array.isArray(e) ? e : [e.key, e.value]))
            : Object.entries(value);
        return entries.map(([k, v]) => [normalizeIceberg(k, type.key), normalizeIceberg(v, type.value)]);
      }
      default:
        throw new Error(`unsupported Iceberg type ${JSON.stringify(type)}`);
    }
  }
  const t = type.replace(/\s+/g, '');
  if (t === 'boolean') return Boolean(value);
  if (t === 'int') return Number(value);
  if (t === 'long') return BigInt(value).toString();
  if (t === 'float') return float32(value);
  if (t === 'double') return double(value);
  if (t === 'string') return stringOf(value);
  if (t === 'uuid') {
    if (typeof value === 'string' && /^[0-9a-f-]{36}$/i.test(value)) return value.toLowerCase();
    return uuidFromBytes(bytesOf(value));
  }
  if (t === 'binary' || t.startsWith('fixed[')) return hex(bytesOf(value));
  if (t === 'date') return dateFromDays(daysOf(value));
  if (t === 'time') return timeFromMicros(typeof value === 'bigint' ? value : BigInt(value));
  if (t === 'timestamp' || t === 'timestamptz') return microsOf(value).toString();
  const m = /^decimal\((\d+),(\d+)\)$/.exec(t);
  if (m) {
    const precision = Number(m[1]);
    const scale = Number(m[2]);
    if (typeof value === 'bigint') return decimalFromUnscaled(value, scale);
    if (value instanceof Uint8Array) return decimalFromUnscaled(bigintFromBytes(value), scale);
    // hyparquet 1.19 hands decimals over as a JS number (unscaled * 10^-S):
    // exact after rounding to S decimals while P <= 15.
    if (precision > 15 && !warnedLossyDecimal) {
      warnedLossyDecimal = true;
      process.stderr.write(`read.mjs: warning: ${type} values come from hyparquet as JS numbers; digits past the 15th may be wrong\n`);
    }
    const s = Number(value).toFixed(scale);
    return s.startsWith('-') && /^-0\.?0*$/.test(s) ? s.slice(1) : s;
  }
  throw new Error(`unsupported Iceberg type ${type}`);
}
