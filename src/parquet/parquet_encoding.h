/*-------------------------------------------------------------------------
 *
 * parquet_encoding.h
 *	  Low-level encodings shared by the Parquet reader and writer (not part
 *	  of the public interface): little- and big-endian loads and stores,
 *	  ULEB128 varints, zigzag, bit unpacking, the growable byte buffer the
 *	  encoders append to, and the RLE/bit-packed hybrid encoding.
 *
 * What runs once per value or per byte is static inline here, so that the
 * hot loops of both sides inline it exactly as they did when each side had
 * its own copy; what runs once per run or page lives in parquet_encoding.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PARQUET_ENCODING_H
#define PARQUET_ENCODING_H

#include <string.h>

#include "parquet_error.h"

/* ----------------------------------------------------------------
 * Loads and stores, independent of the host's byte order and alignment
 * ----------------------------------------------------------------
 */

/* 32-bit little-endian load (PLAIN INT32/FLOAT, lengths, the footer size). */
static inline uint32_t
pq_load_le32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* 64-bit little-endian load (PLAIN INT64/DOUBLE, INT96 nanoseconds). */
static inline uint64_t
pq_load_le64(const uint8_t *p)
{
	return (uint64_t) pq_load_le32(p) | ((uint64_t) pq_load_le32(p + 4) << 32);
}

/* 32-bit big-endian load: the Hadoop LZ4 framing is big-endian. */
static inline uint32_t
pq_load_be32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
		((uint32_t) p[2] << 8) | (uint32_t) p[3];
}

/* Store a 32-bit little-endian integer at p. */
static inline void
pq_store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

/* Store a 64-bit little-endian integer at p. */
static inline void
pq_store_le64(uint8_t *p, uint64_t v)
{
	pq_store_le32(p, (uint32_t) v);
	pq_store_le32(p + 4, (uint32_t) (v >> 32));
}

/* ----------------------------------------------------------------
 * Varints and zigzag (thrift, RLE run headers, DELTA_BINARY_PACKED)
 * ----------------------------------------------------------------
 */

/* Zigzag-encode a signed integer so small magnitudes give short varints. */
static inline uint64_t
pq_zigzag_encode(int64_t v)
{
	return ((uint64_t) v << 1) ^ (uint64_t) (v >> 63);
}

/* Zigzag decoding, done in unsigned arithmetic to avoid overflow. */
static inline int64_t
pq_zigzag_decode(uint64_t u)
{
	uint64_t	v = (u >> 1) ^ (~(u & 1) + 1);
	int64_t		result;

	memcpy(&result, &v, sizeof(result));
	return result;
}

/* Why pq_uleb128_decode() failed; each caller words its own message. */
typedef enum PqVarintStatus
{
	PQ_VARINT_OK = 0,
	PQ_VARINT_TRUNCATED,		/* the input ends inside the varint */
	PQ_VARINT_OVERFLOW,			/* the tenth byte has bits past 64 */
	PQ_VARINT_TOO_LONG			/* more than 10 bytes */
} PqVarintStatus;

/*
 * Decodes a ULEB128 varint of at most 10 bytes (64 bits) from *pos, which
 * must not pass end, and advances *pos past it.  Input is hostile: every
 * byte is bounds-checked and overlong or overflowing varints are refused.
 */
static inline PqVarintStatus
pq_uleb128_decode(const uint8_t **pos, const uint8_t *end, uint64_t *out)
{
	uint64_t	result = 0;
	int			shift = 0;

	for (;;)
	{
		uint8_t		b;

		if (*pos >= end)
			return PQ_VARINT_TRUNCATED;
		b = *(*pos)++;
		if (shift == 63 && (b & 0x7e) != 0)
			return PQ_VARINT_OVERFLOW;
		result |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			break;
		shift += 7;
		if (shift > 63)
			return PQ_VARINT_TOO_LONG;
	}
	*out = result;
	return PQ_VARINT_OK;
}

/*
 * A varint of page data (RLE run headers, DELTA_* headers), recording the
 * page-data wording of a failure in e.  Runs once per RLE run, hence
 * inline.
 */
static inline bool
pq_read_uleb(const uint8_t **pos, const uint8_t *end, uint64_t *out, PqErr *e)
{
	switch (pq_uleb128_decode(pos, end, out))
	{
		case PQ_VARINT_OK:
			return true;
		case PQ_VARINT_TRUNCATED:
			pq_corrupt(e, "truncated varint in page data");
			break;
		case PQ_VARINT_OVERFLOW:
			pq_corrupt(e, "varint overflows 64 bits in page data");
			break;
		case PQ_VARINT_TOO_LONG:
			pq_corrupt(e, "varint too long in page data");
			break;
	}
	return false;
}

/* ----------------------------------------------------------------
 * Bit widths and bit unpacking
 * ----------------------------------------------------------------
 */

/* Bits needed to represent v (0 for 0). */
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

/*
 * Reads bit_width (0..64) bits starting at bit bitpos, least significant
 * bit first, as Parquet packs them.  The caller guarantees the bytes up to
 * bit bitpos + bit_width exist.
 */
static inline uint64_t
pq_unpack_bits(const uint8_t *buf, uint64_t bitpos, int bit_width)
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

/* ----------------------------------------------------------------
 * Growable byte buffer (the writer's pages, headers and footer)
 * ----------------------------------------------------------------
 */

/* A growable byte buffer; allocation failure is sticky in 'oom' */
typedef struct PqBuf
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
	bool		oom;
} PqBuf;

extern bool pq_buf_grow(PqBuf *b, size_t need);
extern void pq_buf_free(PqBuf *b);

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

/* Append a 32-bit little-endian integer */
static inline void
pq_buf_put_u32le(PqBuf *b, uint32_t v)
{
	if (!pq_buf_reserve(b, 4))
		return;
	pq_store_le32(b->data + b->len, v);
	b->len += 4;
}

/* Append a 64-bit little-endian integer */
static inline void
pq_buf_put_u64le(PqBuf *b, uint64_t v)
{
	if (!pq_buf_reserve(b, 8))
		return;
	pq_store_le64(b->data + b->len, v);
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

/* ----------------------------------------------------------------
 * RLE / bit-packed hybrid (definition levels, dictionary indices, RLE
 * booleans)
 * ----------------------------------------------------------------
 */

/*
 * Encodes n values of bit width bw (exactly one of v32/v8 is set) onto
 * out, without a length or bit-width prefix.
 */
extern void pq_rle_encode(PqBuf *out, const uint32_t *v32, const uint8_t *v8,
						  size_t n, int bw);

/* Decodes count values of bit width 0..32 into out; false if corrupt. */
extern bool pq_rle_decode(const uint8_t *p, size_t len, int bit_width,
						  uint32_t *out, size_t count, PqErr *e);

#endif							/* PARQUET_ENCODING_H */
