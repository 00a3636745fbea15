/*-------------------------------------------------------------------------
 *
 * parquet_read_chunk.c
 *	  Decoding one column chunk page by page: page headers and their
 *	  checksums, dictionary pages, data pages v1 and v2 (their repetition
 *	  and definition levels, decompression and values), and spreading the
 *	  decoded values to their rows, or for a LIST column to the elements
 *	  of each row's list.
 *
 * The chunk's bytes come from the caller's memory or are read from the
 * file descriptor at once; its pages must lie inside it and hold exactly
 * the row group's rows.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "parquet_read_internal.h"

/*
 * Grows one output array (*arr, of *cap bytes holding used bytes) to
 * need bytes, in a buffer from the reader's spares when one fits.
 */
static bool
grow_array(ChunkDecoder *cd, void **arr, size_t *cap, size_t used, size_t need)
{
	size_t		newcap;
	void	   *buf;

	if (need <= *cap)
		return true;
	buf = pq_buffer_get(cd->reader, need, &newcap, cd->e);
	if (buf == NULL)
		return false;
	if (used > 0)
		memcpy(buf, *arr, used);
	if (*arr != NULL)
		pq_buffer_put(cd->reader, *arr, *cap);
	*arr = buf;
	*cap = newcap;
	return true;
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
	ParquetColumnValues *out = cd->out;

	if (need <= cd->capacity)
		return true;
	newcap = cd->capacity < 1024 ? 1024 : cd->capacity * 2;
	if (newcap < need)
		newcap = need;
	if (newcap > cd->rows_total)
		newcap = cd->rows_total;
	if (!grow_array(cd, (void **) &out->values, &out->values_cap,
					sizeof(ParquetValue) * (size_t) cd->rows_done,
					sizeof(ParquetValue) * (size_t) newcap) ||
		!grow_array(cd, (void **) &out->is_null, &out->is_null_cap,
					(size_t) cd->rows_done, (size_t) newcap))
		return false;
	cd->capacity = newcap;
	return true;
}

/*
 * Records the dictionary entry of each of a data page's n rows (0 for
 * null rows), from the indices the page's values were just decoded from,
 * as long as every data page of the chunk is dictionary encoded; the
 * first page that is not ends the record (see ParquetColumnValues).  A
 * page of only nulls (present == 0) has no values and ends nothing.
 */
static bool
page_keep_dict_index(ChunkDecoder *cd, int64_t n, const uint32_t *levels, size_t present,
					 int32_t encoding)
{
	uint32_t   *dst;
	size_t		next = 0;

	if (cd->not_dict_only)
		return true;
	if (encoding != PQ_ENC_PLAIN_DICTIONARY && encoding != PQ_ENC_RLE_DICTIONARY && present > 0)
	{
		cd->not_dict_only = true;
		if (cd->row_dict != NULL)
			pq_buffer_put(cd->reader, cd->row_dict, cd->row_dict_cap);
		cd->row_dict = NULL;
		return true;
	}
	if (cd->row_dict == NULL)
	{
		cd->row_dict = pq_buffer_get(cd->reader, sizeof(uint32_t) * (size_t) cd->rows_total,
									 &cd->row_dict_cap, cd->e);
		if (cd->row_dict == NULL)
			return false;
	}
	dst = cd->row_dict + cd->rows_done;
	if (levels == NULL || present == (size_t) n)
		memcpy(dst, cd->indices, sizeof(uint32_t) * (size_t) n);
	else
	{
		for (int64_t i = 0; i < n; i++)
			dst[i] = levels[i] ? cd->indices[next++] : 0;
	}
	return true;
}

/*
 * Appends one data page's n rows: decodes the non-null values packed at
 * the start of the page's slots, then spreads them to their rows from the
 * back (levels == NULL means no nulls), zeroing the null slots.  A page of
 * only nulls has no values to decode, whatever its encoding says: writers
 * leave its values section empty (v2) or write an empty encoding of it.
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
	if (present > 0 && !pq_decode_values(cd, encoding, p, len, dst, present))
		return false;
	if (!page_keep_dict_index(cd, n, levels, present, encoding))
		return false;
	if (levels == NULL || present == (size_t) n)
		memset(nulls, 0, (size_t) n);	/* no nulls: values are in place */
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

/*
 * Makes room for rows more rows and elements more elements in a LIST
 * column's output arrays (list_offsets has one more entry than rows).
 */
static bool
reserve_list(ChunkDecoder *cd, int64_t rows, int64_t elements)
{
	ParquetColumnValues *out = cd->out;
	size_t		nrows = (size_t) (cd->rows_done + rows);
	size_t		nelem = (size_t) (out->num_elements + elements);

	if (sizeof(bool) * nrows > out->is_null_cap ||
		sizeof(int64_t) * (nrows + 1) > out->list_offsets_cap)
	{
		size_t		want = 2 * (size_t) cd->rows_done;

		/* geometric growth, but never past the row group's rows */
		if (want > (size_t) cd->rows_total)
			want = (size_t) cd->rows_total;
		if (want < nrows)
			want = nrows;
		if (!grow_array(cd, (void **) &out->is_null, &out->is_null_cap,
						(size_t) cd->rows_done, want) ||
			!grow_array(cd, (void **) &out->list_offsets, &out->list_offsets_cap,
						out->list_offsets == NULL ? 0 :
						sizeof(int64_t) * (size_t) (cd->rows_done + 1),
						sizeof(int64_t) * (want + 1)))
			return false;
	}
	if (sizeof(ParquetValue) * nelem > out->elements_cap ||
		nelem > out->element_is_null_cap)
	{
		size_t		want = 2 * (size_t) out->num_elements;

		if (want < 1024)
			want = 1024;
		if (want < nelem)
			want = nelem;
		if (!grow_array(cd, (void **) &out->elements, &out->elements_cap,
						sizeof(ParquetValue) * (size_t) out->num_elements,
						sizeof(ParquetValue) * want) ||
			!grow_array(cd, (void **) &out->element_is_null, &out->element_is_null_cap,
						(size_t) out->num_elements, want))
			return false;
	}
	return true;
}

/*
 * Appends one data page of a LIST column: n level entries with their
 * repetition (rep) and definition (def) levels.  Level 0 repetition starts
 * a row; a definition level below the column's list_definition_level is a
 * NULL list, equal to it an empty list, above it an element, NULL unless
 * it is the maximum.  The page's non-NULL values are decoded at the end of
 * the elements and spread to their slots from the back, as page_emit does
 * for rows.  Levels are hostile: an entry that continues a list no entry
 * started, a NULL or empty list inside a list, levels past the maximum and
 * more rows than the row group's are corruption; more elements than
 * max_list_elements hit the limit.
 */
static bool
list_page_emit(ChunkDecoder *cd, int64_t n, const uint32_t *rep, const uint32_t *def,
			   int32_t encoding, const uint8_t *p, size_t len)
{
	const ParquetColumnSchema *col = cd->col;
	ParquetColumnValues *out = cd->out;
	uint32_t	list_def = (uint32_t) col->list_definition_level;
	uint32_t	max_def = (uint32_t) col->max_definition_level;
	int64_t		new_rows = 0;
	int64_t		slots = 0;
	size_t		present = 0;
	int64_t		base;
	int64_t		next;
	int64_t		elem;

	for (int64_t i = 0; i < n; i++)
	{
		if (def[i] > max_def)
			return pq_corrupt(cd->e, "definition level %u exceeds the column's maximum %u",
							  def[i], max_def);
		if (rep[i] > 1)
			return pq_corrupt(cd->e, "repetition level %u exceeds the column's maximum 1", rep[i]);
		if (rep[i] == 0)
			new_rows++;
		else if (cd->rows_done + new_rows == 0)
			return pq_corrupt(cd->e, "a list element continues a row that no level started");
		else if (def[i] <= list_def)
			return pq_corrupt(cd->e, "a NULL or empty list inside a list");
		if (def[i] > list_def)
		{
			slots++;
			present += def[i] == max_def;
		}
	}
	if (new_rows > cd->rows_total - cd->rows_done)
		return pq_corrupt(cd->e, "pages hold more than the row group's %lld rows",
						  (long long) cd->rows_total);
	if (slots > cd->reader->options.max_list_elements - out->num_elements)
		return pq_fail(cd->e, PARQUET_ERROR_LIMIT, "list column chunk of more than %lld elements",
					   (long long) cd->reader->options.max_list_elements);
	if (!reserve_list(cd, new_rows, slots))
		return false;
	base = out->num_elements;
	if (present > 0 &&
		!pq_decode_values(cd, encoding, p, len, out->elements + base, present))
		return false;

	/* spread the values to the element slots, from the back */
	next = (int64_t) present;
	elem = base + slots;
	for (int64_t i = n - 1; i >= 0; i--)
	{
		if (def[i] <= list_def)
			continue;
		elem--;
		if (def[i] == max_def)
		{
			out->elements[elem] = out->elements[base + --next];
			out->element_is_null[elem] = false;
		}
		else
		{
			memset(&out->elements[elem], 0, sizeof(ParquetValue));
			out->element_is_null[elem] = true;
		}
	}

	/* the rows: list_offsets[rows_done] is where the last row ends */
	if (cd->rows_done == 0 && cd->entries_done == 0)
		out->list_offsets[0] = 0;
	elem = base;
	for (int64_t i = 0; i < n; i++)
	{
		if (rep[i] == 0)
		{
			bool		null = def[i] < list_def;

			out->is_null[cd->rows_done++] = null;
			out->num_nulls += null;
		}
		if (def[i] > list_def)
			elem++;
		out->list_offsets[cd->rows_done] = elem;
	}
	out->num_elements = base + slots;
	out->num_values = cd->rows_done;
	cd->entries_done += n;
	return true;
}

/*
 * Decodes count levels of a LIST column's page at bit width for
 * max_level, from RLE/bit-packed data of len bytes, into *levels.
 */
static bool
list_levels(ChunkDecoder *cd, const uint8_t *p, size_t len, int max_level, int64_t count,
			uint32_t **levels, size_t *cap)
{
	return pq_scratch_reserve((void **) levels, cap, (size_t) count, sizeof(uint32_t), cd->e) &&
		pq_rle_decode(p, len, pq_bits_for((uint32_t) max_level), *levels, (size_t) count, cd->e);
}

/*
 * Bounds a LIST column's page of n level entries before its levels are
 * decoded: every entry starts a row or is an element, so n cannot pass the
 * rows and elements still allowed.
 */
static bool
list_page_check_entries(ChunkDecoder *cd, int64_t n)
{
	if (n > (cd->rows_total - cd->rows_done) +
		(cd->reader->options.max_list_elements - cd->out->num_elements))
		return pq_fail(cd->e, PARQUET_ERROR_LIMIT, "page of %lld list entries exceeds the rows and elements left",
					   (long long) n);
	return true;
}

/* Parsed PageHeader and whichever sub-header it carries. */
typedef struct PageHeader
{
	int32_t		type;
	int32_t		uncompressed_size;
	int32_t		compressed_size;
	bool		has_crc;
	uint32_t	crc;			/* CRC-32 of the bytes after the header */
	bool		has_data;
	bool		has_dict;
	bool		has_v2;
	int32_t		num_values;
	int32_t		encoding;
	int32_t		def_encoding;	/* v1 */
	int32_t		rep_encoding;	/* v1 */
	int32_t		num_nulls;		/* v2 */
	int32_t		num_rows;		/* v2 */
	int32_t		def_length;		/* v2 */
	int32_t		rep_length;		/* v2 */
	bool		is_compressed;	/* v2 */
} PageHeader;

/*
 * The fields of DataPageHeader (v1) that the decoder uses: num_values (1),
 * encoding (2), definition_level_encoding (3) and
 * repetition_level_encoding (4).
 */
static ThriftFieldResult
data_page_header_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	PageHeader *ph = arg;
	int32_t    *target;

	switch (id)
	{
		case 1:
			target = &ph->num_values;
			break;
		case 2:
			target = &ph->encoding;
			break;
		case 3:
			target = &ph->def_encoding;
			break;
		case 4:
			target = &ph->rep_encoding;
			break;
		default:
			return THRIFT_FIELD_SKIP;
	}
	return thrift_field_read(thrift_read_i32(tr, type, target));
}

/*
 * The fields of DictionaryPageHeader: num_values (1) and encoding (2) as
 * in DataPageHeader; its field 3 is is_sorted, which the decoder ignores.
 */
static ThriftFieldResult
dictionary_page_header_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	if (id == 3 || id == 4)
		return THRIFT_FIELD_SKIP;
	return data_page_header_field(tr, id, type, arg);
}

/*
 * The fields of DataPageHeaderV2 that the decoder uses: the counts, the
 * encoding, the lengths of the levels (1 to 6) and is_compressed (7).
 */
static ThriftFieldResult
data_page_header_v2_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	PageHeader *ph = arg;
	int32_t    *target;

	switch (id)
	{
		case 1:
			target = &ph->num_values;
			break;
		case 2:
			target = &ph->num_nulls;
			break;
		case 3:
			target = &ph->num_rows;
			break;
		case 4:
			target = &ph->encoding;
			break;
		case 5:
			target = &ph->def_length;
			break;
		case 6:
			target = &ph->rep_length;
			break;
		case 7:
			return thrift_field_read(thrift_read_bool(tr, type, &ph->is_compressed));
		default:
			return THRIFT_FIELD_SKIP;
	}
	return thrift_field_read(thrift_read_i32(tr, type, target));
}

/*
 * The sub-headers: v1 and dictionary pages need their first two fields
 * (num_values, encoding), v2 pages the first six.
 */
#define PAGE_SUB_HEADER_MISSING "page header lacks a required field"
static const ThriftStructDef data_page_header_def = {
	data_page_header_field, THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(2),
	PARQUET_ERROR_CORRUPT, PAGE_SUB_HEADER_MISSING
};
static const ThriftStructDef dictionary_page_header_def = {
	dictionary_page_header_field, THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(2),
	PARQUET_ERROR_CORRUPT, PAGE_SUB_HEADER_MISSING
};
static const ThriftStructDef data_page_header_v2_def = {
	data_page_header_v2_field,
	THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(2) | THRIFT_FIELD_BIT(3) |
	THRIFT_FIELD_BIT(4) | THRIFT_FIELD_BIT(5) | THRIFT_FIELD_BIT(6),
	PARQUET_ERROR_CORRUPT, PAGE_SUB_HEADER_MISSING
};

/*
 * Parses one of the sub-headers (a field of PageHeader whose wire type
 * was checked) into ph, and checks its counts and lengths.
 */
static bool
parse_sub_header(ThriftReader *tr, PageHeader *ph, const ThriftStructDef *def)
{
	if (!thrift_read_struct(tr, def, ph))
		return false;
	if (ph->num_values < 0 || ph->num_nulls < 0 || ph->def_length < 0 || ph->rep_length < 0)
		return pq_corrupt(tr->err, "negative count or length in a page header");
	return true;
}

/* The fields of PageHeader, the sub-headers included. */
static ThriftFieldResult
page_header_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	PageHeader *ph = arg;
	const ThriftStructDef *sub;
	bool	   *has;
	const char *what;

	switch (id)
	{
		case 1:
			return thrift_field_read(thrift_read_i32(tr, type, &ph->type));
		case 2:
			return thrift_field_read(thrift_read_i32(tr, type, &ph->uncompressed_size));
		case 3:
			return thrift_field_read(thrift_read_i32(tr, type, &ph->compressed_size));
		case 4:
			{
				int32_t		crc;

				if (!thrift_read_i32(tr, type, &crc))
					return THRIFT_FIELD_FAILED;
				/* an i32 on the wire; the checksum is its bits */
				memcpy(&ph->crc, &crc, sizeof(ph->crc));
				ph->has_crc = true;
				return THRIFT_FIELD_READ;
			}
		case 5:
			sub = &data_page_header_def;
			has = &ph->has_data;
			what = "PageHeader.data_page_header";
			break;
		case 7:
			sub = &dictionary_page_header_def;
			has = &ph->has_dict;
			what = "PageHeader.dictionary_page_header";
			break;
		case 8:
			sub = &data_page_header_v2_def;
			has = &ph->has_v2;
			what = "PageHeader.data_page_header_v2";
			break;
		default:
			return THRIFT_FIELD_SKIP;
	}
	*has = true;
	return thrift_field_read(thrift_expect(tr, type, TC_STRUCT, what) &&
							 parse_sub_header(tr, ph, sub));
}

/* type and both sizes are required */
static const ThriftStructDef page_header_def = {
	page_header_field,
	THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(2) | THRIFT_FIELD_BIT(3),
	PARQUET_ERROR_CORRUPT, "page header lacks type or sizes"
};

/* Parses a PageHeader at tr. */
static bool
parse_page_header(ThriftReader *tr, PageHeader *ph)
{
	memset(ph, 0, sizeof(*ph));
	ph->def_encoding = PQ_ENC_RLE;
	ph->rep_encoding = PQ_ENC_RLE;
	ph->is_compressed = true;
	if (!thrift_read_struct(tr, &page_header_def, ph))
		return false;
	if (ph->uncompressed_size < 0 || ph->compressed_size < 0)
		return pq_corrupt(tr->err, "negative page size");
	return true;
}

/*
 * Checks the CRC-32 a page header carries against the page's bytes as
 * they lie in the file after the header (compressed, and for v2 pages the
 * levels too), before anything is decompressed, so that a flipped or torn
 * byte fails as corruption instead of decoding into wrong values or
 * feeding a decompressor garbage.  page_offset, where the page header
 * starts in the file, is for the message; the column is named by the
 * context parquet_read_column_chunk adds.  Pages without a crc pass.
 */
static bool
page_check_crc(ChunkDecoder *cd, const PageHeader *ph, const uint8_t *body, size_t body_len,
			   uint64_t page_offset)
{
	uint32_t	computed;

	if (!ph->has_crc)
		return true;
	/* crc32() takes a uInt length; compressed_size is an int32 */
	computed = (uint32_t) crc32(crc32(0L, Z_NULL, 0), body, (uInt) body_len);
	if (computed != ph->crc)
		return pq_corrupt(cd->e, "page checksum mismatch at offset %llu (header crc %08x, computed %08x)",
						  (unsigned long long) page_offset, ph->crc, computed);
	return true;
}

/*
 * Returns the uncompressed bytes of a page body: the input itself when it
 * is not compressed, else a new buffer.  Buffers that byte-array values
 * may point into are handed to the output; others replace cd->page_buf.
 *
 * An empty compressed section that the header says decompresses to nothing
 * is nothing, whatever the codec: parquet-java (Spark) writes the values
 * section of a v2 page of only nulls as 0 bytes, which no codec accepts as
 * its encoding of no bytes (Snappy's is one byte, ZSTD's a whole frame);
 * Arrow C++ and arrow-rs read it as empty too.  An empty section that
 * claims a size is corrupt.
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
	if (srclen == 0)
	{
		if (rawlen != 0)
			return pq_corrupt(cd->e, "empty compressed page section says it holds %zu bytes", rawlen);
		*data = src;
		*datalen = 0;
		return true;
	}
	if (rawlen > cd->reader->options.max_page_bytes)
		return pq_fail(cd->e, PARQUET_ERROR_LIMIT, "page of %zu bytes exceeds the limit of %zu bytes",
					   rawlen, cd->reader->options.max_page_bytes);
	if (cd->out->kind != PQ_VALUE_BYTES && cd->page_buf != NULL && cd->page_buf_cap >= rawlen)
		buf = cd->page_buf;		/* the previous page's values are copied out */
	else
	{
		size_t		cap;

		buf = pq_buffer_get(cd->reader, rawlen, &cap, cd->e);
		if (buf == NULL)
			return false;
		if (cd->out->kind == PQ_VALUE_BYTES)
		{
			if (!pq_values_keep_buffer(cd->out, buf, cap, cd->e))
				return false;
		}
		else
		{
			if (cd->page_buf != NULL)
				pq_buffer_put(cd->reader, cd->page_buf, cd->page_buf_cap);
			cd->page_buf = buf;
			cd->page_buf_cap = cap;
		}
	}
	if (!pq_decompress_page(cd->reader, cd->cc->codec, src, srclen, buf, rawlen, cd->e))
		return false;
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
	if ((uint64_t) ph->num_values > ((uint64_t) len * 8) / pq_plain_min_bits(cd->col))
		return pq_corrupt(cd->e, "dictionary page of %zu bytes cannot hold %d values", len, (int) ph->num_values);
	cd->dict = pq_calloc(cd->e, (size_t) ph->num_values, sizeof(ParquetValue));
	if (cd->dict == NULL || !pq_decode_plain(cd, data, len, cd->dict, (size_t) ph->num_values))
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
	if (cd->col->is_list)
	{
		if (!list_page_check_entries(cd, n))
			return false;
	}
	else if (n > cd->rows_total - cd->rows_done)
		return pq_corrupt(cd->e, "pages hold more than the row group's %lld rows",
						  (long long) cd->rows_total);
	if (n == 0)
		return true;			/* nothing to decompress for */
	if (!page_body(cd, cd->cc->codec != PQ_CODEC_UNCOMPRESSED, src, srclen,
				   (size_t) ph->uncompressed_size, &data, &len))
		return false;
	if (cd->col->is_list)
	{
		/* repetition, then definition levels, each RLE with a length */
		uint32_t	l;

		if (ph->rep_encoding != PQ_ENC_RLE || ph->def_encoding != PQ_ENC_RLE)
			return pq_fail(cd->e, PARQUET_ERROR_UNSUPPORTED, "unsupported level encoding %s of a list column",
						   parquet_encoding_name(ph->rep_encoding != PQ_ENC_RLE ?
												 ph->rep_encoding : ph->def_encoding));
		if (len < 4 || (l = pq_load_le32(data)) > len - 4)
			return pq_corrupt(cd->e, "truncated repetition levels");
		if (!list_levels(cd, data + 4, l, cd->col->max_repetition_level, n,
						 &cd->rep_levels, &cd->rep_levels_cap))
			return false;
		pos = 4 + (size_t) l;
		if (len - pos < 4 || (l = pq_load_le32(data + pos)) > len - pos - 4)
			return pq_corrupt(cd->e, "truncated definition levels");
		if (!list_levels(cd, data + pos + 4, l, cd->col->max_definition_level, n,
						 &cd->levels, &cd->levels_cap))
			return false;
		pos += 4 + (size_t) l;
		return list_page_emit(cd, n, cd->rep_levels, cd->levels, ph->encoding,
							  data + pos, len - pos);
	}
	if (cd->col->max_definition_level > 0)
	{
		if (!pq_scratch_reserve((void **) &cd->levels, &cd->levels_cap, (size_t) n, sizeof(uint32_t), cd->e))
			return false;
		levels = cd->levels;
		if (ph->def_encoding == PQ_ENC_RLE)
		{
			uint32_t	l;

			if (len < 4)
				return pq_corrupt(cd->e, "truncated definition levels");
			l = pq_load_le32(data);
			if (l > len - 4)
				return pq_corrupt(cd->e, "definition levels of %u bytes overrun the page", l);
			if (!pq_rle_decode(data + 4, l, 1, levels, (size_t) n, cd->e))
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
	if (cd->col->is_list)
	{
		if (!list_page_check_entries(cd, n))
			return false;
	}
	else if (n > cd->rows_total - cd->rows_done)
		return pq_corrupt(cd->e, "pages hold more than the row group's %lld rows",
						  (long long) cd->rows_total);
	if (n == 0)
		return true;
	if (cd->col->is_list)
	{
		if (!list_levels(cd, src, (size_t) ph->rep_length, cd->col->max_repetition_level, n,
						 &cd->rep_levels, &cd->rep_levels_cap) ||
			!list_levels(cd, src + ph->rep_length, (size_t) ph->def_length,
						 cd->col->max_definition_level, n, &cd->levels, &cd->levels_cap) ||
			!page_body(cd, ph->is_compressed && cd->cc->codec != PQ_CODEC_UNCOMPRESSED,
					   src + levels_len, srclen - levels_len,
					   (size_t) ph->uncompressed_size - levels_len, &data, &len))
			return false;
		return list_page_emit(cd, n, cd->rep_levels, cd->levels, ph->encoding, data, len);
	}
	if (cd->col->max_definition_level > 0)
	{
		if (!pq_scratch_reserve((void **) &cd->levels, &cd->levels_cap, (size_t) n, sizeof(uint32_t), cd->e) ||
			!pq_rle_decode(src + ph->rep_length, (size_t) ph->def_length, 1, cd->levels, (size_t) n, cd->e))
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
 * decoded.  The chunk's byte range, from ColumnMetaData (never the
 * deprecated ColumnChunk.file_offset, which some writers leave 0), must
 * lie between the leading magic and the footer.  A row group without rows
 * reads nothing, so its chunks' offsets are not checked: Arrow writes a
 * chunk without pages with data_page_offset and total_compressed_size 0.
 */
bool
pq_decode_column_chunk(ChunkDecoder *cd, const ParquetRowGroup *rg)
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
	if (rg->num_rows == 0)
		return true;
	if (cc->has_dictionary_page_offset && cc->dictionary_page_offset > 0 &&
		(uint64_t) cc->dictionary_page_offset < start)
		start = (uint64_t) cc->dictionary_page_offset;
	if (start < PARQUET_MAGIC_LEN || start > reader->metadata_offset ||
		length > reader->metadata_offset - start)
		return pq_corrupt(cd->e, "column chunk at offset %llu of %llu bytes lies outside the data of the file",
						  (unsigned long long) start, (unsigned long long) length);

	if (reader->data != NULL)
		chunk = reader->data + start;
	else
	{
		cd->chunk_buf = pq_buffer_get(reader, (size_t) length, &cd->chunk_buf_cap, cd->e);
		if (cd->chunk_buf == NULL ||
			!pq_pread_fully(reader->fd, cd->chunk_buf, (size_t) length, start, cd->e))
			return false;
		chunk = cd->chunk_buf;
	}

	/* a list column's last row may go on in pages after its first entry */
	if (cd->col->is_list)
		cd->not_dict_only = true;	/* no dict_index for lists */
	while (cd->rows_done < cd->rows_total ||
		   (cd->col->is_list && cd->entries_done < cc->num_values && pos < length))
	{
		ThriftReader tr;
		PageHeader	ph;
		const uint8_t *body;
		size_t		body_len;
		uint64_t	page_offset = start + pos;

		if (pos >= length)
			return pq_corrupt(cd->e, "column chunk ends after %lld of %lld rows",
							  (long long) cd->rows_done, (long long) cd->rows_total);
		thrift_reader_init(&tr, chunk + pos, (size_t) (length - pos), cd->e);
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
		if (!page_check_crc(cd, &ph, body, body_len, page_offset))
			return false;

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
void
pq_chunk_decoder_free(ChunkDecoder *cd)
{
	if (cd->chunk_buf != NULL)
		pq_buffer_put(cd->reader, cd->chunk_buf, cd->chunk_buf_cap);
	free(cd->dict);
	free(cd->levels);
	free(cd->indices);
	if (cd->row_dict != NULL)
		pq_buffer_put(cd->reader, cd->row_dict, cd->row_dict_cap);
	free(cd->deltas);
	free(cd->rep_levels);
	if (cd->page_buf != NULL)
		pq_buffer_put(cd->reader, cd->page_buf, cd->page_buf_cap);
}
