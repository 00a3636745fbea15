/*-------------------------------------------------------------------------
 *
 * hnsw.c
 *	  The HNSW index of one shard: built in memory over the vectors of the
 *	  shard's embedding column when a flush or a compaction writes the
 *	  shard, written beside it as <snapshot>-<n>.hnsw, and searched by the
 *	  nearest-neighbour scan (knn.c).
 *
 * The graph is the one of Malkov and Yashunin's "Efficient and robust
 * approximate nearest neighbor search using Hierarchical Navigable Small
 * World graphs": each vector gets a random top layer (exponentially
 * rarer the higher), links to m neighbours on each layer above 0 and to
 * 2m on layer 0, chosen by the paper's heuristic (a candidate is kept only
 * if it is nearer to the new vector than to every neighbour kept so far,
 * which keeps links spread in every direction).  A search descends
 * greedily from the entry point through the upper layers and then keeps
 * the ef best candidates on layer 0.
 *
 * The levels come from a generator seeded with the number of vectors, so
 * that building the same vectors again gives the same file.
 *
 * The file holds the vectors themselves (a search needs them, and an exact
 * search of the shard can use them without reading the Parquet file), the
 * shard row of each vector, the graph, and a flags byte per vector, in
 * fixed-size arrays after a header that names the column, and ends with
 * the CRC32C of everything before it.  The manifest
 * records the file's size and the CRC32C of the whole file, so a file
 * that is missing, cut short, damaged or from another build is found
 * before it is used; reading also checks that every link names a vector
 * of the file.  Those files are written once and never changed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "tier/fault.h"
#include "vector/distance.h"
#include "vector/hnsw.h"

#define HNSW_MAGIC "SPHNSW1\n"
#define HNSW_VERSION 2
#define HNSW_MAX_LEVEL 16

/* The file's header; the arrays follow in the order of the fields below. */
typedef struct HnswFileHeader
{
	char		magic[8];
	uint32		version;
	uint32		dim;
	uint32		metric;
	uint32		m;
	uint32		ef_construction;
	int32		n;
	int32		max_level;
	int32		entry;
	int64		upper_len;
	int64		attnum;			/* the column the vectors are of */
	int64		reserved[2];
} HnswFileHeader;

/*
 * The graph a search walks: the arrays of a file, or of a build in
 * progress (whose upper layers are one allocation per vector).
 */
typedef struct HnswGraph
{
	int			dim;
	int			metric;
	int			m;
	int32		n;
	const float4 *vectors;
	int32	   *links0;
	int32	  **upper_ptr;		/* a build's, or NULL */
	const int64 *upper_off;		/* a file's */
	const int32 *upper;
	uint8	   *visited;		/* n flags, cleared after each search */
	int32	   *touched;		/* the vectors flagged, to clear them */
	int32		ntouched;
} HnswGraph;

/* A binary heap of hits: the nearest on top (min) or the farthest (max). */
typedef struct HitHeap
{
	HnswHit    *h;
	int			len;
	int			cap;
	bool		max;
} HitHeap;

/*
 * Distance between two vectors by metric, as the operators compute it:
 * l2 (<->), cosine distance (<=>) or negative inner product (<#>).
 */
float8
hnsw_distance(int metric, const float4 *a, const float4 *b, int dim)
{
	switch (metric)
	{
		case VECTOR_METRIC_COSINE:
			return vector_cosine_distance(a, b, dim);
		case VECTOR_METRIC_INNER_PRODUCT:
			return -vector_inner_product(a, b, dim);
		default:
			return vector_l2_distance(a, b, dim);
	}
}

#if defined(__GNUC__)
typedef float4 hnsw_v4sf __attribute__((vector_size(16)));
#endif

/*
 * The distance the graph is built and walked with: in single precision,
 * four lanes at a time where the compiler has vector types, and for l2
 * squared (same order, no square root).  It orders vectors as the exact
 * distance does up to rounding; the hits a search returns get their exact
 * distance (hnsw_distance) before anything compares them with rows of
 * other shards or tiers.
 */
static float8
graph_distance(int metric, const float4 *a, const float4 *b, int dim)
{
	float4		dot = 0,
				na = 0,
				nb = 0,
				l2 = 0;
	int			i = 0;

#if defined(__GNUC__)
	{
		hnsw_v4sf	vdot = {0, 0, 0, 0},
					vna = {0, 0, 0, 0},
					vnb = {0, 0, 0, 0},
					vl2 = {0, 0, 0, 0};

		for (; i + 4 <= dim; i += 4)
		{
			hnsw_v4sf	x,
						y;

			memcpy(&x, a + i, sizeof(x));
			memcpy(&y, b + i, sizeof(y));
			if (metric == VECTOR_METRIC_L2)
			{
				hnsw_v4sf	d = x - y;

				vl2 += d * d;
			}
			else
			{
				vdot += x * y;
				vna += x * x;
				vnb += y * y;
			}
		}
		dot = vdot[0] + vdot[1] + vdot[2] + vdot[3];
		na = vna[0] + vna[1] + vna[2] + vna[3];
		nb = vnb[0] + vnb[1] + vnb[2] + vnb[3];
		l2 = vl2[0] + vl2[1] + vl2[2] + vl2[3];
	}
#endif
	for (; i < dim; i++)
	{
		float4		d = a[i] - b[i];

		l2 += d * d;
		dot += a[i] * b[i];
		na += a[i] * a[i];
		nb += b[i] * b[i];
	}
	switch (metric)
	{
		case VECTOR_METRIC_COSINE:
			if (na == 0 || nb == 0)
				return get_float8_nan();
			return 1.0 - dot / sqrt((float8) na * nb);
		case VECTOR_METRIC_INNER_PRODUCT:
			return -dot;
		default:
			return l2;
	}
}

/* Is hit a before b?  By distance as ORDER BY sorts float8 (NaN last). */
static inline bool
hit_before(const HnswHit *a, const HnswHit *b)
{
	if (float8_lt(a->distance, b->distance))
		return true;
	if (float8_gt(a->distance, b->distance))
		return false;
	return a->id < b->id;
}

/* Does the heap's order put a above b? */
static inline bool
heap_above(const HitHeap *hp, const HnswHit *a, const HnswHit *b)
{
	return hp->max ? hit_before(b, a) : hit_before(a, b);
}

/* An empty heap with room for cap hits (it grows past that). */
static void
heap_init(HitHeap *hp, int cap, bool max)
{
	hp->cap = Max(cap, 8);
	hp->h = palloc(sizeof(HnswHit) * hp->cap);
	hp->len = 0;
	hp->max = max;
}

/* Adds a hit, sifting it up to its place. */
static void
heap_push(HitHeap *hp, float8 distance, int32 id)
{
	int			i;

	if (hp->len == hp->cap)
	{
		hp->cap *= 2;
		hp->h = repalloc_huge(hp->h, sizeof(HnswHit) * hp->cap);
	}
	i = hp->len++;
	hp->h[i].distance = distance;
	hp->h[i].id = id;
	while (i > 0)
	{
		int			parent = (i - 1) / 2;
		HnswHit		t;

		if (!heap_above(hp, &hp->h[i], &hp->h[parent]))
			break;
		t = hp->h[i];
		hp->h[i] = hp->h[parent];
		hp->h[parent] = t;
		i = parent;
	}
}

/* Removes and returns the top hit; the heap must not be empty. */
static HnswHit
heap_pop(HitHeap *hp)
{
	HnswHit		top = hp->h[0];
	int			i = 0;

	hp->h[0] = hp->h[--hp->len];
	for (;;)
	{
		int			l = 2 * i + 1;
		int			r = l + 1;
		int			best = i;
		HnswHit		t;

		if (l < hp->len && heap_above(hp, &hp->h[l], &hp->h[best]))
			best = l;
		if (r < hp->len && heap_above(hp, &hp->h[r], &hp->h[best]))
			best = r;
		if (best == i)
			break;
		t = hp->h[i];
		hp->h[i] = hp->h[best];
		hp->h[best] = t;
		i = best;
	}
	return top;
}

/* Orders hits nearest first. */
static int
hit_cmp(const void *a, const void *b)
{
	const HnswHit *x = a;
	const HnswHit *y = b;

	if (hit_before(x, y))
		return -1;
	if (hit_before(y, x))
		return 1;
	return 0;
}

/* The heap's hits, nearest first, into out (which may be the heap's own). */
static int
heap_sorted(HitHeap *hp, HnswHit *out)
{
	int			n = hp->len;

	if (out != hp->h)
		memcpy(out, hp->h, sizeof(HnswHit) * n);
	qsort(out, n, sizeof(HnswHit), hit_cmp);
	return n;
}

static inline const float4 *
graph_vector(const HnswGraph *g, int32 id)
{
	return g->vectors + (int64) id * g->dim;
}

/* The link list (count, then ids) of a vector on a layer. */
static inline int32 *
graph_links(const HnswGraph *g, int32 id, int level)
{
	if (level == 0)
		return g->links0 + (int64) id * (2 * g->m + 1);
	if (g->upper_ptr != NULL)
		return g->upper_ptr[id] + (int64) (level - 1) * (g->m + 1);
	return (int32 *) g->upper + g->upper_off[id] + (int64) (level - 1) * (g->m + 1);
}

static inline void
graph_visit(HnswGraph *g, int32 id)
{
	g->visited[id] = 1;
	g->touched[g->ntouched++] = id;
}

/* Clears the visited flags of the last search. */
static void
graph_unvisit(HnswGraph *g)
{
	int32		i;

	for (i = 0; i < g->ntouched; i++)
		g->visited[g->touched[i]] = 0;
	g->ntouched = 0;
}

/*
 * Greedy descent on one upper layer: from *ep to the nearest vector to q
 * that links lead to.
 */
static void
graph_greedy(const HnswGraph *g, const float4 *q, int level, int32 *ep, float8 *ep_dist)
{
	bool		moved = true;

	while (moved)
	{
		int32	   *links = graph_links(g, *ep, level);
		int			i;

		moved = false;
		for (i = 1; i <= links[0]; i++)
		{
			float8		d = graph_distance(g->metric, q, graph_vector(g, links[i]), g->dim);

			if (float8_lt(d, *ep_dist))
			{
				*ep = links[i];
				*ep_dist = d;
				moved = true;
			}
		}
	}
}

/*
 * The ef nearest vectors to q on one layer that "allowed" accepts (NULL:
 * all), starting from the entry points eps, into res (a max-heap, emptied
 * first).  Vectors not accepted are walked through but not kept, so a
 * filter that keeps few vectors makes the walk cover more of the graph.
 */
static void
graph_search_layer(HnswGraph *g, const float4 *q, const HnswHit *eps, int neps,
				   int ef, int level, const bool *allowed, HitHeap *cand, HitHeap *res)
{
	int			i;

	cand->len = 0;
	res->len = 0;
	for (i = 0; i < neps; i++)
	{
		if (g->visited[eps[i].id])
			continue;
		graph_visit(g, eps[i].id);
		heap_push(cand, eps[i].distance, eps[i].id);
		if (allowed == NULL || allowed[eps[i].id])
			heap_push(res, eps[i].distance, eps[i].id);
	}
	while (res->len > ef)
		(void) heap_pop(res);
	while (cand->len > 0)
	{
		HnswHit		c = heap_pop(cand);
		int32	   *links;

		if (res->len >= ef && float8_gt(c.distance, res->h[0].distance))
			break;
		links = graph_links(g, c.id, level);
		for (i = 1; i <= links[0]; i++)
		{
			int32		nb = links[i];
			float8		d;

			if (g->visited[nb])
				continue;
			graph_visit(g, nb);
			d = graph_distance(g->metric, q, graph_vector(g, nb), g->dim);
			if (res->len < ef || float8_lt(d, res->h[0].distance))
			{
				heap_push(cand, d, nb);
				if (allowed == NULL || allowed[nb])
				{
					heap_push(res, d, nb);
					if (res->len > ef)
						(void) heap_pop(res);
				}
			}
		}
	}
	graph_unvisit(g);
}

/*
 * The paper's neighbour selection: of the candidates (nearest to the base
 * vector first), keep each that is nearer to the base than to every one
 * kept so far, up to max.  Returns how many were kept, in place.
 */
static int
graph_select_neighbours(const HnswGraph *g, HnswHit *cands, int ncands, int max)
{
	int			kept = 0;
	int			i,
				j;

	for (i = 0; i < ncands && kept < max; i++)
	{
		bool		good = true;

		for (j = 0; j < kept && good; j++)
		{
			float8		d = graph_distance(g->metric, graph_vector(g, cands[i].id),
										  graph_vector(g, cands[j].id), g->dim);

			if (float8_lt(d, cands[i].distance))
				good = false;
		}
		if (good)
			cands[kept++] = cands[i];
	}
	return kept;
}

/*
 * Links vector "from" to "to" on a layer; when the list is full, the
 * selection heuristic picks the neighbours to keep among the old ones and
 * the new one.
 */
static void
graph_add_link(HnswGraph *g, int32 from, int32 to, int level, HnswHit *scratch)
{
	int32	   *links = graph_links(g, from, level);
	int			max = level == 0 ? 2 * g->m : g->m;
	const float4 *base = graph_vector(g, from);
	int			n;
	int			i;

	if (links[0] < max)
	{
		links[++links[0]] = to;
		return;
	}
	n = 0;
	for (i = 1; i <= links[0]; i++)
	{
		scratch[n].id = links[i];
		scratch[n].distance = graph_distance(g->metric, base, graph_vector(g, links[i]), g->dim);
		n++;
	}
	scratch[n].id = to;
	scratch[n].distance = graph_distance(g->metric, base, graph_vector(g, to), g->dim);
	n++;
	qsort(scratch, n, sizeof(HnswHit), hit_cmp);
	n = graph_select_neighbours(g, scratch, n, max);
	links[0] = n;
	for (i = 0; i < n; i++)
		links[i + 1] = scratch[i].id;
}

/* Starts collecting vectors of dimension dim. */
void
hnsw_vectors_init(HnswVectors *v, int dim)
{
	v->dim = dim;
	v->n = 0;
	v->cap = 1024;
	v->vectors = palloc_extended(sizeof(float4) * dim * v->cap, MCXT_ALLOC_HUGE);
	v->rows = palloc(sizeof(int64) * v->cap);
	v->flags = palloc(v->cap);
}

/*
 * Adds one vector (dim floats) of row "row", with its flags
 * (HNSW_VECTOR_*).
 */
void
hnsw_vectors_add(HnswVectors *v, const float4 *x, int64 row, uint8 flags)
{
	if (v->n == v->cap)
	{
		if (v->cap >= PG_INT32_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many vectors for one shard's index")));
		v->cap *= 2;
		v->vectors = repalloc_huge(v->vectors, sizeof(float4) * v->dim * (Size) v->cap);
		v->rows = repalloc_huge(v->rows, sizeof(int64) * (Size) v->cap);
		v->flags = repalloc_huge(v->flags, (Size) v->cap);
	}
	memcpy(v->vectors + (Size) v->n * v->dim, x, sizeof(float4) * v->dim);
	v->flags[v->n] = flags;
	v->rows[v->n++] = row;
}

/* Frees what hnsw_vectors_init and hnsw_vectors_add allocated. */
void
hnsw_vectors_free(HnswVectors *v)
{
	if (v->vectors)
		pfree(v->vectors);
	if (v->rows)
		pfree(v->rows);
	if (v->flags)
		pfree(v->flags);
	v->vectors = NULL;
	v->rows = NULL;
	v->flags = NULL;
	v->n = v->cap = 0;
}

/* Writes len bytes to the index file being written, adding them to crc. */
static void
hnsw_write_bytes(int fd, const char *path, const void *data, Size len, pg_crc32c *crc)
{
	const char *p = data;

	COMP_CRC32C(*crc, p, len);
	while (len > 0)
	{
		Size		chunk = Min(len, (Size) 64 * 1024 * 1024);
		ssize_t		w;

		errno = 0;
		w = write(fd, p, chunk);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
		{
			if (errno == 0)
				errno = ENOSPC;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write file \"%s\": %m", path)));
		}
		p += w;
		len -= w;
	}
}

/*
 * Builds the index of vectors first .. first + count - 1 of v, whose rows
 * in their shard are their rows in v less row_base, vectors of column
 * attnum, and writes it to path,
 * fsynced (the caller fsyncs the directory).  Returns the file's size and
 * its CRC32C, for the manifest.  Checks for interrupts as it goes.
 */
void
hnsw_build_write(const HnswVectors *v, int32 first, int32 count, int64 row_base,
				 int metric, int m, int ef_construction, AttrNumber attnum,
				 const char *path, int64 *bytes, pg_crc32c *crc)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "spillpool hnsw build",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	HnswGraph	g;
	HnswFileHeader hdr;
	uint8	   *levels;
	int64	   *rows;
	int64	   *upper_off;
	int64		upper_len = 0;
	HitHeap		cand,
				res;
	HnswHit    *found;
	HnswHit    *scratch;
	HnswHit    *linkbuf;
	pg_prng_state prng;
	double		ml = 1.0 / log((double) Max(m, 2));
	int			max_level = 0;
	int32		entry = -1;
	int32		i;
	int			fd;
	pg_crc32c	file_crc;
	pg_crc32c	whole_crc;
	Size		links0_len = (Size) count * (2 * m + 1);

	memset(&g, 0, sizeof(g));
	g.dim = v->dim;
	g.metric = metric;
	g.m = m;
	g.n = count;
	g.vectors = v->vectors + (Size) first * v->dim;
	g.links0 = palloc_extended(sizeof(int32) * Max(links0_len, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	g.upper_ptr = palloc_extended(sizeof(int32 *) * Max(count, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	g.visited = palloc_extended(Max(count, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	g.touched = palloc_extended(sizeof(int32) * Max(count, 1), MCXT_ALLOC_HUGE);
	levels = palloc_extended(Max(count, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	rows = palloc_extended(sizeof(int64) * Max(count, 1), MCXT_ALLOC_HUGE);
	upper_off = palloc_extended(sizeof(int64) * Max(count, 1), MCXT_ALLOC_HUGE);
	heap_init(&cand, ef_construction * 4, false);
	heap_init(&res, ef_construction + 1, true);
	found = palloc(sizeof(HnswHit) * (ef_construction + 1));
	scratch = palloc(sizeof(HnswHit) * (2 * m + 2));
	linkbuf = palloc(sizeof(HnswHit) * (2 * m + 2));
	pg_prng_seed(&prng, (uint64) count);

	for (i = 0; i < count; i++)
	{
		const float4 *q = graph_vector(&g, i);
		double		u = pg_prng_double(&prng);
		int			level = (int) floor(-log(1.0 - u) * ml);
		int32		ep;
		float8		ep_dist;
		int			nfound;
		int			l;

		CHECK_FOR_INTERRUPTS();
		rows[i] = v->rows[first + i] - row_base;
		level = Min(level, HNSW_MAX_LEVEL);
		levels[i] = (uint8) level;
		upper_off[i] = -1;
		if (level > 0)
		{
			g.upper_ptr[i] = palloc0(sizeof(int32) * level * (m + 1));
			upper_off[i] = upper_len;
			upper_len += (int64) level * (m + 1);
		}
		if (entry < 0)
		{
			entry = i;
			max_level = level;
			continue;
		}
		ep = entry;
		ep_dist = graph_distance(metric, q, graph_vector(&g, ep), g.dim);
		for (l = max_level; l > level; l--)
			graph_greedy(&g, q, l, &ep, &ep_dist);
		found[0].id = ep;
		found[0].distance = ep_dist;
		nfound = 1;
		for (l = Min(level, max_level); l >= 0; l--)
		{
			int			nsel;
			int			j;
			int32	   *links;

			graph_search_layer(&g, q, found, nfound, ef_construction, l, NULL, &cand, &res);
			nfound = heap_sorted(&res, found);
			/* select from a copy: the found set seeds the next layer down */
			memcpy(scratch, found, sizeof(HnswHit) * Min(nfound, 2 * m + 2));
			nsel = graph_select_neighbours(&g, scratch, Min(nfound, 2 * m + 2), m);
			links = graph_links(&g, i, l);
			links[0] = nsel;
			for (j = 0; j < nsel; j++)
				links[j + 1] = scratch[j].id;
			for (j = 0; j < nsel; j++)
				graph_add_link(&g, links[j + 1], i, l, linkbuf);
		}
		if (level > max_level)
		{
			max_level = level;
			entry = i;
		}
	}

	/* the file: header, arrays, CRC32C of all that */
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.magic, HNSW_MAGIC, 8);
	hdr.version = HNSW_VERSION;
	hdr.dim = v->dim;
	hdr.metric = metric;
	hdr.m = m;
	hdr.ef_construction = ef_construction;
	hdr.n = count;
	hdr.max_level = max_level;
	hdr.entry = entry;
	hdr.upper_len = upper_len;
	hdr.attnum = attnum;

	fd = OpenTransientFile(path, O_CREAT | O_TRUNC | O_WRONLY | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", path)));
	INIT_CRC32C(file_crc);
	hnsw_write_bytes(fd, path, &hdr, sizeof(hdr), &file_crc);
	hnsw_write_bytes(fd, path, rows, sizeof(int64) * count, &file_crc);
	hnsw_write_bytes(fd, path, upper_off, sizeof(int64) * count, &file_crc);
	hnsw_write_bytes(fd, path, g.vectors, sizeof(float4) * (Size) count * v->dim, &file_crc);
	/* (testing) a crash with the file half written */
	spillpool_fault_point("index-build");
	hnsw_write_bytes(fd, path, g.links0, sizeof(int32) * links0_len, &file_crc);
	for (i = 0; i < count; i++)
		if (levels[i] > 0)
			hnsw_write_bytes(fd, path, g.upper_ptr[i],
							 sizeof(int32) * levels[i] * (m + 1), &file_crc);
	hnsw_write_bytes(fd, path, levels, count, &file_crc);
	hnsw_write_bytes(fd, path, v->flags + first, count, &file_crc);
	whole_crc = file_crc;
	FIN_CRC32C(file_crc);
	hnsw_write_bytes(fd, path, &file_crc, sizeof(file_crc), &whole_crc);
	FIN_CRC32C(whole_crc);
	if (pg_fsync(fd) != 0)
		ereport(data_sync_elevel(ERROR),
				(errcode_for_file_access(),
				 errmsg("could not fsync file \"%s\": %m", path)));
	if (CloseTransientFile(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close file \"%s\": %m", path)));
	*bytes = sizeof(hdr) + (int64) count * (2 * sizeof(int64) + sizeof(float4) * v->dim) +
		(int64) sizeof(int32) * (links0_len + upper_len) + 2 * (int64) count + sizeof(pg_crc32c);
	*crc = whole_crc;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* A reason an index file cannot be used, for the caller's WARNING. */
static HnswIndex *
hnsw_read_failed(char **error, char *buf, const char *fmt, const char *path)
{
	if (buf)
		pfree(buf);
	*error = psprintf(fmt, path);
	return NULL;
}

/*
 * Reads the index file at path, which the manifest says is "bytes" long
 * with CRC32C "crc" and "vectors" vectors of a shard of "rows" rows, into
 * memory of context cxt.  Returns NULL with *error set (a sentence for a
 * WARNING's detail, in the current context) when the file is missing,
 * unreadable, of another size or checksum, or not a well-formed index;
 * the caller then searches the shard exactly.  Every array index the
 * searches follow is checked here.
 */
HnswIndex *
hnsw_read(const char *path, int64 bytes, pg_crc32c crc, int64 vectors, int64 rows,
		  MemoryContext cxt, char **error)
{
	int			fd;
	struct stat st;
	char	   *buf;
	Size		off;
	pg_crc32c	got;
	pg_crc32c	inner;
	pg_crc32c	stored;
	HnswFileHeader hdr;
	HnswIndex  *ix;
	Size		need;
	int32		i;

	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		return hnsw_read_failed(error, NULL, errno == ENOENT ?
								"The index file \"%s\" is missing." :
								"The index file \"%s\" cannot be opened.", path);
	if (fstat(fd, &st) != 0 || st.st_size != bytes || bytes < (int64) (sizeof(hdr) + sizeof(pg_crc32c)))
	{
		CloseTransientFile(fd);
		return hnsw_read_failed(error, NULL,
								"The index file \"%s\" does not have the size the manifest records.", path);
	}
	buf = MemoryContextAllocExtended(cxt, bytes, MCXT_ALLOC_HUGE);
	for (off = 0; off < (Size) bytes;)
	{
		ssize_t		r = pread(fd, buf + off, Min((Size) bytes - off, (Size) 64 * 1024 * 1024), off);

		if (r <= 0)
		{
			CloseTransientFile(fd);
			return hnsw_read_failed(error, buf, "The index file \"%s\" cannot be read.", path);
		}
		off += r;
	}
	CloseTransientFile(fd);

	INIT_CRC32C(got);
	COMP_CRC32C(got, buf, bytes - sizeof(pg_crc32c));
	inner = got;
	FIN_CRC32C(inner);
	memcpy(&stored, buf + bytes - sizeof(pg_crc32c), sizeof(stored));
	COMP_CRC32C(got, buf + bytes - sizeof(pg_crc32c), sizeof(pg_crc32c));
	FIN_CRC32C(got);
	if (got != crc || inner != stored)
		return hnsw_read_failed(error, buf,
								"The checksum of the index file \"%s\" does not match the manifest's.", path);

	memcpy(&hdr, buf, sizeof(hdr));
	if (memcmp(hdr.magic, HNSW_MAGIC, 8) == 0 && hdr.version != HNSW_VERSION)
	{
		pfree(buf);
		*error = psprintf("The index file \"%s\" is of format version %u; this library reads version %d.",
						  path, hdr.version, HNSW_VERSION);
		return NULL;
	}
	if (memcmp(hdr.magic, HNSW_MAGIC, 8) != 0 ||
		hdr.dim < 1 || hdr.dim > 16000 || hdr.m < 2 || hdr.m > 100 || hdr.n < 0 ||
		hdr.max_level < 0 || hdr.max_level > HNSW_MAX_LEVEL || hdr.upper_len < 0 ||
		hdr.upper_len > (int64) hdr.n * HNSW_MAX_LEVEL * (hdr.m + 1) ||
		hdr.n != vectors || hdr.attnum <= 0 || hdr.attnum > MaxAttrNumber ||
		hdr.entry < -1 || hdr.entry >= hdr.n || (hdr.n > 0) != (hdr.entry >= 0))
		return hnsw_read_failed(error, buf, "The index file \"%s\" has an invalid header.", path);
	need = sizeof(hdr) + (Size) hdr.n * (2 * sizeof(int64) + sizeof(float4) * hdr.dim) +
		sizeof(int32) * ((Size) hdr.n * (2 * hdr.m + 1) + hdr.upper_len) + 2 * (Size) hdr.n +
		sizeof(pg_crc32c);
	if (need != (Size) bytes)
		return hnsw_read_failed(error, buf, "The index file \"%s\" has arrays of the wrong size.", path);

	ix = MemoryContextAllocZero(cxt, sizeof(HnswIndex));
	ix->dim = hdr.dim;
	ix->metric = hdr.metric;
	ix->m = hdr.m;
	ix->ef_construction = hdr.ef_construction;
	ix->n = hdr.n;
	ix->max_level = hdr.max_level;
	ix->entry = hdr.entry;
	ix->upper_len = hdr.upper_len;
	ix->attnum = (AttrNumber) hdr.attnum;
	ix->file = buf;
	ix->file_len = bytes;
	off = sizeof(hdr);
	ix->rows = (const int64 *) (buf + off);
	off += sizeof(int64) * hdr.n;
	ix->upper_off = (const int64 *) (buf + off);
	off += sizeof(int64) * hdr.n;
	ix->vectors = (const float4 *) (buf + off);
	off += sizeof(float4) * (Size) hdr.n * hdr.dim;
	ix->links0 = (const int32 *) (buf + off);
	off += sizeof(int32) * (Size) hdr.n * (2 * hdr.m + 1);
	ix->upper = (const int32 *) (buf + off);
	off += sizeof(int32) * hdr.upper_len;
	ix->levels = (const uint8 *) (buf + off);
	off += hdr.n;
	ix->flags = (const uint8 *) (buf + off);

	/*
	 * Rows ascend within the shard's; every link names a vector of the
	 * file, every list fits its block.
	 */
	for (i = 0; i < ix->n; i++)
	{
		int			level = ix->levels[i];
		int			l;

		if (ix->rows[i] < 0 || ix->rows[i] >= rows || (i > 0 && ix->rows[i] <= ix->rows[i - 1]))
			return hnsw_read_failed(error, buf, "The index file \"%s\" has invalid row numbers.", path);
		if (level > ix->max_level ||
			(level > 0 && (ix->upper_off[i] < 0 ||
						   ix->upper_off[i] + (int64) level * (ix->m + 1) > ix->upper_len)))
			return hnsw_read_failed(error, buf, "The index file \"%s\" has an invalid layer table.", path);
		for (l = 0; l <= level; l++)
		{
			const int32 *links = l == 0 ? ix->links0 + (Size) i * (2 * ix->m + 1) :
				ix->upper + ix->upper_off[i] + (Size) (l - 1) * (ix->m + 1);
			int			max = l == 0 ? 2 * ix->m : ix->m;
			int			j;

			if (links[0] < 0 || links[0] > max)
				return hnsw_read_failed(error, buf, "The index file \"%s\" has an invalid link list.", path);
			for (j = 1; j <= links[0]; j++)
				if (links[j] < 0 || links[j] >= ix->n || ix->levels[links[j]] < l)
					return hnsw_read_failed(error, buf, "The index file \"%s\" has an invalid link.", path);
		}
	}
	if (ix->n > 0 && ix->levels[ix->entry] != ix->max_level)
		return hnsw_read_failed(error, buf, "The index file \"%s\" has an invalid entry point.", path);
	return ix;
}

/* Frees an index hnsw_read returned. */
void
hnsw_free(HnswIndex *ix)
{
	pfree(ix->file);
	pfree(ix);
}

/* The graph of a read index, for a search. */
static void
hnsw_graph_of(const HnswIndex *ix, HnswGraph *g)
{
	memset(g, 0, sizeof(*g));
	g->dim = ix->dim;
	g->metric = ix->metric;
	g->m = ix->m;
	g->n = ix->n;
	g->vectors = ix->vectors;
	g->links0 = (int32 *) ix->links0;
	g->upper_off = ix->upper_off;
	g->upper = ix->upper;
	g->visited = palloc_extended(Max(ix->n, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	g->touched = palloc_extended(sizeof(int32) * Max(ix->n, 1), MCXT_ALLOC_HUGE);
}

/*
 * Approximate search: up to "want" vectors nearest to query among those
 * "allowed" accepts (indexed by vector number; NULL: all), nearest first,
 * into out (room for Max(ef, want)).  ef is the candidate list on layer 0
 * (at least want).  Returns how many it found.
 */
int
hnsw_search(const HnswIndex *ix, const float4 *query, int ef, int want,
			const bool *allowed, HnswHit *out)
{
	HnswGraph	g;
	HitHeap		cand,
				res;
	HnswHit		ep;
	int			l;
	int			n;

	if (ix->n == 0 || want <= 0)
		return 0;
	ef = Max(ef, want);
	hnsw_graph_of(ix, &g);
	heap_init(&cand, ef * 4, false);
	heap_init(&res, ef + 1, true);
	ep.id = ix->entry;
	ep.distance = graph_distance(ix->metric, query, graph_vector(&g, ep.id), ix->dim);
	for (l = ix->max_level; l > 0; l--)
		graph_greedy(&g, query, l, &ep.id, &ep.distance);
	graph_search_layer(&g, query, &ep, 1, ef, 0, allowed, &cand, &res);
	/* the exact distances of the hits, in their order */
	for (l = 0; l < res.len; l++)
		res.h[l].distance = hnsw_distance(ix->metric, query,
										  graph_vector(&g, res.h[l].id), ix->dim);
	n = heap_sorted(&res, out);
	pfree(cand.h);
	pfree(res.h);
	pfree(g.visited);
	pfree(g.touched);
	return Min(n, want);
}

/*
 * Exact search over the index's own vectors: the "want" nearest to query
 * among those "allowed" accepts (NULL: all), nearest first, into out
 * (room for want).  For shards with fewer vectors than the candidate list
 * and for filters that keep few rows.
 */
int
hnsw_search_exact(const HnswIndex *ix, const float4 *query, int want,
				  const bool *allowed, HnswHit *out)
{
	HitHeap		res;
	int32		i;
	int			n;

	if (want <= 0)
		return 0;
	heap_init(&res, want + 1, true);
	for (i = 0; i < ix->n; i++)
	{
		float8		d;

		if (allowed != NULL && !allowed[i])
			continue;
		d = hnsw_distance(ix->metric, query, ix->vectors + (Size) i * ix->dim, ix->dim);
		if (res.len < want)
			heap_push(&res, d, i);
		else
		{
			HnswHit		h = {d, i};

			if (hit_before(&h, &res.h[0]))
			{
				(void) heap_pop(&res);
				heap_push(&res, d, i);
			}
		}
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	n = heap_sorted(&res, out);
	pfree(res.h);
	return n;
}
