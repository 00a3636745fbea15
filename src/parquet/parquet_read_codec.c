/*-------------------------------------------------------------------------
 *
 * parquet_read_codec.c
 *	  Page decompression for the reader: UNCOMPRESSED, SNAPPY (decoded
 *	  here, from the format description), GZIP (zlib), BROTLI
 *	  (libbrotlidec), ZSTD, LZ4_RAW and the legacy LZ4 codec (Hadoop
 *	  framing, else a raw block, else an LZ4 frame).  LZO is not supported.
 *
 * Every codec must produce exactly the uncompressed size the page header
 * states, and every copy is bounds-checked against both buffers.
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <brotli/decode.h>
#include <lz4.h>
#include <lz4frame.h>

#include "parquet_read_internal.h"

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
				offset = pq_load_le32(ip);
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
		block_raw = pq_load_be32(src + ip);
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
			clen = pq_load_be32(src + ip);
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

	if (srclen < 4 || pq_load_le32(src) != 0x184D2204)
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
 * GZIP pages (codec 2) with zlib.  windowBits 15 + 32 accepts both gzip
 * and zlib headers; some writers concatenate gzip members, so a member
 * that ends before the input does is followed by the next one until the
 * input is consumed or dst is full.  zlib never writes past avail_out, and
 * the result must be exactly dstlen bytes.  The z_stream is kept in the
 * reader and reset per page, sparing its 40 kB of state a malloc per page.
 */
static bool
gzip_decompress(ParquetReader *reader, const uint8_t *src, size_t srclen,
				uint8_t *dst, size_t dstlen, PqErr *e)
{
	z_stream   *zs = reader->inflater;
	int			rc;

	if (srclen > UINT_MAX || dstlen > UINT_MAX)
		return pq_fail(e, PARQUET_ERROR_LIMIT, "GZIP page too large");
	if (zs == NULL)
	{
		zs = pq_calloc(e, 1, sizeof(z_stream));
		if (zs == NULL)
			return false;
		rc = inflateInit2(zs, 15 + 32);
		if (rc != Z_OK)
		{
			free(zs);
			if (rc == Z_MEM_ERROR)
				return pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory creating a zlib context");
			return pq_fail(e, PARQUET_ERROR_UNSUPPORTED, "could not create a zlib context: %s", zError(rc));
		}
		reader->inflater = zs;
	}
	else if (inflateReset(zs) != Z_OK)
		return pq_corrupt(e, "could not reset the zlib context");

	zs->next_in = (Bytef *) src;
	zs->avail_in = (uInt) srclen;
	zs->next_out = dst;
	zs->avail_out = (uInt) dstlen;
	for (;;)
	{
		rc = inflate(zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
		{
			/* a member ended: the page, or another member follows */
			if (zs->avail_in == 0 || zs->avail_out == 0)
				break;
			if (inflateReset(zs) != Z_OK)
				return pq_corrupt(e, "could not reset the zlib context");
			continue;
		}
		if (rc == Z_OK)
			continue;			/* progress was made */
		/* no progress: the input ended inside a member, or dst is full */
		if (rc == Z_BUF_ERROR && zs->avail_in == 0)
			return pq_corrupt(e, "invalid GZIP data: truncated after %zu of %zu bytes",
							  dstlen - zs->avail_out, dstlen);
		if (rc == Z_BUF_ERROR)
			return pq_corrupt(e, "invalid GZIP data: more than the %zu bytes the page says", dstlen);
		if (rc == Z_MEM_ERROR)
			return pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory decompressing GZIP data");
		return pq_corrupt(e, "invalid GZIP data: %s", zs->msg != NULL ? zs->msg : zError(rc));
	}
	if (zs->avail_out != 0)
		return pq_corrupt(e, "invalid GZIP data: %zu bytes decompressed, expected %zu",
						  dstlen - zs->avail_out, dstlen);
	return true;
}

/*
 * BROTLI pages (codec 4) with libbrotlidec's one-shot decoder, which
 * writes at most dstlen bytes; it fails alike for corrupt and truncated
 * input and for output that would not fit, and the result must be
 * exactly dstlen bytes.
 */
static bool
brotli_decompress(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, PqErr *e)
{
	size_t		decoded = dstlen;

	if (BrotliDecoderDecompress(srclen, src, &decoded, dst) != BROTLI_DECODER_RESULT_SUCCESS)
		return pq_corrupt(e, "invalid Brotli data (corrupt, truncated or more than the %zu bytes the page says)",
						  dstlen);
	if (decoded != dstlen)
		return pq_corrupt(e, "invalid Brotli data: %zu bytes decompressed, expected %zu", decoded, dstlen);
	return true;
}

/*
 * Frees the decompression contexts a reader created on first use; called
 * by parquet_reader_close.
 */
void
pq_codec_free(ParquetReader *reader)
{
	if (reader->zstd != NULL)
		ZSTD_freeDCtx(reader->zstd);
	reader->zstd = NULL;
	if (reader->inflater != NULL)
	{
		inflateEnd(reader->inflater);
		free(reader->inflater);
	}
	reader->inflater = NULL;
}

/*
 * Decompresses one page (or the values section of a v2 page) into dst,
 * which must be exactly the uncompressed size the page header states.
 */
bool
pq_decompress_page(ParquetReader *reader, int32_t codec, const uint8_t *src, size_t srclen,
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
		case PQ_CODEC_GZIP:
			return gzip_decompress(reader, src, srclen, dst, dstlen, e);
		case PQ_CODEC_BROTLI:
			return brotli_decompress(src, srclen, dst, dstlen, e);
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
