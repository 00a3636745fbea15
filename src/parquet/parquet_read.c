/*-------------------------------------------------------------------------
 *
 * parquet_read.c
 *	  spillpool's standalone Parquet reader: the footer (thrift compact
 *	  protocol decoder, schema and row group metadata), the page codecs and
 *	  encodings, and the decoding of column chunks into value arrays.
 *
 * Every byte read from the file is treated as hostile: lengths, offsets,
 * counts, varints and bit widths are checked before use, thrift nesting
 * is depth-limited, and allocations are bounded by the input size or the
 * ParquetReaderOptions limits.  Failures are reported as a ParquetStatus
 * and a message; nothing here aborts, asserts or longjmps, and nothing
 * depends on PostgreSQL (see parquet_read.h for the interface).
 *
 * Layout of the file: internal error reporting and memory helpers, the
 * thrift compact decoder, the footer structs, the schema check, opening,
 * the codecs, the level and value decoders, and the column chunk decoder.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include "parquet_read.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lz4.h>
#include <lz4frame.h>
#include <zstd.h>

#ifdef __GNUC__
#define PQ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PQ_PRINTF(f, a)
#endif

/* Nesting limit of thrift structs, lists and maps in one decode */
#define THRIFT_MAX_DEPTH 64

/* Days from the Julian day epoch to 1970-01-01, for INT96 timestamps */
#define JULIAN_DAY_OF_UNIX_EPOCH INT64_C(2440588)
#define USECS_PER_DAY INT64_C(86400000000)

/*
 * Conservative lower bounds of the encoded size of one list element, used
 * to reject list counts that the remaining footer bytes cannot hold before
 * allocating for them.
 */
#define MIN_SCHEMA_ELEMENT_BYTES 3
#define MIN_ROW_GROUP_BYTES 4
#define MIN_COLUMN_CHUNK_BYTES 4
#define MIN_KEY_VALUE_BYTES 3

/* ----------------------------------------------------------------
 * Error reporting and memory helpers
 * ----------------------------------------------------------------
 */

/* Where a failure is recorded: the first one wins. */
typedef struct PqErr
{
	ParquetStatus status;
	char	   *buf;
	size_t		len;
} PqErr;

/*
 * Records a failure (unless one is already recorded, so the innermost and
 * most precise message survives) and returns false so that callers can
 * write "return pq_fail(...)".
 */
static bool PQ_PRINTF(3, 4)
pq_fail(PqErr *e, ParquetStatus status, const char *fmt,...)
{
	va_list		ap;

	if (e->status != PARQUET_OK)
		return false;
	e->status = status;
	if (e->buf != NULL && e->len > 0)
	{
		va_start(ap, fmt);
		vsnprintf(e->buf, e->len, fmt, ap);
		va_end(ap);
	}
	return false;
}

/*
 * Prefixes the recorded message with where it happened (a row group and
 * column), so that decoding errors name the chunk they came from.
 */
static void PQ_PRINTF(2, 3)
pq_add_context(PqErr *e, const char *fmt,...)
{
	char		prefix[256];
	char	   *old;
	va_list		ap;

	if (e->buf == NULL || e->len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	old = strdup(e->buf);
	if (old == NULL)
		return;
	snprintf(e->buf, e->len, "%s: %s", prefix, old);
	free(old);
}

/* Shorthand for the most common failure: the file is malformed. */
#define pq_corrupt(e, ...) pq_fail((e), PARQUET_ERROR_CORRUPT, __VA_ARGS__)

/* malloc that records PARQUET_ERROR_NOMEM; size 0 allocates 1 byte. */
static void *
pq_malloc(PqErr *e, size_t size)
{
	void	   *p = malloc(size > 0 ? size : 1);

	if (p == NULL)
		pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory allocating %zu bytes", size);
	return p;
}

/* calloc of n elements with overflow check, recording NOMEM. */
static void *
pq_calloc(PqErr *e, size_t n, size_t size)
{
	void	   *p;

	if (size != 0 && n > SIZE_MAX / size)
	{
		pq_fail(e, PARQUET_ERROR_NOMEM, "allocation of %zu x %zu bytes overflows", n, size);
		return NULL;
	}
	p = calloc(n > 0 ? n : 1, size > 0 ? size : 1);
	if (p == NULL)
		pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory allocating %zu x %zu bytes", n, size);
	return p;
}

/* Little-endian loads, independent of the host's alignment rules. */
static inline uint32_t
load_le32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* 64-bit little-endian load (PLAIN INT64/DOUBLE, INT96 nanoseconds). */
static inline uint64_t
load_le64(const uint8_t *p)
{
	return (uint64_t) load_le32(p) | ((uint64_t) load_le32(p + 4) << 32);
}

/* 32-bit big-endian load: the Hadoop LZ4 framing is big-endian. */
static inline uint32_t
load_be32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
		((uint32_t) p[2] << 8) | (uint32_t) p[3];
}

/*
 * The metadata arena: every footer allocation (schema, row groups, chunks,
 * strings) comes from here and is freed at once by parquet_reader_close,
 * which keeps the many early-exit paths of the footer parser leak-free.
 */
typedef struct ArenaBlock
{
	struct ArenaBlock *next;
	size_t		size;
	size_t		used;
	/* data follows, aligned to 16 */
} ArenaBlock;

#define ARENA_HEADER_SIZE ((sizeof(ArenaBlock) + 15) & ~(size_t) 15)
#define ARENA_BLOCK_SIZE ((size_t) 64 * 1024)

typedef struct Arena
{
	ArenaBlock *head;
} Arena;

/* Zeroed, 16-byte aligned allocation of n * size bytes from the arena. */
static void *
arena_alloc(Arena *arena, PqErr *e, size_t n, size_t size)
{
	size_t		bytes;
	ArenaBlock *block;
	uint8_t    *p;

	if (size != 0 && n > (SIZE_MAX / 2) / size)
	{
		pq_fail(e, PARQUET_ERROR_NOMEM, "metadata allocation overflows");
		return NULL;
	}
	bytes = (n * size + 15) & ~(size_t) 15;
	if (bytes == 0)
		bytes = 16;
	block = arena->head;
	if (block == NULL || block->size - block->used < bytes)
	{
		size_t		bsize = bytes > ARENA_BLOCK_SIZE ? bytes : ARENA_BLOCK_SIZE;

		block = malloc(ARENA_HEADER_SIZE + bsize);
		if (block == NULL)
		{
			pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory allocating %zu bytes of metadata", bsize);
			return NULL;
		}
		block->size = bsize;
		block->used = 0;
		block->next = arena->head;
		arena->head = block;
	}
	p = (uint8_t *) block + ARENA_HEADER_SIZE + block->used;
	block->used += bytes;
	memset(p, 0, bytes);
	return p;
}

/* NUL-terminated arena copy of a thrift string. */
static char *
arena_strndup(Arena *arena, PqErr *e, const uint8_t *s, size_t len)
{
	char	   *p = arena_alloc(arena, e, len + 1, 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/*
 * A list of footer structs being parsed.  Elements are appended as they
 * parse, so a hostile list count costs nothing until elements actually
 * decode; the finished list is copied into the arena.
 */
typedef struct GrowArray
{
	uint8_t    *items;
	size_t		count;
	size_t		cap;
	size_t		elem_size;
} GrowArray;

/* Appends a zeroed element and returns it, or NULL (NOMEM recorded). */
static void *
grow_array_next(GrowArray *ga, PqErr *e)
{
	void	   *slot;

	if (ga->count == ga->cap)
	{
		size_t		newcap = ga->cap == 0 ? 16 : ga->cap * 2;
		uint8_t    *items;

		if (newcap > SIZE_MAX / 2 / ga->elem_size)
		{
			pq_fail(e, PARQUET_ERROR_NOMEM, "metadata list too long");
			return NULL;
		}
		items = realloc(ga->items, newcap * ga->elem_size);
		if (items == NULL)
		{
			pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory for metadata");
			return NULL;
		}
		ga->items = items;
		ga->cap = newcap;
	}
	slot = ga->items + ga->count * ga->elem_size;
	memset(slot, 0, ga->elem_size);
	ga->count++;
	return slot;
}

/* Moves the finished list into the arena and frees the temporary. */
static void *
grow_array_finish(GrowArray *ga, Arena *arena, PqErr *e)
{
	void	   *result = arena_alloc(arena, e, ga->count, ga->elem_size);

	if (result != NULL && ga->count > 0)
		memcpy(result, ga->items, ga->count * ga->elem_size);
	free(ga->items);
	ga->items = NULL;
	return result;
}

/* Frees every block of the arena. */
static void
arena_free(Arena *arena)
{
	while (arena->head != NULL)
	{
		ArenaBlock *next = arena->head->next;

		free(arena->head);
		arena->head = next;
	}
}

/* ----------------------------------------------------------------
 * Thrift compact protocol decoder
 *
 * A cursor over one bounded buffer.  The struct parsers below read the
 * fields they know and skip everything else with thrift_skip, whatever its
 * type, so files from newer writers (new fields, new union members) still
 * open.  Known fields with an unexpected wire type are reported as corrupt
 * rather than guessed at.
 * ----------------------------------------------------------------
 */
typedef struct ThriftReader
{
	const uint8_t *pos;
	const uint8_t *end;
	int			depth;
	PqErr	   *err;
} ThriftReader;

/* Bytes left in the cursor. */
static inline size_t
thrift_remaining(const ThriftReader *tr)
{
	return (size_t) (tr->end - tr->pos);
}

/* ULEB128 varint of at most 10 bytes (64 bits). */
static bool
thrift_read_varint(ThriftReader *tr, uint64_t *out)
{
	uint64_t	result = 0;
	int			shift = 0;

	for (;;)
	{
		uint8_t		b;

		if (tr->pos >= tr->end)
			return pq_corrupt(tr->err, "invalid Parquet metadata: truncated varint");
		b = *tr->pos++;
		if (shift == 63 && (b & 0x7e) != 0)
			return pq_corrupt(tr->err, "invalid Parquet metadata: varint overflows 64 bits");
		result |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			break;
		shift += 7;
		if (shift > 63)
			return pq_corrupt(tr->err, "invalid Parquet metadata: varint longer than 10 bytes");
	}
	*out = result;
	return true;
}

/* Zigzag decoding, done in unsigned arithmetic to avoid overflow. */
static inline int64_t
zigzag_decode(uint64_t u)
{
	uint64_t	v = (u >> 1) ^ (~(u & 1) + 1);
	int64_t		result;

	memcpy(&result, &v, sizeof(result));
	return result;
}

/*
 * Reads an integer field of any integer wire type (byte, i16, i32, i64):
 * writers differ in the width they use for small values.
 */
static bool
thrift_read_int(ThriftReader *tr, uint8_t type, int64_t *out)
{
	uint64_t	u;

	switch (type)
	{
		case TC_BYTE:
			if (tr->pos >= tr->end)
				return pq_corrupt(tr->err, "invalid Parquet metadata: truncated byte");
			*out = (int8_t) *tr->pos++;
			return true;
		case TC_I16:
		case TC_I32:
		case TC_I64:
			if (!thrift_read_varint(tr, &u))
				return false;
			*out = zigzag_decode(u);
			if (type == TC_I16 && (*out < INT16_MIN || *out > INT16_MAX))
				return pq_corrupt(tr->err, "invalid Parquet metadata: i16 out of range");
			if (type == TC_I32 && (*out < INT32_MIN || *out > INT32_MAX))
				return pq_corrupt(tr->err, "invalid Parquet metadata: i32 out of range");
			return true;
		default:
			return pq_corrupt(tr->err, "invalid Parquet metadata: expected an integer, found thrift type %d", type);
	}
}

/* An integer field that must fit int32. */
static bool
thrift_read_i32(ThriftReader *tr, uint8_t type, int32_t *out)
{
	int64_t		v;

	if (!thrift_read_int(tr, type, &v))
		return false;
	if (v < INT32_MIN || v > INT32_MAX)
		return pq_corrupt(tr->err, "invalid Parquet metadata: i32 out of range");
	*out = (int32_t) v;
	return true;
}

/* A boolean struct field: the value is in the field's wire type. */
static bool
thrift_read_bool(ThriftReader *tr, uint8_t type, bool *out)
{
	if (type == TC_BOOLEAN_TRUE)
		*out = true;
	else if (type == TC_BOOLEAN_FALSE)
		*out = false;
	else
		return pq_corrupt(tr->err, "invalid Parquet metadata: expected a boolean, found thrift type %d", type);
	return true;
}

/* A binary/string field: a varint length and that many bytes. */
static bool
thrift_read_binary(ThriftReader *tr, uint8_t type,
				   const uint8_t **data, size_t *len)
{
	uint64_t	n;

	if (type != TC_BINARY)
		return pq_corrupt(tr->err, "invalid Parquet metadata: expected a string, found thrift type %d", type);
	if (!thrift_read_varint(tr, &n))
		return false;
	if (n > thrift_remaining(tr))
		return pq_corrupt(tr->err, "invalid Parquet metadata: string of %llu bytes exceeds the metadata",
						  (unsigned long long) n);
	*data = tr->pos;
	*len = (size_t) n;
	tr->pos += n;
	return true;
}

/*
 * Reads a list (or set) header.  The count is checked against the bytes
 * left, at min_element_bytes per element, so that callers can allocate
 * count elements safely.
 */
static bool
thrift_read_list_header(ThriftReader *tr, uint8_t field_type,
						uint8_t *elem_type, size_t *count,
						size_t min_element_bytes)
{
	uint8_t		b;
	uint64_t	n;

	if (field_type != TC_LIST && field_type != TC_SET)
		return pq_corrupt(tr->err, "invalid Parquet metadata: expected a list, found thrift type %d", field_type);
	if (tr->pos >= tr->end)
		return pq_corrupt(tr->err, "invalid Parquet metadata: truncated list header");
	b = *tr->pos++;
	n = b >> 4;
	if (n == 15 && !thrift_read_varint(tr, &n))
		return false;
	*elem_type = b & 0x0f;
	if (*elem_type == TC_STOP || *elem_type > 13)
		return pq_corrupt(tr->err, "invalid Parquet metadata: invalid list element type %d", *elem_type);
	if (min_element_bytes == 0)
		min_element_bytes = 1;
	if (n > thrift_remaining(tr) / min_element_bytes)
		return pq_corrupt(tr->err, "invalid Parquet metadata: list of %llu elements exceeds the metadata",
						  (unsigned long long) n);
	*count = (size_t) n;
	return true;
}

/* Enters a nested struct/list/map, enforcing the depth limit. */
static bool
thrift_enter(ThriftReader *tr)
{
	if (++tr->depth > THRIFT_MAX_DEPTH)
		return pq_corrupt(tr->err, "invalid Parquet metadata: nested more than %d levels deep", THRIFT_MAX_DEPTH);
	return true;
}

/* Leaves a nesting level entered with thrift_enter. */
static inline void
thrift_leave(ThriftReader *tr)
{
	tr->depth--;
}

/*
 * Reads the next field header of a struct.  Returns 1 with the field id
 * and type, 0 at the STOP byte, -1 on error.  *last_id carries the
 * previous id for the compact protocol's delta encoding.
 */
static int
thrift_next_field(ThriftReader *tr, int16_t *last_id,
				  int16_t *id, uint8_t *type)
{
	uint8_t		b;
	int			delta;

	if (tr->pos >= tr->end)
	{
		pq_corrupt(tr->err, "invalid Parquet metadata: truncated struct");
		return -1;
	}
	b = *tr->pos++;
	if (b == TC_STOP)
		return 0;
	*type = b & 0x0f;
	delta = b >> 4;
	if (*type == TC_STOP || *type > 13)
	{
		pq_corrupt(tr->err, "invalid Parquet metadata: invalid field type %d", *type);
		return -1;
	}
	if (delta != 0)
	{
		int			next = *last_id + delta;

		if (next > INT16_MAX)
		{
			pq_corrupt(tr->err, "invalid Parquet metadata: field id overflows");
			return -1;
		}
		*id = (int16_t) next;
	}
	else
	{
		int64_t		v;

		if (!thrift_read_int(tr, TC_I16, &v))
			return -1;
		*id = (int16_t) v;
	}
	*last_id = *id;
	return 1;
}

static bool thrift_skip_value(ThriftReader *tr, uint8_t type, bool in_container);

/* Skips a whole struct whose opening was already consumed. */
static bool
thrift_skip_struct(ThriftReader *tr)
{
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;

	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		if (!thrift_skip_value(tr, type, false))
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	return true;
}

/*
 * Skips one value of any type.  Booleans have no payload as struct
 * fields but take a byte as list/map elements, hence in_container.
 * Type 13 (UUID, 16 bytes) is newer than Parquet but skipped anyway.
 */
static bool
thrift_skip_value(ThriftReader *tr, uint8_t type, bool in_container)
{
	uint64_t	u;
	size_t		n;
	size_t		skip = 0;
	uint8_t		elem_type;

	switch (type)
	{
		case TC_BOOLEAN_TRUE:
		case TC_BOOLEAN_FALSE:
			skip = in_container ? 1 : 0;
			break;
		case TC_BYTE:
			skip = 1;
			break;
		case TC_I16:
		case TC_I32:
		case TC_I64:
			return thrift_read_varint(tr, &u);
		case TC_DOUBLE:
			skip = 8;
			break;
		case 13:
			skip = 16;
			break;
		case TC_BINARY:
			if (!thrift_read_varint(tr, &u))
				return false;
			if (u > thrift_remaining(tr))
				return pq_corrupt(tr->err, "invalid Parquet metadata: string exceeds the metadata");
			tr->pos += u;
			return true;
		case TC_LIST:
		case TC_SET:
			if (!thrift_read_list_header(tr, type, &elem_type, &n, 1))
				return false;
			if (!thrift_enter(tr))
				return false;
			while (n-- > 0)
			{
				if (!thrift_skip_value(tr, elem_type, true))
					return false;
			}
			thrift_leave(tr);
			return true;
		case TC_MAP:
			{
				uint8_t		kv;

				if (!thrift_read_varint(tr, &u))
					return false;
				if (u == 0)
					return true;
				if (u > thrift_remaining(tr) / 2)
					return pq_corrupt(tr->err, "invalid Parquet metadata: map exceeds the metadata");
				if (tr->pos >= tr->end)
					return pq_corrupt(tr->err, "invalid Parquet metadata: truncated map");
				kv = *tr->pos++;
				if ((kv >> 4) == 0 || (kv >> 4) > 13 || (kv & 0x0f) == 0 || (kv & 0x0f) > 13)
					return pq_corrupt(tr->err, "invalid Parquet metadata: invalid map types");
				if (!thrift_enter(tr))
					return false;
				while (u-- > 0)
				{
					if (!thrift_skip_value(tr, kv >> 4, true) ||
						!thrift_skip_value(tr, kv & 0x0f, true))
						return false;
				}
				thrift_leave(tr);
				return true;
			}
		case TC_STRUCT:
			return thrift_skip_struct(tr);
		default:
			return pq_corrupt(tr->err, "invalid Parquet metadata: invalid thrift type %d", type);
	}
	if (skip > thrift_remaining(tr))
		return pq_corrupt(tr->err, "invalid Parquet metadata: truncated value");
	tr->pos += skip;
	return true;
}

/* Checks that a known struct field has the wire type the spec gives it. */
static bool
thrift_expect(ThriftReader *tr, uint8_t type, uint8_t expected, const char *what)
{
	if (type != expected)
		return pq_corrupt(tr->err, "invalid Parquet metadata: field %s has thrift type %d, expected %d",
						  what, type, expected);
	return true;
}

/* ----------------------------------------------------------------
 * Footer structs (parquet.thrift)
 * ----------------------------------------------------------------
 */

/* Internal form of a SchemaElement, before the flatness check. */
typedef struct SchemaElement
{
	bool		has_type;
	int32_t		type;
	int32_t		type_length;
	bool		has_repetition;
	int32_t		repetition;
	const char *name;
	bool		has_num_children;
	int32_t		num_children;
	bool		has_converted_type;
	int32_t		converted_type;
	bool		has_scale;
	int32_t		scale;
	bool		has_precision;
	int32_t		precision;
	bool		has_field_id;
	int32_t		field_id;
	/* LogicalType */
	int32_t		logical_type;	/* union member id, 0 if none */
	int32_t		lt_scale;
	int32_t		lt_precision;
	bool		lt_adjusted;
	int32_t		lt_unit;
	int32_t		lt_bit_width;
	bool		lt_signed;
} SchemaElement;

/* Parses TimeUnit (a union of empty structs) into a ParquetTimeUnit. */
static bool
parse_time_unit(ThriftReader *tr, int32_t *unit)
{
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;

	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		if (id >= PQ_UNIT_MILLIS && id <= PQ_UNIT_NANOS && type == TC_STRUCT)
			*unit = id;
		if (!thrift_skip_value(tr, type, false))
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	return true;
}

/*
 * Parses the members of DecimalType, TimeType/TimestampType and IntType,
 * which share one struct-walking loop since their field ids do not clash
 * in meaning within one logical type.
 */
static bool
parse_logical_params(ThriftReader *tr, SchemaElement *el, int16_t member)
{
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;
	int64_t		v;

	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		bool		ok = true;

		if (member == PQ_LT_DECIMAL && id == 1)
			ok = thrift_read_i32(tr, type, &el->lt_scale);
		else if (member == PQ_LT_DECIMAL && id == 2)
			ok = thrift_read_i32(tr, type, &el->lt_precision);
		else if ((member == PQ_LT_TIME || member == PQ_LT_TIMESTAMP) && id == 1)
			ok = thrift_read_bool(tr, type, &el->lt_adjusted);
		else if ((member == PQ_LT_TIME || member == PQ_LT_TIMESTAMP) && id == 2)
			ok = thrift_expect(tr, type, TC_STRUCT, "TimeUnit") &&
				parse_time_unit(tr, &el->lt_unit);
		else if (member == PQ_LT_INTEGER && id == 1)
		{
			ok = thrift_read_int(tr, type, &v);
			if (ok && (v != 8 && v != 16 && v != 32 && v != 64))
				ok = pq_corrupt(tr->err, "invalid Parquet metadata: INTEGER bit width %lld", (long long) v);
			el->lt_bit_width = (int32_t) v;
		}
		else if (member == PQ_LT_INTEGER && id == 2)
			ok = thrift_read_bool(tr, type, &el->lt_signed);
		else
			ok = thrift_skip_value(tr, type, false);
		if (!ok)
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	return true;
}

/*
 * Parses the LogicalType union.  Unknown members (FLOAT16, VARIANT, GEO...)
 * are skipped and leave the logical type unset, which the glue layer can
 * treat as the plain physical type.
 */
static bool
parse_logical_type(ThriftReader *tr, SchemaElement *el)
{
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;

	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		bool		known = (id >= PQ_LT_STRING && id <= PQ_LT_UUID && id != 9);

		if (known && type == TC_STRUCT)
		{
			el->logical_type = id;
			if (!parse_logical_params(tr, el, id))
				return false;
		}
		else if (!thrift_skip_value(tr, type, false))
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	return true;
}

/* Parses one element of a list of structs into *out (see parse_struct_list). */
typedef bool (*StructParser) (ThriftReader *tr, Arena *arena, void *out);

/*
 * Reads a thrift list of structs into an arena array of elem_size elements.
 * Elements are added as they parse, never allocated for the claimed count
 * up front, so a hostile list length costs nothing; min_bytes, the least an
 * element can take, bounds the count by the bytes left.  Returns the array
 * and sets *count, or returns NULL with the error recorded ("bad_list" for
 * a list that is not of structs).
 */
static void *
parse_struct_list(ThriftReader *tr, Arena *arena, uint8_t type, size_t min_bytes,
				  size_t elem_size, StructParser parse, const char *bad_list,
				  size_t *count)
{
	GrowArray	ga = {NULL, 0, 0, elem_size};
	uint8_t		et;
	size_t		n;
	bool		ok = true;
	void	   *result;

	if (!thrift_read_list_header(tr, type, &et, &n, min_bytes))
		return NULL;
	if (et != TC_STRUCT || n > INT_MAX)
	{
		pq_corrupt(tr->err, "%s", bad_list);
		return NULL;
	}
	for (size_t i = 0; i < n && ok; i++)
	{
		void	   *el = grow_array_next(&ga, tr->err);

		ok = (el != NULL && parse(tr, arena, el));
	}
	result = ok ? grow_array_finish(&ga, arena, tr->err) : NULL;
	free(ga.items);
	*count = n;
	return result;
}

/* Parses one SchemaElement. */
static bool
parse_schema_element(ThriftReader *tr, Arena *arena, void *out)
{
	SchemaElement *el = out;
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;
	const uint8_t *s;
	size_t		slen;
	bool		has_name = false;

	memset(el, 0, sizeof(*el));
	el->type_length = -1;
	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		bool		ok;

		switch (id)
		{
			case 1:
				ok = thrift_read_i32(tr, type, &el->type);
				el->has_type = true;
				break;
			case 2:
				ok = thrift_read_i32(tr, type, &el->type_length);
				break;
			case 3:
				ok = thrift_read_i32(tr, type, &el->repetition);
				el->has_repetition = true;
				break;
			case 4:
				ok = thrift_read_binary(tr, type, &s, &slen);
				if (ok)
				{
					el->name = arena_strndup(arena, tr->err, s, slen);
					ok = (el->name != NULL);
					has_name = true;
				}
				break;
			case 5:
				ok = thrift_read_i32(tr, type, &el->num_children);
				el->has_num_children = true;
				break;
			case 6:
				ok = thrift_read_i32(tr, type, &el->converted_type);
				el->has_converted_type = true;
				break;
			case 7:
				ok = thrift_read_i32(tr, type, &el->scale);
				el->has_scale = true;
				break;
			case 8:
				ok = thrift_read_i32(tr, type, &el->precision);
				el->has_precision = true;
				break;
			case 9:
				ok = thrift_read_i32(tr, type, &el->field_id);
				el->has_field_id = true;
				break;
			case 10:
				ok = thrift_expect(tr, type, TC_STRUCT, "SchemaElement.logicalType") &&
					parse_logical_type(tr, el);
				break;
			default:
				ok = thrift_skip_value(tr, type, false);
				break;
		}
		if (!ok)
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	if (!has_name)
		return pq_corrupt(tr->err, "invalid Parquet metadata: schema element without a name");
	return true;
}

/* Parses Statistics; the byte strings point into the footer buffer. */
static bool
parse_statistics(ThriftReader *tr, ParquetStatistics *st)
{
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;
	const uint8_t *s;
	size_t		slen;

	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		bool		ok = true;
		ParquetBytes *target = NULL;
		bool	   *flag = NULL;

		switch (id)
		{
			case 1:
				target = &st->max;
				flag = &st->has_max;
				break;
			case 2:
				target = &st->min;
				flag = &st->has_min;
				break;
			case 3:
				ok = thrift_read_int(tr, type, &st->null_count);
				st->has_null_count = true;
				break;
			case 4:
				ok = thrift_read_int(tr, type, &st->distinct_count);
				st->has_distinct_count = true;
				break;
			case 5:
				target = &st->max_value;
				flag = &st->has_max_value;
				break;
			case 6:
				target = &st->min_value;
				flag = &st->has_min_value;
				break;
			case 7:
				ok = thrift_read_bool(tr, type, &st->is_max_value_exact);
				st->has_is_max_value_exact = true;
				break;
			case 8:
				ok = thrift_read_bool(tr, type, &st->is_min_value_exact);
				st->has_is_min_value_exact = true;
				break;
			default:
				ok = thrift_skip_value(tr, type, false);
				break;
		}
		if (ok && target != NULL)
		{
			ok = thrift_read_binary(tr, type, &s, &slen);
			if (ok && slen > UINT32_MAX)
				ok = pq_corrupt(tr->err, "invalid Parquet metadata: statistics value too long");
			if (ok)
			{
				target->ptr = s;
				target->len = (uint32_t) slen;
				*flag = true;
			}
		}
		if (!ok)
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	return true;
}

/* Parses ColumnMetaData into the chunk, checking its required fields. */
static bool
parse_column_metadata(ThriftReader *tr, Arena *arena, ParquetColumnChunk *cc)
{
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;
	unsigned	seen = 0;
	int32_t		i32 = 0;

	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		bool		ok = true;

		if (id >= 1 && id <= 31)
			seen |= 1u << id;
		switch (id)
		{
			case 1:
				ok = thrift_read_i32(tr, type, &i32);
				if (ok && (i32 < PQ_BOOLEAN || i32 > PQ_FIXED_LEN_BYTE_ARRAY))
					ok = pq_corrupt(tr->err, "invalid Parquet metadata: physical type %d", (int) i32);
				cc->physical_type = (ParquetType) i32;
				break;
			case 2:
				{
					uint8_t		et;
					size_t		n;
					int32_t    *encodings;

					ok = thrift_read_list_header(tr, type, &et, &n, 1);
					if (!ok)
						break;
					if (n > INT_MAX)
					{
						ok = pq_corrupt(tr->err, "invalid Parquet metadata: too many encodings");
						break;
					}
					encodings = arena_alloc(arena, tr->err, n, sizeof(int32_t));
					if (encodings == NULL)
						return false;
					for (size_t i = 0; i < n && ok; i++)
						ok = thrift_read_i32(tr, et, &encodings[i]);
					cc->encodings = encodings;
					cc->num_encodings = (int) n;
					break;
				}
			case 4:
				ok = thrift_read_i32(tr, type, &cc->codec);
				break;
			case 5:
				ok = thrift_read_int(tr, type, &cc->num_values);
				break;
			case 6:
				ok = thrift_read_int(tr, type, &cc->total_uncompressed_size);
				break;
			case 7:
				ok = thrift_read_int(tr, type, &cc->total_compressed_size);
				break;
			case 9:
				ok = thrift_read_int(tr, type, &cc->data_page_offset);
				break;
			case 10:
				ok = thrift_read_int(tr, type, &cc->index_page_offset);
				cc->has_index_page_offset = true;
				break;
			case 11:
				ok = thrift_read_int(tr, type, &cc->dictionary_page_offset);
				cc->has_dictionary_page_offset = true;
				break;
			case 12:
				ok = thrift_expect(tr, type, TC_STRUCT, "ColumnMetaData.statistics") &&
					parse_statistics(tr, &cc->statistics);
				cc->has_statistics = true;
				break;
			default:
				/* 3 path_in_schema, 8 key_value_metadata, 13.. are skipped */
				ok = thrift_skip_value(tr, type, false);
				break;
		}
		if (!ok)
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	if ((seen & ((1u << 1) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 9))) !=
		((1u << 1) | (1u << 4) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 9)))
		return pq_corrupt(tr->err, "invalid Parquet metadata: column metadata lacks a required field");
	if (cc->num_values < 0 || cc->total_compressed_size < 0 ||
		cc->total_uncompressed_size < 0 || cc->data_page_offset < 0 ||
		(cc->has_dictionary_page_offset && cc->dictionary_page_offset < 0))
		return pq_corrupt(tr->err, "invalid Parquet metadata: negative size or offset in column metadata");
	return true;
}

/* Parses one ColumnChunk; a chunk without meta_data is rejected. */
static bool
parse_column_chunk(ThriftReader *tr, Arena *arena, void *out)
{
	ParquetColumnChunk *cc = out;
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;
	bool		has_meta = false;
	const uint8_t *s;
	size_t		slen;

	memset(cc, 0, sizeof(*cc));
	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		bool		ok;

		switch (id)
		{
			case 1:
				ok = thrift_read_binary(tr, type, &s, &slen);
				if (ok)
				{
					cc->file_path = arena_strndup(arena, tr->err, s, slen);
					ok = (cc->file_path != NULL);
				}
				break;
			case 2:
				ok = thrift_read_int(tr, type, &cc->file_offset);
				break;
			case 3:
				ok = thrift_expect(tr, type, TC_STRUCT, "ColumnChunk.meta_data") &&
					parse_column_metadata(tr, arena, cc);
				has_meta = true;
				break;
			default:
				ok = thrift_skip_value(tr, type, false);
				break;
		}
		if (!ok)
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	if (!has_meta)
		return pq_fail(tr->err, PARQUET_ERROR_UNSUPPORTED,
					   "Parquet column chunk without metadata (encrypted columns are not supported)");
	return true;
}

/* Parses one RowGroup. */
static bool
parse_row_group(ThriftReader *tr, Arena *arena, void *out)
{
	ParquetRowGroup *rg = out;
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;
	bool		has_columns = false;
	bool		has_rows = false;

	memset(rg, 0, sizeof(*rg));
	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		bool		ok = true;

		switch (id)
		{
			case 1:
				if (has_columns)
					return pq_corrupt(tr->err, "invalid Parquet metadata: duplicate row group columns");
				{
					size_t		ncolumns;

					rg->columns = parse_struct_list(tr, arena, type, MIN_COLUMN_CHUNK_BYTES,
													sizeof(ParquetColumnChunk), parse_column_chunk,
													"invalid Parquet metadata: bad row group column list",
													&ncolumns);
					if (rg->columns == NULL)
						return false;
					rg->num_columns = (int) ncolumns;	/* at most INT_MAX */
				}
				has_columns = true;
				break;
			case 2:
				ok = thrift_read_int(tr, type, &rg->total_byte_size);
				break;
			case 3:
				ok = thrift_read_int(tr, type, &rg->num_rows);
				has_rows = true;
				break;
			default:
				ok = thrift_skip_value(tr, type, false);
				break;
		}
		if (!ok)
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	if (!has_columns || !has_rows)
		return pq_corrupt(tr->err, "invalid Parquet metadata: row group lacks columns or num_rows");
	if (rg->num_rows < 0)
		return pq_corrupt(tr->err, "invalid Parquet metadata: negative row count in row group");
	return true;
}

/* Parses one KeyValue into NUL-terminated arena strings. */
static bool
parse_key_value(ThriftReader *tr, Arena *arena, void *out)
{
	ParquetKeyValue *kv = out;
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;
	const uint8_t *s;
	size_t		slen;

	memset(kv, 0, sizeof(*kv));
	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		bool		ok;

		if (id == 1 || id == 2)
		{
			ok = thrift_read_binary(tr, type, &s, &slen);
			if (ok)
			{
				char	   *copy = arena_strndup(arena, tr->err, s, slen);

				if (copy == NULL)
					return false;
				if (id == 1)
					kv->key = copy;
				else
				{
					kv->value = copy;
					kv->value_len = slen;
				}
			}
		}
		else
			ok = thrift_skip_value(tr, type, false);
		if (!ok)
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	if (kv->key == NULL)
		return pq_corrupt(tr->err, "invalid Parquet metadata: key/value entry without a key");
	return true;
}

/* What FileMetaData parsing produces before the schema is checked. */
typedef struct RawFileMeta
{
	int32_t		version;
	int64_t		num_rows;
	const char *created_by;
	size_t		num_elements;
	SchemaElement *elements;
	size_t		num_row_groups;
	ParquetRowGroup *row_groups;
	size_t		num_key_values;
	ParquetKeyValue *key_values;
	bool		has_schema;
	bool		has_num_rows;
	bool		has_row_groups;
	bool		encrypted;
} RawFileMeta;

/* Parses FileMetaData, the root struct of the footer. */
static bool
parse_file_metadata(ThriftReader *tr, Arena *arena, RawFileMeta *fm)
{
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;
	const uint8_t *s;
	size_t		slen;

	memset(fm, 0, sizeof(*fm));
	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		bool		ok = true;

		switch (id)
		{
			case 1:
				ok = thrift_read_i32(tr, type, &fm->version);
				break;
			case 2:
				if (fm->has_schema)
					return pq_corrupt(tr->err, "invalid Parquet metadata: duplicate schema");
				fm->elements = parse_struct_list(tr, arena, type, MIN_SCHEMA_ELEMENT_BYTES,
												 sizeof(SchemaElement), parse_schema_element,
												 "invalid Parquet metadata: bad schema list",
												 &fm->num_elements);
				if (fm->elements == NULL)
					return false;
				fm->has_schema = true;
				break;
			case 3:
				ok = thrift_read_int(tr, type, &fm->num_rows);
				fm->has_num_rows = true;
				break;
			case 4:
				if (fm->has_row_groups)
					return pq_corrupt(tr->err, "invalid Parquet metadata: duplicate row groups");
				fm->row_groups = parse_struct_list(tr, arena, type, MIN_ROW_GROUP_BYTES,
												   sizeof(ParquetRowGroup), parse_row_group,
												   "invalid Parquet metadata: bad row group list",
												   &fm->num_row_groups);
				if (fm->row_groups == NULL)
					return false;
				fm->has_row_groups = true;
				break;
			case 5:
				if (fm->key_values != NULL)
					return pq_corrupt(tr->err, "invalid Parquet metadata: duplicate key/value metadata");
				fm->key_values = parse_struct_list(tr, arena, type, MIN_KEY_VALUE_BYTES,
												   sizeof(ParquetKeyValue), parse_key_value,
												   "invalid Parquet metadata: bad key/value list",
												   &fm->num_key_values);
				if (fm->key_values == NULL)
					return false;
				break;
			case 6:
				ok = thrift_read_binary(tr, type, &s, &slen);
				if (ok)
				{
					fm->created_by = arena_strndup(arena, tr->err, s, slen);
					ok = (fm->created_by != NULL);
				}
				break;
			case 8:
				/* encryption_algorithm: plaintext footer, encrypted columns */
				fm->encrypted = true;
				ok = thrift_skip_value(tr, type, false);
				break;
			default:
				ok = thrift_skip_value(tr, type, false);
				break;
		}
		if (!ok)
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	if (!fm->has_schema || !fm->has_num_rows || !fm->has_row_groups)
		return pq_corrupt(tr->err, "invalid Parquet metadata: missing schema, num_rows or row_groups");
	if (fm->num_rows < 0)
		return pq_corrupt(tr->err, "invalid Parquet metadata: negative row count");
	return true;
}

/* ----------------------------------------------------------------
 * The reader, schema check and opening
 * ----------------------------------------------------------------
 */
struct ParquetReader
{
	ParquetReaderOptions options;
	const uint8_t *data;		/* memory source, or NULL for a file */
	int			fd;				/* file source, or -1 */
	bool		owns_fd;
	uint64_t	file_size;
	uint64_t	metadata_offset;	/* where FileMetaData starts */
	uint8_t    *footer;			/* FileMetaData bytes read from a file */
	Arena		arena;
	ParquetFileMeta meta;
	ParquetColumnSchema *columns;
	ZSTD_DCtx  *zstd;			/* created on first use */
};

/* See parquet_read.h. */
void
parquet_reader_default_options(ParquetReaderOptions *options)
{
	options->max_metadata_bytes = (size_t) 64 * 1024 * 1024;
	options->max_page_bytes = (size_t) 512 * 1024 * 1024;
	options->max_row_group_rows = INT64_C(64) * 1024 * 1024;
}

/* Printable physical type, for messages. */
const char *
parquet_type_name(int physical_type)
{
	switch (physical_type)
	{
		case PQ_BOOLEAN:
			return "BOOLEAN";
		case PQ_INT32:
			return "INT32";
		case PQ_INT64:
			return "INT64";
		case PQ_INT96:
			return "INT96";
		case PQ_FLOAT:
			return "FLOAT";
		case PQ_DOUBLE:
			return "DOUBLE";
		case PQ_BYTE_ARRAY:
			return "BYTE_ARRAY";
		case PQ_FIXED_LEN_BYTE_ARRAY:
			return "FIXED_LEN_BYTE_ARRAY";
	}
	return "unknown";
}

/* Printable codec, for messages. */
const char *
parquet_codec_name(int codec)
{
	switch (codec)
	{
		case PQ_CODEC_UNCOMPRESSED:
			return "UNCOMPRESSED";
		case PQ_CODEC_SNAPPY:
			return "SNAPPY";
		case PQ_CODEC_GZIP:
			return "GZIP";
		case PQ_CODEC_LZO:
			return "LZO";
		case PQ_CODEC_BROTLI:
			return "BROTLI";
		case PQ_CODEC_LZ4:
			return "LZ4";
		case PQ_CODEC_ZSTD:
			return "ZSTD";
		case PQ_CODEC_LZ4_RAW:
			return "LZ4_RAW";
	}
	return "unknown";
}

/* Printable encoding, for messages. */
const char *
parquet_encoding_name(int encoding)
{
	switch (encoding)
	{
		case PQ_ENC_PLAIN:
			return "PLAIN";
		case PQ_ENC_PLAIN_DICTIONARY:
			return "PLAIN_DICTIONARY";
		case PQ_ENC_RLE:
			return "RLE";
		case PQ_ENC_BIT_PACKED:
			return "BIT_PACKED";
		case PQ_ENC_DELTA_BINARY_PACKED:
			return "DELTA_BINARY_PACKED";
		case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
			return "DELTA_LENGTH_BYTE_ARRAY";
		case PQ_ENC_DELTA_BYTE_ARRAY:
			return "DELTA_BYTE_ARRAY";
		case PQ_ENC_RLE_DICTIONARY:
			return "RLE_DICTIONARY";
		case PQ_ENC_BYTE_STREAM_SPLIT:
			return "BYTE_STREAM_SPLIT";
	}
	return "unknown";
}

/* See parquet_read.h. */
ParquetValueKind
parquet_value_kind(ParquetType physical_type)
{
	switch (physical_type)
	{
		case PQ_BOOLEAN:
			return PQ_VALUE_BOOLEAN;
		case PQ_INT32:
			return PQ_VALUE_INT32;
		case PQ_INT64:
		case PQ_INT96:
			return PQ_VALUE_INT64;
		case PQ_FLOAT:
			return PQ_VALUE_FLOAT;
		case PQ_DOUBLE:
			return PQ_VALUE_DOUBLE;
		case PQ_BYTE_ARRAY:
		case PQ_FIXED_LEN_BYTE_ARRAY:
			break;
	}
	return PQ_VALUE_BYTES;
}

/*
 * Fills the annotation fields of a leaf from its LogicalType, falling back
 * to the legacy ConvertedType, and validates what a decoder or the glue
 * layer relies on (decimal precision/scale, time units).
 */
static bool
schema_fill_annotations(const SchemaElement *el, ParquetColumnSchema *col, PqErr *e)
{
	col->converted_type = el->has_converted_type ? (ParquetConvertedType) el->converted_type : PQ_CT_NONE;
	col->logical_type = (ParquetLogicalType) el->logical_type;

	if (el->logical_type == PQ_LT_DECIMAL)
	{
		col->decimal_scale = el->lt_scale;
		col->decimal_precision = el->lt_precision;
	}
	else if (el->has_converted_type && el->converted_type == PQ_CT_DECIMAL)
	{
		col->decimal_scale = el->has_scale ? el->scale : 0;
		col->decimal_precision = el->has_precision ? el->precision : 0;
	}
	if ((el->logical_type == PQ_LT_DECIMAL ||
		 (el->has_converted_type && el->converted_type == PQ_CT_DECIMAL)) &&
		(col->decimal_precision <= 0 || col->decimal_scale < 0 ||
		 col->decimal_scale > col->decimal_precision))
		return pq_corrupt(e, "invalid Parquet schema: column \"%s\" has DECIMAL precision %d and scale %d",
						  col->name, (int) col->decimal_precision, (int) col->decimal_scale);

	if (el->logical_type == PQ_LT_TIME || el->logical_type == PQ_LT_TIMESTAMP)
	{
		if (el->lt_unit < PQ_UNIT_MILLIS || el->lt_unit > PQ_UNIT_NANOS)
			return pq_corrupt(e, "invalid Parquet schema: column \"%s\" has a time type without a unit",
							  col->name);
		col->time_unit = (ParquetTimeUnit) el->lt_unit;
		col->is_adjusted_to_utc = el->lt_adjusted;
	}
	else if (el->has_converted_type)
	{
		switch (el->converted_type)
		{
			case PQ_CT_TIME_MILLIS:
			case PQ_CT_TIMESTAMP_MILLIS:
				col->time_unit = PQ_UNIT_MILLIS;
				col->is_adjusted_to_utc = true;
				break;
			case PQ_CT_TIME_MICROS:
			case PQ_CT_TIMESTAMP_MICROS:
				col->time_unit = PQ_UNIT_MICROS;
				col->is_adjusted_to_utc = true;
				break;
			default:
				break;
		}
	}

	if (el->logical_type == PQ_LT_INTEGER)
	{
		col->int_bit_width = el->lt_bit_width;
		col->int_is_signed = el->lt_signed;
	}
	else if (el->has_converted_type &&
			 el->converted_type >= PQ_CT_UINT_8 && el->converted_type <= PQ_CT_INT_64)
	{
		static const int widths[] = {8, 16, 32, 64};

		col->int_bit_width = widths[(el->converted_type - PQ_CT_UINT_8) % 4];
		col->int_is_signed = el->converted_type >= PQ_CT_INT_8;
	}
	return true;
}

/*
 * Turns the schema element list into the flat leaf list.  Any group other
 * than the root, any REPEATED field and any LIST/MAP annotation is the
 * nested case, reported with PARQUET_ERROR_NESTED and the name of the
 * first such column before any count mismatch (which nesting causes).
 */
static bool
build_flat_schema(ParquetReader *reader, const RawFileMeta *fm, PqErr *e)
{
	const SchemaElement *root;
	size_t		nleaves;

	if (fm->num_elements == 0)
		return pq_corrupt(e, "invalid Parquet schema: no root element");
	root = &fm->elements[0];
	if (!root->has_num_children || root->num_children < 0)
		return pq_corrupt(e, "invalid Parquet schema: root element is not a group");

	for (size_t i = 1; i < fm->num_elements; i++)
	{
		const SchemaElement *el = &fm->elements[i];
		bool		nested = false;

		if (!el->has_type || (el->has_num_children && el->num_children > 0))
			nested = true;
		else if (el->has_repetition && el->repetition == PQ_REPEATED)
			nested = true;
		else if (el->has_converted_type &&
				 (el->converted_type == PQ_CT_LIST || el->converted_type == PQ_CT_MAP ||
				  el->converted_type == PQ_CT_MAP_KEY_VALUE))
			nested = true;
		else if (el->logical_type == PQ_LT_LIST || el->logical_type == PQ_LT_MAP)
			nested = true;
		if (nested)
			return pq_fail(e, PARQUET_ERROR_NESTED,
						   "nested Parquet types are not supported: column %s", el->name);
	}

	nleaves = fm->num_elements - 1;
	if ((size_t) root->num_children != nleaves)
		return pq_corrupt(e, "invalid Parquet schema: root has %d children but %zu columns follow",
						  (int) root->num_children, nleaves);

	reader->columns = arena_alloc(&reader->arena, e, nleaves, sizeof(ParquetColumnSchema));
	if (reader->columns == NULL)
		return false;
	for (size_t i = 0; i < nleaves; i++)
	{
		const SchemaElement *el = &fm->elements[i + 1];
		ParquetColumnSchema *col = &reader->columns[i];

		col->name = el->name;
		if (el->type < PQ_BOOLEAN || el->type > PQ_FIXED_LEN_BYTE_ARRAY)
			return pq_corrupt(e, "invalid Parquet schema: column \"%s\" has physical type %d",
							  el->name, (int) el->type);
		col->physical_type = (ParquetType) el->type;
		if (el->has_repetition && el->repetition != PQ_REQUIRED && el->repetition != PQ_OPTIONAL)
			return pq_corrupt(e, "invalid Parquet schema: column \"%s\" has repetition %d",
							  el->name, (int) el->repetition);
		col->repetition = el->has_repetition ? (ParquetRepetition) el->repetition : PQ_REQUIRED;
		col->max_definition_level = (col->repetition == PQ_OPTIONAL) ? 1 : 0;
		col->type_length = -1;
		if (col->physical_type == PQ_FIXED_LEN_BYTE_ARRAY)
		{
			if (el->type_length <= 0)
				return pq_corrupt(e, "invalid Parquet schema: column \"%s\" has FIXED_LEN_BYTE_ARRAY length %d",
								  el->name, (int) el->type_length);
			col->type_length = el->type_length;
		}
		else if (col->physical_type == PQ_INT96)
			col->type_length = 12;
		col->has_field_id = el->has_field_id;
		col->field_id = el->field_id;
		if (!schema_fill_annotations(el, col, e))
			return false;
	}

	reader->meta.root_name = root->name;
	reader->meta.num_columns = (int) nleaves;
	reader->meta.columns = reader->columns;
	return true;
}

/*
 * Parses and checks the FileMetaData bytes and fills reader->meta.  The
 * row groups must have one chunk per leaf, of the leaf's physical type.
 */
static bool
reader_load_footer(ParquetReader *reader, const uint8_t *meta, size_t meta_len, PqErr *e)
{
	ThriftReader tr;
	RawFileMeta fm;

	tr.pos = meta;
	tr.end = meta + meta_len;
	tr.depth = 0;
	tr.err = e;
	if (!parse_file_metadata(&tr, &reader->arena, &fm))
		return false;
	if (fm.encrypted)
		return pq_fail(e, PARQUET_ERROR_UNSUPPORTED, "encrypted Parquet files are not supported");
	if (!build_flat_schema(reader, &fm, e))
		return false;

	for (size_t g = 0; g < fm.num_row_groups; g++)
	{
		const ParquetRowGroup *rg = &fm.row_groups[g];

		if (rg->num_columns != reader->meta.num_columns)
			return pq_corrupt(e, "invalid Parquet metadata: row group %zu has %d columns, the schema %d",
							  g, rg->num_columns, reader->meta.num_columns);
		for (int c = 0; c < rg->num_columns; c++)
		{
			if (rg->columns[c].physical_type != reader->columns[c].physical_type)
				return pq_corrupt(e, "invalid Parquet metadata: column \"%s\" is %s in row group %zu but %s in the schema",
								  reader->columns[c].name,
								  parquet_type_name(rg->columns[c].physical_type), g,
								  parquet_type_name(reader->columns[c].physical_type));
		}
	}

	reader->meta.version = fm.version;
	reader->meta.num_rows = fm.num_rows;
	reader->meta.created_by = fm.created_by;
	reader->meta.num_row_groups = (int) fm.num_row_groups;
	reader->meta.row_groups = fm.row_groups;
	reader->meta.num_key_values = (int) fm.num_key_values;
	reader->meta.key_values = fm.key_values;
	return true;
}

/*
 * Checks the 8-byte tail ("<metadata length> PAR1") and returns where the
 * FileMetaData starts and how long it is.
 */
static bool
check_tail(const ParquetReader *reader, const uint8_t *tail, uint64_t file_size,
		   uint64_t *meta_offset, size_t *meta_len, PqErr *e)
{
	uint32_t	len;

	if (memcmp(tail + 4, "PARE", 4) == 0)
		return pq_fail(e, PARQUET_ERROR_UNSUPPORTED, "encrypted Parquet files are not supported");
	if (memcmp(tail + 4, PARQUET_MAGIC, PARQUET_MAGIC_LEN) != 0)
		return pq_corrupt(e, "not a Parquet file: missing the trailing \"PAR1\" magic");
	len = load_le32(tail);
	if ((uint64_t) len > file_size - 12)
		return pq_corrupt(e, "invalid Parquet file: metadata length %u exceeds the file size %llu",
						  len, (unsigned long long) file_size);
	if (len > reader->options.max_metadata_bytes)
		return pq_fail(e, PARQUET_ERROR_LIMIT, "Parquet metadata of %u bytes exceeds the limit of %zu bytes",
					   len, reader->options.max_metadata_bytes);
	if (len == 0)
		return pq_corrupt(e, "invalid Parquet file: empty metadata");
	*meta_offset = file_size - 8 - len;
	*meta_len = len;
	return true;
}

/* Allocates a reader with the options (or defaults) and no source yet. */
static ParquetReader *
reader_create(const ParquetReaderOptions *options, PqErr *e)
{
	ParquetReader *reader = pq_calloc(e, 1, sizeof(ParquetReader));

	if (reader == NULL)
		return NULL;
	if (options != NULL)
		reader->options = *options;
	else
		parquet_reader_default_options(&reader->options);
	reader->fd = -1;
	return reader;
}

/* See parquet_read.h. */
ParquetStatus
parquet_reader_open_memory(const uint8_t *data, size_t len,
						   const ParquetReaderOptions *options,
						   ParquetReader **out, char *err, size_t errlen)
{
	PqErr		e = {PARQUET_OK, err, errlen};
	ParquetReader *reader;
	uint64_t	meta_offset;
	size_t		meta_len;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL)
	{
		pq_fail(&e, PARQUET_ERROR_ARGUMENT, "no reader pointer given");
		return e.status;
	}
	*out = NULL;
	if (data == NULL && len > 0)
	{
		pq_fail(&e, PARQUET_ERROR_ARGUMENT, "no data given");
		return e.status;
	}
	if (len < 12)
	{
		pq_corrupt(&e, "not a Parquet file: %zu bytes is too small", len);
		return e.status;
	}
	if (memcmp(data, PARQUET_MAGIC, PARQUET_MAGIC_LEN) != 0)
	{
		pq_corrupt(&e, "not a Parquet file: missing the leading \"PAR1\" magic");
		return e.status;
	}
	reader = reader_create(options, &e);
	if (reader == NULL)
		return e.status;
	reader->data = data;
	reader->file_size = len;
	if (!check_tail(reader, data + len - 8, len, &meta_offset, &meta_len, &e) ||
		!reader_load_footer(reader, data + meta_offset, meta_len, &e))
	{
		parquet_reader_close(reader);
		return e.status;
	}
	reader->metadata_offset = meta_offset;
	*out = reader;
	return PARQUET_OK;
}

/* pread(2) of exactly len bytes at offset, retrying short reads. */
static bool
pread_fully(int fd, uint8_t *buf, size_t len, uint64_t offset, PqErr *e)
{
	while (len > 0)
	{
		ssize_t		n;

		if (offset > (uint64_t) INT64_MAX)
			return pq_fail(e, PARQUET_ERROR_IO, "read offset out of range");
		n = pread(fd, buf, len > (size_t) INT_MAX ? (size_t) INT_MAX : len, (off_t) offset);
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return pq_fail(e, PARQUET_ERROR_IO, "could not read Parquet file: %s", strerror(errno));
		}
		if (n == 0)
			return pq_fail(e, PARQUET_ERROR_IO, "could not read Parquet file: unexpected end of file");
		buf += n;
		len -= (size_t) n;
		offset += (uint64_t) n;
	}
	return true;
}

/* Opens through fd; owns_fd says whether close() closes it. */
static ParquetStatus
reader_open_fd(int fd, bool owns_fd, const ParquetReaderOptions *options,
			   ParquetReader **out, char *err, size_t errlen)
{
	PqErr		e = {PARQUET_OK, err, errlen};
	ParquetReader *reader;
	struct stat st;
	uint8_t		head[PARQUET_MAGIC_LEN];
	uint8_t		tail[8];
	uint64_t	meta_offset;
	size_t		meta_len;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL)
	{
		pq_fail(&e, PARQUET_ERROR_ARGUMENT, "no reader pointer given");
		if (owns_fd)
			close(fd);
		return e.status;
	}
	*out = NULL;
	reader = reader_create(options, &e);
	if (reader == NULL)
	{
		if (owns_fd)
			close(fd);
		return e.status;
	}
	reader->fd = fd;
	reader->owns_fd = owns_fd;
	if (fstat(fd, &st) != 0)
	{
		pq_fail(&e, PARQUET_ERROR_IO, "could not stat Parquet file: %s", strerror(errno));
		goto fail;
	}
	if (st.st_size < 12)
	{
		pq_corrupt(&e, "not a Parquet file: %lld bytes is too small", (long long) st.st_size);
		goto fail;
	}
	reader->file_size = (uint64_t) st.st_size;
	if (!pread_fully(fd, head, sizeof(head), 0, &e) ||
		!pread_fully(fd, tail, sizeof(tail), reader->file_size - 8, &e))
		goto fail;
	if (memcmp(head, PARQUET_MAGIC, PARQUET_MAGIC_LEN) != 0)
	{
		pq_corrupt(&e, "not a Parquet file: missing the leading \"PAR1\" magic");
		goto fail;
	}
	if (!check_tail(reader, tail, reader->file_size, &meta_offset, &meta_len, &e))
		goto fail;
	reader->footer = pq_malloc(&e, meta_len);
	if (reader->footer == NULL ||
		!pread_fully(fd, reader->footer, meta_len, meta_offset, &e) ||
		!reader_load_footer(reader, reader->footer, meta_len, &e))
		goto fail;
	reader->metadata_offset = meta_offset;
	*out = reader;
	return PARQUET_OK;

fail:
	parquet_reader_close(reader);
	return e.status;
}

/* See parquet_read.h. */
ParquetStatus
parquet_reader_open_fd(int fd, const ParquetReaderOptions *options,
					   ParquetReader **out, char *err, size_t errlen)
{
	return reader_open_fd(fd, false, options, out, err, errlen);
}

/* See parquet_read.h. */
ParquetStatus
parquet_reader_open_file(const char *path, const ParquetReaderOptions *options,
						 ParquetReader **out, char *err, size_t errlen)
{
	int			fd;

	if (out != NULL)
		*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "could not open Parquet file \"%s\": %s", path, strerror(errno));
		return PARQUET_ERROR_IO;
	}
	return reader_open_fd(fd, true, options, out, err, errlen);
}

/* See parquet_read.h. */
void
parquet_reader_close(ParquetReader *reader)
{
	if (reader == NULL)
		return;
	if (reader->owns_fd && reader->fd >= 0)
		close(reader->fd);
	if (reader->zstd != NULL)
		ZSTD_freeDCtx(reader->zstd);
	free(reader->footer);
	arena_free(&reader->arena);
	free(reader);
}

/* See parquet_read.h. */
const ParquetFileMeta *
parquet_reader_metadata(const ParquetReader *reader)
{
	return reader != NULL ? &reader->meta : NULL;
}

/* See parquet_read.h. */
int
parquet_reader_find_column(const ParquetReader *reader, const char *name)
{
	if (reader == NULL || name == NULL)
		return -1;
	for (int i = 0; i < reader->meta.num_columns; i++)
	{
		if (strcmp(reader->columns[i].name, name) == 0)
			return i;
	}
	return -1;
}

/* ----------------------------------------------------------------
 * Codecs
 * ----------------------------------------------------------------
 */

/*
 * Snappy raw-format decompression (the block format Parquet uses, not the
 * framing format): a varint uncompressed length, then literal and copy
 * elements.  Written from the format description; every literal and copy
 * is bounds-checked against both buffers.
 */
static bool
snappy_decompress(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, PqErr *e)
{
	const uint8_t *ip = src;
	const uint8_t *end = src + srclen;
	uint64_t	ulen = 0;
	int			shift = 0;
	size_t		op = 0;

	for (;;)
	{
		uint8_t		b;

		if (ip >= end)
			return pq_corrupt(e, "invalid snappy data: truncated length");
		b = *ip++;
		ulen |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			break;
		shift += 7;
		if (shift > 28)
			return pq_corrupt(e, "invalid snappy data: length varint too long");
	}
	if (ulen != dstlen)
		return pq_corrupt(e, "invalid snappy data: %llu uncompressed bytes, the page says %zu",
						  (unsigned long long) ulen, dstlen);
	while (ip < end)
	{
		uint8_t		tag = *ip++;
		uint64_t	len;
		uint64_t	offset;

		if ((tag & 3) == 0)
		{
			len = tag >> 2;
			if (len >= 60)
			{
				size_t		nb = (size_t) (len - 59);

				if ((size_t) (end - ip) < nb)
					return pq_corrupt(e, "invalid snappy data: truncated literal length");
				len = 0;
				for (size_t i = 0; i < nb; i++)
					len |= (uint64_t) ip[i] << (8 * i);
				ip += nb;
			}
			len += 1;
			if ((uint64_t) (end - ip) < len || (uint64_t) (dstlen - op) < len)
				return pq_corrupt(e, "invalid snappy data: literal overruns a buffer");
			memcpy(dst + op, ip, (size_t) len);
			ip += len;
			op += (size_t) len;
			continue;
		}
		switch (tag & 3)
		{
			case 1:
				if (end - ip < 1)
					return pq_corrupt(e, "invalid snappy data: truncated copy");
				len = ((tag >> 2) & 7) + 4;
				offset = ((uint64_t) (tag >> 5) << 8) | ip[0];
				ip += 1;
				break;
			case 2:
				if (end - ip < 2)
					return pq_corrupt(e, "invalid snappy data: truncated copy");
				len = (uint64_t) (tag >> 2) + 1;
				offset = (uint64_t) ip[0] | ((uint64_t) ip[1] << 8);
				ip += 2;
				break;
			default:
				if (end - ip < 4)
					return pq_corrupt(e, "invalid snappy data: truncated copy");
				len = (uint64_t) (tag >> 2) + 1;
				offset = load_le32(ip);
				ip += 4;
				break;
		}
		if (offset == 0 || offset > op || (uint64_t) (dstlen - op) < len)
			return pq_corrupt(e, "invalid snappy data: copy out of range");
		for (size_t i = 0; i < len; i++)
			dst[op + i] = dst[op - offset + i];
		op += (size_t) len;
	}
	if (op != dstlen)
		return pq_corrupt(e, "invalid snappy data: %zu bytes decompressed, expected %zu", op, dstlen);
	return true;
}

/*
 * The deprecated LZ4 codec (5) as Hadoop writes it: blocks of a big-endian
 * uncompressed length followed by one or more (big-endian compressed
 * length, raw LZ4 block) chunks.  Returns false without an error message
 * when the data does not parse this way, so the caller can try others.
 */
static bool
lz4_hadoop_decompress(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen)
{
	size_t		ip = 0;
	size_t		op = 0;

	while (ip < srclen)
	{
		uint32_t	block_raw;
		size_t		block_end;

		if (srclen - ip < 8)
			return false;
		block_raw = load_be32(src + ip);
		ip += 4;
		if (block_raw > dstlen - op)
			return false;
		block_end = op + block_raw;
		while (op < block_end)
		{
			uint32_t	clen;
			int			n;

			if (srclen - ip < 4)
				return false;
			clen = load_be32(src + ip);
			ip += 4;
			if (clen > srclen - ip || clen > INT_MAX)
				return false;
			n = LZ4_decompress_safe((const char *) src + ip, (char *) dst + op,
									(int) clen, (int) (block_end - op));
			if (n <= 0)
				return false;
			ip += clen;
			op += (size_t) n;
		}
	}
	return op == dstlen;
}

/* An LZ4 frame (magic 0x184D2204), which some old writers used for codec 5. */
static bool
lz4_frame_decompress(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen)
{
	LZ4F_dctx  *ctx;
	size_t		ip = 0;
	size_t		op = 0;
	bool		ok = false;

	if (srclen < 4 || load_le32(src) != 0x184D2204)
		return false;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
		return false;
	for (;;)
	{
		size_t		in = srclen - ip;
		size_t		outsz = dstlen - op;
		size_t		r = LZ4F_decompress(ctx, dst + op, &outsz, src + ip, &in, NULL);

		if (LZ4F_isError(r))
			break;
		ip += in;
		op += outsz;
		if (r == 0 && ip == srclen)
		{
			ok = (op == dstlen);
			break;
		}
		if (in == 0 && outsz == 0)
			break;
	}
	LZ4F_freeDecompressionContext(ctx);
	return ok;
}

/*
 * Decompresses one page (or the values section of a v2 page) into dst,
 * which must be exactly the uncompressed size the page header states.
 */
static bool
decompress_page(ParquetReader *reader, int32_t codec, const uint8_t *src, size_t srclen,
				uint8_t *dst, size_t dstlen, PqErr *e)
{
	size_t		r;
	int			n;

	switch (codec)
	{
		case PQ_CODEC_UNCOMPRESSED:
			if (srclen != dstlen)
				return pq_corrupt(e, "uncompressed page of %zu bytes says it has %zu", srclen, dstlen);
			memcpy(dst, src, srclen);
			return true;
		case PQ_CODEC_SNAPPY:
			return snappy_decompress(src, srclen, dst, dstlen, e);
		case PQ_CODEC_ZSTD:
			if (reader->zstd == NULL)
			{
				reader->zstd = ZSTD_createDCtx();
				if (reader->zstd == NULL)
					return pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory creating a zstd context");
			}
			r = ZSTD_decompressDCtx(reader->zstd, dst, dstlen, src, srclen);
			if (ZSTD_isError(r))
				return pq_corrupt(e, "invalid zstd data: %s", ZSTD_getErrorName(r));
			if (r != dstlen)
				return pq_corrupt(e, "invalid zstd data: %zu bytes decompressed, expected %zu", r, dstlen);
			return true;
		case PQ_CODEC_LZ4_RAW:
			if (srclen > INT_MAX || dstlen > INT_MAX)
				return pq_fail(e, PARQUET_ERROR_LIMIT, "LZ4 page too large");
			n = LZ4_decompress_safe((const char *) src, (char *) dst, (int) srclen, (int) dstlen);
			if (n < 0 || (size_t) n != dstlen)
				return pq_corrupt(e, "invalid LZ4 data");
			return true;
		case PQ_CODEC_LZ4:
			if (srclen > INT_MAX || dstlen > INT_MAX)
				return pq_fail(e, PARQUET_ERROR_LIMIT, "LZ4 page too large");
			if (lz4_hadoop_decompress(src, srclen, dst, dstlen))
				return true;
			n = LZ4_decompress_safe((const char *) src, (char *) dst, (int) srclen, (int) dstlen);
			if (n >= 0 && (size_t) n == dstlen)
				return true;
			if (lz4_frame_decompress(src, srclen, dst, dstlen))
				return true;
			return pq_corrupt(e, "invalid LZ4 data (neither Hadoop-framed, raw nor framed LZ4)");
		default:
			return pq_fail(e, PARQUET_ERROR_UNSUPPORTED, "unsupported Parquet compression codec %s (%d)",
						   parquet_codec_name(codec), (int) codec);
	}
}

/* ----------------------------------------------------------------
 * Levels and values
 * ----------------------------------------------------------------
 */

/*
 * Reads bit_width (0..64) bits starting at bit bitpos, least significant
 * bit first, as Parquet packs them.  The caller guarantees the bytes up to
 * bit bitpos + bit_width exist.
 */
static inline uint64_t
unpack_bits(const uint8_t *buf, uint64_t bitpos, int bit_width)
{
	uint64_t	v = 0;
	int			got = 0;
	size_t		byte = (size_t) (bitpos >> 3);
	int			shift = (int) (bitpos & 7);

	while (got < bit_width)
	{
		uint64_t	b = (uint64_t) (buf[byte++] >> shift);

		v |= b << got;
		got += 8 - shift;
		shift = 0;
	}
	if (bit_width < 64)
		v &= (UINT64_C(1) << bit_width) - 1;
	return v;
}

/* ULEB128 varint from a byte cursor, for the page-level encodings. */
static bool
read_uleb(const uint8_t **pos, const uint8_t *end, uint64_t *out, PqErr *e)
{
	uint64_t	result = 0;
	int			shift = 0;

	for (;;)
	{
		uint8_t		b;

		if (*pos >= end)
			return pq_corrupt(e, "truncated varint in page data");
		b = *(*pos)++;
		if (shift == 63 && (b & 0x7e) != 0)
			return pq_corrupt(e, "varint overflows 64 bits in page data");
		result |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			break;
		shift += 7;
		if (shift > 63)
			return pq_corrupt(e, "varint too long in page data");
	}
	*out = result;
	return true;
}

/*
 * Decodes count values of the RLE/bit-packed hybrid encoding (definition
 * levels, dictionary indices, RLE booleans) with bit_width 0..32.  A final
 * bit-packed run may be cut short by the writer as long as the values we
 * need are there.  Values wider than bit_width in RLE runs are corrupt.
 */
static bool
rle_hybrid_decode(const uint8_t *p, size_t len, int bit_width,
				  uint32_t *out, size_t count, PqErr *e)
{
	const uint8_t *end = p + len;
	size_t		done = 0;
	size_t		value_bytes = (size_t) (bit_width + 7) / 8;

	if (bit_width < 0 || bit_width > 32)
		return pq_corrupt(e, "invalid RLE bit width %d", bit_width);
	while (done < count)
	{
		uint64_t	header;

		if (!read_uleb(&p, end, &header, e))
			return pq_corrupt(e, "RLE data ends after %zu of %zu values", done, count);
		if ((header & 1) == 0)
		{
			uint64_t	run = header >> 1;
			uint32_t	v = 0;
			size_t		n;

			if ((size_t) (end - p) < value_bytes)
				return pq_corrupt(e, "truncated RLE run");
			for (size_t i = 0; i < value_bytes; i++)
				v |= (uint32_t) p[i] << (8 * i);
			p += value_bytes;
			if (bit_width < 32 && (v >> bit_width) != 0)
				return pq_corrupt(e, "RLE value %u exceeds bit width %d", v, bit_width);
			n = (run < (uint64_t) (count - done)) ? (size_t) run : count - done;
			for (size_t i = 0; i < n; i++)
				out[done++] = v;
		}
		else
		{
			uint64_t	groups = header >> 1;
			uint64_t	nvals;
			size_t		take;
			uint64_t	need;
			uint64_t	run_bytes;

			if (groups > (UINT64_MAX >> 8))
				return pq_corrupt(e, "bit-packed run too long");
			nvals = groups * 8;
			take = (nvals < (uint64_t) (count - done)) ? (size_t) nvals : count - done;
			need = ((uint64_t) take * (uint64_t) bit_width + 7) / 8;
			if (need > (uint64_t) (end - p))
				return pq_corrupt(e, "truncated bit-packed run");
			for (size_t k = 0; k < take; k++)
				out[done++] = (uint32_t) unpack_bits(p, (uint64_t) k * (uint64_t) bit_width, bit_width);
			run_bytes = groups * (uint64_t) bit_width;
			p += (run_bytes < (uint64_t) (end - p)) ? (size_t) run_bytes : (size_t) (end - p);
		}
	}
	return true;
}

/*
 * Decodes a DELTA_BINARY_PACKED stream that must hold exactly count values,
 * into out as 64-bit two's complement (wrapping, as the encoding is
 * defined; INT32 callers truncate).  *consumed is the stream's length, so
 * that the length-prefixed byte-array encodings can find what follows.
 */
static bool
delta_binary_decode(const uint8_t *p, size_t len, uint64_t *out, size_t count,
					size_t *consumed, PqErr *e)
{
	const uint8_t *pos = p;
	const uint8_t *end = p + len;
	uint64_t	block_size;
	uint64_t	mini_count;
	uint64_t	per_mini;
	uint64_t	total;
	uint64_t	first;
	uint64_t	value;
	size_t		done;

	if (!read_uleb(&pos, end, &block_size, e) ||
		!read_uleb(&pos, end, &mini_count, e) ||
		!read_uleb(&pos, end, &total, e) ||
		!read_uleb(&pos, end, &first, e))
		return false;
	if (block_size == 0 || block_size % 128 != 0 || block_size > (UINT64_C(1) << 24))
		return pq_corrupt(e, "invalid DELTA_BINARY_PACKED block size %llu", (unsigned long long) block_size);
	if (mini_count == 0 || block_size % mini_count != 0 ||
		(block_size / mini_count) % 32 != 0)
		return pq_corrupt(e, "invalid DELTA_BINARY_PACKED miniblock count %llu", (unsigned long long) mini_count);
	per_mini = block_size / mini_count;
	if (total != (uint64_t) count)
		return pq_corrupt(e, "DELTA_BINARY_PACKED data has %llu values, expected %zu",
						  (unsigned long long) total, count);
	if (count == 0)
	{
		*consumed = (size_t) (pos - p);
		return true;
	}
	value = (uint64_t) zigzag_decode(first);
	out[0] = value;
	done = 1;
	while (done < count)
	{
		uint64_t	zz;
		uint64_t	min_delta;
		const uint8_t *widths;

		if (!read_uleb(&pos, end, &zz, e))
			return false;
		min_delta = (uint64_t) zigzag_decode(zz);
		if ((uint64_t) (end - pos) < mini_count)
			return pq_corrupt(e, "truncated DELTA_BINARY_PACKED block");
		widths = pos;
		pos += mini_count;
		for (uint64_t m = 0; m < mini_count && done < count; m++)
		{
			int			bw = widths[m];
			size_t		take;
			uint64_t	need;
			uint64_t	full;

			if (bw > 64)
				return pq_corrupt(e, "invalid DELTA_BINARY_PACKED bit width %d", bw);
			take = (per_mini < (uint64_t) (count - done)) ? (size_t) per_mini : count - done;
			need = ((uint64_t) take * (uint64_t) bw + 7) / 8;
			if (need > (uint64_t) (end - pos))
				return pq_corrupt(e, "truncated DELTA_BINARY_PACKED miniblock");
			for (size_t k = 0; k < take; k++)
			{
				value += min_delta + unpack_bits(pos, (uint64_t) k * (uint64_t) bw, bw);
				out[done++] = value;
			}
			full = per_mini * (uint64_t) bw / 8;
			pos += (full < (uint64_t) (end - pos)) ? (size_t) full : (size_t) (end - pos);
		}
	}
	*consumed = (size_t) (pos - p);
	return true;
}

/*
 * Converts an INT96 timestamp (8 bytes of nanoseconds within the day, then
 * a 4-byte Julian day, both little-endian) to microseconds since the Unix
 * epoch, rejecting values that do not fit int64.
 */
static bool
int96_to_micros(const uint8_t *p, int64_t *out, PqErr *e)
{
	uint64_t	nanos_bits = load_le64(p);
	uint32_t	day_bits = load_le32(p + 8);
	int64_t		nanos;
	int32_t		julian;
	int64_t		days;

	memcpy(&nanos, &nanos_bits, sizeof(nanos));
	memcpy(&julian, &day_bits, sizeof(julian));
	days = (int64_t) julian - JULIAN_DAY_OF_UNIX_EPOCH;
	/* +-50M days keeps |days * USECS_PER_DAY| < 2^62; |nanos / 1000| < 2^54 */
	if (days > INT64_C(50000000) || days < -INT64_C(50000000))
		return pq_corrupt(e, "INT96 timestamp out of range");
	*out = days * USECS_PER_DAY + nanos / 1000;
	return true;
}

/* ----------------------------------------------------------------
 * Column chunk decoding
 * ----------------------------------------------------------------
 */

/* State of one column chunk being decoded. */
typedef struct ChunkDecoder
{
	ParquetReader *reader;
	const ParquetColumnSchema *col;
	const ParquetColumnChunk *cc;
	ParquetColumnValues *out;
	PqErr	   *e;
	int64_t		rows_total;		/* rows of the row group */
	int64_t		rows_done;
	int64_t		capacity;		/* of out->values / out->is_null */
	bool		has_dict;
	ParquetValue *dict;
	size_t		dict_count;
	uint32_t   *levels;			/* definition levels of the current page */
	size_t		levels_cap;
	uint32_t   *indices;		/* dictionary indices of the current page */
	size_t		indices_cap;
	uint64_t   *deltas;			/* DELTA_* scratch */
	size_t		deltas_cap;
	uint8_t    *page_buf;		/* decompressed page not referenced by values */
	uint8_t    *chunk_buf;		/* the chunk as read from a file descriptor */
	bool		chunk_referenced;	/* values point into chunk_buf */
} ChunkDecoder;

/*
 * Hands a buffer that decoded byte-array values point into to the output,
 * which frees it with the values.  On failure the buffer is freed here.
 */
static bool
values_keep_buffer(ParquetColumnValues *out, void *buf, PqErr *e)
{
	if (out->num_buffers == out->max_buffers)
	{
		int			newmax = out->max_buffers == 0 ? 8 : out->max_buffers * 2;
		void	  **nb;

		if (out->max_buffers > INT_MAX / 4)
		{
			free(buf);
			return pq_fail(e, PARQUET_ERROR_LIMIT, "too many pages in a column chunk");
		}
		nb = realloc(out->buffers, sizeof(void *) * (size_t) newmax);
		if (nb == NULL)
		{
			free(buf);
			return pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory");
		}
		out->buffers = nb;
		out->max_buffers = newmax;
	}
	out->buffers[out->num_buffers++] = buf;
	return true;
}

/* Grows a scratch array to hold n elements of elem_size bytes. */
static bool
scratch_reserve(void **buf, size_t *cap, size_t n, size_t elem_size, PqErr *e)
{
	void	   *nb;

	if (n <= *cap)
		return true;
	if (n > SIZE_MAX / elem_size)
		return pq_fail(e, PARQUET_ERROR_NOMEM, "scratch allocation overflows");
	nb = realloc(*buf, n * elem_size);
	if (nb == NULL)
		return pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory allocating %zu bytes", n * elem_size);
	*buf = nb;
	*cap = n;
	return true;
}

/* Minimum PLAIN size of one value in bits, to bound counts by data. */
static uint64_t
plain_min_bits(const ParquetColumnSchema *col)
{
	switch (col->physical_type)
	{
		case PQ_BOOLEAN:
			return 1;
		case PQ_INT32:
		case PQ_FLOAT:
		case PQ_BYTE_ARRAY:
			return 32;
		case PQ_INT64:
		case PQ_DOUBLE:
			return 64;
		case PQ_INT96:
			return 96;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			return (uint64_t) col->type_length * 8;
	}
	return 8;
}

/*
 * Decodes count PLAIN values of the column's physical type from [p, p+len)
 * into dst.  Byte arrays point into p, which the caller keeps alive.
 */
static bool
decode_plain(ChunkDecoder *cd, const uint8_t *p, size_t len, ParquetValue *dst, size_t count)
{
	const ParquetColumnSchema *col = cd->col;
	size_t		i;

	if ((uint64_t) count > ((uint64_t) len * 8) / plain_min_bits(col))
		return pq_corrupt(cd->e, "PLAIN data of %zu bytes cannot hold %zu %s values",
						  len, count, parquet_type_name(col->physical_type));
	switch (col->physical_type)
	{
		case PQ_BOOLEAN:
			for (i = 0; i < count; i++)
				dst[i].boolean = (p[i >> 3] >> (i & 7)) & 1;
			break;
		case PQ_INT32:
			for (i = 0; i < count; i++)
			{
				uint32_t	u = load_le32(p + 4 * i);

				memcpy(&dst[i].int32, &u, 4);
			}
			break;
		case PQ_FLOAT:
			for (i = 0; i < count; i++)
			{
				uint32_t	u = load_le32(p + 4 * i);

				memcpy(&dst[i].float4, &u, 4);
			}
			break;
		case PQ_INT64:
			for (i = 0; i < count; i++)
			{
				uint64_t	u = load_le64(p + 8 * i);

				memcpy(&dst[i].int64, &u, 8);
			}
			break;
		case PQ_DOUBLE:
			for (i = 0; i < count; i++)
			{
				uint64_t	u = load_le64(p + 8 * i);

				memcpy(&dst[i].float8, &u, 8);
			}
			break;
		case PQ_INT96:
			for (i = 0; i < count; i++)
			{
				if (!int96_to_micros(p + 12 * i, &dst[i].int64, cd->e))
					return false;
			}
			break;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			for (i = 0; i < count; i++)
			{
				dst[i].bytes.ptr = p + (size_t) col->type_length * i;
				dst[i].bytes.len = (uint32_t) col->type_length;
			}
			break;
		case PQ_BYTE_ARRAY:
			{
				size_t		pos = 0;

				for (i = 0; i < count; i++)
				{
					uint32_t	l;

					if (len - pos < 4)
						return pq_corrupt(cd->e, "PLAIN byte array data ends after %zu of %zu values", i, count);
					l = load_le32(p + pos);
					pos += 4;
					if (l > len - pos)
						return pq_corrupt(cd->e, "PLAIN byte array of %u bytes overruns the page", l);
					dst[i].bytes.ptr = p + pos;
					dst[i].bytes.len = l;
					pos += l;
				}
				break;
			}
	}
	return true;
}

/* Dictionary indices (a bit-width byte, then RLE/bit-packed) to values. */
static bool
decode_dictionary_indices(ChunkDecoder *cd, const uint8_t *p, size_t len,
						  ParquetValue *dst, size_t count)
{
	int			bit_width;

	if (count == 0)
		return true;
	if (!cd->has_dict)
		return pq_corrupt(cd->e, "dictionary-encoded page without a dictionary page");
	if (len < 1)
		return pq_corrupt(cd->e, "dictionary-encoded page without a bit width");
	bit_width = p[0];
	if (bit_width > 32)
		return pq_corrupt(cd->e, "invalid dictionary index bit width %d", bit_width);
	if (!scratch_reserve((void **) &cd->indices, &cd->indices_cap, count, sizeof(uint32_t), cd->e) ||
		!rle_hybrid_decode(p + 1, len - 1, bit_width, cd->indices, count, cd->e))
		return false;
	for (size_t i = 0; i < count; i++)
	{
		if (cd->indices[i] >= cd->dict_count)
			return pq_corrupt(cd->e, "dictionary index %u out of range (dictionary has %zu values)",
							  cd->indices[i], cd->dict_count);
		dst[i] = cd->dict[cd->indices[i]];
	}
	return true;
}

/* RLE-encoded booleans: a 4-byte length, then RLE/bit-packed of width 1. */
static bool
decode_rle_booleans(ChunkDecoder *cd, const uint8_t *p, size_t len,
					ParquetValue *dst, size_t count)
{
	uint32_t	l;

	if (count == 0)
		return true;
	if (len < 4)
		return pq_corrupt(cd->e, "truncated RLE boolean data");
	l = load_le32(p);
	if (l > len - 4)
		return pq_corrupt(cd->e, "RLE boolean length %u overruns the page", l);
	if (!scratch_reserve((void **) &cd->indices, &cd->indices_cap, count, sizeof(uint32_t), cd->e) ||
		!rle_hybrid_decode(p + 4, l, 1, cd->indices, count, cd->e))
		return false;
	for (size_t i = 0; i < count; i++)
		dst[i].boolean = cd->indices[i] != 0;
	return true;
}

/* DELTA_BINARY_PACKED INT32/INT64 values. */
static bool
decode_delta_integers(ChunkDecoder *cd, const uint8_t *p, size_t len,
					  ParquetValue *dst, size_t count)
{
	size_t		consumed;

	if (!scratch_reserve((void **) &cd->deltas, &cd->deltas_cap, count, sizeof(uint64_t), cd->e) ||
		!delta_binary_decode(p, len, cd->deltas, count, &consumed, cd->e))
		return false;
	for (size_t i = 0; i < count; i++)
	{
		if (cd->col->physical_type == PQ_INT32)
		{
			uint32_t	u = (uint32_t) cd->deltas[i];

			memcpy(&dst[i].int32, &u, 4);
		}
		else
			memcpy(&dst[i].int64, &cd->deltas[i], 8);
	}
	return true;
}

/*
 * DELTA_LENGTH_BYTE_ARRAY: delta-encoded lengths, then the concatenated
 * bytes.  Values point into p.
 */
static bool
decode_delta_length_byte_array(ChunkDecoder *cd, const uint8_t *p, size_t len,
							   ParquetValue *dst, size_t count)
{
	size_t		consumed;
	size_t		pos;

	if (!scratch_reserve((void **) &cd->deltas, &cd->deltas_cap, count, sizeof(uint64_t), cd->e) ||
		!delta_binary_decode(p, len, cd->deltas, count, &consumed, cd->e))
		return false;
	pos = consumed;
	for (size_t i = 0; i < count; i++)
	{
		uint64_t	l = cd->deltas[i];

		/* a negative length wraps to a huge one and fails here too */
		if (l > (uint64_t) (len - pos) || l > UINT32_MAX)
			return pq_corrupt(cd->e, "DELTA_LENGTH_BYTE_ARRAY length overruns the page");
		dst[i].bytes.ptr = p + pos;
		dst[i].bytes.len = (uint32_t) l;
		pos += (size_t) l;
	}
	return true;
}

/*
 * DELTA_BYTE_ARRAY (incremental/front coding): delta-encoded prefix
 * lengths, then DELTA_LENGTH_BYTE_ARRAY suffixes.  The values are rebuilt
 * into a new buffer whose total size is capped by max_page_bytes, since
 * prefix sharing lets a small page expand quadratically.
 */
static bool
decode_delta_byte_array(ChunkDecoder *cd, const uint8_t *p, size_t len,
						ParquetValue *dst, size_t count)
{
	uint64_t   *prefix;
	uint64_t   *suffix;
	size_t		consumed1;
	size_t		consumed2;
	size_t		pos;
	uint64_t	total = 0;
	uint64_t	prev_len = 0;
	uint8_t    *buf;
	size_t		out_pos = 0;
	const uint8_t *prev = NULL;

	if (count == 0)
		return true;
	if (count > SIZE_MAX / 2 ||
		!scratch_reserve((void **) &cd->deltas, &cd->deltas_cap, count * 2, sizeof(uint64_t), cd->e))
		return false;
	prefix = cd->deltas;
	suffix = cd->deltas + count;
	if (!delta_binary_decode(p, len, prefix, count, &consumed1, cd->e) ||
		!delta_binary_decode(p + consumed1, len - consumed1, suffix, count, &consumed2, cd->e))
		return false;
	pos = consumed1 + consumed2;

	/* validate and size first */
	{
		size_t		check_pos = pos;

		for (size_t i = 0; i < count; i++)
		{
			if (prefix[i] > prev_len)
				return pq_corrupt(cd->e, "DELTA_BYTE_ARRAY prefix longer than the previous value");
			if (suffix[i] > (uint64_t) (len - check_pos))
				return pq_corrupt(cd->e, "DELTA_BYTE_ARRAY suffix overruns the page");
			check_pos += (size_t) suffix[i];
			prev_len = prefix[i] + suffix[i];
			if (prev_len > UINT32_MAX)
				return pq_corrupt(cd->e, "DELTA_BYTE_ARRAY value too long");
			if (cd->col->physical_type == PQ_FIXED_LEN_BYTE_ARRAY &&
				prev_len != (uint64_t) cd->col->type_length)
				return pq_corrupt(cd->e, "DELTA_BYTE_ARRAY value of %llu bytes in a FIXED_LEN_BYTE_ARRAY(%d) column",
								  (unsigned long long) prev_len, (int) cd->col->type_length);
			total += prev_len;
			if (total > cd->reader->options.max_page_bytes)
				return pq_fail(cd->e, PARQUET_ERROR_LIMIT,
							   "DELTA_BYTE_ARRAY page expands beyond the limit of %zu bytes",
							   cd->reader->options.max_page_bytes);
		}
	}

	buf = pq_malloc(cd->e, (size_t) total);
	if (buf == NULL || !values_keep_buffer(cd->out, buf, cd->e))
		return false;
	for (size_t i = 0; i < count; i++)
	{
		uint8_t    *v = buf + out_pos;

		if (prefix[i] > 0)
			memmove(v, prev, (size_t) prefix[i]);
		if (suffix[i] > 0)
			memcpy(v + prefix[i], p + pos, (size_t) suffix[i]);
		pos += (size_t) suffix[i];
		dst[i].bytes.ptr = v;
		dst[i].bytes.len = (uint32_t) (prefix[i] + suffix[i]);
		out_pos += (size_t) (prefix[i] + suffix[i]);
		prev = v;
	}
	return true;
}

/*
 * BYTE_STREAM_SPLIT: byte k of value i is at p[k * count + i].  Numbers are
 * reassembled in place; FIXED_LEN_BYTE_ARRAY values into a new buffer.
 */
static bool
decode_byte_stream_split(ChunkDecoder *cd, const uint8_t *p, size_t len,
						 ParquetValue *dst, size_t count)
{
	size_t		width;
	uint8_t		tmp[8];

	switch (cd->col->physical_type)
	{
		case PQ_INT32:
		case PQ_FLOAT:
			width = 4;
			break;
		case PQ_INT64:
		case PQ_DOUBLE:
			width = 8;
			break;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			width = (size_t) cd->col->type_length;
			break;
		default:
			return pq_fail(cd->e, PARQUET_ERROR_UNSUPPORTED, "BYTE_STREAM_SPLIT is not valid for %s",
						   parquet_type_name(cd->col->physical_type));
	}
	if (count > len / width)
		return pq_corrupt(cd->e, "BYTE_STREAM_SPLIT data of %zu bytes cannot hold %zu values", len, count);
	if (cd->col->physical_type == PQ_FIXED_LEN_BYTE_ARRAY)
	{
		uint8_t    *buf = pq_malloc(cd->e, count * width);

		if (buf == NULL || !values_keep_buffer(cd->out, buf, cd->e))
			return false;
		for (size_t i = 0; i < count; i++)
		{
			for (size_t k = 0; k < width; k++)
				buf[i * width + k] = p[k * count + i];
			dst[i].bytes.ptr = buf + i * width;
			dst[i].bytes.len = (uint32_t) width;
		}
		return true;
	}
	for (size_t i = 0; i < count; i++)
	{
		for (size_t k = 0; k < width; k++)
			tmp[k] = p[k * count + i];
		if (width == 4)
		{
			uint32_t	u = load_le32(tmp);

			memcpy(&dst[i], &u, 4);
		}
		else
		{
			uint64_t	u = load_le64(tmp);

			memcpy(&dst[i], &u, 8);
		}
	}
	return true;
}

/* Dispatches the values section of a data page on its encoding. */
static bool
decode_values(ChunkDecoder *cd, int32_t encoding, const uint8_t *p, size_t len,
			  ParquetValue *dst, size_t count)
{
	ParquetType type = cd->col->physical_type;

	switch (encoding)
	{
		case PQ_ENC_PLAIN:
			return decode_plain(cd, p, len, dst, count);
		case PQ_ENC_PLAIN_DICTIONARY:
		case PQ_ENC_RLE_DICTIONARY:
			return decode_dictionary_indices(cd, p, len, dst, count);
		case PQ_ENC_RLE:
			if (type == PQ_BOOLEAN)
				return decode_rle_booleans(cd, p, len, dst, count);
			break;
		case PQ_ENC_DELTA_BINARY_PACKED:
			if (type == PQ_INT32 || type == PQ_INT64)
				return decode_delta_integers(cd, p, len, dst, count);
			break;
		case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
			if (type == PQ_BYTE_ARRAY)
				return decode_delta_length_byte_array(cd, p, len, dst, count);
			break;
		case PQ_ENC_DELTA_BYTE_ARRAY:
			if (type == PQ_BYTE_ARRAY || type == PQ_FIXED_LEN_BYTE_ARRAY)
				return decode_delta_byte_array(cd, p, len, dst, count);
			break;
		case PQ_ENC_BYTE_STREAM_SPLIT:
			return decode_byte_stream_split(cd, p, len, dst, count);
		default:
			break;
	}
	return pq_fail(cd->e, PARQUET_ERROR_UNSUPPORTED, "unsupported Parquet encoding %s (%d) for %s values",
				   parquet_encoding_name(encoding), (int) encoding, parquet_type_name(type));
}

/*
 * Makes room for n more rows in the output arrays, growing geometrically
 * but never past the row group's row count (which the caller checked
 * against the max_row_group_rows limit).
 */
static bool
reserve_rows(ChunkDecoder *cd, int64_t n)
{
	int64_t		need = cd->rows_done + n;
	int64_t		newcap;
	ParquetValue *values;
	bool	   *is_null;

	if (need <= cd->capacity)
		return true;
	newcap = cd->capacity < 1024 ? 1024 : cd->capacity * 2;
	if (newcap < need)
		newcap = need;
	if (newcap > cd->rows_total)
		newcap = cd->rows_total;
	values = realloc(cd->out->values, sizeof(ParquetValue) * (size_t) newcap);
	if (values == NULL)
		return pq_fail(cd->e, PARQUET_ERROR_NOMEM, "out of memory for %lld values", (long long) newcap);
	cd->out->values = values;
	is_null = realloc(cd->out->is_null, sizeof(bool) * (size_t) newcap);
	if (is_null == NULL)
		return pq_fail(cd->e, PARQUET_ERROR_NOMEM, "out of memory for %lld values", (long long) newcap);
	cd->out->is_null = is_null;
	cd->capacity = newcap;
	return true;
}

/*
 * Appends one data page's n rows: decodes the non-null values packed at
 * the start of the page's slots, then spreads them to their rows from the
 * back (levels == NULL means no nulls), zeroing the null slots.
 */
static bool
page_emit(ChunkDecoder *cd, int64_t n, const uint32_t *levels, int32_t encoding,
		  const uint8_t *p, size_t len)
{
	ParquetValue *dst;
	bool	   *nulls;
	size_t		present = (size_t) n;

	if (n > cd->rows_total - cd->rows_done)
		return pq_corrupt(cd->e, "pages hold more than the row group's %lld rows",
						  (long long) cd->rows_total);
	if (n == 0)
		return true;
	if (!reserve_rows(cd, n))
		return false;
	dst = cd->out->values + cd->rows_done;
	nulls = cd->out->is_null + cd->rows_done;
	if (levels != NULL)
	{
		present = 0;
		for (int64_t i = 0; i < n; i++)
			present += levels[i];
	}
	if (!decode_values(cd, encoding, p, len, dst, present))
		return false;
	if (levels == NULL)
		memset(nulls, 0, (size_t) n);
	else
	{
		size_t		next = present;

		for (int64_t i = n - 1; i >= 0; i--)
		{
			if (levels[i])
			{
				dst[i] = dst[--next];
				nulls[i] = false;
			}
			else
			{
				memset(&dst[i], 0, sizeof(ParquetValue));
				nulls[i] = true;
			}
		}
		cd->out->num_nulls += n - (int64_t) present;
	}
	cd->rows_done += n;
	cd->out->num_values = cd->rows_done;
	return true;
}

/* Parsed PageHeader and whichever sub-header it carries. */
typedef struct PageHeader
{
	int32_t		type;
	int32_t		uncompressed_size;
	int32_t		compressed_size;
	bool		has_data;
	bool		has_dict;
	bool		has_v2;
	int32_t		num_values;
	int32_t		encoding;
	int32_t		def_encoding;	/* v1 */
	int32_t		num_nulls;		/* v2 */
	int32_t		num_rows;		/* v2 */
	int32_t		def_length;		/* v2 */
	int32_t		rep_length;		/* v2 */
	bool		is_compressed;	/* v2 */
} PageHeader;

/*
 * Parses DataPageHeader (v1), DictionaryPageHeader and DataPageHeaderV2,
 * which differ only in which field id means what.
 */
static bool
parse_sub_header(ThriftReader *tr, PageHeader *ph, int which)
{
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;
	unsigned	seen = 0;

	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		int32_t    *target = NULL;
		bool		ok = true;

		if (id >= 1 && id <= 31)
			seen |= 1u << id;
		if (which == PQ_PAGE_DATA)
		{
			if (id == 1)
				target = &ph->num_values;
			else if (id == 2)
				target = &ph->encoding;
			else if (id == 3)
				target = &ph->def_encoding;
		}
		else if (which == PQ_PAGE_DICTIONARY)
		{
			if (id == 1)
				target = &ph->num_values;
			else if (id == 2)
				target = &ph->encoding;
		}
		else
		{
			if (id == 1)
				target = &ph->num_values;
			else if (id == 2)
				target = &ph->num_nulls;
			else if (id == 3)
				target = &ph->num_rows;
			else if (id == 4)
				target = &ph->encoding;
			else if (id == 5)
				target = &ph->def_length;
			else if (id == 6)
				target = &ph->rep_length;
			else if (id == 7)
				ok = thrift_read_bool(tr, type, &ph->is_compressed);
		}
		if (target != NULL)
			ok = thrift_read_i32(tr, type, target);
		else if (!(which == PQ_PAGE_DATA_V2 && id == 7))
			ok = thrift_skip_value(tr, type, false);
		if (!ok)
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	if ((seen & 6) != 6 || (which == PQ_PAGE_DATA_V2 && (seen & 0x7e) != 0x7e))
		return pq_corrupt(tr->err, "page header lacks a required field");
	if (ph->num_values < 0 || ph->num_nulls < 0 || ph->def_length < 0 || ph->rep_length < 0)
		return pq_corrupt(tr->err, "negative count or length in a page header");
	return true;
}

/* Parses a PageHeader at tr. */
static bool
parse_page_header(ThriftReader *tr, PageHeader *ph)
{
	int16_t		last_id = 0;
	int16_t		id;
	uint8_t		type;
	int			r;
	unsigned	seen = 0;

	memset(ph, 0, sizeof(*ph));
	ph->def_encoding = PQ_ENC_RLE;
	ph->is_compressed = true;
	if (!thrift_enter(tr))
		return false;
	while ((r = thrift_next_field(tr, &last_id, &id, &type)) == 1)
	{
		bool		ok;

		if (id >= 1 && id <= 31)
			seen |= 1u << id;
		switch (id)
		{
			case 1:
				ok = thrift_read_i32(tr, type, &ph->type);
				break;
			case 2:
				ok = thrift_read_i32(tr, type, &ph->uncompressed_size);
				break;
			case 3:
				ok = thrift_read_i32(tr, type, &ph->compressed_size);
				break;
			case 5:
				ok = thrift_expect(tr, type, TC_STRUCT, "PageHeader.data_page_header") &&
					parse_sub_header(tr, ph, PQ_PAGE_DATA);
				ph->has_data = true;
				break;
			case 7:
				ok = thrift_expect(tr, type, TC_STRUCT, "PageHeader.dictionary_page_header") &&
					parse_sub_header(tr, ph, PQ_PAGE_DICTIONARY);
				ph->has_dict = true;
				break;
			case 8:
				ok = thrift_expect(tr, type, TC_STRUCT, "PageHeader.data_page_header_v2") &&
					parse_sub_header(tr, ph, PQ_PAGE_DATA_V2);
				ph->has_v2 = true;
				break;
			default:
				ok = thrift_skip_value(tr, type, false);
				break;
		}
		if (!ok)
			return false;
	}
	if (r < 0)
		return false;
	thrift_leave(tr);
	if ((seen & 0xe) != 0xe)
		return pq_corrupt(tr->err, "page header lacks type or sizes");
	if (ph->uncompressed_size < 0 || ph->compressed_size < 0)
		return pq_corrupt(tr->err, "negative page size");
	return true;
}

/*
 * Returns the uncompressed bytes of a page body: the input itself when it
 * is not compressed, else a new buffer.  Buffers that byte-array values
 * may point into are handed to the output; others replace cd->page_buf.
 */
static bool
page_body(ChunkDecoder *cd, bool compressed, const uint8_t *src, size_t srclen,
		  size_t rawlen, const uint8_t **data, size_t *datalen)
{
	uint8_t    *buf;

	if (!compressed)
	{
		*data = src;
		*datalen = srclen;
		cd->chunk_referenced = true;
		return true;
	}
	if (rawlen > cd->reader->options.max_page_bytes)
		return pq_fail(cd->e, PARQUET_ERROR_LIMIT, "page of %zu bytes exceeds the limit of %zu bytes",
					   rawlen, cd->reader->options.max_page_bytes);
	buf = pq_malloc(cd->e, rawlen);
	if (buf == NULL)
		return false;
	if (!decompress_page(cd->reader, cd->cc->codec, src, srclen, buf, rawlen, cd->e))
	{
		free(buf);
		return false;
	}
	if (cd->out->kind == PQ_VALUE_BYTES)
	{
		if (!values_keep_buffer(cd->out, buf, cd->e))
			return false;
	}
	else
	{
		free(cd->page_buf);
		cd->page_buf = buf;
	}
	*data = buf;
	*datalen = rawlen;
	return true;
}

/* Reads the PLAIN dictionary page into cd->dict. */
static bool
read_dictionary_page(ChunkDecoder *cd, const PageHeader *ph, const uint8_t *src, size_t srclen)
{
	const uint8_t *data;
	size_t		len;

	if (!ph->has_dict)
		return pq_corrupt(cd->e, "dictionary page without a dictionary page header");
	if (cd->has_dict)
		return pq_corrupt(cd->e, "more than one dictionary page");
	if (cd->rows_done > 0)
		return pq_corrupt(cd->e, "dictionary page after data pages");
	if (ph->encoding != PQ_ENC_PLAIN && ph->encoding != PQ_ENC_PLAIN_DICTIONARY)
		return pq_fail(cd->e, PARQUET_ERROR_UNSUPPORTED, "unsupported dictionary page encoding %s (%d)",
					   parquet_encoding_name(ph->encoding), (int) ph->encoding);
	if (!page_body(cd, cd->cc->codec != PQ_CODEC_UNCOMPRESSED, src, srclen,
				   (size_t) ph->uncompressed_size, &data, &len))
		return false;
	if ((uint64_t) ph->num_values > ((uint64_t) len * 8) / plain_min_bits(cd->col))
		return pq_corrupt(cd->e, "dictionary page of %zu bytes cannot hold %d values", len, (int) ph->num_values);
	cd->dict = pq_calloc(cd->e, (size_t) ph->num_values, sizeof(ParquetValue));
	if (cd->dict == NULL || !decode_plain(cd, data, len, cd->dict, (size_t) ph->num_values))
		return false;
	cd->dict_count = (size_t) ph->num_values;
	cd->has_dict = true;
	return true;
}

/* Decodes a v1 data page: [levels with a 4-byte length] values, all compressed. */
static bool
read_data_page_v1(ChunkDecoder *cd, const PageHeader *ph, const uint8_t *src, size_t srclen)
{
	const uint8_t *data;
	size_t		len;
	size_t		pos = 0;
	int64_t		n = ph->num_values;
	uint32_t   *levels = NULL;

	if (!ph->has_data)
		return pq_corrupt(cd->e, "data page without a data page header");
	if (n > cd->rows_total - cd->rows_done)
		return pq_corrupt(cd->e, "pages hold more than the row group's %lld rows",
						  (long long) cd->rows_total);
	if (n == 0)
		return true;			/* nothing to decompress for */
	if (!page_body(cd, cd->cc->codec != PQ_CODEC_UNCOMPRESSED, src, srclen,
				   (size_t) ph->uncompressed_size, &data, &len))
		return false;
	if (cd->col->max_definition_level > 0)
	{
		if (!scratch_reserve((void **) &cd->levels, &cd->levels_cap, (size_t) n, sizeof(uint32_t), cd->e))
			return false;
		levels = cd->levels;
		if (ph->def_encoding == PQ_ENC_RLE)
		{
			uint32_t	l;

			if (len < 4)
				return pq_corrupt(cd->e, "truncated definition levels");
			l = load_le32(data);
			if (l > len - 4)
				return pq_corrupt(cd->e, "definition levels of %u bytes overrun the page", l);
			if (!rle_hybrid_decode(data + 4, l, 1, levels, (size_t) n, cd->e))
				return false;
			pos = 4 + (size_t) l;
		}
		else if (ph->def_encoding == PQ_ENC_BIT_PACKED)
		{
			size_t		bytes = ((size_t) n + 7) / 8;

			if (bytes > len)
				return pq_corrupt(cd->e, "truncated bit-packed definition levels");
			for (int64_t i = 0; i < n; i++)
				levels[i] = (data[i >> 3] >> (7 - (i & 7))) & 1;
			pos = bytes;
		}
		else
			return pq_fail(cd->e, PARQUET_ERROR_UNSUPPORTED, "unsupported definition level encoding %s (%d)",
						   parquet_encoding_name(ph->def_encoding), (int) ph->def_encoding);
	}
	return page_emit(cd, n, levels, ph->encoding, data + pos, len - pos);
}

/*
 * Decodes a v2 data page: repetition and definition levels uncompressed
 * (lengths in the header, no length prefix), then the values, compressed
 * unless is_compressed is false.
 */
static bool
read_data_page_v2(ChunkDecoder *cd, const PageHeader *ph, const uint8_t *src, size_t srclen)
{
	const uint8_t *data;
	size_t		len;
	size_t		levels_len;
	int64_t		n = ph->num_values;
	uint32_t   *levels = NULL;

	if (!ph->has_v2)
		return pq_corrupt(cd->e, "data page v2 without a data page v2 header");
	levels_len = (size_t) ph->rep_length + (size_t) ph->def_length;
	if (levels_len > srclen || levels_len > (size_t) ph->uncompressed_size)
		return pq_corrupt(cd->e, "levels of a v2 data page overrun the page");
	if (n > cd->rows_total - cd->rows_done)
		return pq_corrupt(cd->e, "pages hold more than the row group's %lld rows",
						  (long long) cd->rows_total);
	if (n == 0)
		return true;
	if (cd->col->max_definition_level > 0)
	{
		if (!scratch_reserve((void **) &cd->levels, &cd->levels_cap, (size_t) n, sizeof(uint32_t), cd->e) ||
			!rle_hybrid_decode(src + ph->rep_length, (size_t) ph->def_length, 1, cd->levels, (size_t) n, cd->e))
			return false;
		levels = cd->levels;
	}
	if (!page_body(cd, ph->is_compressed && cd->cc->codec != PQ_CODEC_UNCOMPRESSED,
				   src + levels_len, srclen - levels_len,
				   (size_t) ph->uncompressed_size - levels_len, &data, &len))
		return false;
	return page_emit(cd, n, levels, ph->encoding, data, len);
}

/*
 * Walks the pages of one column chunk until the row group's rows are
 * decoded.  The chunk's byte range must lie between the leading magic and
 * the footer.
 */
static bool
decode_column_chunk(ChunkDecoder *cd, const ParquetRowGroup *rg)
{
	ParquetReader *reader = cd->reader;
	const ParquetColumnChunk *cc = cd->cc;
	uint64_t	start = (uint64_t) cc->data_page_offset;
	uint64_t	length = (uint64_t) cc->total_compressed_size;
	const uint8_t *chunk;
	size_t		pos = 0;

	if (cc->file_path != NULL)
		return pq_fail(cd->e, PARQUET_ERROR_UNSUPPORTED, "column chunk in another file (\"%s\") is not supported",
					   cc->file_path);
	if (rg->num_rows > reader->options.max_row_group_rows)
		return pq_fail(cd->e, PARQUET_ERROR_LIMIT, "row group of %lld rows exceeds the limit of %lld rows",
					   (long long) rg->num_rows, (long long) reader->options.max_row_group_rows);
	if (cc->has_dictionary_page_offset && cc->dictionary_page_offset > 0 &&
		(uint64_t) cc->dictionary_page_offset < start)
		start = (uint64_t) cc->dictionary_page_offset;
	if (start < PARQUET_MAGIC_LEN || start > reader->metadata_offset ||
		length > reader->metadata_offset - start)
		return pq_corrupt(cd->e, "column chunk at offset %llu of %llu bytes lies outside the data of the file",
						  (unsigned long long) start, (unsigned long long) length);
	if (rg->num_rows == 0)
		return true;

	if (reader->data != NULL)
		chunk = reader->data + start;
	else
	{
		cd->chunk_buf = pq_malloc(cd->e, (size_t) length);
		if (cd->chunk_buf == NULL ||
			!pread_fully(reader->fd, cd->chunk_buf, (size_t) length, start, cd->e))
			return false;
		chunk = cd->chunk_buf;
	}

	while (cd->rows_done < cd->rows_total)
	{
		ThriftReader tr;
		PageHeader	ph;
		const uint8_t *body;
		size_t		body_len;

		if (pos >= length)
			return pq_corrupt(cd->e, "column chunk ends after %lld of %lld rows",
							  (long long) cd->rows_done, (long long) cd->rows_total);
		tr.pos = chunk + pos;
		tr.end = chunk + length;
		tr.depth = 0;
		tr.err = cd->e;
		if (!parse_page_header(&tr, &ph))
			return false;
		pos = (size_t) (tr.pos - chunk);
		if ((size_t) ph.compressed_size > length - pos)
			return pq_corrupt(cd->e, "page of %d bytes overruns the column chunk", (int) ph.compressed_size);
		if ((size_t) ph.compressed_size > reader->options.max_page_bytes)
			return pq_fail(cd->e, PARQUET_ERROR_LIMIT, "page of %d bytes exceeds the limit of %zu bytes",
						   (int) ph.compressed_size, reader->options.max_page_bytes);
		body = chunk + pos;
		body_len = (size_t) ph.compressed_size;
		pos += body_len;

		switch (ph.type)
		{
			case PQ_PAGE_DICTIONARY:
				if (!read_dictionary_page(cd, &ph, body, body_len))
					return false;
				break;
			case PQ_PAGE_DATA:
				if (!read_data_page_v1(cd, &ph, body, body_len))
					return false;
				break;
			case PQ_PAGE_DATA_V2:
				if (!read_data_page_v2(cd, &ph, body, body_len))
					return false;
				break;
			default:
				/* index pages and unknown page types carry no rows */
				break;
		}
	}
	return true;
}

/* Frees the decoder's scratch state (not the output). */
static void
chunk_decoder_free(ChunkDecoder *cd)
{
	free(cd->chunk_buf);
	free(cd->dict);
	free(cd->levels);
	free(cd->indices);
	free(cd->deltas);
	free(cd->page_buf);
}

/* See parquet_read.h. */
void
parquet_column_values_free(ParquetColumnValues *values)
{
	if (values == NULL)
		return;
	for (int i = 0; i < values->num_buffers; i++)
		free(values->buffers[i]);
	free(values->buffers);
	free(values->values);
	free(values->is_null);
	values->buffers = NULL;
	values->num_buffers = 0;
	values->max_buffers = 0;
	values->values = NULL;
	values->is_null = NULL;
	values->num_values = 0;
	values->num_nulls = 0;
}

/* See parquet_read.h. */
ParquetStatus
parquet_read_column_chunk(ParquetReader *reader, int row_group, int column,
						  ParquetColumnValues *out, char *err, size_t errlen)
{
	PqErr		e = {PARQUET_OK, err, errlen};
	ChunkDecoder cd;
	const ParquetRowGroup *rg;
	bool		ok;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (out == NULL)
	{
		pq_fail(&e, PARQUET_ERROR_ARGUMENT, "no output given");
		return e.status;
	}
	memset(out, 0, sizeof(*out));
	if (reader == NULL || row_group < 0 || row_group >= reader->meta.num_row_groups ||
		column < 0 || column >= reader->meta.num_columns)
	{
		pq_fail(&e, PARQUET_ERROR_ARGUMENT, "row group %d or column %d out of range", row_group, column);
		return e.status;
	}
	rg = &reader->meta.row_groups[row_group];
	out->column = column;
	out->kind = parquet_value_kind(reader->columns[column].physical_type);

	memset(&cd, 0, sizeof(cd));
	cd.reader = reader;
	cd.col = &reader->columns[column];
	cd.cc = &rg->columns[column];
	cd.out = out;
	cd.e = &e;
	cd.rows_total = rg->num_rows;

	ok = decode_column_chunk(&cd, rg);

	/*
	 * Byte arrays of uncompressed pages point into the chunk read from a
	 * file descriptor: then the output keeps it, else it goes now.
	 */
	if (ok && cd.chunk_buf != NULL && cd.chunk_referenced && out->kind == PQ_VALUE_BYTES)
	{
		ok = values_keep_buffer(out, cd.chunk_buf, &e);
		cd.chunk_buf = NULL;
	}
	chunk_decoder_free(&cd);
	if (!ok)
	{
		pq_add_context(&e, "row group %d, column \"%s\"", row_group, cd.col->name);
		parquet_column_values_free(out);
		return e.status;
	}
	return PARQUET_OK;
}

/* See parquet_read.h. */
void
parquet_row_group_batch_free(ParquetRowGroupBatch *batch)
{
	if (batch == NULL)
		return;
	for (int i = 0; i < batch->num_columns; i++)
		parquet_column_values_free(&batch->columns[i]);
	free(batch->columns);
	batch->columns = NULL;
	batch->num_columns = 0;
	batch->num_rows = 0;
}

/* See parquet_read.h. */
ParquetStatus
parquet_read_row_group(ParquetReader *reader, int row_group,
					   const int *columns, int ncolumns,
					   ParquetRowGroupBatch *batch, char *err, size_t errlen)
{
	PqErr		e = {PARQUET_OK, err, errlen};

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (batch == NULL)
	{
		pq_fail(&e, PARQUET_ERROR_ARGUMENT, "no batch given");
		return e.status;
	}
	memset(batch, 0, sizeof(*batch));
	if (reader == NULL || row_group < 0 || row_group >= reader->meta.num_row_groups)
	{
		pq_fail(&e, PARQUET_ERROR_ARGUMENT, "row group %d out of range", row_group);
		return e.status;
	}
	if (columns == NULL)
		ncolumns = reader->meta.num_columns;
	if (ncolumns < 0)
	{
		pq_fail(&e, PARQUET_ERROR_ARGUMENT, "negative column count");
		return e.status;
	}
	batch->row_group = row_group;
	batch->num_rows = reader->meta.row_groups[row_group].num_rows;
	batch->columns = pq_calloc(&e, (size_t) ncolumns, sizeof(ParquetColumnValues));
	if (batch->columns == NULL)
		return e.status;
	for (int i = 0; i < ncolumns; i++)
	{
		ParquetStatus st;

		st = parquet_read_column_chunk(reader, row_group, columns != NULL ? columns[i] : i,
									   &batch->columns[i], err, errlen);
		batch->num_columns = i + 1;
		if (st != PARQUET_OK)
		{
			parquet_row_group_batch_free(batch);
			return st;
		}
	}
	return PARQUET_OK;
}
