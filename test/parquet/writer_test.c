/*-------------------------------------------------------------------------
 *
 * writer_test.c
 *	  Standalone test of spillpool's Parquet writer (src/parquet/parquet_write.c).
 *
 * This file owns the writer's C-level test: it writes a set of Parquet
 * files into the directory named on the command line, covering every
 * supported physical/logical type, NULLs, REQUIRED columns, all three
 * codecs, dictionary encoding and its PLAIN fallback, several row groups
 * and pages, empty and Unicode strings, extreme values, decimals of every
 * physical width, a zero-row file and the 2M-row benchmark shape.
 *
 * Next to each file it writes NAME.json with the expectations the DuckDB
 * check (test/duckdb/check.mjs) asserts: per column the row count, the
 * non-null count, min and max and the md5 of the values' canonical text
 * forms.  These are computed here from the generated values, independently
 * of the encoder.  The canonical forms are chosen so that DuckDB can
 * produce them with plain SQL (see check.mjs):
 *
 *	  integers, DECIMAL, BOOLEAN, text, JSON, UUID: DuckDB's VARCHAR cast;
 *	  DATE: days since 1970-01-01;  TIMESTAMP[TZ]: microseconds since epoch;
 *	  FLOAT/DOUBLE: printf %.9g / %.17g, "nan", "inf", "-inf";
 *	  BLOB: upper-case hex;  NULL: \N;  rows joined with "\n".
 *
 * Independently of DuckDB, each file is also re-read here by a small
 * thrift compact footer/page walker that checks the row and row group
 * counts, that every column chunk's pages add up to its num_values and
 * sizes, that every page decompresses to its declared size and carries
 * the CRC-32 of its bytes, and the page and dictionary layout the test
 * expects (several pages, dictionary
 * fallback).  The API's error paths are unit-tested too.
 *
 * Output: one "ok"/"not ok" line per check and a final "N passed, N
 * failed" line; the exit status is nonzero if anything failed.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lz4.h>
#include <zlib.h>
#include <zstd.h>

#include "../../src/parquet/parquet_write.h"

typedef __int128 int128;
typedef unsigned __int128 uint128;

static int	npassed = 0;
static int	nfailed = 0;

/* Record one check; print a line for failures and for named checks */
static void
check(bool ok, const char *fmt,...)
{
	va_list		ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (ok)
		npassed++;
	else
		nfailed++;
}

/* Abort the whole test on a failure that makes going on pointless */
static void
die(const char *fmt,...)
{
	va_list		ap;

	fprintf(stderr, "writer_test: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	printf("%d passed, %d failed\n", npassed, nfailed + 1);
	exit(1);
}


#include "test_md5.h"

/* Check the MD5 code on RFC 1321 test vectors before trusting it */
static void
md5_selftest(void)
{
	Md5			m;
	char		hex[33];

	md5_init(&m);
	md5_final(&m, hex);
	check(strcmp(hex, "d41d8cd98f00b204e9800998ecf8427e") == 0, "md5 of empty string");
	md5_init(&m);
	md5_update(&m, "abc", 3);
	md5_final(&m, hex);
	check(strcmp(hex, "900150983cd24fb0d6963f7d28e17f72") == 0, "md5 of \"abc\"");
	md5_init(&m);
	md5_update(&m, "The quick brown fox jumps over the lazy dog", 43);
	md5_final(&m, hex);
	check(strcmp(hex, "9e107d9d372bb6826bd81d3542a419d6") == 0, "md5 of a 43-byte string");
}


/* ---------------------------------------------------------------------
 * Small growable string
 * ---------------------------------------------------------------------
 */

typedef struct Str
{
	char	   *p;
	size_t		len;
	size_t		cap;
} Str;

/* Make room for n more bytes plus a terminating NUL */
static void
str_reserve(Str *s, size_t n)
{
	if (s->len + n + 1 <= s->cap)
		return;
	while (s->len + n + 1 > s->cap)
		s->cap = s->cap ? s->cap * 2 : 256;
	s->p = realloc(s->p, s->cap);
	if (s->p == NULL)
		die("out of memory");
}

/* Append bytes */
static void
str_add(Str *s, const void *p, size_t n)
{
	str_reserve(s, n);
	memcpy(s->p + s->len, p, n);
	s->len += n;
	s->p[s->len] = '\0';
}

/* Append formatted text */
static void
str_printf(Str *s, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	str_reserve(s, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(s->p + s->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t) n;
}

/* Append a JSON string literal */
static void
str_json(Str *s, const char *p, size_t n)
{
	size_t		i;

	str_add(s, "\"", 1);
	for (i = 0; i < n; i++)
	{
		unsigned char ch = (unsigned char) p[i];

		if (ch == '"' || ch == '\\')
			str_printf(s, "\\%c", ch);
		else if (ch < 0x20)
			str_printf(s, "\\u%04x", ch);
		else
			str_add(s, &p[i], 1);
	}
	str_add(s, "\"", 1);
}


/* ---------------------------------------------------------------------
 * Deterministic pseudo-random values
 * ---------------------------------------------------------------------
 */

/* splitmix64 finalizer: a well-mixed 64-bit value from any input */
static uint64_t
mix(uint64_t x)
{
	x += UINT64_C(0x9E3779B97F4A7C15);
	x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

/* Random 64 bits for (row, salt) */
static uint64_t
rnd(int64_t row, uint64_t salt)
{
	return mix((uint64_t) row * UINT64_C(0x100000001B3) ^ mix(salt));
}

/* 10^n as a 128-bit integer */
static int128
pow10_128(int n)
{
	int128		v = 1;

	while (n-- > 0)
		v *= 10;
	return v;
}

/* Uniform-ish value in [-(10^p - 1), 10^p - 1] */
static int128
rnd_decimal(int64_t row, uint64_t salt, int precision)
{
	uint128		r = ((uint128) rnd(row, salt) << 64) | rnd(row, salt + 1);
	int128		lim = pow10_128(precision) - 1;

	return (int128) ((r % ((uint128) lim * 2 + 1)) - (uint128) lim);
}


/* ---------------------------------------------------------------------
 * Test column descriptions
 * ---------------------------------------------------------------------
 */

#define SCRATCH_BYTES 16384

typedef struct TCol TCol;

/* Produce column value of a row into *v (scratch holds byte values) */
typedef void (*GenFn) (const TCol *col, int64_t row, ParquetRowValue *v,
					   uint8_t *scratch);

/* Expected dictionary layout of a column's chunks */
#define DICT_ANY	0			/* not checked */
#define DICT_ALL	1			/* every chunk has a dictionary page */
#define DICT_NONE	2			/* no chunk has one */
#define DICT_FIRST	3			/* only the first chunk has one */

/* Expected min/max statistics */
#define STATS_PRESENT	0
#define STATS_ABSENT	1

struct TCol
{
	const char *name;
	ParquetType type;
	bool		nullable;
	int32_t		type_length;
	ParquetLogicalType logical;
	int			precision;
	int			scale;
	int			bit_width;
	bool		is_unsigned;
	bool		utc;
	bool		no_dict;
	GenFn		gen;
	const char *duckdb_type;
	const char *pg_type;
	int			stats;
	int			dict;
	uint64_t	salt;
};

/* Expectations accumulated while generating a column's values */
typedef struct Acc
{
	int64_t		count;
	int64_t		nonnull;
	Md5			md5;
	bool		has;			/* min/max seen (NaN excluded) */
	int128		imin;
	int128		imax;
	double		dmin;
	double		dmax;
	Str			bmin;
	Str			bmax;
	Str			text;			/* scratch for canonical text */
	/* per row group (the first MAX_RG_TRACK): NULLs and non-NaN values */
	int64_t		rg_nulls[64];
	bool		rg_has[64];
} Acc;

#define MAX_RG_TRACK 64


/* ---------------------------------------------------------------------
 * Canonical text forms (see the header comment)
 * ---------------------------------------------------------------------
 */

/* Decimal text of a 128-bit integer */
static void
fmt_int128(Str *s, int128 v)
{
	char		buf[64];
	int			n = 0;
	uint128		u = v < 0 ? (uint128) (-(v + 1)) + 1 : (uint128) v;

	do
	{
		buf[n++] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u != 0);
	if (v < 0)
		str_add(s, "-", 1);
	while (n > 0)
		str_add(s, &buf[--n], 1);
}

/* DuckDB's VARCHAR form of an unscaled DECIMAL(precision, scale) value */
static void
fmt_decimal(Str *s, int128 v, int precision, int scale)
{
	char		buf[64];
	int			n = 0;
	int			mindigits = scale == precision ? scale : scale + 1;
	uint128		u = v < 0 ? (uint128) (-(v + 1)) + 1 : (uint128) v;
	int			i;

	do
	{
		buf[n++] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u != 0);
	while (n < mindigits)
		buf[n++] = '0';
	if (v < 0)
		str_add(s, "-", 1);
	for (i = n - 1; i >= 0; i--)
	{
		if (i == scale - 1 && scale > 0)
			str_add(s, ".", 1);
		str_add(s, &buf[i], 1);
	}
}

/* Canonical text of a FLOAT/DOUBLE: %.9g or %.17g, nan, inf, -inf */
static void
fmt_double(Str *s, double d, bool is_float)
{
	if (isnan(d))
		str_printf(s, "nan");
	else if (isinf(d))
		str_printf(s, d > 0 ? "inf" : "-inf");
	else
		str_printf(s, is_float ? "%.9g" : "%.17g", d);
}

/* Unscaled value of a DECIMAL stored in big-endian two's complement */
static int128
decode_be(const uint8_t *p, int n)
{
	int128		v = (int8_t) p[0];
	int			i;

	for (i = 1; i < n; i++)
		v = v * 256 + p[i];
	return v;
}

/* Big-endian two's complement of v in n bytes */
static void
encode_be(int128 v, uint8_t *p, int n)
{
	int			i;

	for (i = n - 1; i >= 0; i--)
	{
		p[i] = (uint8_t) (v & 0xff);
		v >>= 8;
	}
}

/* Integer value of a numeric non-byte column value (for DECIMAL etc.) */
static int128
int_value(const TCol *c, const ParquetRowValue *v)
{
	switch (c->type)
	{
		case PQ_BOOLEAN:
			return v->v.boolean ? 1 : 0;
		case PQ_INT32:
			return c->is_unsigned ? (int128) (uint32_t) v->v.int32 : v->v.int32;
		case PQ_INT64:
			return c->is_unsigned ? (int128) (uint64_t) v->v.int64 : v->v.int64;
		default:
			return decode_be(v->v.bytes.ptr, (int) v->v.bytes.len);
	}
}

/* Is the column's canonical form a number compared as an integer? */
static bool
is_intlike(const TCol *c)
{
	return c->type == PQ_BOOLEAN || c->type == PQ_INT32 || c->type == PQ_INT64 ||
		(c->type == PQ_FIXED_LEN_BYTE_ARRAY && c->logical == PQ_LT_DECIMAL);
}

/*
 * Canonical text of a value.  zero_unsigned: print zeros of floating
 * columns as "0" (min/max, where DuckDB may pick either zero).
 */
static void
canon(const TCol *c, const ParquetRowValue *v, Str *s, bool zero_unsigned)
{
	const uint8_t *p = v->v.bytes.ptr;
	uint32_t	n = v->v.bytes.len;
	uint32_t	i;

	if (c->type == PQ_BOOLEAN)
		str_printf(s, v->v.boolean ? "true" : "false");
	else if (c->type == PQ_FLOAT || c->type == PQ_DOUBLE)
	{
		double		d = c->type == PQ_FLOAT ? (double) v->v.float4 : v->v.float8;

		if (zero_unsigned && d == 0)
			d = 0.0;
		fmt_double(s, d, c->type == PQ_FLOAT);
	}
	else if (c->logical == PQ_LT_DECIMAL)
		fmt_decimal(s, int_value(c, v), c->precision, c->scale);
	else if (is_intlike(c))
		fmt_int128(s, int_value(c, v));
	else if (c->logical == PQ_LT_UUID)
	{
		for (i = 0; i < 16; i++)
		{
			str_printf(s, "%02x", p[i]);
			if (i == 3 || i == 5 || i == 7 || i == 9)
				str_add(s, "-", 1);
		}
	}
	else if (c->logical == PQ_LT_STRING || c->logical == PQ_LT_JSON)
		str_add(s, p, n);
	else
	{
		for (i = 0; i < n; i++)
			str_printf(s, "%02X", p[i]);
	}
}

/* Compare two values of a column in its sort order (test's own version) */
static int
cmp_values(const TCol *c, const ParquetRowValue *a, const ParquetRowValue *b)
{
	if (is_intlike(c))
	{
		int128		x = int_value(c, a);
		int128		y = int_value(c, b);

		return x < y ? -1 : x > y;
	}
	if (c->type == PQ_FLOAT || c->type == PQ_DOUBLE)
	{
		double		x = c->type == PQ_FLOAT ? a->v.float4 : a->v.float8;
		double		y = c->type == PQ_FLOAT ? b->v.float4 : b->v.float8;

		return x < y ? -1 : x > y;
	}
	{
		uint32_t	na = a->v.bytes.len;
		uint32_t	nb = b->v.bytes.len;
		size_t		k;

		for (k = 0; k < na && k < nb; k++)
		{
			uint8_t		x = ((const uint8_t *) a->v.bytes.ptr)[k];
			uint8_t		y = ((const uint8_t *) b->v.bytes.ptr)[k];

			if (x != y)
				return x < y ? -1 : 1;
		}
		return na < nb ? -1 : na > nb;
	}
}

/* Kept min or max of a column as a ParquetRowValue */
typedef struct Kept
{
	ParquetRowValue v;
	Str			bytes;
} Kept;

/* Remember a value as the column's min or max (copying byte values) */
static void
kept_set(const TCol *c, Kept *k, const ParquetRowValue *v)
{
	k->v = *v;
	if (c->type == PQ_BYTE_ARRAY || c->type == PQ_FIXED_LEN_BYTE_ARRAY)
	{
		k->bytes.len = 0;
		str_add(&k->bytes, v->v.bytes.ptr, v->v.bytes.len);
		k->v.v.bytes.ptr = (const uint8_t *) k->bytes.p;
	}
}


/* ---------------------------------------------------------------------
 * Thrift compact reader: an independent walk over footer and pages
 * ---------------------------------------------------------------------
 */

typedef struct TReader
{
	const uint8_t *p;
	const uint8_t *end;
	bool		err;
} TReader;

/* Read an unsigned varint; sets err on truncation */
static uint64_t
tr_varint(TReader *r)
{
	uint64_t	v = 0;
	int			shift = 0;

	while (r->p < r->end && shift < 64)
	{
		uint8_t		b = *r->p++;

		v |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
	}
	r->err = true;
	return 0;
}

/* Read a zigzag varint (i16/i32/i64) */
static int64_t
tr_zigzag(TReader *r)
{
	uint64_t	u = tr_varint(r);

	return (int64_t) (u >> 1) ^ -(int64_t) (u & 1);
}

static void tr_skip(TReader *r, int type);

/*
 * Read a field header; returns the type (0 at STOP) and sets *id.  *last
 * is the previous field id of the enclosing struct.
 */
static int
tr_field(TReader *r, int16_t *last, int16_t *id)
{
	uint8_t		b;
	int			type;

	if (r->p >= r->end)
	{
		r->err = true;
		return 0;
	}
	b = *r->p++;
	type = b & 0x0f;
	if (type == 0)
		return 0;
	if (b >> 4)
		*id = (int16_t) (*last + (b >> 4));
	else
		*id = (int16_t) tr_zigzag(r);
	*last = *id;
	return type;
}

/* Read a list header: element type and count */
static int64_t
tr_list(TReader *r, int *elemtype)
{
	uint8_t		b;
	int64_t		n;

	if (r->p >= r->end)
	{
		r->err = true;
		return 0;
	}
	b = *r->p++;
	*elemtype = b & 0x0f;
	n = b >> 4;
	if (n == 15)
		n = (int64_t) tr_varint(r);
	return n;
}

/* Skip the rest of a struct, up to and including its STOP */
static void
tr_skip_struct(TReader *r)
{
	int16_t		last = 0;
	int16_t		id;
	int			type;

	while (!r->err && (type = tr_field(r, &last, &id)) != 0)
		tr_skip(r, type);
}

/* Skip one value of a compact type */
static void
tr_skip(TReader *r, int type)
{
	int64_t		n;
	int			et;

	switch (type)
	{
		case TC_BOOLEAN_TRUE:
		case TC_BOOLEAN_FALSE:
			break;
		case TC_BYTE:
			r->p++;
			break;
		case TC_I16:
		case TC_I32:
		case TC_I64:
			tr_varint(r);
			break;
		case TC_DOUBLE:
			r->p += 8;
			break;
		case TC_BINARY:
			n = (int64_t) tr_varint(r);
			if (n < 0 || n > r->end - r->p)
				r->err = true;
			else
				r->p += n;
			break;
		case TC_LIST:
		case TC_SET:
			n = tr_list(r, &et);
			while (!r->err && n-- > 0)
			{
				if (et == TC_BOOLEAN_TRUE || et == TC_BOOLEAN_FALSE)
					r->p++;
				else
					tr_skip(r, et);
			}
			break;
		case TC_STRUCT:
			tr_skip_struct(r);
			break;
		default:
			r->err = true;
	}
	if (r->p > r->end)
		r->err = true;
}

/* What the walker learns about one column chunk */
typedef struct WChunk
{
	int			type;
	int			codec;
	int64_t		num_values;
	int64_t		total_unc;
	int64_t		total_comp;
	int64_t		data_off;
	int64_t		dict_off;		/* -1 if none */
	int64_t		null_count;		/* -1 if absent */
	bool		has_min;
	bool		has_max;
	/* filled by the page walk */
	int			ndata_pages;
	int			ndict_pages;
	int64_t		page_values;
	bool		pages_ok;
	int			crc_pages;		/* pages whose header has a crc */
	int			crc_matches;	/* ... equal to crc32() of the page bytes */
} WChunk;

typedef struct WFile
{
	int64_t		num_rows;
	int			nrg;
	int			ncols;
	int64_t		rg_rows[4096];
	WChunk	   *chunks;			/* nrg * ncols */
	int			nkv;
	bool		has_created_by;
	int			ncolumn_orders;
	int			nschema;
} WFile;

/* Read the ColumnMetaData fields the checks need */
static void
walk_column_meta(TReader *r, WChunk *ch)
{
	int16_t		last = 0;
	int16_t		id;
	int			type;

	while (!r->err && (type = tr_field(r, &last, &id)) != 0)
	{
		if (id == 1 && type == TC_I32)
			ch->type = (int) tr_zigzag(r);
		else if (id == 4 && type == TC_I32)
			ch->codec = (int) tr_zigzag(r);
		else if (id == 5 && type == TC_I64)
			ch->num_values = tr_zigzag(r);
		else if (id == 6 && type == TC_I64)
			ch->total_unc = tr_zigzag(r);
		else if (id == 7 && type == TC_I64)
			ch->total_comp = tr_zigzag(r);
		else if (id == 9 && type == TC_I64)
			ch->data_off = tr_zigzag(r);
		else if (id == 11 && type == TC_I64)
			ch->dict_off = tr_zigzag(r);
		else if (id == 12 && type == TC_STRUCT)
		{
			int16_t		slast = 0;
			int16_t		sid;
			int			st;

			while (!r->err && (st = tr_field(r, &slast, &sid)) != 0)
			{
				if (sid == 3 && st == TC_I64)
					ch->null_count = tr_zigzag(r);
				else
				{
					if (sid == 5)
						ch->has_max = true;
					if (sid == 6)
						ch->has_min = true;
					tr_skip(r, st);
				}
			}
		}
		else
			tr_skip(r, type);
	}
}

/* Parse the footer of a whole file held in memory */
static bool
walk_footer(const uint8_t *file, size_t size, WFile *wf)
{
	TReader		r;
	uint32_t	mlen;
	int16_t		last = 0;
	int16_t		id;
	int			type;

	memset(wf, 0, sizeof(*wf));
	if (size < 12 || memcmp(file, "PAR1", 4) != 0 ||
		memcmp(file + size - 4, "PAR1", 4) != 0)
		return false;
	mlen = (uint32_t) file[size - 8] | ((uint32_t) file[size - 7] << 8) |
		((uint32_t) file[size - 6] << 16) | ((uint32_t) file[size - 5] << 24);
	if (mlen > size - 12)
		return false;
	r.p = file + size - 8 - mlen;
	r.end = file + size - 8;
	r.err = false;
	while (!r.err && (type = tr_field(&r, &last, &id)) != 0)
	{
		int			et;
		int64_t		n;

		if (id == 2 && type == TC_LIST)
		{
			n = tr_list(&r, &et);
			wf->nschema = (int) n;
			wf->ncols = (int) n - 1;
			while (!r.err && n-- > 0)
				tr_skip_struct(&r);
		}
		else if (id == 3 && type == TC_I64)
			wf->num_rows = tr_zigzag(&r);
		else if (id == 4 && type == TC_LIST)
		{
			int			g;

			n = tr_list(&r, &et);
			if (n > 4096 || wf->ncols <= 0)
				return false;
			wf->nrg = (int) n;
			wf->chunks = calloc((size_t) (n * wf->ncols + 1), sizeof(WChunk));
			for (g = 0; g < n && !r.err; g++)
			{
				int16_t		glast = 0;
				int16_t		gid;
				int			gt;

				while (!r.err && (gt = tr_field(&r, &glast, &gid)) != 0)
				{
					if (gid == 1 && gt == TC_LIST)
					{
						int64_t		nc = tr_list(&r, &et);
						int			k;

						if (nc != wf->ncols)
							return false;
						for (k = 0; k < nc && !r.err; k++)
						{
							WChunk	   *ch = &wf->chunks[g * wf->ncols + k];
							int16_t		clast = 0;
							int16_t		cid;
							int			ct;

							ch->dict_off = -1;
							ch->null_count = -1;
							while (!r.err && (ct = tr_field(&r, &clast, &cid)) != 0)
							{
								if (cid == 3 && ct == TC_STRUCT)
									walk_column_meta(&r, ch);
								else
									tr_skip(&r, ct);
							}
						}
					}
					else if (gid == 3 && gt == TC_I64)
						wf->rg_rows[g] = tr_zigzag(&r);
					else
						tr_skip(&r, gt);
				}
			}
		}
		else if (id == 5 && type == TC_LIST)
		{
			n = tr_list(&r, &et);
			wf->nkv = (int) n;
			while (!r.err && n-- > 0)
				tr_skip_struct(&r);
		}
		else if (id == 6 && type == TC_BINARY)
		{
			wf->has_created_by = true;
			tr_skip(&r, type);
		}
		else if (id == 7 && type == TC_LIST)
		{
			n = tr_list(&r, &et);
			wf->ncolumn_orders = (int) n;
			while (!r.err && n-- > 0)
				tr_skip_struct(&r);
		}
		else
			tr_skip(&r, type);
	}
	return !r.err && r.p == r.end;
}

/*
 * Walk the pages of one column chunk: parse each PageHeader, decompress
 * the page and compare with the declared sizes; count pages and values,
 * and the pages whose crc (field 4) is present and equals zlib's crc32()
 * of the compressed_page_size bytes after the header.
 */
static void
walk_pages(const uint8_t *file, size_t size, WChunk *ch)
{
	int64_t		pos = ch->dict_off >= 0 ? ch->dict_off : ch->data_off;
	int64_t		end = pos + ch->total_comp;
	int64_t		unc_total = 0;
	static uint8_t *ubuf = NULL;
	static size_t ucap = 0;

	ch->pages_ok = pos >= 4 && end <= (int64_t) size;
	while (ch->pages_ok && pos < end)
	{
		TReader		r;
		int16_t		last = 0;
		int16_t		id;
		int			type;
		int			ptype = -1;
		int64_t		usize = -1;
		int64_t		csize = -1;
		int64_t		nvals = -1;
		int64_t		hdrlen;
		bool		has_crc = false;
		uint32_t	crc = 0;

		r.p = file + pos;
		r.end = file + end;
		r.err = false;
		while (!r.err && (type = tr_field(&r, &last, &id)) != 0)
		{
			if (id == 1 && type == TC_I32)
				ptype = (int) tr_zigzag(&r);
			else if (id == 2 && type == TC_I32)
				usize = tr_zigzag(&r);
			else if (id == 3 && type == TC_I32)
				csize = tr_zigzag(&r);
			else if (id == 4 && type == TC_I32)
			{
				/* an i32 on the wire: the checksum's bits, sign-extended */
				has_crc = true;
				crc = (uint32_t) tr_zigzag(&r);
			}
			else if ((id == 5 || id == 7) && type == TC_STRUCT)
			{
				int16_t		dlast = 0;
				int16_t		did;
				int			dt;

				while (!r.err && (dt = tr_field(&r, &dlast, &did)) != 0)
				{
					if (did == 1 && dt == TC_I32)
						nvals = tr_zigzag(&r);
					else
						tr_skip(&r, dt);
				}
			}
			else
				tr_skip(&r, type);
		}
		hdrlen = r.p - (file + pos);
		if (r.err || usize < 0 || csize < 0 || nvals < 0 ||
			pos + hdrlen + csize > end)
		{
			ch->pages_ok = false;
			break;
		}
		if (has_crc)
		{
			ch->crc_pages++;
			if (crc == (uint32_t) crc32(0L, file + pos + hdrlen, (uInt) csize))
				ch->crc_matches++;
		}
		if ((size_t) usize > ucap)
		{
			ucap = (size_t) usize;
			ubuf = realloc(ubuf, ucap + 1);
		}
		if (ch->codec == PQ_CODEC_ZSTD)
		{
			size_t		got = ZSTD_decompress(ubuf, (size_t) usize,
											  file + pos + hdrlen, (size_t) csize);

			if (ZSTD_isError(got) || got != (size_t) usize)
				ch->pages_ok = false;
		}
		else if (ch->codec == PQ_CODEC_LZ4_RAW)
		{
			int			got = LZ4_decompress_safe((const char *) file + pos + hdrlen,
												  (char *) ubuf, (int) csize, (int) usize);

			if (got != usize)
				ch->pages_ok = false;
		}
		else if (usize != csize)
			ch->pages_ok = false;
		if (ptype == PQ_PAGE_DICTIONARY)
			ch->ndict_pages++;
		else if (ptype == PQ_PAGE_DATA)
		{
			ch->ndata_pages++;
			ch->page_values += nvals;
		}
		else
			ch->pages_ok = false;
		unc_total += hdrlen + usize;
		pos += hdrlen + csize;
	}
	if (pos != end || unc_total != ch->total_unc)
		ch->pages_ok = false;
}

/* Read a whole file into memory */
static uint8_t *
slurp(const char *path, size_t *size)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *buf;
	long		n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t) n + 1);
	if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*size = (size_t) n;
	return buf;
}


/* ---------------------------------------------------------------------
 * Value generators
 * ---------------------------------------------------------------------
 */

/* NULL pattern shared by the nullable columns of the type files */
static bool
gen_null(const TCol *c, int64_t row)
{
	return c->nullable && rnd(row, c->salt ^ 0x5555) % 7 == 0;
}

#define GEN(name) static void name(const TCol *c, int64_t row, ParquetRowValue *v, uint8_t *s)
#define SET_BYTES(p, n) (v->v.bytes.ptr = (const uint8_t *) (p), v->v.bytes.len = (uint32_t) (n))

/* BOOLEAN: every third row true */
GEN(g_bool)
{
	(void) s;
	v->isnull = gen_null(c, row);
	v->v.boolean = row % 3 == 0;
}

/* INT16 range including its limits */
GEN(g_int2)
{
	(void) s;
	v->isnull = gen_null(c, row);
	if (row % 50 == 7)
		v->v.int32 = row % 100 == 7 ? INT16_MIN : INT16_MAX;
	else
		v->v.int32 = (int16_t) rnd(row, c->salt);
}

/* INT32 limits, then 201 distinct values (dictionary-friendly) */
GEN(g_int4_lowcard)
{
	(void) s;
	v->isnull = gen_null(c, row);
	if (row == 1)
		v->v.int32 = INT32_MIN;
	else if (row == 2)
		v->v.int32 = INT32_MAX;
	else
		v->v.int32 = (int32_t) (rnd(row, c->salt) % 201) - 100;
}

/* INT64 limits, then random values (no dictionary) */
GEN(g_int8_random)
{
	(void) s;
	v->isnull = gen_null(c, row);
	if (row == 10)
		v->v.int64 = INT64_MIN;
	else if (row == 11)
		v->v.int64 = INT64_MAX;
	else
		v->v.int64 = (int64_t) rnd(row, c->salt);
}

/* FLOAT: exact eighths and some tiny values */
GEN(g_float4)
{
	(void) s;
	v->isnull = gen_null(c, row);
	v->v.float4 = (float) ((int) (rnd(row, c->salt) % 20001) - 10000) / 8.0f;
	if (row % 97 == 5)
		v->v.float4 = 1e-30f * (float) (row % 5);
}

/* DOUBLE: two-decimal values */
GEN(g_float8)
{
	(void) s;
	v->isnull = gen_null(c, row);
	v->v.float8 = (double) ((int64_t) (rnd(row, c->salt) % 100001) - 50000) / 100.0;
}

static const char *const unicode_words[] = {
	"", "plain", "\xc3\xbcn\xc3\xaf" "c\xc3\xb8" "d\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	"\xf0\x9f\x99\x82 smile", "a\xcc\x81", "tab\there", "\xce\xa9mega", "z", "Zeta"
};

/* STRING: 50 labels plus Unicode words and empty strings */
GEN(g_text_lowcard)
{
	uint64_t	r = rnd(row, c->salt);
	int			n;

	v->isnull = gen_null(c, row);
	if (r % 5 == 0)
		n = snprintf((char *) s, SCRATCH_BYTES, "%s", unicode_words[(r >> 8) % 10]);
	else
		n = snprintf((char *) s, SCRATCH_BYTES, "item-%d", (int) ((r >> 8) % 50));
	SET_BYTES(s, n);
}

/* BLOB: 0..19 random bytes, many zero bytes */
GEN(g_bytea)
{
	uint64_t	r = rnd(row, c->salt);
	int			n = (int) (r % 20);
	int			i;

	v->isnull = gen_null(c, row);
	for (i = 0; i < n; i++)
		s[i] = (uint8_t) (rnd(row, c->salt + (uint64_t) i + 1) % 4 == 0 ? 0 : rnd(row, i));
	SET_BYTES(s, n);
}

/* DATE: +-100000 days around 1970-01-01 */
GEN(g_date)
{
	(void) s;
	v->isnull = gen_null(c, row);
	v->v.int32 = (int32_t) (rnd(row, c->salt) % 200001) - 100000;
}

/* TIMESTAMP: microseconds spread over 400 years around 1970 */
GEN(g_ts)
{
	const int64_t span = INT64_C(400) * 365 * 86400 * 1000000;

	(void) s;
	v->isnull = gen_null(c, row);
	v->v.int64 = (int64_t) (rnd(row, c->salt) % (uint64_t) span) - span / 2;
}

/* TIMESTAMPTZ: increasing from 2024-01-01 */
GEN(g_tstz_seq)
{
	(void) s;
	v->isnull = gen_null(c, row);
	v->v.int64 = INT64_C(1704067200000000) + row * INT64_C(1000003);
}

/* UUID: random bytes, plus all-zero and all-ones */
GEN(g_uuid)
{
	uint64_t	a = rnd(row, c->salt);
	uint64_t	b = rnd(row, c->salt + 1);

	v->isnull = gen_null(c, row);
	memcpy(s, &a, 8);
	memcpy(s + 8, &b, 8);
	if (row == 3)
		memset(s, 0, 16);
	if (row == 4)
		memset(s, 0xff, 16);
	SET_BYTES(s, 16);
}

/* JSON text with a non-ASCII string */
GEN(g_json)
{
	int			n;

	v->isnull = gen_null(c, row);
	n = snprintf((char *) s, SCRATCH_BYTES,
				 "{\"k\":%d,\"s\":\"x\xc3\xa9\",\"a\":[1,2,%d]}",
				 (int) (row % 13), (int) (rnd(row, c->salt) % 4));
	SET_BYTES(s, n);
}

/* DECIMAL: special values first, then random values of the precision */
static int128
decimal_value(const TCol *c, int64_t row)
{
	int128		lim = pow10_128(c->precision) - 1;

	switch (row % 1000)
	{
		case 0:
			return lim;
		case 1:
			return -lim;
		case 2:
			return 0;
		case 3:
			return -1;
		case 4:
			return 1;
		default:
			return rnd_decimal(row, c->salt, c->precision);
	}
}

/* DECIMAL of the column's precision in its physical type */
GEN(g_decimal)
{
	int128		d = decimal_value(c, row);

	v->isnull = gen_null(c, row);
	if (c->type == PQ_INT32)
		v->v.int32 = (int32_t) d;
	else if (c->type == PQ_INT64)
		v->v.int64 = (int64_t) d;
	else
	{
		encode_be(d, s, c->type_length);
		SET_BYTES(s, c->type_length);
	}
}

/* STRING: every value distinct */
GEN(g_text_unique)
{
	int			n;

	v->isnull = gen_null(c, row);
	n = snprintf((char *) s, SCRATCH_BYTES, "unique-%016" PRIx64 "-%" PRId64,
				 rnd(row, c->salt), row);
	SET_BYTES(s, n);
}

/* STRING: text form of a type without a Parquet mapping (interval) */
GEN(g_interval_text)
{
	uint64_t	r = rnd(row, c->salt);
	int			n;

	v->isnull = gen_null(c, row);
	n = snprintf((char *) s, SCRATCH_BYTES, "%d days %02d:%02d:00",
				 (int) (r % 30), (int) ((r >> 8) % 24), (int) ((r >> 16) % 60));
	SET_BYTES(s, n);
}

/* REQUIRED INT32 sequence */
GEN(g_int4_seq)
{
	(void) s;
	v->isnull = false;
	v->v.int32 = (int32_t) (row * 3 - 1000);
	(void) c;
}

/* --- extremes --- */

/* INT64 limits, their neighbours, 0 and +-1 (REQUIRED) */
GEN(g_ext_i64)
{
	static const int64_t vals[] = {INT64_MIN, INT64_MAX, 0, -1, 1, INT64_MIN + 1, INT64_MAX - 1};

	(void) s;
	(void) c;
	v->isnull = false;
	v->v.int64 = vals[row % 7];
}

/* INT32 limits and small values */
GEN(g_ext_i32)
{
	static const int32_t vals[] = {INT32_MIN, INT32_MAX, 0, -1, 1};

	(void) s;
	v->isnull = row % 11 == 10;
	v->v.int32 = vals[row % 5];
	(void) c;
}

/* DOUBLE: signed zeros, NaN, infinities, limits, subnormals */
GEN(g_ext_f64)
{
	const double vals[] = {-0.0, 0.0, NAN, INFINITY, -INFINITY, DBL_MAX, -DBL_MAX,
	DBL_MIN, 5e-324, 1.5, -2.25, 0.1};

	(void) s;
	(void) c;
	v->isnull = row % 13 == 12;
	v->v.float8 = vals[row % 12];
}

/* FLOAT: signed zeros, NaN, infinities, limits, subnormals */
GEN(g_ext_f32)
{
	const float vals[] = {-0.0f, NAN, INFINITY, -INFINITY, FLT_MAX, -FLT_MAX,
	FLT_MIN, 1e-45f, 0.1f, 0.0f, -3.5f};

	(void) s;
	(void) c;
	v->isnull = row % 13 == 12;
	v->v.float4 = vals[row % 11];
}

/* DOUBLE extremes without infinities (statistics stay visible) */
GEN(g_finite_f64)
{
	const double vals[] = {-0.0, 0.0, NAN, DBL_MAX, -DBL_MAX, DBL_MIN, -5e-324, 1.5, 0.1};

	(void) s;
	(void) c;
	v->isnull = row % 7 == 6;
	v->v.float8 = vals[row % 9];
}

/* FLOAT extremes without infinities */
GEN(g_finite_f32)
{
	const float vals[] = {NAN, FLT_MAX, -FLT_MAX, FLT_MIN, 1e-45f, -0.0f, 0.1f};

	(void) s;
	(void) c;
	v->isnull = row % 8 == 7;
	v->v.float4 = vals[row % 7];
}

/* Only NaN and NULL: no min/max statistics */
GEN(g_only_nan)
{
	(void) s;
	(void) c;
	v->isnull = row % 3 == 0;
	v->v.float8 = NAN;
}

/* Only -0.0, +0.0 and NULL: min -0.0, max +0.0 */
GEN(g_zeros_f64)
{
	(void) s;
	(void) c;
	v->isnull = row % 5 == 4;
	v->v.float8 = row % 2 ? -0.0 : 0.0;
}

/* Only -0.0 and +0.0 (REQUIRED) */
GEN(g_zeros_f32)
{
	(void) s;
	(void) c;
	v->isnull = false;
	v->v.float4 = row % 3 ? 0.0f : -0.0f;
}

/* Unicode words, empty strings and U+FFFF */
GEN(g_ext_text)
{
	int			n;

	v->isnull = row % 17 == 16;
	n = snprintf((char *) s, SCRATCH_BYTES, "%s", unicode_words[row % 10]);
	if (row % 23 == 5)
		n = snprintf((char *) s, SCRATCH_BYTES, "\xef\xbf\xbf max bmp");
	SET_BYTES(s, n);
	(void) c;
}

/* Always NULL */
GEN(g_all_null)
{
	(void) s;
	(void) c;
	(void) row;
	v->isnull = true;
}

/* One 5000-byte value (statistics left out), short values otherwise */
GEN(g_big_text)
{
	int			n = row == 7 ? 5000 : 10 + (int) (row % 5);

	v->isnull = false;
	memset(s, row == 7 ? 'x' : 'a' + (int) (row % 20), (size_t) n);
	SET_BYTES(s, n);
	(void) c;
}

/* Always true */
GEN(g_true)
{
	(void) s;
	(void) c;
	(void) row;
	v->isnull = false;
	v->v.boolean = true;
}

/* Empty BLOBs and NULLs */
GEN(g_empty_bytes)
{
	v->isnull = row % 2 == 0;
	SET_BYTES(s, 0);
	(void) c;
}

/* --- fallback --- */

/* 64-character distinct strings: dictionary abandoned */
GEN(g_fb_unique)
{
	int			n;

	v->isnull = false;
	n = snprintf((char *) s, SCRATCH_BYTES,
				 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64,
				 rnd(row, 1), rnd(row, 2), rnd(row, 3), rnd(row, 4));
	SET_BYTES(s, n);
	(void) c;
}

/* 3000 distinct INT64 values: dictionary kept */
GEN(g_fb_mid)
{
	(void) s;
	(void) c;
	v->isnull = row % 101 == 0;
	v->v.int64 = (row % 3000) * INT64_C(1000000007);
}

/* 7 labels, in a column with the dictionary disabled */
GEN(g_fb_lowtext)
{
	int			n;

	v->isnull = false;
	n = snprintf((char *) s, SCRATCH_BYTES, "label %d", (int) (row % 7));
	SET_BYTES(s, n);
	(void) c;
}

/* 10 labels in the first row group, distinct values in the second */
GEN(g_fb_switch)
{
	int			n;

	v->isnull = false;
	if (row < 20000)
		n = snprintf((char *) s, SCRATCH_BYTES, "k%d", (int) (row % 10));
	else
		n = snprintf((char *) s, SCRATCH_BYTES, "u%" PRIx64 "-%" PRId64, rnd(row, 9), row);
	SET_BYTES(s, n);
	(void) c;
}

/* Sorted INT32 with runs of 1000 (RLE runs of dictionary indices) */
GEN(g_fb_runs)
{
	(void) s;
	(void) c;
	v->isnull = false;
	v->v.int32 = (int32_t) (row / 1000);
}

/* 15000 distinct INT32 in 20000 rows: dictionary larger than PLAIN */
GEN(g_fb_unprofitable)
{
	(void) s;
	(void) c;
	v->isnull = false;
	v->v.int32 = (int32_t) ((row * 7) % 15000);
}

/* --- runs --- */

/* Boolean runs of 100 with a 1000-row NULL run */
GEN(g_run_bool)
{
	(void) s;
	(void) c;
	v->isnull = row >= 3000 && row < 4000;
	v->v.boolean = (row / 100) % 2 == 1;
}

/* Alternating booleans */
GEN(g_alt_bool)
{
	(void) s;
	(void) c;
	v->isnull = false;
	v->v.boolean = row % 2 == 1;
}

/* Runs of 37 equal values, NULL runs of 10 */
GEN(g_run_int)
{
	(void) s;
	(void) c;
	v->isnull = row % 1000 < 10;
	v->v.int32 = (int32_t) ((row / 37) % 5);
}

/* Runs of 500 equal strings */
GEN(g_run_text)
{
	int			n;

	v->isnull = false;
	n = snprintf((char *) s, SCRATCH_BYTES, "v%d", (int) (row / 500));
	SET_BYTES(s, n);
	(void) c;
}

/* Alternating stretches of short runs and of literals */
GEN(g_mixed_runs)
{
	(void) s;
	(void) c;
	v->isnull = row % 29 == 0;
	if ((row / 200) % 2 == 0)
		v->v.int64 = (row / (1 + row % 20)) % 4;
	else
		v->v.int64 = row % 7;
}

/* --- random file: random runs, random NULL runs, random bits --- */

/* Value of a row that stays equal over random-length runs */
static uint64_t
run_value(int64_t row, uint64_t salt)
{
	uint64_t	mask = rnd(row >> 5, salt) & rnd(row >> 5, salt + 1);	/* ~1/4 run ends */
	int			pos = (int) (row & 31);
	uint64_t	below = pos == 0 ? 0 : mask & ((UINT64_C(1) << pos) - 1);

	return rnd(row >> 5, salt + 2 + (uint64_t) __builtin_popcountll(below));
}

/* NULL in random-length blocks, at a per-column rate */
static bool
run_null(int64_t row, uint64_t salt, int percent)
{
	if (percent == 0)
		return false;
	return (int) (rnd(row >> (rnd(row >> 8, salt) % 4), salt + 7) % 100) < percent;
}

/* Random-length runs of 37 values with random NULL blocks */
GEN(g_rand_runs)
{
	(void) s;
	v->isnull = run_null(row, c->salt, 30);
	v->v.int32 = (int32_t) (run_value(row, c->salt) % 37) - 18;
}

/* Random-length boolean runs, half NULL */
GEN(g_rand_bool)
{
	(void) s;
	v->isnull = run_null(row, c->salt, 50);
	v->v.boolean = run_value(row, c->salt) & 1;
}

/* Random printable strings of 0..299 bytes, 99% NULL */
GEN(g_rand_text)
{
	uint64_t	r = rnd(row, c->salt);
	int			n = (int) (r % 300);
	int			i;

	v->isnull = run_null(row, c->salt, 99);
	for (i = 0; i < n; i++)
		s[i] = (uint8_t) (' ' + rnd(row, c->salt + (uint64_t) i) % 95);
	SET_BYTES(s, n);
}

/* Random FLOAT bit patterns (NaNs, infinities, subnormals) */
GEN(g_rand_f32)
{
	uint32_t	bits = (uint32_t) rnd(row, c->salt);

	(void) s;
	v->isnull = run_null(row, c->salt, 1);
	memcpy(&v->v.float4, &bits, 4);
}

/* Random DOUBLE bit patterns, REQUIRED */
GEN(g_rand_f64_bits)
{
	uint64_t	bits = rnd(row, c->salt);

	(void) s;
	v->isnull = false;
	memcpy(&v->v.float8, &bits, 8);
}

/* Random-length runs of 1000 negative INT64 values */
GEN(g_rand_i64_runs)
{
	(void) s;
	v->isnull = run_null(row, c->salt, 1);
	v->v.int64 = (int64_t) (run_value(row, c->salt) % 1000) * INT64_C(-77777777777);
}

/* --- required file --- */

/* Row number */
GEN(g_req_id)
{
	(void) s;
	(void) c;
	v->isnull = false;
	v->v.int64 = row;
}

/* 100 distinct values */
GEN(g_req_i4)
{
	(void) s;
	v->isnull = false;
	v->v.int32 = (int32_t) (rnd(row, c->salt) % 100);
}

/* Three-decimal values */
GEN(g_req_f8)
{
	(void) s;
	v->isnull = false;
	v->v.float8 = (double) (rnd(row, c->salt) % 1000000) / 1000.0;
}

/* 300 names */
GEN(g_req_text)
{
	int			n;

	v->isnull = false;
	n = snprintf((char *) s, SCRATCH_BYTES, "name %d", (int) (rnd(row, c->salt) % 300));
	SET_BYTES(s, n);
}

/* Random booleans */
GEN(g_req_bool)
{
	(void) s;
	v->isnull = false;
	v->v.boolean = rnd(row, c->salt) % 2 == 0;
}

/* 700 consecutive days */
GEN(g_req_date)
{
	(void) s;
	(void) c;
	v->isnull = false;
	v->v.int32 = 19000 + (int32_t) (row % 700);
}

/* One value per minute from 2000-01-01 */
GEN(g_req_ts)
{
	(void) s;
	(void) c;
	v->isnull = false;
	v->v.int64 = INT64_C(946684800000000) + row * INT64_C(60000000);
}

/* --- benchmark shape --- */

/* Benchmark id: i */
GEN(g_b_id)
{
	(void) s;
	(void) c;
	v->isnull = false;
	v->v.int64 = row;
}

/* Benchmark ts: 2024-01-01 + i seconds */
GEN(g_b_ts)
{
	(void) s;
	(void) c;
	v->isnull = false;
	v->v.int64 = INT64_C(1704067200000000) + row * INT64_C(1000000);
}

/* Benchmark device: i % 1000 */
GEN(g_b_device)
{
	(void) s;
	(void) c;
	v->isnull = false;
	v->v.int32 = (int32_t) (row % 1000);
}

/* Benchmark temp: round(((i * 7919) % 10000) / 100.0, 2) */
GEN(g_b_temp)
{
	(void) s;
	(void) c;
	v->isnull = false;
	v->v.float8 = round((double) ((row * 7919) % 10000) / 100.0 * 100.0) / 100.0;
}

/* Benchmark msg: 'event ' || (i % 5000) */
GEN(g_b_msg)
{
	int			n;

	(void) c;
	v->isnull = false;
	n = snprintf((char *) s, SCRATCH_BYTES, "event %d", (int) (row % 5000));
	SET_BYTES(s, n);
}


/* ---------------------------------------------------------------------
 * Column constructors
 * ---------------------------------------------------------------------
 */

/* A test column: name, type, nullability, generator, expected DuckDB type, PostgreSQL type */
static TCol
col(const char *name, ParquetType type, bool nullable, GenFn gen,
	const char *duckdb_type, const char *pg_type)
{
	TCol		c;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.type = type;
	c.nullable = nullable;
	c.gen = gen;
	c.duckdb_type = duckdb_type;
	c.pg_type = pg_type;
	c.logical = PQ_LT_NONE;
	c.salt = mix((uint64_t) strlen(name) * 131 + (uint64_t) name[0] * 7 +
				 (uint64_t) name[strlen(name) - 1]);
	return c;
}

/* Set a logical type without parameters */
static TCol
with_logical(TCol c, ParquetLogicalType lt)
{
	c.logical = lt;
	return c;
}

/* INTEGER(bits, signed) */
static TCol
with_int(TCol c, int bits)
{
	c.logical = PQ_LT_INTEGER;
	c.bit_width = bits;
	return c;
}

/* TIMESTAMP(MICROS, isAdjustedToUTC) */
static TCol
with_ts(TCol c, bool utc)
{
	c.logical = PQ_LT_TIMESTAMP;
	c.utc = utc;
	return c;
}

/* DECIMAL(precision, scale); FIXED_LEN_BYTE_ARRAY gets the minimal length */
static TCol
with_decimal(TCol c, int precision, int scale)
{
	c.logical = PQ_LT_DECIMAL;
	c.precision = precision;
	c.scale = scale;
	if (c.type == PQ_FIXED_LEN_BYTE_ARRAY)
		c.type_length = parquet_decimal_flba_length(precision);
	return c;
}

/* Expected statistics and dictionary layout */
static TCol
with_expect(TCol c, int stats, int dict)
{
	c.stats = stats;
	c.dict = dict;
	return c;
}

/* A FIXED_LEN_BYTE_ARRAY(16) UUID column */
static TCol
uuid_col(const char *name, bool nullable, GenFn gen)
{
	TCol		c = col(name, PQ_FIXED_LEN_BYTE_ARRAY, nullable, gen, "UUID", "uuid");

	c.type_length = 16;
	c.logical = PQ_LT_UUID;
	return c;
}

/* Spec of a test column for the writer */
static ParquetColumnSpec
to_spec(const TCol *c)
{
	ParquetColumnSpec s;

	parquet_column_init(&s, c->name, c->type, c->nullable);
	s.type_length = c->type_length;
	s.logical = c->logical;
	s.precision = c->precision;
	s.scale = c->scale;
	s.bit_width = c->bit_width;
	s.is_signed = !c->is_unsigned;
	s.unit = PQ_UNIT_MICROS;
	s.adjusted_to_utc = c->utc;
	s.no_dictionary = c->no_dict;
	return s;
}


/* ---------------------------------------------------------------------
 * Writing a test file and its expectations
 * ---------------------------------------------------------------------
 */

typedef struct TFile
{
	const char *name;
	ParquetCodec codec;
	int64_t		nrows;
	int64_t		row_group_rows;	/* 0: default */
	size_t		page_bytes;		/* 0: default */
	size_t		dict_bytes;		/* 0: default */
	bool		expect_multi_page;	/* some chunk must have > 1 data page */
	int			ncols;
	TCol		cols[24];
} TFile;

/* Codec name as DuckDB prints it */
static const char *
codec_name(ParquetCodec c)
{
	switch (c)
	{
		case PQ_CODEC_UNCOMPRESSED:
			return "UNCOMPRESSED";
		case PQ_CODEC_ZSTD:
			return "ZSTD";
		case PQ_CODEC_LZ4_RAW:
			return "LZ4_RAW";
		default:
			return "?";
	}
}

/* Physical type name as DuckDB prints it */
static const char *
physical_name(ParquetType t)
{
	static const char *const names[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT",
	"DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};

	return names[t];
}

/* Expected converted_type name (the legacy annotation) */
static const char *
converted_name(const TCol *c)
{
	switch (c->logical)
	{
		case PQ_LT_STRING:
			return "UTF8";
		case PQ_LT_JSON:
			return "JSON";
		case PQ_LT_DECIMAL:
			return "DECIMAL";
		case PQ_LT_DATE:
			return "DATE";
		case PQ_LT_TIMESTAMP:
			return c->utc ? "TIMESTAMP_MICROS" : NULL;
		case PQ_LT_INTEGER:
			return c->bit_width == 16 ? "INT_16" : c->bit_width == 32 ? "INT_32" :
				c->bit_width == 8 ? "INT_8" : "INT_64";
		default:
			return NULL;
	}
}

/* Substrings DuckDB's parquet_schema() logical_type must contain */
static void
logical_expect(const TCol *c, Str *s)
{
	switch (c->logical)
	{
		case PQ_LT_STRING:
			str_printf(s, "[\"StringType\"]");
			break;
		case PQ_LT_JSON:
			str_printf(s, "[\"JsonType\"]");
			break;
		case PQ_LT_UUID:
			str_printf(s, "[\"UUIDType\"]");
			break;
		case PQ_LT_DATE:
			str_printf(s, "[\"DateType\"]");
			break;
		case PQ_LT_DECIMAL:
			str_printf(s, "[\"DecimalType(scale=%d, precision=%d)\"]", c->scale, c->precision);
			break;
		case PQ_LT_TIMESTAMP:
			str_printf(s, "[\"TimestampType(isAdjustedToUTC=%d\", \"MICROS=MicroSeconds()\"]",
					   c->utc ? 1 : 0);
			break;
		case PQ_LT_INTEGER:
			str_printf(s, "[\"IntType(bitWidth=%d, isSigned=1)\"]", c->bit_width);
			break;
		default:
			str_printf(s, "null");
	}
}

/* Append a JSON string, or null */
static void
json_str_or_null(Str *s, const char *v)
{
	if (v == NULL)
		str_printf(s, "null");
	else
		str_json(s, v, strlen(v));
}

/*
 * Write one test file with the writer, accumulating the expectations as
 * the values are generated, then write NAME.json and re-read the file
 * with the walker.
 */
static void
write_test_file(const char *dir, const TFile *tf)
{
	char		path[4096];
	ParquetColumnSpec specs[24];
	ParquetRowValue row[24];
	uint8_t    *scratch[24];
	Acc		   *acc;
	Kept		kmin[24];
	Kept		kmax[24];
	ParquetWriterOptions opts;
	ParquetKeyValue kv[25];
	char		kvkeys[24][128];
	ParquetWriter *w;
	ParquetWriteResult res;
	char		err[256];
	int			fd;
	int64_t		r;
	int			i;
	int			rc;
	int			nrg_expected;
	Str			js = {0};
	FILE	   *f;
	uint8_t    *file;
	size_t		fsize;
	WFile		wf;
	clock_t		t0 = clock();
	int64_t		rg_rows = tf->row_group_rows ? tf->row_group_rows :
		PARQUET_DEFAULT_ROW_GROUP_ROWS;

	acc = calloc((size_t) tf->ncols, sizeof(Acc));
	memset(kmin, 0, sizeof(kmin));
	memset(kmax, 0, sizeof(kmax));
	for (i = 0; i < tf->ncols; i++)
	{
		specs[i] = to_spec(&tf->cols[i]);
		scratch[i] = malloc(SCRATCH_BYTES);
		md5_init(&acc[i].md5);
		snprintf(kvkeys[i], sizeof(kvkeys[i]), "spillpool.pg_type.%s", tf->cols[i].name);
		kv[i].key = kvkeys[i];
		kv[i].value = tf->cols[i].pg_type;
	}
	kv[tf->ncols].key = "spillpool.test";
	kv[tf->ncols].value = tf->name;

	parquet_writer_options_init(&opts);
	opts.codec = tf->codec;
	opts.created_by = "spillpool version 0.1";
	if (tf->row_group_rows)
		opts.row_group_rows = tf->row_group_rows;
	if (tf->page_bytes)
		opts.page_bytes = tf->page_bytes;
	if (tf->dict_bytes)
		opts.dictionary_bytes = tf->dict_bytes;
	opts.key_value_metadata = kv;
	opts.nkey_value_metadata = tf->ncols + 1;

	snprintf(path, sizeof(path), "%s/%s.parquet", dir, tf->name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("could not create %s: %s", path, strerror(errno));
	w = parquet_writer_create(fd, specs, tf->ncols, &opts, err, sizeof(err));
	if (w == NULL)
		die("parquet_writer_create(%s): %s", tf->name, err);

	for (r = 0; r < tf->nrows; r++)
	{
		for (i = 0; i < tf->ncols; i++)
		{
			const TCol *c = &tf->cols[i];
			Acc		   *a = &acc[i];
			ParquetRowValue *v = &row[i];

			memset(v, 0, sizeof(*v));
			c->gen(c, r, v, scratch[i]);
			if (r > 0)
				md5_update(&a->md5, "\n", 1);
			a->count++;
			if (v->isnull)
			{
				md5_update(&a->md5, "\\N", 2);
				if (r / rg_rows < MAX_RG_TRACK)
					a->rg_nulls[r / rg_rows]++;
				continue;
			}
			a->nonnull++;
			a->text.len = 0;
			canon(c, v, &a->text, false);
			md5_update(&a->md5, a->text.p, a->text.len);
			if ((c->type == PQ_FLOAT && isnan(v->v.float4)) ||
				(c->type == PQ_DOUBLE && isnan(v->v.float8)))
				continue;
			if (r / rg_rows < MAX_RG_TRACK)
				a->rg_has[r / rg_rows] = true;
			if (!a->has)
			{
				kept_set(c, &kmin[i], v);
				kept_set(c, &kmax[i], v);
				a->has = true;
			}
			else if (cmp_values(c, v, &kmin[i].v) < 0)
				kept_set(c, &kmin[i], v);
			else if (cmp_values(c, v, &kmax[i].v) > 0)
				kept_set(c, &kmax[i], v);
		}
		rc = parquet_writer_add_row(w, row);
		if (rc != PARQUET_OK)
			die("add_row(%s, row %" PRId64 "): %s", tf->name, r, parquet_writer_error(w));
	}
	rc = parquet_writer_finish(w, &res, err, sizeof(err));
	check(rc == PARQUET_OK, "%s: parquet_writer_finish (%s)", tf->name,
		  rc == PARQUET_OK ? "ok" : err);
	parquet_writer_free(w);
	if (fsync(fd) != 0 || close(fd) != 0)
		die("could not close %s", path);

	nrg_expected = (int) ((tf->nrows + (tf->row_group_rows ? tf->row_group_rows :
										PARQUET_DEFAULT_ROW_GROUP_ROWS) - 1) /
						  (tf->row_group_rows ? tf->row_group_rows :
						   PARQUET_DEFAULT_ROW_GROUP_ROWS));
	check(res.rows == tf->nrows && res.row_groups == nrg_expected,
		  "%s: result reports %" PRId64 " rows in %d row groups (expected %" PRId64 " in %d)",
		  tf->name, res.rows, res.row_groups, tf->nrows, nrg_expected);

	/* the expectations file */
	str_printf(&js, "{\n  \"file\": \"%s.parquet\",\n  \"codec\": \"%s\",\n"
			   "  \"rows\": %" PRId64 ",\n  \"row_groups\": %d,\n"
			   "  \"created_by\": \"spillpool version 0.1\",\n  \"kv\": {",
			   tf->name, codec_name(tf->codec), tf->nrows, nrg_expected);
	for (i = 0; i <= tf->ncols; i++)
	{
		str_printf(&js, "%s\n    ", i ? "," : "");
		str_json(&js, kv[i].key, strlen(kv[i].key));
		str_printf(&js, ": ");
		str_json(&js, kv[i].value, strlen(kv[i].value));
	}
	str_printf(&js, "\n  },\n  \"columns\": [");
	for (i = 0; i < tf->ncols; i++)
	{
		const TCol *c = &tf->cols[i];
		Acc		   *a = &acc[i];
		char		hex[33];

		md5_final(&a->md5, hex);
		str_printf(&js, "%s\n    {\"name\": ", i ? "," : "");
		str_json(&js, c->name, strlen(c->name));
		str_printf(&js, ", \"duckdb_type\": \"%s\", \"physical\": \"%s\", \"repetition\": \"%s\",\n"
				   "     \"converted\": ", c->duckdb_type, physical_name(c->type),
				   c->nullable ? "OPTIONAL" : "REQUIRED");
		json_str_or_null(&js, converted_name(c));
		str_printf(&js, ", \"logical\": ");
		logical_expect(c, &js);
		if (c->type == PQ_FIXED_LEN_BYTE_ARRAY)
			str_printf(&js, ", \"type_length\": %d", c->type_length);
		else
			str_printf(&js, ", \"type_length\": null");
		if (c->logical == PQ_LT_DECIMAL)
			str_printf(&js, ", \"precision\": %d, \"scale\": %d", c->precision, c->scale);
		else
			str_printf(&js, ", \"precision\": null, \"scale\": null");
		str_printf(&js, ",\n     \"count\": %" PRId64 ", \"non_null\": %" PRId64 ", \"md5\": \"%s\"",
				   a->count, a->nonnull, hex);
		str_printf(&js, ",\n     \"min\": ");
		if (a->has)
		{
			a->text.len = 0;
			canon(c, &kmin[i].v, &a->text, true);
			str_json(&js, a->text.p, a->text.len);
			str_printf(&js, ", \"max\": ");
			a->text.len = 0;
			canon(c, &kmax[i].v, &a->text, true);
			str_json(&js, a->text.p, a->text.len);
		}
		else
			str_printf(&js, "null, \"max\": null");
		str_printf(&js, ",\n     \"stats\": \"%s\", \"dict\": \"%s\", \"zero_signs\": %s}",
				   c->stats == STATS_ABSENT ? "absent" : (a->has ? "present" : "absent"),
				   c->dict == DICT_ALL ? "all" : c->dict == DICT_NONE ? "none" :
				   c->dict == DICT_FIRST ? "first" : "any",
				   (c->gen == g_zeros_f64 || c->gen == g_zeros_f32) ? "true" : "false");
	}
	str_printf(&js, "\n  ]\n}\n");
	snprintf(path, sizeof(path), "%s/%s.json", dir, tf->name);
	f = fopen(path, "w");
	if (f == NULL || fwrite(js.p, 1, js.len, f) != js.len || fclose(f) != 0)
		die("could not write %s", path);
	free(js.p);

	/* re-read the file with the independent walker */
	snprintf(path, sizeof(path), "%s/%s.parquet", dir, tf->name);
	file = slurp(path, &fsize);
	if (file == NULL)
		die("could not read back %s", path);
	check(fsize == res.bytes_written, "%s: file size %zu equals bytes_written %" PRIu64,
		  tf->name, fsize, res.bytes_written);
	check(walk_footer(file, fsize, &wf), "%s: footer parses", tf->name);
	check(wf.num_rows == tf->nrows && wf.nrg == nrg_expected && wf.ncols == tf->ncols,
		  "%s: footer has %" PRId64 " rows, %d row groups, %d columns", tf->name,
		  wf.num_rows, wf.nrg, wf.ncols);
	check(wf.ncolumn_orders == tf->ncols && wf.has_created_by && wf.nkv == tf->ncols + 1,
		  "%s: footer has column_orders, created_by and key_value_metadata", tf->name);
	{
		bool		pages_ok = true;
		bool		crcs_ok = true;
		bool		counts_ok = true;
		bool		codec_ok = true;
		bool		nulls_ok = true;
		bool		dict_ok = true;
		bool		stats_ok = true;
		int			max_pages = 0;
		int			g;

		for (g = 0; g < wf.nrg; g++)
		{
			for (i = 0; i < wf.ncols; i++)
			{
				WChunk	   *ch = &wf.chunks[g * wf.ncols + i];
				const TCol *c = &tf->cols[i];
				bool		has_dict;

				walk_pages(file, fsize, ch);
				pages_ok &= ch->pages_ok;
				crcs_ok &= ch->crc_pages == ch->ndict_pages + ch->ndata_pages &&
					ch->crc_matches == ch->crc_pages;
				counts_ok &= ch->num_values == wf.rg_rows[g] &&
					ch->page_values == ch->num_values;
				codec_ok &= ch->codec == (int) tf->codec && ch->type == (int) c->type;
				nulls_ok &= ch->null_count >= 0;
				stats_ok &= ch->has_min == ch->has_max;
				if (c->stats == STATS_ABSENT)
					stats_ok &= !ch->has_min;
				if (g < MAX_RG_TRACK)
				{
					nulls_ok &= ch->null_count == acc[i].rg_nulls[g];
					if (c->stats != STATS_ABSENT)
						stats_ok &= ch->has_min == acc[i].rg_has[g];
				}
				has_dict = ch->dict_off >= 0;
				dict_ok &= has_dict == (ch->ndict_pages == 1) && ch->ndict_pages <= 1;
				if (c->dict == DICT_ALL)
					dict_ok &= has_dict;
				else if (c->dict == DICT_NONE)
					dict_ok &= !has_dict;
				else if (c->dict == DICT_FIRST)
					dict_ok &= has_dict == (g == 0);
				if (ch->ndata_pages > max_pages)
					max_pages = ch->ndata_pages;
			}
		}
		check(pages_ok, "%s: every page header parses and decompresses to its size", tf->name);
		check(crcs_ok, "%s: every page header has a crc equal to the CRC-32 of the page's bytes",
			  tf->name);
		check(counts_ok, "%s: page num_values add up to each chunk's num_values (NULLs included)",
			  tf->name);
		check(codec_ok, "%s: every chunk has codec %s and the column's type", tf->name,
			  codec_name(tf->codec));
		check(nulls_ok, "%s: every chunk's null_count equals its NULLs", tf->name);
		check(stats_ok, "%s: min/max statistics present exactly where a chunk has a non-NaN value",
			  tf->name);
		check(dict_ok, "%s: dictionary pages where expected", tf->name);
		if (tf->expect_multi_page)
			check(max_pages > 1, "%s: some column chunk has several data pages (%d)",
				  tf->name, max_pages);
	}
	free(wf.chunks);
	free(file);

	for (i = 0; i < tf->ncols; i++)
	{
		free(scratch[i]);
		free(acc[i].text.p);
		free(kmin[i].bytes.p);
		free(kmax[i].bytes.p);
	}
	free(acc);
	printf("# %s: %" PRId64 " rows, %" PRIu64 " bytes, %d row groups, %.0f ms cpu\n",
		   tf->name, res.rows, res.bytes_written, res.row_groups,
		   (double) (clock() - t0) * 1000.0 / CLOCKS_PER_SEC);
}


/* ---------------------------------------------------------------------
 * The test files
 * ---------------------------------------------------------------------
 */

/* Every supported type, NULLs everywhere, small row groups and pages */
static void
types_file(TFile *tf, const char *name, ParquetCodec codec)
{
	int			n = 0;

	memset(tf, 0, sizeof(*tf));
	tf->name = name;
	tf->codec = codec;
	tf->nrows = 3000;
	tf->row_group_rows = 1000;
	tf->page_bytes = 2048;
	tf->expect_multi_page = true;
	tf->cols[n++] = col("c_bool", PQ_BOOLEAN, true, g_bool, "BOOLEAN", "boolean");
	tf->cols[n++] = with_int(col("c_int2", PQ_INT32, true, g_int2, "SMALLINT", "smallint"), 16);
	tf->cols[n++] = with_expect(with_int(col("c_int4", PQ_INT32, true, g_int4_lowcard,
											 "INTEGER", "integer"), 32),
								STATS_PRESENT, DICT_ALL);
	tf->cols[n++] = with_expect(col("c_int8", PQ_INT64, true, g_int8_random, "BIGINT", "bigint"),
								STATS_PRESENT, DICT_NONE);
	tf->cols[n++] = col("c_float4", PQ_FLOAT, true, g_float4, "FLOAT", "real");
	tf->cols[n++] = col("c_float8", PQ_DOUBLE, true, g_float8, "DOUBLE", "double precision");
	tf->cols[n++] = with_expect(with_logical(col("c_text", PQ_BYTE_ARRAY, true, g_text_lowcard,
												 "VARCHAR", "text"), PQ_LT_STRING),
								STATS_PRESENT, DICT_ALL);
	tf->cols[n++] = col("c_bytea", PQ_BYTE_ARRAY, true, g_bytea, "BLOB", "bytea");
	tf->cols[n++] = with_logical(col("c_date", PQ_INT32, true, g_date, "DATE", "date"), PQ_LT_DATE);
	tf->cols[n++] = with_ts(col("c_ts", PQ_INT64, true, g_ts, "TIMESTAMP",
								"timestamp without time zone"), false);
	tf->cols[n++] = with_ts(col("c_tstz", PQ_INT64, true, g_tstz_seq, "TIMESTAMP WITH TIME ZONE",
								"timestamp with time zone"), true);
	tf->cols[n++] = uuid_col("c_uuid", true, g_uuid);
	tf->cols[n++] = with_logical(col("c_json", PQ_BYTE_ARRAY, true, g_json, "JSON", "jsonb"),
								 PQ_LT_JSON);
	tf->cols[n++] = with_decimal(col("c_num9", PQ_INT32, true, g_decimal, "DECIMAL(9,2)",
									 "numeric(9,2)"), 9, 2);
	tf->cols[n++] = with_decimal(col("c_num18", PQ_INT64, true, g_decimal, "DECIMAL(18,4)",
									 "numeric(18,4)"), 18, 4);
	tf->cols[n++] = with_decimal(col("c_num38", PQ_FIXED_LEN_BYTE_ARRAY, true, g_decimal,
									 "DECIMAL(38,10)", "numeric(38,10)"), 38, 10);
	tf->cols[n++] = with_decimal(col("c_num20", PQ_FIXED_LEN_BYTE_ARRAY, true, g_decimal,
									 "DECIMAL(20,0)", "numeric(20,0)"), 20, 0);
	tf->cols[n++] = with_expect(with_logical(col("c_text_unique", PQ_BYTE_ARRAY, true,
												 g_text_unique, "VARCHAR", "text"),
											 PQ_LT_STRING),
								STATS_PRESENT, DICT_NONE);
	tf->cols[n++] = with_logical(col("c_interval", PQ_BYTE_ARRAY, true, g_interval_text,
									 "VARCHAR", "interval"), PQ_LT_STRING);
	tf->cols[n++] = with_int(col("c_int4_req", PQ_INT32, false, g_int4_seq, "INTEGER",
								 "integer not null"), 32);
	tf->ncols = n;
}

/* Extreme values: integer limits, signed zeros, NaN, infinities, Unicode */
static void
extremes_file(TFile *tf)
{
	int			n = 0;

	memset(tf, 0, sizeof(*tf));
	tf->name = "extremes_zstd";
	tf->codec = PQ_CODEC_ZSTD;
	tf->nrows = 1000;
	tf->cols[n++] = col("e_i64", PQ_INT64, false, g_ext_i64, "BIGINT", "bigint");
	tf->cols[n++] = with_int(col("e_i32", PQ_INT32, true, g_ext_i32, "INTEGER", "integer"), 32);
	tf->cols[n++] = col("e_f64", PQ_DOUBLE, true, g_ext_f64, "DOUBLE", "double precision");
	tf->cols[n++] = col("e_f32", PQ_FLOAT, true, g_ext_f32, "FLOAT", "real");
	tf->cols[n++] = col("e_finite_f64", PQ_DOUBLE, true, g_finite_f64, "DOUBLE", "double precision");
	tf->cols[n++] = col("e_finite_f32", PQ_FLOAT, true, g_finite_f32, "FLOAT", "real");
	tf->cols[n++] = with_expect(col("e_only_nan", PQ_DOUBLE, true, g_only_nan, "DOUBLE",
									"double precision"), STATS_ABSENT, DICT_ANY);
	tf->cols[n++] = col("e_zeros_f64", PQ_DOUBLE, true, g_zeros_f64, "DOUBLE", "double precision");
	tf->cols[n++] = col("e_zeros_f32", PQ_FLOAT, false, g_zeros_f32, "FLOAT", "real");
	tf->cols[n++] = with_logical(col("e_text", PQ_BYTE_ARRAY, true, g_ext_text, "VARCHAR", "text"),
								 PQ_LT_STRING);
	tf->cols[n++] = with_expect(with_logical(col("e_all_null_text", PQ_BYTE_ARRAY, true,
												 g_all_null, "VARCHAR", "text"), PQ_LT_STRING),
								STATS_ABSENT, DICT_NONE);
	tf->cols[n++] = with_expect(col("e_all_null_i64", PQ_INT64, true, g_all_null, "BIGINT",
									"bigint"), STATS_ABSENT, DICT_NONE);
	tf->cols[n++] = with_expect(with_logical(col("e_big_text", PQ_BYTE_ARRAY, false, g_big_text,
												 "VARCHAR", "text"), PQ_LT_STRING),
								STATS_ABSENT, DICT_ANY);
	tf->cols[n++] = col("e_true", PQ_BOOLEAN, false, g_true, "BOOLEAN", "boolean");
	tf->cols[n++] = col("e_empty_bytea", PQ_BYTE_ARRAY, true, g_empty_bytes, "BLOB", "bytea");
	tf->ncols = n;
}

/* DECIMAL of every physical width, including scale == precision */
static void
decimals_file(TFile *tf)
{
	int			n = 0;

	memset(tf, 0, sizeof(*tf));
	tf->name = "decimals_lz4";
	tf->codec = PQ_CODEC_LZ4_RAW;
	tf->nrows = 2000;
	tf->row_group_rows = 1000;
	tf->cols[n++] = with_decimal(col("d1", PQ_INT32, true, g_decimal, "DECIMAL(1,0)", "numeric(1,0)"), 1, 0);
	tf->cols[n++] = with_decimal(col("d4", PQ_INT32, true, g_decimal, "DECIMAL(4,1)", "numeric(4,1)"), 4, 1);
	tf->cols[n++] = with_decimal(col("d9s9", PQ_INT32, true, g_decimal, "DECIMAL(9,9)", "numeric(9,9)"), 9, 9);
	tf->cols[n++] = with_decimal(col("d10", PQ_INT64, true, g_decimal, "DECIMAL(10,3)", "numeric(10,3)"), 10, 3);
	tf->cols[n++] = with_decimal(col("d18", PQ_INT64, false, g_decimal, "DECIMAL(18,0)", "numeric(18,0)"), 18, 0);
	tf->cols[n++] = with_decimal(col("d19", PQ_FIXED_LEN_BYTE_ARRAY, true, g_decimal, "DECIMAL(19,2)", "numeric(19,2)"), 19, 2);
	tf->cols[n++] = with_decimal(col("d28", PQ_FIXED_LEN_BYTE_ARRAY, true, g_decimal, "DECIMAL(28,5)", "numeric(28,5)"), 28, 5);
	tf->cols[n++] = with_decimal(col("d38", PQ_FIXED_LEN_BYTE_ARRAY, false, g_decimal, "DECIMAL(38,0)", "numeric(38,0)"), 38, 0);
	tf->cols[n++] = with_decimal(col("d38s38", PQ_FIXED_LEN_BYTE_ARRAY, true, g_decimal, "DECIMAL(38,38)", "numeric(38,38)"), 38, 38);
	tf->ncols = n;
}

/* Dictionary kept, abandoned (too large, unprofitable), disabled */
static void
fallback_file(TFile *tf)
{
	int			n = 0;
	TCol		nodict;

	memset(tf, 0, sizeof(*tf));
	tf->name = "fallback_zstd";
	tf->codec = PQ_CODEC_ZSTD;
	tf->nrows = 40000;
	tf->row_group_rows = 20000;
	tf->dict_bytes = 65536;
	tf->expect_multi_page = true;
	tf->cols[n++] = with_expect(with_logical(col("f_unique", PQ_BYTE_ARRAY, false, g_fb_unique,
												 "VARCHAR", "text"), PQ_LT_STRING),
								STATS_PRESENT, DICT_NONE);
	tf->cols[n++] = with_expect(col("f_mid", PQ_INT64, true, g_fb_mid, "BIGINT", "bigint"),
								STATS_PRESENT, DICT_ALL);
	nodict = with_expect(with_logical(col("f_nodict", PQ_BYTE_ARRAY, false, g_fb_lowtext,
										  "VARCHAR", "text"), PQ_LT_STRING),
						 STATS_PRESENT, DICT_NONE);
	nodict.no_dict = true;
	tf->cols[n++] = nodict;
	tf->cols[n++] = with_expect(with_logical(col("f_switch", PQ_BYTE_ARRAY, false, g_fb_switch,
												 "VARCHAR", "text"), PQ_LT_STRING),
								STATS_PRESENT, DICT_FIRST);
	tf->cols[n++] = with_expect(col("f_runs", PQ_INT32, false, g_fb_runs, "INTEGER", "integer"),
								STATS_PRESENT, DICT_ALL);
	tf->cols[n++] = with_expect(col("f_unprofitable", PQ_INT32, false, g_fb_unprofitable,
									"INTEGER", "integer"), STATS_PRESENT, DICT_NONE);
	tf->ncols = n;
}

/* Runs for the RLE/bit-packed hybrid: long runs, alternation, odd lengths */
static void
runs_file(TFile *tf)
{
	int			n = 0;

	memset(tf, 0, sizeof(*tf));
	tf->name = "runs_lz4";
	tf->codec = PQ_CODEC_LZ4_RAW;
	tf->nrows = 10007;
	tf->page_bytes = 1024;
	tf->expect_multi_page = true;
	tf->cols[n++] = col("r_bool_runs", PQ_BOOLEAN, true, g_run_bool, "BOOLEAN", "boolean");
	tf->cols[n++] = col("r_bool_alt", PQ_BOOLEAN, false, g_alt_bool, "BOOLEAN", "boolean");
	tf->cols[n++] = with_expect(col("r_int_runs", PQ_INT32, true, g_run_int, "INTEGER", "integer"),
								STATS_PRESENT, DICT_ALL);
	tf->cols[n++] = with_expect(with_logical(col("r_text_runs", PQ_BYTE_ARRAY, false, g_run_text,
												 "VARCHAR", "text"), PQ_LT_STRING),
								STATS_PRESENT, DICT_ALL);
	tf->cols[n++] = col("r_mixed", PQ_INT64, true, g_mixed_runs, "BIGINT", "bigint");
	tf->ncols = n;
}

/* Random runs of values and NULLs; odd row group and page sizes */
static void
random_file(TFile *tf)
{
	int			n = 0;

	memset(tf, 0, sizeof(*tf));
	tf->name = "random_zstd";
	tf->codec = PQ_CODEC_ZSTD;
	tf->nrows = 20011;
	tf->row_group_rows = 4099;
	tf->page_bytes = 777;
	tf->expect_multi_page = true;
	tf->cols[n++] = col("x_runs", PQ_INT32, true, g_rand_runs, "INTEGER", "integer");
	tf->cols[n++] = col("x_bool", PQ_BOOLEAN, true, g_rand_bool, "BOOLEAN", "boolean");
	tf->cols[n++] = with_logical(col("x_text", PQ_BYTE_ARRAY, true, g_rand_text, "VARCHAR", "text"),
								 PQ_LT_STRING);
	tf->cols[n++] = col("x_f32", PQ_FLOAT, true, g_rand_f32, "FLOAT", "real");
	tf->cols[n++] = col("x_f64", PQ_DOUBLE, false, g_rand_f64_bits, "DOUBLE", "double precision");
	tf->cols[n++] = col("x_i64", PQ_INT64, true, g_rand_i64_runs, "BIGINT", "bigint");
	tf->ncols = n;
}

/* REQUIRED columns only, default sizes, uncompressed */
static void
required_file(TFile *tf)
{
	int			n = 0;

	memset(tf, 0, sizeof(*tf));
	tf->name = "required_none";
	tf->codec = PQ_CODEC_UNCOMPRESSED;
	tf->nrows = 50000;
	tf->cols[n++] = col("id", PQ_INT64, false, g_req_id, "BIGINT", "bigint");
	tf->cols[n++] = with_int(col("small", PQ_INT32, false, g_req_i4, "INTEGER", "integer"), 32);
	tf->cols[n++] = col("f8", PQ_DOUBLE, false, g_req_f8, "DOUBLE", "double precision");
	tf->cols[n++] = with_logical(col("name", PQ_BYTE_ARRAY, false, g_req_text, "VARCHAR", "text"),
								 PQ_LT_STRING);
	tf->cols[n++] = col("flag", PQ_BOOLEAN, false, g_req_bool, "BOOLEAN", "boolean");
	tf->cols[n++] = with_logical(col("day", PQ_INT32, false, g_req_date, "DATE", "date"),
								 PQ_LT_DATE);
	tf->cols[n++] = with_ts(col("at", PQ_INT64, false, g_req_ts, "TIMESTAMP", "timestamp"), false);
	tf->cols[n++] = uuid_col("uid", false, g_uuid);
	tf->cols[n++] = with_decimal(col("amount", PQ_INT64, false, g_decimal, "DECIMAL(12,2)",
									 "numeric(12,2)"), 12, 2);
	tf->ncols = n;
}

/* A file without rows */
static void
empty_file(TFile *tf)
{
	int			n = 0;

	memset(tf, 0, sizeof(*tf));
	tf->name = "empty_zstd";
	tf->codec = PQ_CODEC_ZSTD;
	tf->nrows = 0;
	tf->cols[n++] = col("id", PQ_INT64, false, g_req_id, "BIGINT", "bigint");
	tf->cols[n++] = with_logical(col("t", PQ_BYTE_ARRAY, true, g_req_text, "VARCHAR", "text"),
								 PQ_LT_STRING);
	tf->cols[n++] = with_decimal(col("d", PQ_FIXED_LEN_BYTE_ARRAY, true, g_decimal,
									 "DECIMAL(20,2)", "numeric(20,2)"), 20, 2);
	tf->ncols = n;
}

/* The benchmark shape: (id bigint, ts timestamptz, device int, temp float8, msg text) */
static void
bench_file(TFile *tf, int64_t nrows)
{
	int			n = 0;

	memset(tf, 0, sizeof(*tf));
	tf->name = "bench_zstd";
	tf->codec = PQ_CODEC_ZSTD;
	tf->nrows = nrows;
	tf->cols[n++] = with_expect(col("id", PQ_INT64, true, g_b_id, "BIGINT", "bigint"),
								STATS_PRESENT, DICT_NONE);
	tf->cols[n++] = with_expect(with_ts(col("ts", PQ_INT64, true, g_b_ts,
											"TIMESTAMP WITH TIME ZONE", "timestamptz"), true),
								STATS_PRESENT, DICT_NONE);
	tf->cols[n++] = with_expect(with_int(col("device", PQ_INT32, true, g_b_device, "INTEGER",
											 "integer"), 32), STATS_PRESENT, DICT_ALL);
	tf->cols[n++] = with_expect(col("temp", PQ_DOUBLE, true, g_b_temp, "DOUBLE",
									"double precision"), STATS_PRESENT, DICT_ALL);
	tf->cols[n++] = with_expect(with_logical(col("msg", PQ_BYTE_ARRAY, true, g_b_msg, "VARCHAR",
												 "text"), PQ_LT_STRING),
								STATS_PRESENT, DICT_ALL);
	tf->ncols = n;
}


/* ---------------------------------------------------------------------
 * API unit tests (no files for DuckDB)
 * ---------------------------------------------------------------------
 */

/* Try to create a writer with one column; true if it was accepted */
static bool
accepts(const ParquetColumnSpec *spec, ParquetCodec codec, const char *dir)
{
	char		path[4096];
	char		err[256];
	ParquetWriterOptions opts;
	ParquetWriter *w;
	int			fd;

	snprintf(path, sizeof(path), "%s/scratch.tmp", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("could not create %s", path);
	parquet_writer_options_init(&opts);
	opts.codec = codec;
	err[0] = '\0';
	w = parquet_writer_create(fd, spec, 1, &opts, err, sizeof(err));
	if (w == NULL && err[0] == '\0')
		check(false, "rejection without a message");
	parquet_writer_free(w);
	close(fd);
	unlink(path);
	return w != NULL;
}

/*
 * row_group_bytes ends row groups early for wide rows: 5000 rows of a
 * 1000-byte unique string with a 1 MB limit give about five row groups,
 * each of which the walker checks.
 */
static void
rowgroup_bytes_test(const char *dir)
{
	ParquetColumnSpec cols[3];
	ParquetWriterOptions opts;
	ParquetWriteResult res;
	ParquetRowValue row[3];
	ParquetWriter *w;
	char		path[4096];
	char		err[256];
	char		text[1000];
	uint8_t    *file;
	size_t		fsize;
	WFile		wf;
	int64_t		sum = 0;
	bool		pages_ok = true;
	int			fd;
	int			r;
	int			g;
	int			i;

	parquet_column_init(&cols[0], "id", PQ_INT64, false);
	parquet_column_init(&cols[1], "wide", PQ_BYTE_ARRAY, true);
	cols[1].logical = PQ_LT_STRING;
	parquet_column_init(&cols[2], "x", PQ_DOUBLE, true);
	parquet_writer_options_init(&opts);
	opts.row_group_bytes = 1024 * 1024;
	snprintf(path, sizeof(path), "%s/rowgroup_bytes.tmp", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("could not create %s", path);
	w = parquet_writer_create(fd, cols, 3, &opts, err, sizeof(err));
	if (w == NULL)
		die("%s", err);
	memset(row, 0, sizeof(row));
	memset(text, 'w', sizeof(text));
	for (r = 0; r < 5000; r++)
	{
		snprintf(text, 20, "%08d", r);
		row[0].v.int64 = r;
		row[1].isnull = r % 10 == 0;
		row[1].v.bytes.ptr = (const uint8_t *) text;
		row[1].v.bytes.len = sizeof(text);
		row[2].v.float8 = r * 0.5;
		if (parquet_writer_add_row(w, row) != PARQUET_OK)
			die("%s", parquet_writer_error(w));
	}
	if (parquet_writer_finish(w, &res, err, sizeof(err)) != PARQUET_OK)
		die("%s", err);
	parquet_writer_free(w);
	close(fd);
	check(res.row_groups >= 4 && res.row_groups <= 6 && res.rows == 5000,
		  "row_group_bytes = 1 MB splits 5 MB of rows into %d row groups", res.row_groups);
	file = slurp(path, &fsize);
	if (file == NULL)
		die("could not read %s", path);
	check(walk_footer(file, fsize, &wf) && wf.nrg == res.row_groups, "row_group_bytes file parses");
	for (g = 0; g < wf.nrg; g++)
	{
		sum += wf.rg_rows[g];
		for (i = 0; i < wf.ncols; i++)
		{
			WChunk	   *ch = &wf.chunks[g * wf.ncols + i];

			walk_pages(file, fsize, ch);
			pages_ok &= ch->pages_ok && ch->page_values == wf.rg_rows[g] &&
				ch->crc_pages == ch->ndict_pages + ch->ndata_pages && ch->crc_matches == ch->crc_pages;
		}
	}
	check(sum == 5000 && pages_ok,
		  "row_group_bytes file: row groups add up to 5000 rows, pages intact with their CRCs");
	free(wf.chunks);
	free(file);
	unlink(path);
}

/* Unit tests of the API: validation, rejected rows, finish, I/O errors */
static void
api_tests(const char *dir)
{
	ParquetColumnSpec s;
	ParquetColumnSpec cols[2];
	ParquetWriterOptions opts;
	ParquetWriter *w;
	ParquetRowValue row[2];
	ParquetWriteResult res;
	char		path[4096];
	char		err[256];
	uint8_t		buf[20];
	int			fd;
	int			rc;

	check(parquet_decimal_flba_length(1) == 1 && parquet_decimal_flba_length(2) == 1 &&
		  parquet_decimal_flba_length(3) == 2 && parquet_decimal_flba_length(9) == 4 &&
		  parquet_decimal_flba_length(10) == 5 && parquet_decimal_flba_length(18) == 8 &&
		  parquet_decimal_flba_length(19) == 9 && parquet_decimal_flba_length(20) == 9 &&
		  parquet_decimal_flba_length(38) == 16 && parquet_decimal_flba_length(39) == -1 &&
		  parquet_decimal_flba_length(0) == -1,
		  "parquet_decimal_flba_length gives minimal lengths");
	{
		/* and they are minimal: 10^p - 1 fits n bytes but not n - 1 */
		bool		ok = true;
		int			p;

		for (p = 1; p <= 38; p++)
		{
			int			n = parquet_decimal_flba_length(p);
			int128		lim = pow10_128(p) - 1;

			ok &= n >= 1 && (n == 16 || lim <= (((int128) 1 << (8 * n - 1)) - 1));
			if (n > 1)
				ok &= lim > (((int128) 1 << (8 * (n - 1) - 1)) - 1);
		}
		check(ok, "parquet_decimal_flba_length is minimal for precisions 1..38");
	}

	parquet_column_init(&s, "x", PQ_INT32, true);
	check(accepts(&s, PQ_CODEC_ZSTD, dir), "INT32 column accepted");
	check(!accepts(&s, PQ_CODEC_LZ4, dir), "framed LZ4 codec (5) rejected");
	check(!accepts(&s, PQ_CODEC_SNAPPY, dir), "SNAPPY codec rejected");
	check(accepts(&s, PQ_CODEC_LZ4_RAW, dir) && accepts(&s, PQ_CODEC_UNCOMPRESSED, dir),
		  "LZ4_RAW and UNCOMPRESSED accepted");
	s.logical = PQ_LT_UUID;
	check(!accepts(&s, PQ_CODEC_ZSTD, dir), "UUID on INT32 rejected");
	s.logical = PQ_LT_DECIMAL;
	s.precision = 10;
	s.scale = 2;
	check(!accepts(&s, PQ_CODEC_ZSTD, dir), "DECIMAL(10,2) on INT32 rejected");
	s.precision = 9;
	check(accepts(&s, PQ_CODEC_ZSTD, dir), "DECIMAL(9,2) on INT32 accepted");
	s.scale = 10;
	check(!accepts(&s, PQ_CODEC_ZSTD, dir), "DECIMAL with scale > precision rejected");
	parquet_column_init(&s, "x", PQ_FIXED_LEN_BYTE_ARRAY, true);
	s.type_length = 8;
	s.logical = PQ_LT_DECIMAL;
	s.precision = 19;
	check(!accepts(&s, PQ_CODEC_ZSTD, dir), "DECIMAL(19) in FIXED_LEN_BYTE_ARRAY(8) rejected");
	s.precision = 18;
	check(accepts(&s, PQ_CODEC_ZSTD, dir), "DECIMAL(18) in FIXED_LEN_BYTE_ARRAY(8) accepted");
	s.type_length = 0;
	s.logical = PQ_LT_NONE;
	check(!accepts(&s, PQ_CODEC_ZSTD, dir), "FIXED_LEN_BYTE_ARRAY without a length rejected");
	parquet_column_init(&s, "x", PQ_INT96, true);
	check(!accepts(&s, PQ_CODEC_ZSTD, dir), "INT96 rejected");
	parquet_column_init(&s, "", PQ_INT32, true);
	check(!accepts(&s, PQ_CODEC_ZSTD, dir), "empty column name rejected");
	parquet_column_init(&s, "x", PQ_INT32, true);
	s.logical = PQ_LT_TIMESTAMP;
	check(!accepts(&s, PQ_CODEC_ZSTD, dir), "TIMESTAMP on INT32 rejected");
	parquet_column_init(&s, "x", PQ_BYTE_ARRAY, true);
	s.logical = PQ_LT_DATE;
	check(!accepts(&s, PQ_CODEC_ZSTD, dir), "DATE on BYTE_ARRAY rejected");

	/* a rejected row leaves the writer usable */
	parquet_column_init(&cols[0], "a", PQ_INT64, false);
	parquet_column_init(&cols[1], "u", PQ_FIXED_LEN_BYTE_ARRAY, true);
	cols[1].type_length = 16;
	cols[1].logical = PQ_LT_UUID;
	snprintf(path, sizeof(path), "%s/api.tmp", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("could not create %s", path);
	parquet_writer_options_init(&opts);
	w = parquet_writer_create(fd, cols, 2, &opts, err, sizeof(err));
	check(w != NULL, "writer created");
	if (w == NULL)
		die("%s", err);
	memset(row, 0, sizeof(row));
	memset(buf, 0x11, sizeof(buf));
	row[0].isnull = true;
	row[1].isnull = true;
	rc = parquet_writer_add_row(w, row);
	check(rc == PARQUET_ERROR_INVALID && strstr(parquet_writer_error(w), "REQUIRED") != NULL,
		  "NULL in a REQUIRED column rejected: %s", parquet_writer_error(w));
	row[0].isnull = false;
	row[0].v.int64 = 42;
	row[1].isnull = false;
	row[1].v.bytes.ptr = buf;
	row[1].v.bytes.len = 15;
	rc = parquet_writer_add_row(w, row);
	check(rc == PARQUET_ERROR_INVALID, "FIXED_LEN_BYTE_ARRAY value of the wrong length rejected: %s",
		  parquet_writer_error(w));
	row[1].v.bytes.len = 16;
	rc = parquet_writer_add_row(w, row);
	check(rc == PARQUET_OK, "valid row accepted after rejected rows");
	rc = parquet_writer_add_metadata(w, "late.key", "late value");
	check(rc == PARQUET_OK, "metadata added before finish");
	rc = parquet_writer_finish(w, &res, err, sizeof(err));
	check(rc == PARQUET_OK && res.rows == 1 && res.row_groups == 1,
		  "finish after rejected rows: 1 row, 1 row group");
	rc = parquet_writer_add_row(w, row);
	check(rc != PARQUET_OK, "add_row after finish fails");
	rc = parquet_writer_finish(w, &res, err, sizeof(err));
	check(rc == PARQUET_ERROR_STATE, "second finish fails");
	parquet_writer_free(w);

	/* a descriptor not at the start of the file is refused */
	w = parquet_writer_create(fd, cols, 2, &opts, err, sizeof(err));
	check(w == NULL && err[0] != '\0', "fd positioned past the start rejected: %s", err);
	parquet_writer_free(w);
	close(fd);
	unlink(path);

	/* write errors are reported, not ignored */
	fd = open("/dev/full", O_WRONLY);
	if (fd >= 0)
	{
		w = parquet_writer_create(fd, cols, 2, &opts, err, sizeof(err));
		if (w != NULL)
		{
			rc = parquet_writer_add_row(w, row);
			if (rc == PARQUET_OK)
				rc = parquet_writer_finish(w, &res, err, sizeof(err));
			check(rc == PARQUET_ERROR_IO, "write error reported as PARQUET_ERROR_IO: %s", err);
			parquet_writer_free(w);
		}
		close(fd);
	}
	parquet_writer_free(NULL);

	rowgroup_bytes_test(dir);
}


/* ---------------------------------------------------------------------
 * main
 * ---------------------------------------------------------------------
 */

/* Write all test files into argv[1]; exit nonzero on any failure */
int
main(int argc, char **argv)
{
	const char *dir;
	TFile	   *tf = malloc(sizeof(TFile));
	int64_t		bench_rows = 2000000;
	const char *env = getenv("WRITER_TEST_BENCH_ROWS");

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s OUTPUT_DIRECTORY\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		die("could not create %s: %s", dir, strerror(errno));
	if (env != NULL && atoll(env) > 0)
		bench_rows = atoll(env);
	setvbuf(stdout, NULL, _IOLBF, 0);

	md5_selftest();
	api_tests(dir);

	types_file(tf, "types_zstd", PQ_CODEC_ZSTD);
	write_test_file(dir, tf);
	types_file(tf, "types_lz4", PQ_CODEC_LZ4_RAW);
	write_test_file(dir, tf);
	types_file(tf, "types_none", PQ_CODEC_UNCOMPRESSED);
	write_test_file(dir, tf);
	extremes_file(tf);
	write_test_file(dir, tf);
	decimals_file(tf);
	write_test_file(dir, tf);
	fallback_file(tf);
	write_test_file(dir, tf);
	runs_file(tf);
	write_test_file(dir, tf);
	random_file(tf);
	write_test_file(dir, tf);
	required_file(tf);
	write_test_file(dir, tf);
	empty_file(tf);
	write_test_file(dir, tf);
	bench_file(tf, bench_rows);
	write_test_file(dir, tf);
	free(tf);

	printf("%d passed, %d failed\n", npassed, nfailed);
	return nfailed == 0 ? 0 : 1;
}
