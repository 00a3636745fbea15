/*-------------------------------------------------------------------------
 *
 * parquet_read_values.c
 *	  The reader's value decoders: PLAIN, dictionary indices, RLE booleans,
 *	  DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 *	  BYTE_STREAM_SPLIT, INT96 timestamps, and the buffers decoded
 *	  byte-array values point into.
 *
 * These are the reader's hot loops; each decodes all the values of one
 * page, so the per-value work (loads, bit unpacking) is inlined from
 * parquet_encoding.h.  Counts are bounded by the data before anything is
 * allocated for them.
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parquet_read_internal.h"

/* Days from the Julian day epoch to 1970-01-01, for INT96 timestamps */
#define JULIAN_DAY_OF_UNIX_EPOCH INT64_C(2440588)
#define USECS_PER_DAY INT64_C(86400000000)

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

	if (!pq_read_uleb(&pos, end, &block_size, e) ||
		!pq_read_uleb(&pos, end, &mini_count, e) ||
		!pq_read_uleb(&pos, end, &total, e) ||
		!pq_read_uleb(&pos, end, &first, e))
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
	value = (uint64_t) pq_zigzag_decode(first);
	out[0] = value;
	done = 1;
	while (done < count)
	{
		uint64_t	zz;
		uint64_t	min_delta;
		const uint8_t *widths;

		if (!pq_read_uleb(&pos, end, &zz, e))
			return false;
		min_delta = (uint64_t) pq_zigzag_decode(zz);
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
				value += min_delta + pq_unpack_bits(pos, (uint64_t) k * (uint64_t) bw, bw);
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
 * a 4-byte Julian day, both little-endian and signed, as Spark reads them)
 * to microseconds since the Unix epoch.  Every INT96 value converts, so
 * that a file with a timestamp no int64 holds still reads: Spark and
 * Impala write far-off sentinels, and Spark even overflows its own
 * arithmetic on write (parquet-testing's int96_from_spark.parquet).  What
 * int64 cannot hold saturates to INT64_MAX or INT64_MIN, which callers
 * take for infinity, the direction kept.
 *
 * The nanoseconds are truncated to microseconds (C division, toward zero)
 * exactly as DuckDB's ImpalaTimestampToMicroseconds does, so both read the
 * same files alike; for the nanoseconds of a day, never negative in a
 * valid value, that is also rounding toward the past.
 */
static int64_t
int96_to_micros(const uint8_t *p)
{
	uint64_t	nanos_bits = pq_load_le64(p);
	uint32_t	day_bits = pq_load_le32(p + 8);
	int64_t		nanos;
	int32_t		julian;
	int64_t		days;
	int64_t		day_micros;
	int64_t		micros;

	memcpy(&nanos, &nanos_bits, sizeof(nanos));
	memcpy(&julian, &day_bits, sizeof(julian));
	days = (int64_t) julian - JULIAN_DAY_OF_UNIX_EPOCH;
	micros = nanos / 1000;		/* |micros| < 2^54 */
	if (days > INT64_MAX / USECS_PER_DAY)
		return INT64_MAX;
	if (days < INT64_MIN / USECS_PER_DAY)
		return INT64_MIN;
	day_micros = days * USECS_PER_DAY;
	if (micros > 0 && day_micros > INT64_MAX - micros)
		return INT64_MAX;
	if (micros < 0 && day_micros < INT64_MIN - micros)
		return INT64_MIN;
	return day_micros + micros;
}

/*
 * See parquet_read.h: a half-precision float (1 sign bit, 5 exponent bits
 * biased by 15, 10 mantissa bits; little-endian, as Parquet's FLOAT16
 * stores it) widened to a float, which holds every half exactly: normal
 * halves rebias their exponent, subnormals (mantissa * 2^-24) become
 * normal floats, exponent 31 is an infinity or a NaN.
 */
float
parquet_float16_to_float(const uint8_t *p)
{
	uint16_t	half = (uint16_t) (p[0] | (p[1] << 8));
	uint32_t	sign = (uint32_t) (half & 0x8000) << 16;
	uint32_t	exponent = (half >> 10) & 0x1f;
	uint32_t	mantissa = half & 0x3ff;
	uint32_t	bits;
	float		result;

	if (exponent == 0x1f)
	{
		/* infinity, or a NaN keeping its payload, made quiet */
		bits = sign | 0x7f800000 | (mantissa << 13);
		if (mantissa != 0)
			bits |= 0x00400000;
	}
	else if (exponent == 0)
	{
		/* zero or subnormal: mantissa * 2^-24, exact in a float */
		result = (float) mantissa * 0x1p-24f;
		memcpy(&bits, &result, sizeof(bits));
		bits |= sign;
	}
	else
		bits = sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
	memcpy(&result, &bits, sizeof(result));
	return result;
}

/*
 * Hands a buffer that decoded byte-array values point into to the output,
 * which frees it with the values.  On failure the buffer is freed here.
 */
bool
pq_values_keep_buffer(ParquetColumnValues *out, void *buf, size_t cap, PqErr *e)
{
	if (out->num_buffers == out->max_buffers)
	{
		int			newmax = out->max_buffers == 0 ? 8 : out->max_buffers * 2;
		void	  **nb;
		size_t	   *ncaps;

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
		ncaps = realloc(out->buffer_caps, sizeof(size_t) * (size_t) newmax);
		if (ncaps == NULL)
		{
			free(buf);
			return pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory");
		}
		out->buffer_caps = ncaps;
		out->max_buffers = newmax;
	}
	out->buffer_caps[out->num_buffers] = cap;
	out->buffers[out->num_buffers++] = buf;
	return true;
}

/* Grows a scratch array to hold n elements of elem_size bytes. */
bool
pq_scratch_reserve(void **buf, size_t *cap, size_t n, size_t elem_size, PqErr *e)
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
uint64_t
pq_plain_min_bits(const ParquetColumnSchema *col)
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
bool
pq_decode_plain(ChunkDecoder *cd, const uint8_t *p, size_t len, ParquetValue *dst, size_t count)
{
	const ParquetColumnSchema *col = cd->col;
	size_t		i;

	if ((uint64_t) count > ((uint64_t) len * 8) / pq_plain_min_bits(col))
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
				uint32_t	u = pq_load_le32(p + 4 * i);

				memcpy(&dst[i].int32, &u, 4);
			}
			break;
		case PQ_FLOAT:
			for (i = 0; i < count; i++)
			{
				uint32_t	u = pq_load_le32(p + 4 * i);

				memcpy(&dst[i].float4, &u, 4);
			}
			break;
		case PQ_INT64:
			for (i = 0; i < count; i++)
			{
				uint64_t	u = pq_load_le64(p + 8 * i);

				memcpy(&dst[i].int64, &u, 8);
			}
			break;
		case PQ_DOUBLE:
			for (i = 0; i < count; i++)
			{
				uint64_t	u = pq_load_le64(p + 8 * i);

				memcpy(&dst[i].float8, &u, 8);
			}
			break;
		case PQ_INT96:
			for (i = 0; i < count; i++)
				dst[i].int64 = int96_to_micros(p + 12 * i);
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
					l = pq_load_le32(p + pos);
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
	if (!pq_scratch_reserve((void **) &cd->indices, &cd->indices_cap, count, sizeof(uint32_t), cd->e) ||
		!pq_rle_decode(p + 1, len - 1, bit_width, cd->indices, count, cd->e))
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
	l = pq_load_le32(p);
	if (l > len - 4)
		return pq_corrupt(cd->e, "RLE boolean length %u overruns the page", l);
	if (!pq_scratch_reserve((void **) &cd->indices, &cd->indices_cap, count, sizeof(uint32_t), cd->e) ||
		!pq_rle_decode(p + 4, l, 1, cd->indices, count, cd->e))
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

	if (!pq_scratch_reserve((void **) &cd->deltas, &cd->deltas_cap, count, sizeof(uint64_t), cd->e) ||
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

	if (!pq_scratch_reserve((void **) &cd->deltas, &cd->deltas_cap, count, sizeof(uint64_t), cd->e) ||
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
		!pq_scratch_reserve((void **) &cd->deltas, &cd->deltas_cap, count * 2, sizeof(uint64_t), cd->e))
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
	if (buf == NULL || !pq_values_keep_buffer(cd->out, buf, (size_t) total, cd->e))
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

		if (buf == NULL || !pq_values_keep_buffer(cd->out, buf, count * width, cd->e))
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
			uint32_t	u = pq_load_le32(tmp);

			memcpy(&dst[i], &u, 4);
		}
		else
		{
			uint64_t	u = pq_load_le64(tmp);

			memcpy(&dst[i], &u, 8);
		}
	}
	return true;
}

/* Dispatches the values section of a data page on its encoding. */
bool
pq_decode_values(ChunkDecoder *cd, int32_t encoding, const uint8_t *p, size_t len,
			  ParquetValue *dst, size_t count)
{
	ParquetType type = cd->col->physical_type;

	switch (encoding)
	{
		case PQ_ENC_PLAIN:
			return pq_decode_plain(cd, p, len, dst, count);
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
