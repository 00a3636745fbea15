/*-------------------------------------------------------------------------
 *
 * parquet_write.c
 *	  spillpool's standalone Parquet writer (flat schemas, data pages v1).
 *
 * This file owns the whole encoding path from rows to a finished Parquet
 * file: buffering one row group per column (dictionary indices or PLAIN
 * bytes, definition levels), the per-chunk choice between dictionary and
 * PLAIN encoding, the RLE/bit-packed hybrid encoder, page assembly and
 * compression (ZSTD, LZ4_RAW), column chunk statistics, and the thrift
 * compact protocol serialization of page headers and the footer.  The
 * public interface and its guarantees are documented in parquet_write.h.
 *
 * It deliberately depends on nothing from PostgreSQL (no palloc, no
 * ereport): memory comes from malloc, errors are returned as codes with a
 * message kept in the writer, so the file can be unit-tested standalone.
 *
 * Column chunk encoding: while a row group is being buffered, every value
 * of a dictionary-capable column is looked up in an open-addressing hash
 * table and only its 4-byte dictionary index is kept; the dictionary's
 * entries are stored in their PLAIN encoding, which is exactly the
 * dictionary page.  If the dictionary grows past the configured byte limit
 * (or, after PQ_DICT_PROBE_VALUES values, almost every value is distinct)
 * the indices are expanded into PLAIN bytes and the rest of the chunk is
 * buffered PLAIN.  When the row group is written, a dictionary that would
 * not be smaller than PLAIN is expanded the same way.  A column whose
 * dictionary was abandoned skips the dictionary for an exponentially
 * growing number of following chunks, so that high-cardinality columns
 * do not pay for hashing every row group.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <lz4.h>
#include <zstd.h>

#include "parquet_write.h"

/* Hard cap on rows in one data page (bounds pages of tiny values) */
#define PQ_PAGE_MAX_ROWS		(1 << 20)

/* After this many values of a chunk, give up a dictionary of >90% uniques */
#define PQ_DICT_PROBE_VALUES	32768

/* Most chunks a column writes PLAIN before trying a dictionary again */
#define PQ_DICT_MAX_BACKOFF		16

/* Initial number of hash slots of a dictionary (power of two) */
#define PQ_DICT_INITIAL_SLOTS	1024

/* Size of the output buffer in front of write(2) */
#define PQ_OUT_BUFFER_BYTES		(1024 * 1024)

/* Check the column buffers for failed allocations this often (rows) */
#define PQ_OOM_CHECK_ROWS		1024

/* Deepest nesting of thrift structs the serializer supports */
#define PQ_THRIFT_MAX_DEPTH		8

#define PQ_ERRMSG_LEN			256

/* Let the compiler check the format strings of our message functions */
#if defined(__GNUC__) || defined(__clang__)
#define PQ_PRINTF_ATTR(f, a) __attribute__((format(printf, f, a)))
#else
#define PQ_PRINTF_ATTR(f, a)
#endif

/* A growable byte buffer; allocation failure is sticky in 'oom' */
typedef struct PqBuf
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
	bool		oom;
} PqBuf;

/* How min/max statistics of a column compare (its type-defined order) */
typedef enum PqSortKind
{
	PQ_SORT_BOOL,
	PQ_SORT_INT,				/* signed INT32 or INT64 */
	PQ_SORT_UINT,				/* INTEGER(isSigned=false) */
	PQ_SORT_FLOAT,				/* FLOAT or DOUBLE, IEEE 754 */
	PQ_SORT_BYTES,				/* unsigned lexicographic */
	PQ_SORT_DECIMAL_BE			/* signed big-endian two's complement */
} PqSortKind;

/* How a buffered column chunk is turned into pages */
typedef enum PqChunkEncoding
{
	PQ_CHUNK_DICT,				/* dictionary page + RLE_DICTIONARY pages */
	PQ_CHUNK_PLAIN,				/* PLAIN pages from the plain buffer */
	PQ_CHUNK_EXPAND				/* PLAIN pages expanded from dict indices */
} PqChunkEncoding;

/* One slot of a dictionary hash table; idx1 == 0 marks an empty slot */
typedef struct PqSlot
{
	uint64_t	key;			/* value bits, or hash of a byte value */
	uint32_t	idx1;			/* dictionary index + 1 */
} PqSlot;

/* Where and how one column chunk was written */
typedef struct PqChunkInfo
{
	uint64_t	start;			/* offset of the chunk's first page */
	uint64_t	dict_offset;	/* offset of the dictionary page */
	uint64_t	data_offset;	/* offset of the first data page */
	int64_t		total_uncompressed;
	int64_t		total_compressed;
	int32_t		ndata_pages;
	bool		has_dict;
} PqChunkInfo;

/* Numeric min/max of the chunk's statistics */
typedef union PqNum
{
	int64_t		i;
	uint64_t	u;
	double		d;
} PqNum;

/* Per-column state: schema, buffered row group, dictionary, statistics */
typedef struct PqColumn
{
	ParquetColumnSpec spec;		/* spec.name points to 'name' */
	char	   *name;
	ParquetConvertedType converted;
	PqSortKind	sort;
	int			width;			/* bytes of one buffered PLAIN value; 0 for
								 * BYTE_ARRAY (4-byte length + bytes) */
	bool		dict_capable;

	/* the buffered row group */
	PqBuf		def;			/* one definition level byte per row */
	int64_t		nnull;
	size_t		nvalues;		/* non-null values buffered */
	bool		use_dict;		/* values are buffered as dict indices */
	bool		dict_tried;		/* this chunk started with a dictionary */
	PqBuf		plain;			/* PLAIN values (BOOLEAN: one byte each) */
	PqBuf		idx;			/* uint32 dictionary indices */
	uint64_t	plain_bytes;	/* BYTE_ARRAY: PLAIN size of dict values */

	/* the chunk's dictionary */
	PqSlot	   *slots;
	uint32_t	nslots;			/* power of two, or 0 */
	int			slot_shift;		/* 64 - log2(nslots) */
	uint32_t	ndict;
	PqBuf		dict;			/* PLAIN encoding of the entries */
	PqBuf		dict_off;		/* BYTE_ARRAY: uint32 offset of each entry */
	int			dict_skip;		/* chunks left to write without trying */
	int			dict_backoff;	/* next value of dict_skip after a failure */

	/* the chunk's statistics */
	bool		has_minmax;
	PqNum		min;
	PqNum		max;
	PqBuf		minb;			/* byte array min */
	PqBuf		maxb;			/* byte array max */

	PqChunkInfo chunk;
} PqColumn;

struct ParquetWriter
{
	int			fd;
	int			status;			/* PARQUET_OK or the error that stopped us */
	bool		finished;
	char		errmsg[PQ_ERRMSG_LEN];

	ParquetCodec codec;
	int			level;
	int64_t		rg_rows;
	size_t		rg_bytes;
	size_t		page_bytes;
	size_t		dict_bytes;
	char	   *created_by;
	char	   *schema_name;
	char	  **kv_keys;
	char	  **kv_values;
	int			nkv;
	int			kv_cap;

	int			ncols;
	PqColumn   *cols;

	size_t		fixed_row_bytes;	/* PLAIN bytes of a row's fixed-width
									 * values plus definition levels */
	uint64_t	var_bytes;		/* PLAIN bytes of the buffered byte arrays */
	int64_t		rg_nrows;		/* rows in the buffered row group */
	int64_t		total_rows;
	int32_t		nrowgroups;

	uint64_t	offset;			/* file offset of the next byte */
	PqBuf		out;			/* bytes not yet passed to write(2) */
	PqBuf		page;			/* page body under construction */
	PqBuf		cpage;			/* compressed page body */
	PqBuf		hdr;			/* serialized page header */
	PqBuf		rowgroups;		/* serialized RowGroup structs */
	PqBuf		footer;			/* serialized FileMetaData */
	ZSTD_CCtx  *zctx;
	void	   *lz4state;
};

/* Thrift compact protocol serializer state */
typedef struct PqThrift
{
	PqBuf	   *buf;
	int			depth;
	int16_t		last[PQ_THRIFT_MAX_DEPTH];
} PqThrift;


/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */

static int	pq_fail(ParquetWriter *w, int code, const char *fmt,...) PQ_PRINTF_ATTR(3, 4);
static int	pq_reject(ParquetWriter *w, const char *fmt,...) PQ_PRINTF_ATTR(2, 3);

/*
 * Record the first error of a writer and return its code.  Later errors
 * (consequences of the first) do not overwrite the message.
 */
static int
pq_fail(ParquetWriter *w, int code, const char *fmt,...)
{
	va_list		ap;

	if (w->status != PARQUET_OK)
		return w->status;
	va_start(ap, fmt);
	vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
	va_end(ap);
	w->status = code;
	return code;
}

/*
 * Report a problem with one row without making the writer unusable
 * (validation errors are detected before anything is buffered).
 */
static int
pq_reject(ParquetWriter *w, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
	va_end(ap);
	return PARQUET_ERR_INVALID;
}

/* Copy a message into a caller's error buffer, if it gave one */
static void
pq_copy_error(char *errbuf, size_t errlen, const char *msg)
{
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", msg);
}


/* ---------------------------------------------------------------------
 * Byte buffers
 * ---------------------------------------------------------------------
 */

/*
 * Make room for 'need' more bytes, doubling the capacity.  On failure the
 * buffer is flagged oom and keeps its old contents; callers check the flag
 * (or the return value) before trusting the buffer.
 */
static bool
pq_buf_grow(PqBuf *b, size_t need)
{
	size_t		newcap;
	uint8_t    *p;

	if (b->oom)
		return false;
	if (need > SIZE_MAX / 2 - b->len)
	{
		b->oom = true;
		return false;
	}
	newcap = b->cap ? b->cap : 256;
	while (newcap < b->len + need)
		newcap *= 2;
	p = realloc(b->data, newcap);
	if (p == NULL)
	{
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = newcap;
	return true;
}

/* Ensure room for 'need' more bytes; the fast path is one comparison */
static inline bool
pq_buf_reserve(PqBuf *b, size_t need)
{
	if (b->cap - b->len >= need)
		return true;
	return pq_buf_grow(b, need);
}

/* Append bytes */
static inline void
pq_buf_append(PqBuf *b, const void *p, size_t n)
{
	if (n == 0 || !pq_buf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

/* Append one byte */
static inline void
pq_buf_put_u8(PqBuf *b, uint8_t v)
{
	if (!pq_buf_reserve(b, 1))
		return;
	b->data[b->len++] = v;
}

/* Store a 32-bit little-endian integer at p (host-order independent) */
static inline void
pq_store_u32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

/* Store a 64-bit little-endian integer at p */
static inline void
pq_store_u64le(uint8_t *p, uint64_t v)
{
	pq_store_u32le(p, (uint32_t) v);
	pq_store_u32le(p + 4, (uint32_t) (v >> 32));
}

/* Load a 32-bit little-endian integer */
static inline uint32_t
pq_load_u32le(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* Append a 32-bit little-endian integer */
static inline void
pq_buf_put_u32le(PqBuf *b, uint32_t v)
{
	if (!pq_buf_reserve(b, 4))
		return;
	pq_store_u32le(b->data + b->len, v);
	b->len += 4;
}

/* Append a 64-bit little-endian integer */
static inline void
pq_buf_put_u64le(PqBuf *b, uint64_t v)
{
	if (!pq_buf_reserve(b, 8))
		return;
	pq_store_u64le(b->data + b->len, v);
	b->len += 8;
}

/* Append an unsigned LEB128 varint (thrift and RLE run headers) */
static inline void
pq_buf_put_varint(PqBuf *b, uint64_t v)
{
	if (!pq_buf_reserve(b, 10))
		return;
	while (v >= 0x80)
	{
		b->data[b->len++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	b->data[b->len++] = (uint8_t) v;
}

/* Replace the contents with a copy of p[0..n) */
static inline void
pq_buf_set(PqBuf *b, const void *p, size_t n)
{
	b->len = 0;
	pq_buf_append(b, p, n);
}

/* Release a buffer's memory */
static void
pq_buf_free(PqBuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}


/* ---------------------------------------------------------------------
 * Thrift compact protocol
 *
 * Only what the Parquet footer and page headers need: structs with field
 * id deltas, i8/i16/i32/i64 (zigzag varints, i8 as a raw byte), bool
 * fields folded into the field header, binary, and lists.
 * ---------------------------------------------------------------------
 */

/* Start serializing a top-level struct into buf */
static void
tw_init(PqThrift *t, PqBuf *buf)
{
	t->buf = buf;
	t->depth = 0;
	t->last[0] = 0;
}

/* Zigzag-encode a signed integer so small magnitudes give short varints */
static inline uint64_t
tw_zigzag(int64_t v)
{
	return ((uint64_t) v << 1) ^ (uint64_t) (v >> 63);
}

/* Field header: short form (delta 1..15) or type byte + zigzag i16 id */
static void
tw_field(PqThrift *t, int type, int16_t id)
{
	int			delta = id - t->last[t->depth];

	if (delta > 0 && delta <= 15)
		pq_buf_put_u8(t->buf, (uint8_t) ((delta << 4) | type));
	else
	{
		pq_buf_put_u8(t->buf, (uint8_t) type);
		pq_buf_put_varint(t->buf, tw_zigzag(id));
	}
	t->last[t->depth] = id;
}

/* An i8 field (written as one raw byte) */
static void
tw_i8(PqThrift *t, int16_t id, int8_t v)
{
	tw_field(t, TC_BYTE, id);
	pq_buf_put_u8(t->buf, (uint8_t) v);
}

/* An i16 field */
static void
tw_i16(PqThrift *t, int16_t id, int16_t v)
{
	tw_field(t, TC_I16, id);
	pq_buf_put_varint(t->buf, tw_zigzag(v));
}

/* An i32 field (also used for enums) */
static void
tw_i32(PqThrift *t, int16_t id, int32_t v)
{
	tw_field(t, TC_I32, id);
	pq_buf_put_varint(t->buf, tw_zigzag(v));
}

/* An i64 field */
static void
tw_i64(PqThrift *t, int16_t id, int64_t v)
{
	tw_field(t, TC_I64, id);
	pq_buf_put_varint(t->buf, tw_zigzag(v));
}

/* A bool field: the value is the field header's type nibble */
static void
tw_bool(PqThrift *t, int16_t id, bool v)
{
	tw_field(t, v ? TC_BOOLEAN_TRUE : TC_BOOLEAN_FALSE, id);
}

/* A binary (or string) field */
static void
tw_binary(PqThrift *t, int16_t id, const void *p, size_t n)
{
	tw_field(t, TC_BINARY, id);
	pq_buf_put_varint(t->buf, n);
	pq_buf_append(t->buf, p, n);
}

/* A string field */
static void
tw_string(PqThrift *t, int16_t id, const char *s)
{
	tw_binary(t, id, s, strlen(s));
}

/* Enter a nested struct: field ids restart from 0 inside it */
static void
tw_push(PqThrift *t)
{
	if (t->depth + 1 >= PQ_THRIFT_MAX_DEPTH)
	{
		t->buf->oom = true;		/* cannot happen with our fixed schema */
		return;
	}
	t->depth++;
	t->last[t->depth] = 0;
}

/* A struct-valued field; close it with tw_struct_end() */
static void
tw_struct_begin(PqThrift *t, int16_t id)
{
	tw_field(t, TC_STRUCT, id);
	tw_push(t);
}

/* Close a struct (or the top-level struct) with a STOP byte */
static void
tw_struct_end(PqThrift *t)
{
	pq_buf_put_u8(t->buf, TC_STOP);
	if (t->depth > 0)
		t->depth--;
}

/* A list-valued field header: element type and count */
static void
tw_list_begin(PqThrift *t, int16_t id, int elemtype, int64_t n)
{
	tw_field(t, TC_LIST, id);
	if (n < 15)
		pq_buf_put_u8(t->buf, (uint8_t) ((n << 4) | elemtype));
	else
	{
		pq_buf_put_u8(t->buf, (uint8_t) (0xF0 | elemtype));
		pq_buf_put_varint(t->buf, (uint64_t) n);
	}
}

/* Start a struct element of a list; close it with tw_struct_end() */
static void
tw_elem_struct_begin(PqThrift *t)
{
	tw_push(t);
}

/* An i32 element of a list */
static void
tw_elem_i32(PqThrift *t, int32_t v)
{
	pq_buf_put_varint(t->buf, tw_zigzag(v));
}

/* A binary element of a list */
static void
tw_elem_binary(PqThrift *t, const void *p, size_t n)
{
	pq_buf_put_varint(t->buf, n);
	pq_buf_append(t->buf, p, n);
}

/* An empty struct field (the members of unions like LogicalType) */
static void
tw_empty_struct(PqThrift *t, int16_t id)
{
	tw_struct_begin(t, id);
	tw_struct_end(t);
}


/* ---------------------------------------------------------------------
 * RLE / bit-packed hybrid encoding
 * ---------------------------------------------------------------------
 */

/* Bits needed to represent v (0 for 0) */
static inline int
pq_bits_for(uint32_t v)
{
	int			n = 0;

	while (v != 0)
	{
		n++;
		v >>= 1;
	}
	return n;
}

/* Value i of a uint32 or uint8 array (exactly one of v32/v8 is set) */
static inline uint32_t
pq_rle_get(const uint32_t *v32, const uint8_t *v8, size_t i)
{
	return v32 ? v32[i] : v8[i];
}

/*
 * Emit a bit-packed run of 'count' values starting at 'start', padded with
 * zeros to a multiple of 8 (padding is only ever needed at the end of the
 * encoded data, where the reader stops at the page's value count).  Values
 * are packed LSB first.  The caller reserved the space.
 */
static void
pq_rle_emit_packed(PqBuf *out, const uint32_t *v32, const uint8_t *v8,
				   size_t start, size_t count, int bw)
{
	size_t		groups = (count + 7) / 8;
	size_t		nbytes = groups * (size_t) bw;
	uint8_t    *dst;
	uint64_t	acc = 0;
	int			bits = 0;
	size_t		i;

	pq_buf_put_varint(out, ((uint64_t) groups << 1) | 1);
	if (!pq_buf_reserve(out, nbytes))
		return;
	dst = out->data + out->len;
	for (i = 0; i < groups * 8; i++)
	{
		uint32_t	v = i < count ? pq_rle_get(v32, v8, start + i) : 0;

		acc |= (uint64_t) v << bits;
		bits += bw;
		while (bits >= 8)
		{
			*dst++ = (uint8_t) acc;
			acc >>= 8;
			bits -= 8;
		}
	}
	out->len += nbytes;
}

/* Emit an RLE run: varint(count << 1), then the value in ceil(bw/8) bytes */
static void
pq_rle_emit_run(PqBuf *out, uint32_t value, size_t count, int bw)
{
	int			nbytes = (bw + 7) / 8;
	int			i;

	pq_buf_put_varint(out, (uint64_t) count << 1);
	for (i = 0; i < nbytes; i++)
		pq_buf_put_u8(out, (uint8_t) (value >> (8 * i)));
}

/*
 * Encode n values of bit width bw with the RLE/bit-packed hybrid (no
 * length or bit-width prefix; the caller adds what the context needs).
 * Runs of at least 8 equal values become RLE runs; everything else is
 * bit-packed in groups of 8.  A literal stretch that ends inside a group
 * borrows the first values of the following run to complete the group,
 * and the run is still RLE-encoded if 8 or more values remain.
 */
static void
pq_rle_encode(PqBuf *out, const uint32_t *v32, const uint8_t *v8,
			  size_t n, int bw)
{
	size_t		i = 0;
	size_t		lit = 0;		/* start of the pending literal values */

	/* worst case: all literal, plus headers */
	if (!pq_buf_reserve(out, (n / 8 + 2) * (size_t) (bw + 10) + 16))
		return;

	while (i < n)
	{
		uint32_t	v = pq_rle_get(v32, v8, i);
		size_t		run = 1;
		size_t		pending;
		size_t		pad;

		while (i + run < n && pq_rle_get(v32, v8, i + run) == v)
			run++;

		pending = i - lit;
		pad = (8 - pending % 8) % 8;
		if (run >= pad + 8)
		{
			if (pending + pad > 0)
				pq_rle_emit_packed(out, v32, v8, lit, pending + pad, bw);
			pq_rle_emit_run(out, v, run - pad, bw);
			i += run;
			lit = i;
		}
		else
			i += run;
	}
	if (i > lit)
		pq_rle_emit_packed(out, v32, v8, lit, i - lit, bw);
}


/* ---------------------------------------------------------------------
 * Output
 * ---------------------------------------------------------------------
 */

/* write(2) all of p[0..n), retrying on EINTR and short writes */
static int
pq_write_fd(ParquetWriter *w, const uint8_t *p, size_t n)
{
	while (n > 0)
	{
		ssize_t		r = write(w->fd, p, n);

		if (r < 0)
		{
			if (errno == EINTR)
				continue;
			return pq_fail(w, PARQUET_ERR_IO, "could not write Parquet file: %s",
						   strerror(errno));
		}
		if (r == 0)
			return pq_fail(w, PARQUET_ERR_IO,
						   "could not write Parquet file: write returned 0");
		p += r;
		n -= (size_t) r;
	}
	return PARQUET_OK;
}

/* Pass the buffered output to the fd */
static int
pq_out_flush(ParquetWriter *w)
{
	int			rc;

	if (w->out.len == 0)
		return PARQUET_OK;
	rc = pq_write_fd(w, w->out.data, w->out.len);
	w->out.len = 0;
	return rc;
}

/*
 * Append bytes to the file.  Small pieces (headers, small pages) are
 * gathered in the output buffer; large ones go straight to write(2).
 */
static int
pq_out(ParquetWriter *w, const void *p, size_t n)
{
	int			rc;

	if (n > w->out.cap - w->out.len || n >= w->out.cap / 2)
	{
		rc = pq_out_flush(w);
		if (rc != PARQUET_OK)
			return rc;
	}
	if (n >= w->out.cap / 2)
	{
		rc = pq_write_fd(w, p, n);
		if (rc != PARQUET_OK)
			return rc;
	}
	else
	{
		memcpy(w->out.data + w->out.len, p, n);
		w->out.len += n;
	}
	w->offset += n;
	return PARQUET_OK;
}


/* ---------------------------------------------------------------------
 * Statistics
 * ---------------------------------------------------------------------
 */

/* Fold a signed integer into the chunk's min/max */
static inline void
pq_stats_int(PqColumn *c, int64_t x)
{
	if (!c->has_minmax)
	{
		c->min.i = c->max.i = x;
		c->has_minmax = true;
	}
	else if (x < c->min.i)
		c->min.i = x;
	else if (x > c->max.i)
		c->max.i = x;
}

/* Fold an unsigned integer into the chunk's min/max */
static inline void
pq_stats_uint(PqColumn *c, uint64_t x)
{
	if (!c->has_minmax)
	{
		c->min.u = c->max.u = x;
		c->has_minmax = true;
	}
	else if (x < c->min.u)
		c->min.u = x;
	else if (x > c->max.u)
		c->max.u = x;
}

/*
 * Fold a floating-point value into the chunk's min/max.  NaN is ignored as
 * the spec requires; the sign of zero is fixed when the stats are written.
 */
static inline void
pq_stats_double(PqColumn *c, double x)
{
	if (isnan(x))
		return;
	if (!c->has_minmax)
	{
		c->min.d = c->max.d = x;
		c->has_minmax = true;
	}
	else if (x < c->min.d)
		c->min.d = x;
	else if (x > c->max.d)
		c->max.d = x;
}

/* Unsigned lexicographic comparison, shorter prefix first */
static int
pq_cmp_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	size_t		n = na < nb ? na : nb;
	int			r = n > 0 ? memcmp(a, b, n) : 0;

	if (r != 0)
		return r;
	return na < nb ? -1 : (na > nb ? 1 : 0);
}

/*
 * Compare big-endian two's-complement integers of equal length (DECIMAL as
 * FIXED_LEN_BYTE_ARRAY): the first byte is signed, the rest unsigned.
 */
static int
pq_cmp_decimal_be(const uint8_t *a, const uint8_t *b, size_t n)
{
	if (n == 0)
		return 0;
	if ((int8_t) a[0] != (int8_t) b[0])
		return (int8_t) a[0] < (int8_t) b[0] ? -1 : 1;
	return memcmp(a + 1, b + 1, n - 1);
}

/* Compare two byte values in the column's sort order */
static inline int
pq_cmp_column_bytes(const PqColumn *c, const uint8_t *a, size_t na,
					const uint8_t *b, size_t nb)
{
	if (c->sort == PQ_SORT_DECIMAL_BE)
		return pq_cmp_decimal_be(a, b, na);
	return pq_cmp_bytes(a, na, b, nb);
}

/* Fold a byte value into the chunk's min/max (copies what it keeps) */
static void
pq_stats_bytes(PqColumn *c, const uint8_t *p, size_t n)
{
	if (!c->has_minmax)
	{
		pq_buf_set(&c->minb, p, n);
		pq_buf_set(&c->maxb, p, n);
		c->has_minmax = true;
	}
	else if (pq_cmp_column_bytes(c, p, n, c->minb.data, c->minb.len) < 0)
		pq_buf_set(&c->minb, p, n);
	else if (pq_cmp_column_bytes(c, p, n, c->maxb.data, c->maxb.len) > 0)
		pq_buf_set(&c->maxb, p, n);
}

/*
 * Fold one non-null value into the chunk's statistics.  Called for every
 * PLAIN-buffered value and once per new dictionary entry (every entry of
 * a chunk's dictionary is used by at least one of its values).
 */
static inline void
pq_stats_value(PqColumn *c, const ParquetValue *v)
{
	switch (c->spec.type)
	{
		case PQ_BOOLEAN:
			pq_stats_int(c, v->v.b ? 1 : 0);
			break;
		case PQ_INT32:
			if (c->sort == PQ_SORT_UINT)
				pq_stats_uint(c, (uint32_t) v->v.i32);
			else
				pq_stats_int(c, v->v.i32);
			break;
		case PQ_INT64:
			if (c->sort == PQ_SORT_UINT)
				pq_stats_uint(c, (uint64_t) v->v.i64);
			else
				pq_stats_int(c, v->v.i64);
			break;
		case PQ_FLOAT:
			pq_stats_double(c, (double) v->v.f);
			break;
		case PQ_DOUBLE:
			pq_stats_double(c, v->v.d);
			break;
		default:
			pq_stats_bytes(c, (const uint8_t *) v->v.bytes.ptr,
						   v->v.bytes.len);
			break;
	}
}

/*
 * Encode a numeric min or max the way Statistics stores it: the PLAIN
 * encoding of the value.  Writes up to 8 bytes to out, returns the length.
 */
static size_t
pq_stats_encode_num(const PqColumn *c, PqNum v, bool is_max, uint8_t *out)
{
	switch (c->spec.type)
	{
		case PQ_BOOLEAN:
			out[0] = (uint8_t) v.i;
			return 1;
		case PQ_INT32:
			pq_store_u32le(out, (uint32_t) v.u);
			return 4;
		case PQ_INT64:
			pq_store_u64le(out, v.u);
			return 8;
		case PQ_FLOAT:
			{
				float		f = (float) v.d;
				uint32_t	bits;

				/* the spec: a zero min is written -0.0, a zero max +0.0 */
				if (f == 0.0f)
					f = is_max ? 0.0f : -0.0f;
				memcpy(&bits, &f, 4);
				pq_store_u32le(out, bits);
				return 4;
			}
		case PQ_DOUBLE:
			{
				double		d = v.d;
				uint64_t	bits;

				if (d == 0.0)
					d = is_max ? 0.0 : -0.0;
				memcpy(&bits, &d, 8);
				pq_store_u64le(out, bits);
				return 8;
			}
		default:
			return 0;
	}
}

/*
 * Serialize the chunk's Statistics struct as field 12 of ColumnMetaData:
 * null_count always; min_value/max_value (5/6) when there is a non-NaN
 * value and both fit PARQUET_MAX_STATISTICS_BYTES; the deprecated min/max
 * (1/2) too for signed numeric orders, where the legacy order coincides,
 * for the benefit of old readers.
 */
static void
pq_write_statistics(PqThrift *t, const PqColumn *c)
{
	uint8_t		minv[8];
	uint8_t		maxv[8];
	const uint8_t *minp = minv;
	const uint8_t *maxp = maxv;
	size_t		minlen = 0;
	size_t		maxlen = 0;
	bool		minmax = c->has_minmax;
	bool		legacy;

	if (minmax)
	{
		if (c->width == 0 || c->spec.type == PQ_FIXED_LEN_BYTE_ARRAY)
		{
			minp = c->minb.data;
			minlen = c->minb.len;
			maxp = c->maxb.data;
			maxlen = c->maxb.len;
			if (minlen > PARQUET_MAX_STATISTICS_BYTES ||
				maxlen > PARQUET_MAX_STATISTICS_BYTES)
				minmax = false;
		}
		else
		{
			minlen = pq_stats_encode_num(c, c->min, false, minv);
			maxlen = pq_stats_encode_num(c, c->max, true, maxv);
		}
	}
	legacy = minmax && (c->sort == PQ_SORT_INT || c->sort == PQ_SORT_FLOAT ||
						c->sort == PQ_SORT_BOOL);

	tw_struct_begin(t, 12);
	if (legacy)
	{
		tw_binary(t, 1, maxp, maxlen);
		tw_binary(t, 2, minp, minlen);
	}
	tw_i64(t, 3, c->nnull);
	if (minmax)
	{
		tw_binary(t, 5, maxp, maxlen);
		tw_binary(t, 6, minp, minlen);
	}
	tw_struct_end(t);
}


/* ---------------------------------------------------------------------
 * Dictionary
 * ---------------------------------------------------------------------
 */

/* Hash of a fixed-width value's bits; the table uses the high bits */
static inline uint64_t
pq_hash_u64(uint64_t x)
{
	x ^= x >> 31;
	x *= UINT64_C(0x9E3779B97F4A7C15);
	x ^= x >> 29;
	return x * UINT64_C(0xBF58476D1CE4E5B9);
}

/* Hash of a byte string, 8 bytes per step */
static inline uint64_t
pq_hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t	h = UINT64_C(0x6A09E667F3BCC909) ^ ((uint64_t) n * UINT64_C(0x9E3779B97F4A7C15));
	uint64_t	k;

	while (n >= 8)
	{
		memcpy(&k, p, 8);
		h ^= k * UINT64_C(0xFF51AFD7ED558CCD);
		h = ((h << 27) | (h >> 37)) * UINT64_C(0xC4CEB9FE1A85EC53);
		p += 8;
		n -= 8;
	}
	if (n > 0)
	{
		k = 0;
		memcpy(&k, p, n);
		h ^= k * UINT64_C(0xFF51AFD7ED558CCD);
		h = ((h << 27) | (h >> 37)) * UINT64_C(0xC4CEB9FE1A85EC53);
	}
	return pq_hash_u64(h);
}

/* Bytes and length of dictionary entry i of a byte-valued column */
static inline const uint8_t *
pq_dict_entry(const PqColumn *c, uint32_t i, uint32_t *len)
{
	if (c->width == 0)
	{
		const uint8_t *p = c->dict.data + ((const uint32_t *) c->dict_off.data)[i];

		*len = pq_load_u32le(p);
		return p + 4;
	}
	*len = (uint32_t) c->width;
	return c->dict.data + (size_t) i * c->width;
}

/*
 * Double the hash table (or create it) and reinsert every entry.  Fixed
 * width keys are the values themselves; byte keys are the stored hashes.
 */
static bool
pq_dict_grow(PqColumn *c)
{
	uint32_t	nslots = c->nslots ? c->nslots * 2 : PQ_DICT_INITIAL_SLOTS;
	PqSlot	   *slots = calloc(nslots, sizeof(PqSlot));
	int			shift = 64 - pq_bits_for(nslots - 1);
	bool		byte_keys = c->width == 0 || c->spec.type == PQ_FIXED_LEN_BYTE_ARRAY;
	uint32_t	i;

	if (slots == NULL)
		return false;
	for (i = 0; i < c->nslots; i++)
	{
		PqSlot	   *s = &c->slots[i];
		uint32_t	pos;

		if (s->idx1 == 0)
			continue;
		pos = (uint32_t) ((byte_keys ? s->key : pq_hash_u64(s->key)) >> shift);
		while (slots[pos].idx1 != 0)
			pos = (pos + 1) & (nslots - 1);
		slots[pos] = *s;
	}
	free(c->slots);
	c->slots = slots;
	c->nslots = nslots;
	c->slot_shift = shift;
	return true;
}

/*
 * Stop using the dictionary for the rest of this chunk: expand the indices
 * buffered so far into PLAIN bytes.  The statistics already cover every
 * entry, so they stay valid.
 */
static void
pq_dict_abandon(PqColumn *c)
{
	const uint32_t *idx = (const uint32_t *) c->idx.data;
	size_t		n = c->idx.len / 4;
	size_t		i;

	c->plain.len = 0;
	if (c->width != 0)
	{
		if (!pq_buf_reserve(&c->plain, n * (size_t) c->width))
			return;
		for (i = 0; i < n; i++)
		{
			memcpy(c->plain.data + c->plain.len,
				   c->dict.data + (size_t) idx[i] * c->width, c->width);
			c->plain.len += c->width;
		}
	}
	else
	{
		const uint32_t *off = (const uint32_t *) c->dict_off.data;

		for (i = 0; i < n; i++)
		{
			const uint8_t *p = c->dict.data + off[idx[i]];

			pq_buf_append(&c->plain, p, 4 + (size_t) pq_load_u32le(p));
		}
	}
	c->use_dict = false;
	c->idx.len = 0;
}

/*
 * Look a value up in the chunk's dictionary, adding it if new, and buffer
 * its index.  'key' is the value's bits (fixed width) or its hash (byte
 * values, given in p/n).  Returns false if the dictionary must be given up
 * (too large, or almost all values distinct); the caller then buffers the
 * value PLAIN.  Allocation failures are left in the buffers' oom flags.
 */
static inline bool
pq_dict_add(ParquetWriter *w, PqColumn *c, uint64_t key, const uint8_t *p,
			size_t n, const ParquetValue *v)
{
	bool		byte_keys = c->width == 0 || c->spec.type == PQ_FIXED_LEN_BYTE_ARRAY;
	uint32_t	mask = c->nslots - 1;
	uint32_t	pos;
	uint32_t	index;
	size_t		entry_bytes;

	if (c->nslots == 0 && !pq_dict_grow(c))
	{
		c->idx.oom = true;
		return true;
	}
	mask = c->nslots - 1;
	pos = (uint32_t) ((byte_keys ? key : pq_hash_u64(key)) >> c->slot_shift);
	for (;;)
	{
		PqSlot	   *s = &c->slots[pos];

		if (s->idx1 == 0)
			break;
		if (s->key == key)
		{
			if (!byte_keys)
			{
				index = s->idx1 - 1;
				goto found;
			}
			else
			{
				uint32_t	len;
				const uint8_t *e = pq_dict_entry(c, s->idx1 - 1, &len);

				if (len == n && (n == 0 || memcmp(e, p, n) == 0))
				{
					index = s->idx1 - 1;
					goto found;
				}
			}
		}
		pos = (pos + 1) & mask;
	}

	/* a new entry: is the dictionary still worth it? */
	entry_bytes = c->width ? (size_t) c->width : 4 + n;
	if (c->dict.len + entry_bytes > w->dict_bytes)
		return false;
	if (c->nvalues >= PQ_DICT_PROBE_VALUES &&
		c->ndict >= c->nvalues - c->nvalues / 10)
		return false;

	index = c->ndict;
	if (c->width == 0)
	{
		if (!pq_buf_reserve(&c->dict_off, 4) || !pq_buf_reserve(&c->dict, 4 + n))
			return true;
		((uint32_t *) c->dict_off.data)[index] = (uint32_t) c->dict.len;
		c->dict_off.len += 4;
		pq_buf_put_u32le(&c->dict, (uint32_t) n);
		pq_buf_append(&c->dict, p, n);
	}
	else if (byte_keys)
		pq_buf_append(&c->dict, p, n);
	else if (c->width == 4)
		pq_buf_put_u32le(&c->dict, (uint32_t) key);
	else
		pq_buf_put_u64le(&c->dict, key);
	if (c->dict.oom || c->dict_off.oom)
		return true;
	c->slots[pos].key = key;
	c->slots[pos].idx1 = index + 1;
	c->ndict++;
	pq_stats_value(c, v);
	if ((uint64_t) c->ndict * 2 > c->nslots && !pq_dict_grow(c))
		c->dict.oom = true;

found:
	if (pq_buf_reserve(&c->idx, 4))
	{
		((uint32_t *) (c->idx.data + c->idx.len))[0] = index;
		c->idx.len += 4;
	}
	return true;
}


/* ---------------------------------------------------------------------
 * Buffering values
 * ---------------------------------------------------------------------
 */

/* Buffer a fixed-width value (bits in 'key') PLAIN */
static inline void
pq_plain_fixed(PqColumn *c, uint64_t key, const ParquetValue *v)
{
	if (c->width == 4)
		pq_buf_put_u32le(&c->plain, (uint32_t) key);
	else
		pq_buf_put_u64le(&c->plain, key);
	pq_stats_value(c, v);
}

/* Buffer a fixed-width (INT32, INT64, FLOAT, DOUBLE) value */
static inline void
pq_add_fixed(ParquetWriter *w, PqColumn *c, uint64_t key, const ParquetValue *v)
{
	if (c->use_dict)
	{
		if (pq_dict_add(w, c, key, NULL, 0, v))
			return;
		pq_dict_abandon(c);
	}
	pq_plain_fixed(c, key, v);
}

/* Buffer a BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY value */
static void
pq_add_bytes(ParquetWriter *w, PqColumn *c, const ParquetValue *v)
{
	const uint8_t *p = (const uint8_t *) v->v.bytes.ptr;
	uint32_t	n = v->v.bytes.len;

	if (c->use_dict)
	{
		if (c->width == 0)
			c->plain_bytes += 4 + (uint64_t) n;
		if (pq_dict_add(w, c, pq_hash_bytes(p, n), p, n, v))
			return;
		pq_dict_abandon(c);
	}
	if (c->width == 0)
	{
		if (pq_buf_reserve(&c->plain, 4 + (size_t) n))
		{
			pq_store_u32le(c->plain.data + c->plain.len, n);
			if (n > 0)
				memcpy(c->plain.data + c->plain.len + 4, p, n);
			c->plain.len += 4 + (size_t) n;
		}
	}
	else
		pq_buf_append(&c->plain, p, n);
	pq_stats_bytes(c, p, n);
}

/* Buffer one non-null value of column c */
static inline void
pq_add_value(ParquetWriter *w, PqColumn *c, const ParquetValue *v)
{
	uint32_t	u32;
	uint64_t	u64;

	c->nvalues++;
	switch (c->spec.type)
	{
		case PQ_BOOLEAN:
			pq_buf_put_u8(&c->plain, v->v.b ? 1 : 0);
			pq_stats_int(c, v->v.b ? 1 : 0);
			break;
		case PQ_INT32:
			pq_add_fixed(w, c, (uint32_t) v->v.i32, v);
			break;
		case PQ_INT64:
			pq_add_fixed(w, c, (uint64_t) v->v.i64, v);
			break;
		case PQ_FLOAT:
			memcpy(&u32, &v->v.f, 4);
			pq_add_fixed(w, c, u32, v);
			break;
		case PQ_DOUBLE:
			memcpy(&u64, &v->v.d, 8);
			pq_add_fixed(w, c, u64, v);
			break;
		default:
			pq_add_bytes(w, c, v);
			break;
	}
}

/* Does any buffer of column c hold a failed allocation? */
static bool
pq_column_oom(const PqColumn *c)
{
	return c->def.oom || c->plain.oom || c->idx.oom || c->dict.oom ||
		c->dict_off.oom || c->minb.oom || c->maxb.oom;
}

/*
 * Prepare column c for a new chunk: empty the buffers (keeping their
 * memory) and decide whether this chunk tries a dictionary.
 */
static void
pq_column_reset(PqColumn *c)
{
	c->def.len = 0;
	c->nnull = 0;
	c->nvalues = 0;
	c->plain.len = 0;
	c->idx.len = 0;
	c->plain_bytes = 0;
	if (c->ndict > 0 && c->slots != NULL)
		memset(c->slots, 0, (size_t) c->nslots * sizeof(PqSlot));
	c->ndict = 0;
	c->dict.len = 0;
	c->dict_off.len = 0;
	c->has_minmax = false;
	c->minb.len = 0;
	c->maxb.len = 0;
	c->use_dict = false;
	if (c->dict_capable)
	{
		if (c->dict_skip > 0)
			c->dict_skip--;
		else
			c->use_dict = true;
	}
	c->dict_tried = c->use_dict;
}


/* ---------------------------------------------------------------------
 * Pages and column chunks
 * ---------------------------------------------------------------------
 */

/*
 * Compress one page body, serialize its header and append both to the
 * file; account for them in the column's chunk info.  nvalues counts
 * NULLs too (it is the number of definition levels).
 */
static int
pq_write_page(ParquetWriter *w, PqColumn *c, bool dict_page,
			  const uint8_t *body, size_t len, int64_t nvalues,
			  ParquetEncoding encoding)
{
	const uint8_t *payload = body;
	size_t		plen = len;
	PqThrift	t;
	int			rc;

	if (len > INT32_MAX)
		return pq_fail(w, PARQUET_ERR_INVALID,
					   "page of column \"%s\" is too large (%zu bytes)",
					   c->name, len);

	if (w->codec == PQ_CODEC_ZSTD)
	{
		size_t		bound = ZSTD_compressBound(len);
		size_t		r;

		w->cpage.len = 0;
		if (!pq_buf_reserve(&w->cpage, bound))
			return pq_fail(w, PARQUET_ERR_NOMEM, "out of memory");
		r = ZSTD_compressCCtx(w->zctx, w->cpage.data, bound, body, len,
							  w->level);
		if (ZSTD_isError(r))
			return pq_fail(w, PARQUET_ERR_COMPRESS, "zstd compression failed: %s",
						   ZSTD_getErrorName(r));
		payload = w->cpage.data;
		plen = r;
	}
	else if (w->codec == PQ_CODEC_LZ4_RAW)
	{
		int			bound;
		int			r;

		if (len > LZ4_MAX_INPUT_SIZE)
			return pq_fail(w, PARQUET_ERR_COMPRESS,
						   "page of %zu bytes is too large for LZ4", len);
		bound = LZ4_compressBound((int) len);
		w->cpage.len = 0;
		if (!pq_buf_reserve(&w->cpage, (size_t) bound))
			return pq_fail(w, PARQUET_ERR_NOMEM, "out of memory");
		r = LZ4_compress_fast_extState(w->lz4state, (const char *) body,
									   (char *) w->cpage.data, (int) len,
									   bound, 1);
		if (r <= 0)
			return pq_fail(w, PARQUET_ERR_COMPRESS, "lz4 compression failed");
		payload = w->cpage.data;
		plen = (size_t) r;
	}
	if (plen > INT32_MAX)
		return pq_fail(w, PARQUET_ERR_INVALID,
					   "compressed page of column \"%s\" is too large", c->name);

	w->hdr.len = 0;
	tw_init(&t, &w->hdr);
	tw_i32(&t, 1, dict_page ? PQ_PAGE_DICTIONARY : PQ_PAGE_DATA);
	tw_i32(&t, 2, (int32_t) len);
	tw_i32(&t, 3, (int32_t) plen);
	if (dict_page)
	{
		tw_struct_begin(&t, 7);
		tw_i32(&t, 1, (int32_t) nvalues);
		tw_i32(&t, 2, PQ_ENC_PLAIN);
		tw_struct_end(&t);
	}
	else
	{
		tw_struct_begin(&t, 5);
		tw_i32(&t, 1, (int32_t) nvalues);
		tw_i32(&t, 2, encoding);
		tw_i32(&t, 3, PQ_ENC_RLE);
		tw_i32(&t, 4, PQ_ENC_RLE);
		tw_struct_end(&t);
	}
	tw_struct_end(&t);
	if (w->hdr.oom)
		return pq_fail(w, PARQUET_ERR_NOMEM, "out of memory");

	if ((rc = pq_out(w, w->hdr.data, w->hdr.len)) != PARQUET_OK ||
		(rc = pq_out(w, payload, plen)) != PARQUET_OK)
		return rc;
	c->chunk.total_uncompressed += (int64_t) (w->hdr.len + len);
	c->chunk.total_compressed += (int64_t) (w->hdr.len + plen);
	if (!dict_page)
		c->chunk.ndata_pages++;
	return PARQUET_OK;
}

/*
 * Write column c's buffered chunk of nrows rows as pages: the dictionary
 * page if the dictionary is kept, then data pages of about page_bytes
 * each (estimated from the encoded size of their values).
 */
static int
pq_write_chunk(ParquetWriter *w, PqColumn *c, int64_t nrows)
{
	PqChunkEncoding enc;
	int			bw = 0;
	const uint8_t *def = c->spec.nullable ? c->def.data : NULL;
	const uint32_t *idx = (const uint32_t *) c->idx.data;
	const uint32_t *doff = (const uint32_t *) c->dict_off.data;
	size_t		row = 0;
	size_t		vi = 0;
	size_t		off = 0;
	int			rc;

	memset(&c->chunk, 0, sizeof(c->chunk));
	c->chunk.start = w->offset;

	if (c->use_dict)
	{
		uint64_t	plain_size;

		bw = pq_bits_for(c->ndict > 0 ? c->ndict - 1 : 0);
		if (bw == 0)
			bw = 1;				/* a bit width of 0 is not accepted by all */
		plain_size = c->width ? (uint64_t) c->nvalues * c->width : c->plain_bytes;
		if (c->ndict > 0 &&
			c->dict.len + ((uint64_t) c->nvalues * bw + 7) / 8 < plain_size)
			enc = PQ_CHUNK_DICT;
		else
			enc = PQ_CHUNK_EXPAND;
	}
	else
		enc = PQ_CHUNK_PLAIN;

	/* back off from dictionaries that did not pay off */
	if (enc == PQ_CHUNK_DICT)
		c->dict_backoff = 0;
	else if (c->dict_tried)
	{
		c->dict_skip = c->dict_backoff;
		c->dict_backoff = c->dict_backoff == 0 ? 1 :
			(c->dict_backoff * 2 > PQ_DICT_MAX_BACKOFF ? PQ_DICT_MAX_BACKOFF :
			 c->dict_backoff * 2);
	}

	if (enc == PQ_CHUNK_DICT)
	{
		c->chunk.has_dict = true;
		c->chunk.dict_offset = w->offset;
		rc = pq_write_page(w, c, true, c->dict.data, c->dict.len, c->ndict,
						   PQ_ENC_PLAIN);
		if (rc != PARQUET_OK)
			return rc;
	}
	c->chunk.data_offset = w->offset;

	while (row < (size_t) nrows)
	{
		size_t		row0 = row;
		size_t		vi0 = vi;
		size_t		off0 = off;
		size_t		maxrows = (size_t) nrows - row;
		size_t		vbytes;		/* PLAIN bytes of the page's values */
		size_t		nv;
		const uint8_t *body;
		size_t		bodylen;
		PqBuf	   *pg = &w->page;

		if (maxrows > PQ_PAGE_MAX_ROWS)
			maxrows = PQ_PAGE_MAX_ROWS;

		/* find the page's extent: rows [row0,row), values [vi0,vi) */
		if (enc == PQ_CHUNK_DICT || c->width != 0)
		{
			uint64_t	bits = enc == PQ_CHUNK_DICT ? (uint64_t) bw :
				(c->spec.type == PQ_BOOLEAN ? 1 : (uint64_t) c->width * 8);
			uint64_t	maxvals = (uint64_t) w->page_bytes * 8 / bits;

			if (maxvals == 0)
				maxvals = 1;
			if (def == NULL)
			{
				nv = maxrows < maxvals ? maxrows : (size_t) maxvals;
				row += nv;
				vi += nv;
			}
			else
			{
				size_t		end = row + maxrows;

				while (row < end && vi - vi0 < maxvals)
					vi += def[row++];
			}
			vbytes = (vi - vi0) * (size_t) c->width;
		}
		else
		{
			/* BYTE_ARRAY, PLAIN or expanded: walk the value lengths */
			size_t		end = row + maxrows;

			vbytes = 0;
			while (row < end && vbytes < w->page_bytes)
			{
				if (def == NULL || def[row])
				{
					size_t		len;

					if (enc == PQ_CHUNK_PLAIN)
					{
						len = 4 + (size_t) pq_load_u32le(c->plain.data + off);
						off += len;
					}
					else
						len = 4 + (size_t) pq_load_u32le(c->dict.data + doff[idx[vi]]);
					vbytes += len;
					vi++;
				}
				row++;
			}
		}
		nv = vi - vi0;

		/* assemble the page body: definition levels, then values */
		pg->len = 0;
		if (def != NULL)
		{
			size_t		lenpos;

			pq_buf_put_u32le(pg, 0);
			lenpos = pg->len;
			pq_rle_encode(pg, NULL, def + row0, row - row0, 1);
			if (!pg->oom)
				pq_store_u32le(pg->data + lenpos - 4, (uint32_t) (pg->len - lenpos));
		}
		body = NULL;
		bodylen = 0;
		if (enc == PQ_CHUNK_DICT)
		{
			pq_buf_put_u8(pg, (uint8_t) bw);
			pq_rle_encode(pg, idx + vi0, NULL, nv, bw);
		}
		else if (enc == PQ_CHUNK_PLAIN && c->spec.type == PQ_BOOLEAN)
		{
			size_t		nbytes = (nv + 7) / 8;
			size_t		i;

			if (pq_buf_reserve(pg, nbytes))
			{
				uint8_t    *dst = pg->data + pg->len;

				memset(dst, 0, nbytes);
				for (i = 0; i < nv; i++)
					dst[i >> 3] |= (uint8_t) (c->plain.data[vi0 + i] << (i & 7));
				pg->len += nbytes;
			}
		}
		else if (enc == PQ_CHUNK_PLAIN && vbytes > 0)
		{
			const uint8_t *src = c->plain.data +
				(c->width ? vi0 * (size_t) c->width : off0);

			if (def == NULL)
			{
				/* the buffered PLAIN bytes are the page: no copy */
				body = src;
				bodylen = vbytes;
			}
			else
				pq_buf_append(pg, src, vbytes);
		}
		else if (enc == PQ_CHUNK_EXPAND && vbytes > 0)
		{
			/* expand dictionary indices into PLAIN values */
			size_t		i;

			if (pq_buf_reserve(pg, vbytes))
			{
				uint8_t    *dst = pg->data + pg->len;

				for (i = vi0; i < vi; i++)
				{
					if (c->width)
					{
						memcpy(dst, c->dict.data + (size_t) idx[i] * c->width,
							   c->width);
						dst += c->width;
					}
					else
					{
						const uint8_t *p = c->dict.data + doff[idx[i]];
						size_t		len = 4 + (size_t) pq_load_u32le(p);

						memcpy(dst, p, len);
						dst += len;
					}
				}
				pg->len += vbytes;
			}
		}
		if (pg->oom)
			return pq_fail(w, PARQUET_ERR_NOMEM, "out of memory");
		if (body == NULL)
		{
			body = pg->data;
			bodylen = pg->len;
		}
		rc = pq_write_page(w, c, false, body, bodylen, (int64_t) (row - row0),
						   enc == PQ_CHUNK_DICT ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN);
		if (rc != PARQUET_OK)
			return rc;
	}
	return PARQUET_OK;
}

/*
 * Serialize the ColumnChunk (with its ColumnMetaData) of column c's chunk
 * just written, as an element of RowGroup.columns.
 */
static void
pq_write_column_chunk_meta(ParquetWriter *w, PqThrift *t, const PqColumn *c,
						   int64_t nrows)
{
	const PqChunkInfo *ci = &c->chunk;
	int			nenc = 0;
	int32_t		encs[3];
	int			i;

	/* PLAIN: the dictionary page or the data pages */
	encs[nenc++] = PQ_ENC_PLAIN;
	if (c->spec.nullable)
		encs[nenc++] = PQ_ENC_RLE;
	if (ci->has_dict)
		encs[nenc++] = PQ_ENC_RLE_DICTIONARY;

	tw_elem_struct_begin(t);
	tw_i64(t, 2, (int64_t) ci->start);
	tw_struct_begin(t, 3);
	tw_i32(t, 1, c->spec.type);
	tw_list_begin(t, 2, TC_I32, nenc);
	for (i = 0; i < nenc; i++)
		tw_elem_i32(t, encs[i]);
	tw_list_begin(t, 3, TC_BINARY, 1);
	tw_elem_binary(t, c->name, strlen(c->name));
	tw_i32(t, 4, w->codec);
	tw_i64(t, 5, nrows);
	tw_i64(t, 6, ci->total_uncompressed);
	tw_i64(t, 7, ci->total_compressed);
	tw_i64(t, 9, (int64_t) ci->data_offset);
	if (ci->has_dict)
		tw_i64(t, 11, (int64_t) ci->dict_offset);
	pq_write_statistics(t, c);
	/* encoding_stats: lets readers see that every data page uses the dict */
	tw_list_begin(t, 13, TC_STRUCT, ci->has_dict ? 2 : 1);
	if (ci->has_dict)
	{
		tw_elem_struct_begin(t);
		tw_i32(t, 1, PQ_PAGE_DICTIONARY);
		tw_i32(t, 2, PQ_ENC_PLAIN);
		tw_i32(t, 3, 1);
		tw_struct_end(t);
	}
	tw_elem_struct_begin(t);
	tw_i32(t, 1, PQ_PAGE_DATA);
	tw_i32(t, 2, ci->has_dict ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN);
	tw_i32(t, 3, ci->ndata_pages);
	tw_struct_end(t);
	tw_struct_end(t);			/* ColumnMetaData */
	tw_struct_end(t);			/* ColumnChunk */
}

/*
 * Write the buffered row group: every column chunk in schema order, then
 * serialize its RowGroup struct for the footer and reset the columns.
 */
static int
pq_flush_row_group(ParquetWriter *w)
{
	int64_t		nrows = w->rg_nrows;
	int64_t		total_unc = 0;
	int64_t		total_comp = 0;
	PqThrift	t;
	int			i;
	int			rc;

	if (nrows == 0)
		return PARQUET_OK;
	for (i = 0; i < w->ncols; i++)
	{
		if (pq_column_oom(&w->cols[i]))
			return pq_fail(w, PARQUET_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < w->ncols; i++)
	{
		rc = pq_write_chunk(w, &w->cols[i], nrows);
		if (rc != PARQUET_OK)
			return rc;
		total_unc += w->cols[i].chunk.total_uncompressed;
		total_comp += w->cols[i].chunk.total_compressed;
	}

	tw_init(&t, &w->rowgroups);
	tw_list_begin(&t, 1, TC_STRUCT, w->ncols);
	for (i = 0; i < w->ncols; i++)
		pq_write_column_chunk_meta(w, &t, &w->cols[i], nrows);
	tw_i64(&t, 2, total_unc);
	tw_i64(&t, 3, nrows);
	tw_i64(&t, 5, (int64_t) w->cols[0].chunk.start);
	tw_i64(&t, 6, total_comp);
	if (w->nrowgroups <= INT16_MAX)
		tw_i16(&t, 7, (int16_t) w->nrowgroups);
	tw_struct_end(&t);
	if (w->rowgroups.oom)
		return pq_fail(w, PARQUET_ERR_NOMEM, "out of memory");

	w->nrowgroups++;
	w->total_rows += nrows;
	w->rg_nrows = 0;
	w->var_bytes = 0;
	for (i = 0; i < w->ncols; i++)
		pq_column_reset(&w->cols[i]);
	return PARQUET_OK;
}


/* ---------------------------------------------------------------------
 * Schema and footer
 * ---------------------------------------------------------------------
 */

/* ConvertedType implied by a column's logical type (PQ_CT_NONE if none) */
static ParquetConvertedType
pq_converted_type(const ParquetColumnSpec *s)
{
	switch (s->logical)
	{
		case PQ_LT_STRING:
			return PQ_CT_UTF8;
		case PQ_LT_ENUM:
			return PQ_CT_ENUM;
		case PQ_LT_JSON:
			return PQ_CT_JSON;
		case PQ_LT_BSON:
			return PQ_CT_BSON;
		case PQ_LT_DECIMAL:
			return PQ_CT_DECIMAL;
		case PQ_LT_DATE:
			return PQ_CT_DATE;
		case PQ_LT_TIME:
			/* the legacy annotations only describe UTC-adjusted times */
			if (!s->adjusted_to_utc)
				return PQ_CT_NONE;
			return s->unit == PQ_UNIT_MILLIS ? PQ_CT_TIME_MILLIS :
				s->unit == PQ_UNIT_MICROS ? PQ_CT_TIME_MICROS : PQ_CT_NONE;
		case PQ_LT_TIMESTAMP:
			if (!s->adjusted_to_utc)
				return PQ_CT_NONE;
			return s->unit == PQ_UNIT_MILLIS ? PQ_CT_TIMESTAMP_MILLIS :
				s->unit == PQ_UNIT_MICROS ? PQ_CT_TIMESTAMP_MICROS : PQ_CT_NONE;
		case PQ_LT_INTEGER:
			switch (s->bit_width)
			{
				case 8:
					return s->is_signed ? PQ_CT_INT_8 : PQ_CT_UINT_8;
				case 16:
					return s->is_signed ? PQ_CT_INT_16 : PQ_CT_UINT_16;
				case 32:
					return s->is_signed ? PQ_CT_INT_32 : PQ_CT_UINT_32;
				default:
					return s->is_signed ? PQ_CT_INT_64 : PQ_CT_UINT_64;
			}
		default:
			return PQ_CT_NONE;
	}
}

/* Serialize SchemaElement.logicalType (field 10) of a column */
static void
pq_write_logical_type(PqThrift *t, const ParquetColumnSpec *s)
{
	tw_struct_begin(t, 10);
	switch (s->logical)
	{
		case PQ_LT_DECIMAL:
			tw_struct_begin(t, PQ_LT_DECIMAL);
			tw_i32(t, 1, s->scale);
			tw_i32(t, 2, s->precision);
			tw_struct_end(t);
			break;
		case PQ_LT_TIME:
		case PQ_LT_TIMESTAMP:
			tw_struct_begin(t, (int16_t) s->logical);
			tw_bool(t, 1, s->adjusted_to_utc);
			tw_struct_begin(t, 2);
			tw_empty_struct(t, (int16_t) s->unit);
			tw_struct_end(t);
			tw_struct_end(t);
			break;
		case PQ_LT_INTEGER:
			tw_struct_begin(t, PQ_LT_INTEGER);
			tw_i8(t, 1, (int8_t) s->bit_width);
			tw_bool(t, 2, s->is_signed);
			tw_struct_end(t);
			break;
		default:
			/* STRING, ENUM, DATE, JSON, BSON, UUID: empty structs */
			tw_empty_struct(t, (int16_t) s->logical);
			break;
	}
	tw_struct_end(t);
}

/* Serialize the SchemaElement of one leaf column */
static void
pq_write_schema_element(PqThrift *t, const PqColumn *c)
{
	const ParquetColumnSpec *s = &c->spec;

	tw_elem_struct_begin(t);
	tw_i32(t, 1, s->type);
	if (s->type == PQ_FIXED_LEN_BYTE_ARRAY)
		tw_i32(t, 2, s->type_length);
	tw_i32(t, 3, s->nullable ? PQ_OPTIONAL : PQ_REQUIRED);
	tw_string(t, 4, c->name);
	if (c->converted != PQ_CT_NONE)
		tw_i32(t, 6, c->converted);
	if (s->logical == PQ_LT_DECIMAL)
	{
		tw_i32(t, 7, s->scale);
		tw_i32(t, 8, s->precision);
	}
	if (s->logical != PQ_LT_NONE)
		pq_write_logical_type(t, s);
	tw_struct_end(t);
}

/*
 * Serialize FileMetaData into w->footer: version, schema, num_rows, the
 * row groups serialized as they were written, key_value_metadata,
 * created_by and column_orders.
 */
static void
pq_write_file_metadata(ParquetWriter *w)
{
	PqThrift	t;
	int			i;

	w->footer.len = 0;
	tw_init(&t, &w->footer);
	tw_i32(&t, 1, 2);
	tw_list_begin(&t, 2, TC_STRUCT, w->ncols + 1);
	tw_elem_struct_begin(&t);
	tw_string(&t, 4, w->schema_name);
	tw_i32(&t, 5, w->ncols);
	tw_struct_end(&t);
	for (i = 0; i < w->ncols; i++)
		pq_write_schema_element(&t, &w->cols[i]);
	tw_i64(&t, 3, w->total_rows);
	tw_list_begin(&t, 4, TC_STRUCT, w->nrowgroups);
	pq_buf_append(&w->footer, w->rowgroups.data, w->rowgroups.len);
	if (w->nkv > 0)
	{
		tw_list_begin(&t, 5, TC_STRUCT, w->nkv);
		for (i = 0; i < w->nkv; i++)
		{
			tw_elem_struct_begin(&t);
			tw_string(&t, 1, w->kv_keys[i]);
			if (w->kv_values[i] != NULL)
				tw_string(&t, 2, w->kv_values[i]);
			tw_struct_end(&t);
		}
	}
	if (w->created_by != NULL)
		tw_string(&t, 6, w->created_by);
	tw_list_begin(&t, 7, TC_STRUCT, w->ncols);
	for (i = 0; i < w->ncols; i++)
	{
		/* ColumnOrder union, member 1: TypeDefinedOrder (empty struct) */
		tw_elem_struct_begin(&t);
		tw_empty_struct(&t, 1);
		tw_struct_end(&t);
	}
	tw_struct_end(&t);
}


/* ---------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------
 */

/*
 * Largest DECIMAL precision a FIXED_LEN_BYTE_ARRAY of n bytes holds:
 * floor(log10(2^(8n-1) - 1)), for n = 1..16.
 */
static const int pq_flba_max_precision[17] = {
	0, 2, 4, 6, 9, 11, 14, 16, 18, 21, 23, 26, 28, 31, 33, 35, 38
};

/* Check one column spec; on error write a message and return false */
static bool
pq_validate_column(const ParquetColumnSpec *s, int i, char *msg, size_t msglen)
{
	const char *name = s->name ? s->name : "";

	if (s->name == NULL || s->name[0] == '\0')
	{
		snprintf(msg, msglen, "column %d has no name", i);
		return false;
	}
	switch (s->type)
	{
		case PQ_BOOLEAN:
		case PQ_INT32:
		case PQ_INT64:
		case PQ_FLOAT:
		case PQ_DOUBLE:
		case PQ_BYTE_ARRAY:
			break;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			if (s->type_length <= 0)
			{
				snprintf(msg, msglen, "column \"%s\": FIXED_LEN_BYTE_ARRAY needs a positive type_length", name);
				return false;
			}
			break;
		default:
			snprintf(msg, msglen, "column \"%s\": unsupported physical type %d",
					 name, (int) s->type);
			return false;
	}

	switch (s->logical)
	{
		case PQ_LT_NONE:
			return true;
		case PQ_LT_STRING:
		case PQ_LT_JSON:
		case PQ_LT_BSON:
		case PQ_LT_ENUM:
			if (s->type == PQ_BYTE_ARRAY)
				return true;
			break;
		case PQ_LT_UUID:
			if (s->type == PQ_FIXED_LEN_BYTE_ARRAY && s->type_length == 16)
				return true;
			break;
		case PQ_LT_DATE:
			if (s->type == PQ_INT32)
				return true;
			break;
		case PQ_LT_TIMESTAMP:
			if (s->unit < PQ_UNIT_MILLIS || s->unit > PQ_UNIT_NANOS)
			{
				snprintf(msg, msglen, "column \"%s\": invalid time unit %d",
						 name, (int) s->unit);
				return false;
			}
			if (s->type == PQ_INT64)
				return true;
			break;
		case PQ_LT_TIME:
			if (s->unit < PQ_UNIT_MILLIS || s->unit > PQ_UNIT_NANOS)
			{
				snprintf(msg, msglen, "column \"%s\": invalid time unit %d",
						 name, (int) s->unit);
				return false;
			}
			if ((s->unit == PQ_UNIT_MILLIS && s->type == PQ_INT32) ||
				(s->unit != PQ_UNIT_MILLIS && s->type == PQ_INT64))
				return true;
			break;
		case PQ_LT_INTEGER:
			if ((s->type == PQ_INT32 && (s->bit_width == 8 || s->bit_width == 16 ||
										 s->bit_width == 32)) ||
				(s->type == PQ_INT64 && s->bit_width == 64))
				return true;
			break;
		case PQ_LT_DECIMAL:
			if (s->precision < 1 || s->scale < 0 || s->scale > s->precision)
			{
				snprintf(msg, msglen, "column \"%s\": invalid DECIMAL(%d,%d)",
						 name, (int) s->precision, (int) s->scale);
				return false;
			}
			if ((s->type == PQ_INT32 && s->precision <= 9) ||
				(s->type == PQ_INT64 && s->precision <= 18) ||
				(s->type == PQ_FIXED_LEN_BYTE_ARRAY && s->type_length <= 16 &&
				 s->precision <= pq_flba_max_precision[s->type_length]))
				return true;
			break;
		default:
			snprintf(msg, msglen, "column \"%s\": unsupported logical type %d",
					 name, (int) s->logical);
			return false;
	}
	snprintf(msg, msglen,
			 "column \"%s\": logical type %d does not fit physical type %d",
			 name, (int) s->logical, (int) s->type);
	return false;
}

/* Duplicate a string with malloc (NULL stays NULL) */
static char *
pq_strdup(const char *s, bool *oom)
{
	char	   *d;
	size_t		n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d == NULL)
		*oom = true;
	else
		memcpy(d, s, n);
	return d;
}


/* ---------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------
 */

/* Fill opts with the defaults documented in parquet_write.h */
void
parquet_writer_options_init(ParquetWriterOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->codec = PQ_CODEC_ZSTD;
	opts->compression_level = PARQUET_DEFAULT_ZSTD_LEVEL;
	opts->row_group_rows = PARQUET_DEFAULT_ROW_GROUP_ROWS;
	opts->row_group_bytes = PARQUET_DEFAULT_ROW_GROUP_BYTES;
	opts->page_bytes = PARQUET_DEFAULT_PAGE_BYTES;
	opts->dictionary_bytes = PARQUET_DEFAULT_DICTIONARY_BYTES;
	opts->schema_name = PARQUET_DEFAULT_SCHEMA_NAME;
}

/* Zero a column spec and set the fields every column needs */
void
parquet_column_init(ParquetColumnSpec *col, const char *name, ParquetType type,
					bool nullable)
{
	memset(col, 0, sizeof(*col));
	col->name = name;
	col->type = type;
	col->nullable = nullable;
	col->logical = PQ_LT_NONE;
	col->is_signed = true;
	col->unit = PQ_UNIT_MICROS;
}

/* Minimal FIXED_LEN_BYTE_ARRAY length for a DECIMAL precision */
int
parquet_decimal_flba_length(int precision)
{
	int			n;

	if (precision < 1 || precision > PARQUET_MAX_DECIMAL_PRECISION)
		return -1;
	for (n = 1; n <= 16; n++)
	{
		if (pq_flba_max_precision[n] >= precision)
			return n;
	}
	return -1;
}

/*
 * Create a writer: validate everything up front, copy the schema and the
 * strings, allocate the compression contexts and buffer the leading magic.
 */
ParquetWriter *
parquet_writer_create(int fd, const ParquetColumnSpec *cols, int ncols,
					  const ParquetWriterOptions *opts, char *errbuf,
					  size_t errlen)
{
	ParquetWriterOptions defaults;
	ParquetWriter *w;
	char		msg[PQ_ERRMSG_LEN];
	bool		oom = false;
	off_t		pos;
	int			i;

	if (opts == NULL)
	{
		parquet_writer_options_init(&defaults);
		opts = &defaults;
	}
	if (fd < 0)
	{
		pq_copy_error(errbuf, errlen, "invalid file descriptor");
		return NULL;
	}
	if (cols == NULL || ncols <= 0)
	{
		pq_copy_error(errbuf, errlen, "a Parquet schema needs at least one column");
		return NULL;
	}
	for (i = 0; i < ncols; i++)
	{
		if (!pq_validate_column(&cols[i], i, msg, sizeof(msg)))
		{
			pq_copy_error(errbuf, errlen, msg);
			return NULL;
		}
	}
	if (opts->codec != PQ_CODEC_UNCOMPRESSED && opts->codec != PQ_CODEC_ZSTD &&
		opts->codec != PQ_CODEC_LZ4_RAW)
	{
		snprintf(msg, sizeof(msg),
				 "unsupported compression codec %d (use UNCOMPRESSED, ZSTD or LZ4_RAW)",
				 (int) opts->codec);
		pq_copy_error(errbuf, errlen, msg);
		return NULL;
	}
	if (opts->row_group_rows < 0 || opts->nkey_value_metadata < 0 ||
		(opts->nkey_value_metadata > 0 && opts->key_value_metadata == NULL))
	{
		pq_copy_error(errbuf, errlen, "invalid writer options");
		return NULL;
	}
	for (i = 0; i < opts->nkey_value_metadata; i++)
	{
		if (opts->key_value_metadata[i].key == NULL)
		{
			pq_copy_error(errbuf, errlen, "key_value_metadata entry without a key");
			return NULL;
		}
	}
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos > 0)
	{
		pq_copy_error(errbuf, errlen,
					  "the file descriptor must be positioned at the start of the file");
		return NULL;
	}

	w = calloc(1, sizeof(ParquetWriter));
	if (w == NULL)
	{
		pq_copy_error(errbuf, errlen, "out of memory");
		return NULL;
	}
	w->fd = fd;
	w->codec = opts->codec;
	w->level = opts->compression_level != 0 ? opts->compression_level :
		PARQUET_DEFAULT_ZSTD_LEVEL;
	w->rg_rows = opts->row_group_rows > 0 ? opts->row_group_rows :
		PARQUET_DEFAULT_ROW_GROUP_ROWS;
	w->rg_bytes = opts->row_group_bytes > 0 ? opts->row_group_bytes :
		PARQUET_DEFAULT_ROW_GROUP_BYTES;
	w->page_bytes = opts->page_bytes > 0 ? opts->page_bytes :
		PARQUET_DEFAULT_PAGE_BYTES;
	w->dict_bytes = opts->dictionary_bytes > 0 ? opts->dictionary_bytes :
		PARQUET_DEFAULT_DICTIONARY_BYTES;
	w->created_by = pq_strdup(opts->created_by, &oom);
	w->schema_name = pq_strdup(opts->schema_name ? opts->schema_name :
							   PARQUET_DEFAULT_SCHEMA_NAME, &oom);
	w->ncols = ncols;
	w->cols = calloc((size_t) ncols, sizeof(PqColumn));
	if (w->cols == NULL)
		oom = true;
	for (i = 0; !oom && i < ncols; i++)
	{
		PqColumn   *c = &w->cols[i];

		c->spec = cols[i];
		c->name = pq_strdup(cols[i].name, &oom);
		c->spec.name = c->name;
		c->converted = pq_converted_type(&c->spec);
		switch (c->spec.type)
		{
			case PQ_BOOLEAN:
				c->width = 1;
				c->sort = PQ_SORT_BOOL;
				break;
			case PQ_INT32:
				c->width = 4;
				c->sort = (c->spec.logical == PQ_LT_INTEGER && !c->spec.is_signed) ?
					PQ_SORT_UINT : PQ_SORT_INT;
				break;
			case PQ_INT64:
				c->width = 8;
				c->sort = (c->spec.logical == PQ_LT_INTEGER && !c->spec.is_signed) ?
					PQ_SORT_UINT : PQ_SORT_INT;
				break;
			case PQ_FLOAT:
				c->width = 4;
				c->sort = PQ_SORT_FLOAT;
				break;
			case PQ_DOUBLE:
				c->width = 8;
				c->sort = PQ_SORT_FLOAT;
				break;
			case PQ_BYTE_ARRAY:
				c->width = 0;
				c->sort = PQ_SORT_BYTES;
				break;
			default:
				c->width = c->spec.type_length;
				c->sort = c->spec.logical == PQ_LT_DECIMAL ?
					PQ_SORT_DECIMAL_BE : PQ_SORT_BYTES;
				break;
		}
		c->dict_capable = c->spec.type != PQ_BOOLEAN && !c->spec.no_dictionary;
		w->fixed_row_bytes += (size_t) c->width + (c->spec.nullable ? 1 : 0);
		pq_column_reset(c);
	}
	for (i = 0; !oom && i < opts->nkey_value_metadata; i++)
	{
		if (parquet_writer_add_metadata(w, opts->key_value_metadata[i].key,
										opts->key_value_metadata[i].value) != PARQUET_OK)
			oom = true;
	}
	if (!oom && w->codec == PQ_CODEC_ZSTD)
	{
		w->zctx = ZSTD_createCCtx();
		if (w->zctx == NULL)
			oom = true;
	}
	if (!oom && w->codec == PQ_CODEC_LZ4_RAW)
	{
		w->lz4state = malloc((size_t) LZ4_sizeofState());
		if (w->lz4state == NULL)
			oom = true;
	}
	if (!oom && !pq_buf_reserve(&w->out, PQ_OUT_BUFFER_BYTES))
		oom = true;
	if (oom)
	{
		parquet_writer_free(w);
		pq_copy_error(errbuf, errlen, "out of memory");
		return NULL;
	}

	memcpy(w->out.data, PARQUET_MAGIC, PARQUET_MAGIC_LEN);
	w->out.len = PARQUET_MAGIC_LEN;
	w->offset = PARQUET_MAGIC_LEN;
	return w;
}

/*
 * Append one row.  First a validation pass, so a bad value rejects the
 * row without buffering any part of it; then every value is buffered and
 * the row group is written when full (by rows, or by buffered bytes).
 */
int
parquet_writer_add_row(ParquetWriter *w, const ParquetValue *values)
{
	int			i;

	if (w == NULL)
		return PARQUET_ERR_INVALID;
	if (w->status != PARQUET_OK)
		return w->status;
	if (w->finished)
	{
		pq_reject(w, "the Parquet writer is already finished");
		return PARQUET_ERR_STATE;
	}

	for (i = 0; i < w->ncols; i++)
	{
		const ParquetValue *v = &values[i];
		const PqColumn *c = &w->cols[i];

		if (v->isnull)
		{
			if (!c->spec.nullable)
				return pq_reject(w, "NULL value in REQUIRED column \"%s\"", c->name);
			continue;
		}
		if (c->spec.type == PQ_BYTE_ARRAY || c->spec.type == PQ_FIXED_LEN_BYTE_ARRAY)
		{
			if (v->v.bytes.ptr == NULL && v->v.bytes.len > 0)
				return pq_reject(w, "NULL pointer for a value of column \"%s\"", c->name);
			if (c->spec.type == PQ_FIXED_LEN_BYTE_ARRAY &&
				v->v.bytes.len != (uint32_t) c->spec.type_length)
				return pq_reject(w, "value of %u bytes for FIXED_LEN_BYTE_ARRAY(%d) column \"%s\"",
								 v->v.bytes.len, (int) c->spec.type_length, c->name);
			if (v->v.bytes.len > PARQUET_MAX_VALUE_BYTES)
				return pq_reject(w, "value of %u bytes in column \"%s\" is too large",
								 v->v.bytes.len, c->name);
		}
	}

	for (i = 0; i < w->ncols; i++)
	{
		const ParquetValue *v = &values[i];
		PqColumn   *c = &w->cols[i];

		if (c->spec.nullable)
		{
			pq_buf_put_u8(&c->def, v->isnull ? 0 : 1);
			if (v->isnull)
			{
				c->nnull++;
				continue;
			}
		}
		if (c->width == 0)
			w->var_bytes += 4 + (uint64_t) v->v.bytes.len;
		pq_add_value(w, c, v);
	}
	w->rg_nrows++;

	/*
	 * Write the row group when it has its rows, or when its PLAIN size (an
	 * upper bound of what is buffered, dictionaries aside) reaches
	 * row_group_bytes.
	 */
	if (w->rg_nrows >= w->rg_rows ||
		(uint64_t) w->rg_nrows * w->fixed_row_bytes + w->var_bytes >= w->rg_bytes)
		return pq_flush_row_group(w);
	if (w->rg_nrows % PQ_OOM_CHECK_ROWS == 0)
	{
		for (i = 0; i < w->ncols; i++)
		{
			if (pq_column_oom(&w->cols[i]))
				return pq_fail(w, PARQUET_ERR_NOMEM, "out of memory");
		}
	}
	return PARQUET_OK;
}

/* The file's size so far, buffered bytes included (for size caps) */
uint64_t
parquet_writer_bytes(const ParquetWriter *w)
{
	return w->offset;
}

/* Record a key_value_metadata entry for the footer */
int
parquet_writer_add_metadata(ParquetWriter *w, const char *key, const char *value)
{
	bool		oom = false;

	if (w == NULL || key == NULL)
		return PARQUET_ERR_INVALID;
	if (w->status != PARQUET_OK)
		return w->status;
	if (w->finished)
		return PARQUET_ERR_STATE;
	if (w->nkv == w->kv_cap)
	{
		int			cap = w->kv_cap ? w->kv_cap * 2 : 8;
		char	  **keys = realloc(w->kv_keys, sizeof(char *) * (size_t) cap);

		if (keys == NULL)
			return pq_fail(w, PARQUET_ERR_NOMEM, "out of memory");
		w->kv_keys = keys;
		keys = realloc(w->kv_values, sizeof(char *) * (size_t) cap);
		if (keys == NULL)
			return pq_fail(w, PARQUET_ERR_NOMEM, "out of memory");
		w->kv_values = keys;
		w->kv_cap = cap;
	}
	w->kv_keys[w->nkv] = pq_strdup(key, &oom);
	w->kv_values[w->nkv] = pq_strdup(value, &oom);
	w->nkv++;					/* counted even on failure, so free() frees */
	if (oom)
		return pq_fail(w, PARQUET_ERR_NOMEM, "out of memory");
	return PARQUET_OK;
}

/*
 * Write the last row group and the footer (FileMetaData, its length,
 * "PAR1"), and flush the output buffer to the fd.
 */
int
parquet_writer_finish(ParquetWriter *w, ParquetWriteResult *result,
					  char *errbuf, size_t errlen)
{
	uint8_t		tail[8];
	int			rc;

	if (w == NULL)
	{
		pq_copy_error(errbuf, errlen, "no Parquet writer");
		return PARQUET_ERR_INVALID;
	}
	if (w->finished && w->status == PARQUET_OK)
	{
		pq_copy_error(errbuf, errlen, "the Parquet writer is already finished");
		return PARQUET_ERR_STATE;
	}
	rc = w->status;
	if (rc == PARQUET_OK)
		rc = pq_flush_row_group(w);
	if (rc == PARQUET_OK)
	{
		pq_write_file_metadata(w);
		if (w->footer.oom || w->footer.len > UINT32_MAX)
			rc = pq_fail(w, PARQUET_ERR_NOMEM, "out of memory");
	}
	if (rc == PARQUET_OK)
		rc = pq_out(w, w->footer.data, w->footer.len);
	if (rc == PARQUET_OK)
	{
		pq_store_u32le(tail, (uint32_t) w->footer.len);
		memcpy(tail + 4, PARQUET_MAGIC, PARQUET_MAGIC_LEN);
		rc = pq_out(w, tail, sizeof(tail));
	}
	if (rc == PARQUET_OK)
		rc = pq_out_flush(w);
	w->finished = true;
	if (rc != PARQUET_OK)
	{
		pq_copy_error(errbuf, errlen, w->errmsg);
		return rc;
	}
	if (result != NULL)
	{
		result->bytes_written = w->offset;
		result->rows = w->total_rows;
		result->row_groups = w->nrowgroups;
	}
	return PARQUET_OK;
}

/* The message of the writer's last error */
const char *
parquet_writer_error(const ParquetWriter *w)
{
	return w != NULL ? w->errmsg : "no Parquet writer";
}

/* Free the writer and everything it owns (the fd is the caller's) */
void
parquet_writer_free(ParquetWriter *w)
{
	int			i;

	if (w == NULL)
		return;
	if (w->cols != NULL)
	{
		for (i = 0; i < w->ncols; i++)
		{
			PqColumn   *c = &w->cols[i];

			free(c->name);
			pq_buf_free(&c->def);
			pq_buf_free(&c->plain);
			pq_buf_free(&c->idx);
			pq_buf_free(&c->dict);
			pq_buf_free(&c->dict_off);
			pq_buf_free(&c->minb);
			pq_buf_free(&c->maxb);
			free(c->slots);
		}
		free(w->cols);
	}
	for (i = 0; i < w->nkv; i++)
	{
		free(w->kv_keys[i]);
		free(w->kv_values[i]);
	}
	free(w->kv_keys);
	free(w->kv_values);
	free(w->created_by);
	free(w->schema_name);
	pq_buf_free(&w->out);
	pq_buf_free(&w->page);
	pq_buf_free(&w->cpage);
	pq_buf_free(&w->hdr);
	pq_buf_free(&w->rowgroups);
	pq_buf_free(&w->footer);
	ZSTD_freeCCtx(w->zctx);
	free(w->lz4state);
	free(w);
}
