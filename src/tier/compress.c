/*-------------------------------------------------------------------------
 *
 * compress.c
 *	  The codecs of segment blocks: none, lz4 and zstd.
 *
 * Each function works on one whole buffer; the caller frames the result
 * (segment.c records the codec, raw and compressed lengths in the block
 * header), so no codec-specific framing is stored.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <lz4.h>
#include <zstd.h>

#include "spillpool.h"
#include "tier/compress.h"

/*
 * Maps an option value to a codec; false for an unknown name.  Used by the
 * option validation so that the message can name the option.
 */
bool
codec_from_name(const char *name, SpillCodec *codec)
{
	if (pg_strcasecmp(name, "none") == 0)
		*codec = SPILL_CODEC_NONE;
	else if (pg_strcasecmp(name, "lz4") == 0)
		*codec = SPILL_CODEC_LZ4;
	else if (pg_strcasecmp(name, "zstd") == 0)
		*codec = SPILL_CODEC_ZSTD;
	else
		return false;
	return true;
}

/* The option spelling of a codec, for the options view and stats. */
const char *
codec_name(SpillCodec codec)
{
	switch (codec)
	{
		case SPILL_CODEC_NONE:
			return "none";
		case SPILL_CODEC_LZ4:
			return "lz4";
		case SPILL_CODEC_ZSTD:
			return "zstd";
	}
	return "unknown";
}

/* Worst-case compressed size, so callers can size one output buffer. */
size_t
codec_compress_bound(SpillCodec codec, size_t raw_len)
{
	switch (codec)
	{
		case SPILL_CODEC_NONE:
			return raw_len;
		case SPILL_CODEC_LZ4:
			return (size_t) LZ4_compressBound((int) raw_len);
		case SPILL_CODEC_ZSTD:
			return ZSTD_compressBound(raw_len);
	}
	return raw_len;
}

/*
 * Compresses src into dst (dst_cap >= codec_compress_bound) and returns the
 * compressed length.  Level applies to zstd only; lz4 uses its fast default.
 */
size_t
codec_compress(SpillCodec codec, int level, const char *src, size_t src_len,
			   char *dst, size_t dst_cap)
{
	switch (codec)
	{
		case SPILL_CODEC_NONE:
			memcpy(dst, src, src_len);
			return src_len;
		case SPILL_CODEC_LZ4:
			{
				int			n = LZ4_compress_default(src, dst, (int) src_len,
													 (int) dst_cap);

				if (n <= 0)
					ereport(ERROR,
							(errcode(ERRCODE_INTERNAL_ERROR),
							 errmsg("lz4 compression of a spillpool block failed")));
				return (size_t) n;
			}
		case SPILL_CODEC_ZSTD:
			{
				size_t		n = ZSTD_compress(dst, dst_cap, src, src_len, level);

				if (ZSTD_isError(n))
					ereport(ERROR,
							(errcode(ERRCODE_INTERNAL_ERROR),
							 errmsg("zstd compression of a spillpool block failed: %s",
									ZSTD_getErrorName(n))));
				return n;
			}
	}
	return 0;
}

/*
 * Decompresses exactly raw_len bytes.  Anything else means the block is
 * corrupt; "what" names the file in the error.
 */
void
codec_decompress(SpillCodec codec, const char *src, size_t src_len,
				 char *dst, size_t raw_len, const char *what)
{
	switch (codec)
	{
		case SPILL_CODEC_NONE:
			if (src_len != raw_len)
				break;
			memcpy(dst, src, raw_len);
			return;
		case SPILL_CODEC_LZ4:
			if (LZ4_decompress_safe(src, dst, (int) src_len, (int) raw_len) == (int) raw_len)
				return;
			break;
		case SPILL_CODEC_ZSTD:
			{
				size_t		n = ZSTD_decompress(dst, raw_len, src, src_len);

				if (!ZSTD_isError(n) && n == raw_len)
					return;
				break;
			}
	}
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("could not decompress spillpool block in file \"%s\"", what),
			 errdetail("The block does not decompress to its recorded length of %zu bytes.",
					   raw_len)));
}
