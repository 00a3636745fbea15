/*-------------------------------------------------------------------------
 *
 * compress.h
 *	  The codecs of segment blocks: none, lz4 and zstd.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_COMPRESS_H
#define SPILLPOOL_COMPRESS_H


typedef enum SpillCodec
{
	SPILL_CODEC_NONE = 0,
	SPILL_CODEC_LZ4 = 1,
	SPILL_CODEC_ZSTD = 2
} SpillCodec;

extern bool codec_from_name(const char *name, SpillCodec *codec);
extern const char *codec_name(SpillCodec codec);
extern size_t codec_compress_bound(SpillCodec codec, size_t raw_len);
extern size_t codec_compress(SpillCodec codec, int level, const char *src,
							 size_t src_len, char *dst, size_t dst_cap);
extern void codec_decompress(SpillCodec codec, const char *src, size_t src_len,
							 char *dst, size_t raw_len, const char *what);

#endif							/* SPILLPOOL_COMPRESS_H */
