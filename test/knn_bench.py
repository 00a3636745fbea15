#!/usr/bin/python3
"""knn_bench.py - the nearest-neighbour benchmark of test/bench.sh (section i).

A deterministic data set (numpy, fixed seed): CENTRES random centres in
[0, 1)^DIM, ROWS vectors each a centre plus Gaussian noise, loaded by
binary COPY into a spillpool table whose embedding column has an index,
flushed in SHARDS flushes of ROWS / SHARDS rows (each timed), and the same
rows into a table without an embedding column, flushed the same way (the
flush without an index); then UNFLUSHED more vectors that stay in the
memtable and segments.  QUERIES query vectors near the centres.

Measured:
  * recall@10 of `ORDER BY emb <-> q LIMIT 10` (SpillpoolKnn, default
    spillpool.ef_search) against the exact top 10 computed by numpy over
    every vector (float64); the exact scan of the table
    (spillpool.enable_knn = off) is run for EXACT_QUERIES of the queries and
    must give numpy's answer;
  * query latency (client wall clock, one connection, after a warm-up
    query that loads the indexes): median and p99 over every query, against
    the exact scan's median and p99; and the first query of a new session,
    which reads the index files;
  * index build time per flush: the flush with the index against the flush
    of the same rows without one (medians over the SHARDS flushes).

Prints one line of key=value pairs (the last line of its output).
"""
import argparse
import statistics
import sys
import time

import numpy as np
import psycopg2


def copy_binary(cur, table, ids, vecs):
    """COPY (id int, emb real[]) rows into table in binary format."""
    n, dim = vecs.shape
    dt = np.dtype([('nf', '>i2'), ('l1', '>i4'), ('id', '>i4'), ('l2', '>i4'),
                   ('ndim', '>i4'), ('flags', '>i4'), ('et', '>u4'), ('dim', '>i4'),
                   ('lb', '>i4'), ('el', [('len', '>i4'), ('v', '>f4')], (dim,))])
    rec = np.empty(n, dt)
    rec['nf'] = 2
    rec['l1'] = 4
    rec['id'] = ids
    rec['l2'] = 20 + 8 * dim
    rec['ndim'] = 1
    rec['flags'] = 0
    rec['et'] = 700          # float4
    rec['dim'] = dim
    rec['lb'] = 1
    rec['el']['len'] = 4
    rec['el']['v'] = vecs
    data = (b'PGCOPY\n\xff\r\n\x00' + np.array([0, 0], '>i4').tobytes() +
            rec.tobytes() + np.array([-1], '>i2').tobytes())

    class Reader:
        def __init__(self, b):
            self.b = memoryview(b)
            self.off = 0

        def read(self, size=-1):
            if size is None or size < 0:
                size = len(self.b) - self.off
            chunk = self.b[self.off:self.off + size]
            self.off += len(chunk)
            return bytes(chunk)

        readline = read

    cur.copy_expert('COPY %s FROM STDIN WITH (FORMAT binary)' % table, Reader(data))


def vec_literal(v):
    return '{' + ','.join('%.9g' % x for x in v) + '}'


def timed(cur, sql, args=None):
    t0 = time.perf_counter()
    cur.execute(sql, args)
    rows = cur.fetchall()
    return (time.perf_counter() - t0) * 1000.0, rows


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--dsn', required=True)
    ap.add_argument('--rows', type=int, default=1000000)
    ap.add_argument('--shards', type=int, default=10)
    ap.add_argument('--unflushed', type=int, default=20000)
    ap.add_argument('--dim', type=int, default=128)
    ap.add_argument('--centres', type=int, default=1000)
    ap.add_argument('--queries', type=int, default=1000)
    ap.add_argument('--exact-queries', type=int, default=10)
    ap.add_argument('--noise', type=float, default=0.05)
    ap.add_argument('--seed', type=int, default=20261205)
    ap.add_argument('--ef-list', default='',
                    help='also recall and latency at these ef_search values (comma separated)')
    ap.add_argument('--reuse', action='store_true',
                    help='query the tables a previous run left (same sizes and seed)')
    a = ap.parse_args()

    rng = np.random.default_rng(a.seed)
    centres = rng.random((a.centres, a.dim), dtype=np.float32)
    total = a.rows + a.unflushed
    owner = rng.integers(0, a.centres, total)
    vecs = (centres[owner] + rng.normal(0.0, a.noise, (total, a.dim))).astype(np.float32)
    qowner = rng.integers(0, a.centres, a.queries)
    queries = (centres[qowner] + rng.normal(0.0, a.noise, (a.queries, a.dim))).astype(np.float32)
    ids = np.arange(1, total + 1, dtype=np.int32)

    conn = psycopg2.connect(a.dsn)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute('SET search_path = public, spillpool')
    for t in (() if a.reuse else ('bench_knn', 'bench_knn_noindex')):
        cur.execute('DROP TABLE IF EXISTS %s' % t)
        cur.execute('CREATE TABLE %s (id int, emb real[]) USING spillpool' % t)
        cur.execute("SELECT spillpool.alter_table(%s, flush_rows => 100000000, flush_bytes => '100GB', "
                    "flush_interval => '1 day', compact_min_shards => 0)", (t,))
    if not a.reuse:
        cur.execute("SELECT spillpool.alter_table('bench_knn', embedding_column => 'emb', "
                    "embedding_dimension => %s)", (a.dim,))

    per = a.rows // a.shards
    with_index, without_index = [], []
    for s in range(0 if a.reuse else a.shards):
        lo, hi = s * per, (s + 1) * per if s < a.shards - 1 else a.rows
        order = ('bench_knn', 'bench_knn_noindex') if s % 2 == 0 else ('bench_knn_noindex', 'bench_knn')
        for t in order:
            copy_binary(cur, t, ids[lo:hi], vecs[lo:hi])
            ms, _ = timed(cur, 'SELECT spillpool.flush(%s)', (t,))
            (with_index if t == 'bench_knn' else without_index).append(ms)
        print('flush %d: %.0f ms with the index, %.0f ms without' % (s + 1, with_index[-1], without_index[-1]),
              file=sys.stderr, flush=True)
    if not a.reuse:
        copy_binary(cur, 'bench_knn', ids[a.rows:], vecs[a.rows:])
    cur.execute("SELECT shards, shard_rows, (SELECT count(*) FROM bench_knn) - shard_rows "
                "FROM spillpool.stats('bench_knn')")
    shards, shard_rows, unflushed = cur.fetchone()
    cur.execute("SELECT sum(index_vectors), sum(bytes) FROM spillpool.shards('bench_knn')")
    index_vectors, shard_bytes = cur.fetchone()
    cur.execute("SELECT current_setting('spillpool.ef_search')")
    ef_search = cur.fetchone()[0]

    # the exact answers, by numpy in double precision
    x = vecs.astype(np.float64)
    xn = (x * x).sum(axis=1)
    truth = []
    for b in range(0, a.queries, 50):
        q = queries[b:b + 50].astype(np.float64)
        d = xn[None, :] - 2.0 * (q @ x.T) + (q * q).sum(axis=1)[:, None]
        top = np.argpartition(d, 10, axis=1)[:, :10]
        for r in range(top.shape[0]):
            t = top[r][np.argsort(d[r, top[r]])]
            truth.append([int(ids[i]) for i in t])
    del x

    sql = 'SELECT id FROM bench_knn ORDER BY emb <-> %s::real[] LIMIT 10'
    # the first query of a new session reads every shard's index file
    cold = psycopg2.connect(a.dsn)
    cold_cur = cold.cursor()
    cold_cur.execute('SET search_path = public, spillpool')
    cold_ms, _ = timed(cold_cur, sql, (vec_literal(queries[-1]),))
    cold.close()
    cur.execute('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' + sql, (vec_literal(queries[0]),))
    plan = ' / '.join(r[0].strip() for r in cur.fetchall() if 'Shards' in r[0] or 'Brute' in r[0] or 'Custom' in r[0])
    knn_ms, hits = [], 0
    for i in range(a.queries):
        ms, rows = timed(cur, sql, (vec_literal(queries[i]),))
        knn_ms.append(ms)
        hits += len(set(r[0] for r in rows) & set(truth[i]))
    recall = hits / (10.0 * a.queries)
    for ef in [int(x) for x in a.ef_list.split(',') if x]:
        cur.execute('SET spillpool.ef_search = %s', (ef,))
        ms_ef, hits_ef = [], 0
        for i in range(a.queries):
            ms, rows = timed(cur, sql, (vec_literal(queries[i]),))
            ms_ef.append(ms)
            hits_ef += len(set(r[0] for r in rows) & set(truth[i]))
        print('ef_search=%d recall=%.4f p50_ms=%.2f p99_ms=%.2f' %
              (ef, hits_ef / (10.0 * a.queries), statistics.median(ms_ef), pct(ms_ef, 99)), file=sys.stderr)
        cur.execute('RESET spillpool.ef_search')

    cur.execute('SET spillpool.enable_knn = off')
    exact_ms, exact_same = [], 0
    for i in range(a.exact_queries):
        ms, rows = timed(cur, sql, (vec_literal(queries[i]),))
        exact_ms.append(ms)
        exact_same += int([r[0] for r in rows] == truth[i])
    cur.execute('RESET spillpool.enable_knn')

    print('plan: %s' % plan, file=sys.stderr)
    print(' '.join('%s=%s' % kv for kv in [
        ('shards', shards), ('shard_rows', shard_rows), ('unflushed', unflushed),
        ('index_vectors', index_vectors), ('shard_bytes', shard_bytes), ('ef_search', ef_search),
        ('recall', '%.4f' % recall),
        ('knn_p50_ms', '%.2f' % statistics.median(knn_ms)), ('knn_p99_ms', '%.2f' % pct(knn_ms, 99)),
        ('knn_cold_ms', '%.1f' % cold_ms),
        ('exact_p50_ms', '%.1f' % statistics.median(exact_ms) if exact_ms else 'n/a'),
        ('exact_p99_ms', '%.1f' % pct(exact_ms, 99) if exact_ms else 'n/a'),
        ('exact_queries', a.exact_queries), ('exact_same', exact_same),
        ('flush_index_ms', '%.1f' % statistics.median(with_index) if with_index else 'n/a'),
        ('flush_noindex_ms', '%.1f' % statistics.median(without_index) if without_index else 'n/a'),
    ]))


if __name__ == '__main__':
    main()
