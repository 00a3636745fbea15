// serve.mjs - a tiny read-only static HTTP server for the Iceberg readers.
//
//   node test/iceberg/serve.mjs ROOT_DIR [--log] [--max-seconds N]
//
// Serves the files under ROOT_DIR on 127.0.0.1 at a port the OS picks, and
// prints that port alone on the first line of stdout (then nothing else on
// stdout), so a test can do:
//
//   my $pid = open(my $srv, '-|', 'node', 'test/iceberg/serve.mjs', $dir);
//   my $port = <$srv>; chomp $port;           # e.g. 41237
//   ... http://127.0.0.1:$port/<table>/ ...
//   kill 'TERM', $pid; waitpid($pid, 0);
//
// What it does (only what icebird, hyparquet and Node's fetch need):
//   - GET and HEAD of regular files; any other method gets 405.
//   - HEAD and GET send Content-Length and Accept-Ranges: bytes (hyparquet's
//     byteLengthFromUrl reads Content-Length from a HEAD response when it is
//     not given the size).
//   - "Range: bytes=A-B", "bytes=A-" and "bytes=-N" give 206 with
//     Content-Range (hyparquet's asyncBufferFromUrl sends "bytes=A-B" and
//     "bytes=A-" and accepts 206, or 200 with the whole file); a range past
//     the end gives 416; a multi-range or malformed header is ignored and the
//     whole file is sent with 200, as RFC 9110 allows.
//   - no directory listing: a directory gets 404.
//   - paths are percent-decoded, then resolved against ROOT_DIR; one that
//     leaves ROOT_DIR (.., encoded ..%2f, symlinks pointing outside, NUL)
//     gets 403.
// It exits on SIGTERM/SIGINT, when its parent process goes away (so a
// crashed test does not leave it behind), and after --max-seconds if given.
// --log writes one line per request to stderr.
import http from 'node:http';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

function usage(msg) {
  if (msg) process.stderr.write(`serve.mjs: ${msg}\n`);
  process.stderr.write('usage: node serve.mjs ROOT_DIR [--log] [--max-seconds N]\n');
  process.exit(2);
}

let rootArg;
let log = false;
let maxSeconds = 0;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--log') log = true;
  else if (a === '--max-seconds') {
    maxSeconds = Number(argv[++i]);
    if (!Number.isFinite(maxSeconds) || maxSeconds <= 0) usage('--max-seconds needs a positive number');
  } else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else if (rootArg === undefined) rootArg = a;
  else usage('only one ROOT_DIR');
}
if (rootArg === undefined) usage('ROOT_DIR missing');

let root;
try {
  root = fs.realpathSync(rootArg);
  if (!fs.statSync(root).isDirectory()) usage(`${rootArg} is not a directory`);
} catch (e) {
  usage(`${rootArg}: ${e.message}`);
}

const TYPES = {
  '.json': 'application/json',
  '.text': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.avro': 'application/avro',
  '.parquet': 'application/vnd.apache.parquet',
};

function inside(p) {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

// Maps a request target to a real path under root, or returns an HTTP status.
async function resolveTarget(target) {
  let pathname;
  try {
    pathname = new URL(target, 'http://x').pathname;
    pathname = decodeURIComponent(pathname);
  } catch {
    return 400;
  }
  if (pathname.includes('\0')) return 403;
  // (The URL parser already folded plain "/../" segments; what is left, e.g.
  // from an encoded "..%2f", is folded by path.resolve and caught here.)
  const candidate = path.resolve(root, '.' + pathname);
  // Check the lexical result first, then the real path (symlinks) once the
  // file is known to exist.
  if (!inside(candidate)) return 403;
  let real;
  try {
    real = await fsp.realpath(candidate);
  } catch {
    return 404;
  }
  if (!inside(real)) return 403;
  return real;
}

// Parses a single "bytes=" range against size; returns {start, end} (end
// inclusive), 'unsatisfiable', or null (ignore the header).
function parseRange(header, size) {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return null; // multi-range or other units: serve the whole file
  const [, a, b] = m;
  if (a === '' && b === '') return null;
  let start;
  let end;
  if (a === '') {
    // suffix: the last N bytes
    const n = Number(b);
    if (n === 0) return 'unsatisfiable';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== '' && Number(b) < start) return null; // invalid: ignore
  }
  if (start >= size || size === 0) return 'unsatisfiable';
  return { start, end };
}

function send(res, status, text, extra = {}) {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

async function handle(req, res) {
  const method = req.method;
  if (method !== 'GET' && method !== 'HEAD') {
    send(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    return 405;
  }
  const target = await resolveTarget(req.url);
  if (typeof target === 'number') {
    send(res, target, `${http.STATUS_CODES[target]}\n`);
    return target;
  }
  let fh;
  try {
    fh = await fsp.open(target, 'r');
  } catch {
    send(res, 404, 'Not Found\n');
    return 404;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      send(res, 404, 'Not Found\n');
      return 404;
    }
    const size = st.size;
    const headers = {
      'Content-Type': TYPES[path.extname(target)] || 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      'Last-Modified': st.mtime.toUTCString(),
      'Cache-Control': 'no-store',
    };
    let status = 200;
    let start = 0;
    let end = size - 1;
    const rangeHeader = req.headers.range;
    if (rangeHeader !== undefined) {
      const r = parseRange(rangeHeader, size);
      if (r === 'unsatisfiable') {
        send(res, 416, 'Range Not Satisfiable\n', { 'Content-Range': `bytes */${size}` });
        return 416;
      }
      if (r) {
        status = 206;
        ({ start, end } = r);
        headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
      }
    }
    const length = size === 0 ? 0 : end - start + 1;
    headers['Content-Length'] = length;
    res.writeHead(status, headers);
    if (method === 'HEAD' || length === 0) {
      res.end();
      return status;
    }
    // Read exactly the requested bytes from the open handle (the file may
    // not change under us: Iceberg files are immutable once written).
    const stream = fh.createReadStream({ start, end, autoClose: false });
    await new Promise((resolve, reject) => {
      stream.on('error', reject);
      res.on('close', resolve);
      stream.pipe(res);
    });
    return status;
  } finally {
    await fh.close().catch(() => {});
  }
}

const server = http.createServer((req, res) => {
  handle(req, res)
    .then((status) => {
      if (log) process.stderr.write(`${req.method} ${req.url} ${req.headers.range ?? ''} -> ${status}\n`);
    })
    .catch((e) => {
      if (log) process.stderr.write(`${req.method} ${req.url} -> error ${e.message}\n`);
      if (!res.headersSent) send(res, 500, 'Internal Server Error\n');
      else res.destroy();
    });
});

server.keepAliveTimeout = 1000;
server.on('error', (e) => {
  process.stderr.write(`serve.mjs: ${e.message}\n`);
  process.exit(1);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});

function stop() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('SIGHUP', stop);

const parent = process.ppid;
setInterval(() => {
  // Reparented: whoever started us is gone.
  if (process.ppid !== parent) stop();
}, 1000).unref();
if (maxSeconds > 0) setTimeout(stop, maxSeconds * 1000).unref();
