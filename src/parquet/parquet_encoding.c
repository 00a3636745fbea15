/*-------------------------------------------------------------------------
 *
 * parquet_encoding.c
 *	  The out-of-line parts of the encodings in parquet_encoding.h: growing
 *	  and freeing byte buffers, and the RLE/bit-packed hybrid encoder (the
 *	  writer's definition levels and dictionary indices) and decoder (the
 *	  reader's levels, dictionary indices and RLE booleans).
 *
 * Each runs once per buffer growth, page or run; the per-value work they
 * do (bit packing, unpacking, varints) is inlined from the header.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "parquet_encoding.h"

/*
 * Make room for 'need' more bytes, doubling the capacity.  On failure the
 * buffer is flagged oom and keeps its old contents; callers check the flag
 * (or the return value) before trusting the buffer.
 */
bool
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

/* Release a buffer's memory */
void
pq_buf_free(PqBuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
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
void
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


/*
 * Decodes count values of the RLE/bit-packed hybrid encoding (definition
 * levels, dictionary indices, RLE booleans) with bit_width 0..32.  A final
 * bit-packed run may be cut short by the writer as long as the values we
 * need are there.  Values wider than bit_width in RLE runs are corrupt.
 */
bool
pq_rle_decode(const uint8_t *p, size_t len, int bit_width,
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

		if (!pq_read_uleb(&p, end, &header, e))
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
			{
				/* while 8 bytes can be loaded at once, one load per value */
				size_t		avail = (size_t) (end - p);
				uint64_t	mask = bit_width == 32 ? UINT64_C(0xffffffff) :
					(UINT64_C(1) << bit_width) - 1;
				uint64_t	bitpos = 0;
				size_t		k = 0;

				for (; k < take && (bitpos >> 3) + 8 <= avail; k++, bitpos += (uint64_t) bit_width)
					out[done++] = (uint32_t) ((pq_load_le64(p + (bitpos >> 3)) >> (bitpos & 7)) & mask);
				for (; k < take; k++, bitpos += (uint64_t) bit_width)
					out[done++] = (uint32_t) pq_unpack_bits(p, bitpos, bit_width);
			}
			run_bytes = groups * (uint64_t) bit_width;
			p += (run_bytes < (uint64_t) (end - p)) ? (size_t) run_bytes : (size_t) (end - p);
		}
	}
	return true;
}
