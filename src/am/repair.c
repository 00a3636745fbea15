/*-------------------------------------------------------------------------
 *
 * repair.c
 *	  spillpool.compressed_payload(): finding and recovering values that
 *	  spillpool 0.1 wrote into Parquet shards in their compressed form.
 *
 * Before the fix, a value that reached a spillpool table compressed inline
 * (INSERT ... SELECT from a heap table that had compressed it with pglz or
 * lz4) kept that form in the table's segments, and a flush wrote the bytes
 * after its 4-byte varlena header into the shard as if they were the value.
 * Such a shard value is recognisable: it starts with PostgreSQL's 4-byte
 * compression word (the raw size in the low 30 bits, the method, 0 = pglz or
 * 1 = lz4, in the top two), followed by a pglz or lz4 stream that decodes to
 * exactly that many bytes.  Nothing was lost but the form, so the function
 * below both detects such values (non-NULL result) and returns the original
 * bytes, from which a repaired copy of the table can be built.
 *
 * The check is strict (the stream must decode completely, to exactly the
 * recorded size, with a method PostgreSQL uses and a size compression could
 * have saved), so a value that passes is, for all practical purposes, one
 * that the bug wrote; a bytea column of a user who stores raw pglz or lz4
 * payloads with PostgreSQL's own header is the only exception.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <lz4.h>

#include "common/pg_lzcompress.h"
#include "fmgr.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(spillpool_compressed_payload);

/* The two methods of PostgreSQL's compression word (ToastCompressionId). */
#define PAYLOAD_METHOD_PGLZ		0
#define PAYLOAD_METHOD_LZ4		1

/* Size of the compression word in front of the compressed stream. */
#define PAYLOAD_WORD_SIZE		((int) sizeof(uint32))

/*
 * Neither codec expands a byte of stream into more than 273 bytes of output
 * (a pglz tag of 3 bytes yields at most 273; lz4 stays below 255 per byte);
 * a recorded size above this bound cannot be right, and is refused before
 * anything is allocated for it.
 */
#define PAYLOAD_MAX_RATIO		273

/*
 * Decodes "value" as a compressed datum's payload (compression word, then
 * stream) and returns the decompressed bytes as bytea, or NULL when it is
 * not one.  Called on text as well as bytea: both are read as their bytes.
 */
Datum
spillpool_compressed_payload(PG_FUNCTION_ARGS)
{
	struct varlena *value = PG_GETARG_VARLENA_PP(0);
	const char *data = VARDATA_ANY(value);
	int32		len = VARSIZE_ANY_EXHDR(value);
	int32		stream_len = len - PAYLOAD_WORD_SIZE;
	uint32		word;
	int32		rawsize;
	int			method;
	bytea	   *result;
	int32		decoded;

	if (stream_len <= 0)
		PG_RETURN_NULL();
	memcpy(&word, data, sizeof(word));
	rawsize = (int32) (word & VARLENA_EXTSIZE_MASK);
	method = (int) (word >> VARLENA_EXTSIZE_BITS);

	/* compression is only kept when it saves space */
	if (rawsize <= stream_len || rawsize > MaxAllocSize - VARHDRSZ ||
		(int64) rawsize > (int64) stream_len * PAYLOAD_MAX_RATIO)
		PG_RETURN_NULL();
	if (method != PAYLOAD_METHOD_PGLZ && method != PAYLOAD_METHOD_LZ4)
		PG_RETURN_NULL();

	result = (bytea *) palloc(rawsize + VARHDRSZ);
	if (method == PAYLOAD_METHOD_PGLZ)
		decoded = pglz_decompress(data + PAYLOAD_WORD_SIZE, stream_len,
								  VARDATA(result), rawsize, true);
	else
		decoded = LZ4_decompress_safe(data + PAYLOAD_WORD_SIZE, VARDATA(result),
									  stream_len, rawsize);
	if (decoded != rawsize)
	{
		pfree(result);
		PG_RETURN_NULL();
	}
	SET_VARSIZE(result, rawsize + VARHDRSZ);
	PG_RETURN_BYTEA_P(result);
}
