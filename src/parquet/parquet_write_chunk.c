/*-------------------------------------------------------------------------
 *
 * parquet_write_chunk.c
 *	  Writing what the Parquet writer buffered: data and dictionary pages
 *	  (RLE/bit-packed definition levels and indices, compression with ZSTD
 *	  or LZ4_RAW, the CRC-32 of every page in its header), column chunks with their statistics, row groups, and the
 *	  footer (schema elements, logical types, FileMetaData) in the thrift
 *	  compact protocol.
 *
 * Data pages hold whole rows: a LIST column's page never ends inside a
 * row's list, so readers that expect pages to start at row boundaries (as
 * data pages v2 must) read ours too.
 *
 * When a row group is written, a dictionary that would not be smaller
 * than PLAIN is expanded into PLAIN pages; each chunk's metadata is
 * serialized into the row group list as soon as the chunk is written, so
 * the footer only has to be assembled once at the end.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lz4.h>
#include <zlib.h>

#include "parquet_write_internal.h"

/*
 * PLAIN-encodes a numeric min or max (is_max) of the chunk into out, for
 * its Statistics, and returns the length; 0 for non-numeric columns.
 */
static size_t
pq_stats_encode_num(const PqColumn *c, PqNum v, bool is_max, uint8_t *out)
{
	switch (c->spec.type)
	{
		case PQ_BOOLEAN:
			out[0] = (uint8_t) v.i;
			return 1;
		case PQ_INT32:
			pq_store_le32(out, (uint32_t) v.u);
			return 4;
		case PQ_INT64:
			pq_store_le64(out, v.u);
			return 8;
		case PQ_FLOAT:
		case PQ_DOUBLE:
			{
				/* a FLOAT's value is a float widened, so (float) is exact */
				double		d = v.d;
				float		f;
				uint32_t	bits32;
				uint64_t	bits64;

				/* the spec: a zero min is written -0.0, a zero max +0.0 */
				if (d == 0.0)
					d = is_max ? 0.0 : -0.0;
				if (c->spec.type == PQ_FLOAT)
				{
					f = (float) d;
					memcpy(&bits32, &f, 4);
					pq_store_le32(out, bits32);
					return 4;
				}
				memcpy(&bits64, &d, 8);
				pq_store_le64(out, bits64);
				return 8;
			}
		default:
			return 0;
	}
}

/*
 * Serialize the chunk's Statistics struct as field 12 of ColumnMetaData:
 * null_count always; min_value/max_value (5/6) when there is a non-NaN
 * value and both fit PARQUET_MAX_STATISTICS_BYTES; the deprecated min/max
 * (1/2) too for signed numeric orders, where the legacy order coincides,
 * for the benefit of old readers.
 */
static void
pq_write_statistics(ThriftWriter *t, const PqColumn *c)
{
	uint8_t		minv[8];
	uint8_t		maxv[8];
	const uint8_t *minp = minv;
	const uint8_t *maxp = maxv;
	size_t		minlen = 0;
	size_t		maxlen = 0;
	bool		minmax = c->has_minmax;
	bool		legacy;

	if (minmax)
	{
		if (c->width == 0 || c->spec.type == PQ_FIXED_LEN_BYTE_ARRAY)
		{
			minp = c->minb.data;
			minlen = c->minb.len;
			maxp = c->maxb.data;
			maxlen = c->maxb.len;
			if (minlen > PARQUET_MAX_STATISTICS_BYTES ||
				maxlen > PARQUET_MAX_STATISTICS_BYTES)
				minmax = false;
		}
		else
		{
			minlen = pq_stats_encode_num(c, c->min, false, minv);
			maxlen = pq_stats_encode_num(c, c->max, true, maxv);
		}
	}
	legacy = minmax && (c->sort == PQ_SORT_INT || c->sort == PQ_SORT_FLOAT ||
						c->sort == PQ_SORT_BOOL);

	tw_struct_begin(t, 12);
	if (legacy)
	{
		tw_binary(t, 1, maxp, maxlen);
		tw_binary(t, 2, minp, minlen);
	}
	tw_i64(t, 3, c->nnull);
	if (minmax)
	{
		tw_binary(t, 5, maxp, maxlen);
		tw_binary(t, 6, minp, minlen);
	}
	tw_struct_end(t);
}

/* ---------------------------------------------------------------------
 * Pages and column chunks
 * ---------------------------------------------------------------------
 */

/*
 * The PageHeader.crc of a page: the standard CRC-32 (zlib's crc32()) of the
 * bytes that follow the page header in the file, as a signed 32-bit
 * integer with the same bits, which is how parquet.thrift types it.
 * Readers that verify it (ours, parquet-mr, Arrow) catch torn or flipped
 * page bytes that would otherwise decode into wrong values.
 */
static int32_t
pq_page_crc(const uint8_t *payload, size_t len)
{
	uint32_t	crc = (uint32_t) crc32(0L, Z_NULL, 0);
	int32_t		as_i32;

	/* crc32() takes a uInt length; pages are below INT32_MAX bytes */
	crc = (uint32_t) crc32(crc, payload, (uInt) len);
	memcpy(&as_i32, &crc, sizeof(as_i32));
	return as_i32;
}

/*
 * Compress one page body, serialize its header (with the CRC-32 of the
 * bytes written after it) and append both to the file; account for them
 * in the column's chunk info.  nvalues counts NULLs too (it is the number
 * of definition levels).
 */
static int
pq_write_page(ParquetWriter *w, PqColumn *c, bool dict_page,
			  const uint8_t *body, size_t len, int64_t nvalues,
			  ParquetEncoding encoding)
{
	const uint8_t *payload = body;
	size_t		plen = len;
	ThriftWriter	t;
	int			rc;

	if (len > INT32_MAX)
		return pq_writer_fail(w, PARQUET_ERROR_INVALID,
					   "page of column \"%s\" is too large (%zu bytes)",
					   c->name, len);

	if (w->codec == PQ_CODEC_ZSTD)
	{
		size_t		bound = ZSTD_compressBound(len);
		size_t		r;

		w->cpage.len = 0;
		if (!pq_buf_reserve(&w->cpage, bound))
			return pq_writer_fail(w, PARQUET_ERROR_NOMEM, "out of memory");
		r = ZSTD_compressCCtx(w->zctx, w->cpage.data, bound, body, len,
							  w->level);
		if (ZSTD_isError(r))
			return pq_writer_fail(w, PARQUET_ERROR_COMPRESS, "zstd compression failed: %s",
						   ZSTD_getErrorName(r));
		payload = w->cpage.data;
		plen = r;
	}
	else if (w->codec == PQ_CODEC_LZ4_RAW)
	{
		int			bound;
		int			r;

		if (len > LZ4_MAX_INPUT_SIZE)
			return pq_writer_fail(w, PARQUET_ERROR_COMPRESS,
						   "page of %zu bytes is too large for LZ4", len);
		bound = LZ4_compressBound((int) len);
		w->cpage.len = 0;
		if (!pq_buf_reserve(&w->cpage, (size_t) bound))
			return pq_writer_fail(w, PARQUET_ERROR_NOMEM, "out of memory");
		r = LZ4_compress_fast_extState(w->lz4state, (const char *) body,
									   (char *) w->cpage.data, (int) len,
									   bound, 1);
		if (r <= 0)
			return pq_writer_fail(w, PARQUET_ERROR_COMPRESS, "lz4 compression failed");
		payload = w->cpage.data;
		plen = (size_t) r;
	}
	if (plen > INT32_MAX)
		return pq_writer_fail(w, PARQUET_ERROR_INVALID,
					   "compressed page of column \"%s\" is too large", c->name);

	w->hdr.len = 0;
	tw_init(&t, &w->hdr);
	tw_i32(&t, 1, dict_page ? PQ_PAGE_DICTIONARY : PQ_PAGE_DATA);
	tw_i32(&t, 2, (int32_t) len);
	tw_i32(&t, 3, (int32_t) plen);
	tw_i32(&t, 4, pq_page_crc(payload, plen));
	if (dict_page)
	{
		tw_struct_begin(&t, 7);
		tw_i32(&t, 1, (int32_t) nvalues);
		tw_i32(&t, 2, PQ_ENC_PLAIN);
		tw_struct_end(&t);
	}
	else
	{
		tw_struct_begin(&t, 5);
		tw_i32(&t, 1, (int32_t) nvalues);
		tw_i32(&t, 2, encoding);
		tw_i32(&t, 3, PQ_ENC_RLE);
		tw_i32(&t, 4, PQ_ENC_RLE);
		tw_struct_end(&t);
	}
	tw_struct_end(&t);
	if (w->hdr.oom)
		return pq_writer_fail(w, PARQUET_ERROR_NOMEM, "out of memory");

	if ((rc = pq_out(w, w->hdr.data, w->hdr.len)) != PARQUET_OK ||
		(rc = pq_out(w, payload, plen)) != PARQUET_OK)
		return rc;
	c->chunk.total_uncompressed += (int64_t) (w->hdr.len + len);
	c->chunk.total_compressed += (int64_t) (w->hdr.len + plen);
	if (!dict_page)
		c->chunk.ndata_pages++;
	return PARQUET_OK;
}

/*
 * Appends one level stream of a v1 data page: its length (4 bytes), then
 * levels[0 .. n) RLE/bit-packed at the bit width of max_level.
 */
static void
pq_put_levels(PqBuf *pg, const uint8_t *levels, size_t n, int max_level)
{
	size_t		lenpos;

	pq_buf_put_u32le(pg, 0);
	lenpos = pg->len;
	pq_rle_encode(pg, NULL, levels, n, pq_bits_for((uint32_t) max_level));
	if (!pg->oom)
		pq_store_le32(pg->data + lenpos - 4, (uint32_t) (pg->len - lenpos));
}

/*
 * Write column c's buffered chunk as pages: the dictionary page if the
 * dictionary is kept, then data pages of about page_bytes each (estimated
 * from the encoded size of their values).  nentries is the number of
 * level entries: the rows of the row group for a flat column, the entries
 * of every list (one per element, NULL or empty list) for a LIST column.
 * A value is present where the definition level is max_def.
 */
static int
pq_write_chunk(ParquetWriter *w, PqColumn *c, int64_t nentries)
{
	PqChunkEncoding enc;
	int			bw = 0;
	const uint8_t *def = c->max_def > 0 ? c->def.data : NULL;
	const uint8_t *rep = c->max_rep > 0 ? c->rep.data : NULL;
	const uint8_t maxdef = (uint8_t) c->max_def;
	const uint32_t *idx = (const uint32_t *) c->idx.data;
	const uint32_t *doff = (const uint32_t *) c->dict_off.data;
	size_t		row = 0;		/* the next level entry */
	size_t		vi = 0;
	size_t		off = 0;
	int			rc;

	memset(&c->chunk, 0, sizeof(c->chunk));
	c->chunk.start = w->offset;

	if (c->use_dict)
	{
		uint64_t	plain_size;

		bw = pq_bits_for(c->ndict > 0 ? c->ndict - 1 : 0);
		if (bw == 0)
			bw = 1;				/* a bit width of 0 is not accepted by all */
		plain_size = c->width ? (uint64_t) c->nvalues * c->width : c->plain_bytes;
		if (c->ndict > 0 &&
			c->dict.len + ((uint64_t) c->nvalues * bw + 7) / 8 < plain_size)
			enc = PQ_CHUNK_DICT;
		else
			enc = PQ_CHUNK_EXPAND;
	}
	else
		enc = PQ_CHUNK_PLAIN;

	/* back off from dictionaries that did not pay off */
	if (enc == PQ_CHUNK_DICT)
		c->dict_backoff = 0;
	else if (c->dict_tried)
	{
		c->dict_skip = c->dict_backoff;
		c->dict_backoff = c->dict_backoff == 0 ? 1 :
			(c->dict_backoff * 2 > PQ_DICT_MAX_BACKOFF ? PQ_DICT_MAX_BACKOFF :
			 c->dict_backoff * 2);
	}

	if (enc == PQ_CHUNK_DICT)
	{
		c->chunk.has_dict = true;
		c->chunk.dict_offset = w->offset;
		rc = pq_write_page(w, c, true, c->dict.data, c->dict.len, c->ndict,
						   PQ_ENC_PLAIN);
		if (rc != PARQUET_OK)
			return rc;
	}
	c->chunk.data_offset = w->offset;

	while (row < (size_t) nentries)
	{
		size_t		row0 = row;
		size_t		vi0 = vi;
		size_t		off0 = off;
		size_t		end = (size_t) nentries - row > PQ_PAGE_MAX_ROWS ?
			row + PQ_PAGE_MAX_ROWS : (size_t) nentries;
		bool		fixed = enc == PQ_CHUNK_DICT || c->width != 0;
		uint64_t	maxvals = 0;
		size_t		vbytes = 0; /* PLAIN bytes of the page's values */
		size_t		nv;
		const uint8_t *body;
		size_t		bodylen;
		PqBuf	   *pg = &w->page;

		if (fixed)
		{
			uint64_t	bits = enc == PQ_CHUNK_DICT ? (uint64_t) bw :
				(c->spec.type == PQ_BOOLEAN ? 1 : (uint64_t) c->width * 8);

			maxvals = (uint64_t) w->page_bytes * 8 / bits;
			if (maxvals == 0)
				maxvals = 1;
		}

		/*
		 * The page's extent: entries [row0,row), values [vi0,vi).  A full
		 * page ends before the next entry that starts a row; the entries
		 * of a list that began on it stay on it, past PQ_PAGE_MAX_ROWS if
		 * need be.
		 */
		while (row < (size_t) nentries)
		{
			if (rep == NULL || rep[row] == 0)
			{
				if (row > row0 &&
					(row >= end || (fixed ? (uint64_t) (vi - vi0) >= maxvals :
									vbytes >= w->page_bytes)))
					break;
			}
			if (def == NULL || def[row] == maxdef)
			{
				if (!fixed)
				{
					size_t		len;

					if (enc == PQ_CHUNK_PLAIN)
					{
						len = 4 + (size_t) pq_load_le32(c->plain.data + off);
						off += len;
					}
					else
						len = 4 + (size_t) pq_load_le32(c->dict.data + doff[idx[vi]]);
					vbytes += len;
				}
				vi++;
			}
			row++;
		}
		nv = vi - vi0;
		if (fixed)
			vbytes = nv * (size_t) c->width;

		/* assemble the page body: repetition and definition levels, values */
		pg->len = 0;
		if (rep != NULL)
			pq_put_levels(pg, rep + row0, row - row0, c->max_rep);
		if (def != NULL)
			pq_put_levels(pg, def + row0, row - row0, c->max_def);
		body = NULL;
		bodylen = 0;
		if (enc == PQ_CHUNK_DICT)
		{
			pq_buf_put_u8(pg, (uint8_t) bw);
			pq_rle_encode(pg, idx + vi0, NULL, nv, bw);
		}
		else if (enc == PQ_CHUNK_PLAIN && c->spec.type == PQ_BOOLEAN)
		{
			size_t		nbytes = (nv + 7) / 8;
			size_t		i;

			if (pq_buf_reserve(pg, nbytes))
			{
				uint8_t    *dst = pg->data + pg->len;

				memset(dst, 0, nbytes);
				for (i = 0; i < nv; i++)
					dst[i >> 3] |= (uint8_t) (c->plain.data[vi0 + i] << (i & 7));
				pg->len += nbytes;
			}
		}
		else if (enc == PQ_CHUNK_PLAIN && vbytes > 0)
		{
			const uint8_t *src = c->plain.data +
				(c->width ? vi0 * (size_t) c->width : off0);

			if (def == NULL)
			{
				/* the buffered PLAIN bytes are the page: no copy */
				body = src;
				bodylen = vbytes;
			}
			else
				pq_buf_append(pg, src, vbytes);
		}
		else if (enc == PQ_CHUNK_EXPAND && vbytes > 0)
		{
			/* expand dictionary indices into PLAIN values */
			size_t		i;

			if (pq_buf_reserve(pg, vbytes))
			{
				uint8_t    *dst = pg->data + pg->len;

				for (i = vi0; i < vi; i++)
				{
					if (c->width)
					{
						memcpy(dst, c->dict.data + (size_t) idx[i] * c->width,
							   c->width);
						dst += c->width;
					}
					else
					{
						const uint8_t *p = c->dict.data + doff[idx[i]];
						size_t		len = 4 + (size_t) pq_load_le32(p);

						memcpy(dst, p, len);
						dst += len;
					}
				}
				pg->len += vbytes;
			}
		}
		if (pg->oom)
			return pq_writer_fail(w, PARQUET_ERROR_NOMEM, "out of memory");
		if (body == NULL)
		{
			body = pg->data;
			bodylen = pg->len;
		}
		rc = pq_write_page(w, c, false, body, bodylen, (int64_t) (row - row0),
						   enc == PQ_CHUNK_DICT ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN);
		if (rc != PARQUET_OK)
			return rc;
	}
	return PARQUET_OK;
}

/*
 * Serialize the ColumnChunk (with its ColumnMetaData) of column c's chunk
 * just written, as an element of RowGroup.columns; nvalues is its number
 * of level entries (rows, or list entries).
 */
static void
pq_write_column_chunk_meta(ParquetWriter *w, ThriftWriter *t, const PqColumn *c,
						   int64_t nvalues)
{
	const PqChunkInfo *ci = &c->chunk;
	int			nenc = 0;
	int32_t		encs[3];
	int			i;

	/* PLAIN: the dictionary page or the data pages */
	encs[nenc++] = PQ_ENC_PLAIN;
	if (c->max_def > 0)
		encs[nenc++] = PQ_ENC_RLE;
	if (ci->has_dict)
		encs[nenc++] = PQ_ENC_RLE_DICTIONARY;

	tw_elem_struct_begin(t);
	tw_i64(t, 2, (int64_t) ci->start);
	tw_struct_begin(t, 3);
	tw_i32(t, 1, c->spec.type);
	tw_list_begin(t, 2, TC_I32, nenc);
	for (i = 0; i < nenc; i++)
		tw_elem_i32(t, encs[i]);
	/* path_in_schema: a LIST's leaf is <name>.list.element */
	tw_list_begin(t, 3, TC_BINARY, c->spec.list ? 3 : 1);
	tw_elem_binary(t, c->name, strlen(c->name));
	if (c->spec.list)
	{
		tw_elem_binary(t, "list", 4);
		tw_elem_binary(t, "element", 7);
	}
	tw_i32(t, 4, w->codec);
	tw_i64(t, 5, nvalues);
	tw_i64(t, 6, ci->total_uncompressed);
	tw_i64(t, 7, ci->total_compressed);
	tw_i64(t, 9, (int64_t) ci->data_offset);
	if (ci->has_dict)
		tw_i64(t, 11, (int64_t) ci->dict_offset);
	/* a LIST's element bounds are not bounds of its values: none */
	if (!c->spec.list)
		pq_write_statistics(t, c);
	/* encoding_stats: lets readers see that every data page uses the dict */
	tw_list_begin(t, 13, TC_STRUCT, ci->has_dict ? 2 : 1);
	if (ci->has_dict)
	{
		tw_elem_struct_begin(t);
		tw_i32(t, 1, PQ_PAGE_DICTIONARY);
		tw_i32(t, 2, PQ_ENC_PLAIN);
		tw_i32(t, 3, 1);
		tw_struct_end(t);
	}
	tw_elem_struct_begin(t);
	tw_i32(t, 1, PQ_PAGE_DATA);
	tw_i32(t, 2, ci->has_dict ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN);
	tw_i32(t, 3, ci->ndata_pages);
	tw_struct_end(t);
	tw_struct_end(t);			/* ColumnMetaData */
	tw_struct_end(t);			/* ColumnChunk */
}

/*
 * Write the buffered row group: every column chunk in schema order, then
 * serialize its RowGroup struct for the footer and reset the columns.
 */
ParquetStatus
pq_flush_row_group(ParquetWriter *w)
{
	int64_t		nrows = w->rg_nrows;
	int64_t		total_unc = 0;
	int64_t		total_comp = 0;
	ThriftWriter	t;
	int			i;
	int			rc;

	if (nrows == 0)
		return PARQUET_OK;
	for (i = 0; i < w->ncols; i++)
	{
		if (pq_column_oom(&w->cols[i]))
			return pq_writer_fail(w, PARQUET_ERROR_NOMEM, "out of memory");
	}
	for (i = 0; i < w->ncols; i++)
	{
		PqColumn   *c = &w->cols[i];

		rc = pq_write_chunk(w, c, c->max_rep > 0 ? (int64_t) c->def.len : nrows);
		if (rc != PARQUET_OK)
			return rc;
		total_unc += w->cols[i].chunk.total_uncompressed;
		total_comp += w->cols[i].chunk.total_compressed;
	}

	tw_init(&t, &w->rowgroups);
	tw_list_begin(&t, 1, TC_STRUCT, w->ncols);
	for (i = 0; i < w->ncols; i++)
		pq_write_column_chunk_meta(w, &t, &w->cols[i],
								   w->cols[i].max_rep > 0 ? (int64_t) w->cols[i].def.len : nrows);
	tw_i64(&t, 2, total_unc);
	tw_i64(&t, 3, nrows);
	tw_i64(&t, 5, (int64_t) w->cols[0].chunk.start);
	tw_i64(&t, 6, total_comp);
	if (w->nrowgroups <= INT16_MAX)
		tw_i16(&t, 7, (int16_t) w->nrowgroups);
	tw_struct_end(&t);
	if (w->rowgroups.oom)
		return pq_writer_fail(w, PARQUET_ERROR_NOMEM, "out of memory");

	w->nrowgroups++;
	w->total_rows += nrows;
	w->rg_nrows = 0;
	w->var_bytes = 0;
	for (i = 0; i < w->ncols; i++)
		pq_column_reset(&w->cols[i]);
	return PARQUET_OK;
}

/* ---------------------------------------------------------------------
 * Schema and footer
 * ---------------------------------------------------------------------
 */

/* ConvertedType implied by a column's logical type (PQ_CT_NONE if none) */
ParquetConvertedType
pq_converted_type(const ParquetColumnSpec *s)
{
	switch (s->logical)
	{
		case PQ_LT_STRING:
			return PQ_CT_UTF8;
		case PQ_LT_ENUM:
			return PQ_CT_ENUM;
		case PQ_LT_JSON:
			return PQ_CT_JSON;
		case PQ_LT_BSON:
			return PQ_CT_BSON;
		case PQ_LT_DECIMAL:
			return PQ_CT_DECIMAL;
		case PQ_LT_DATE:
			return PQ_CT_DATE;
		case PQ_LT_TIME:
			/* the legacy annotations only describe UTC-adjusted times */
			if (!s->adjusted_to_utc)
				return PQ_CT_NONE;
			return s->unit == PQ_UNIT_MILLIS ? PQ_CT_TIME_MILLIS :
				s->unit == PQ_UNIT_MICROS ? PQ_CT_TIME_MICROS : PQ_CT_NONE;
		case PQ_LT_TIMESTAMP:
			if (!s->adjusted_to_utc)
				return PQ_CT_NONE;
			return s->unit == PQ_UNIT_MILLIS ? PQ_CT_TIMESTAMP_MILLIS :
				s->unit == PQ_UNIT_MICROS ? PQ_CT_TIMESTAMP_MICROS : PQ_CT_NONE;
		case PQ_LT_INTEGER:
			switch (s->bit_width)
			{
				case 8:
					return s->is_signed ? PQ_CT_INT_8 : PQ_CT_UINT_8;
				case 16:
					return s->is_signed ? PQ_CT_INT_16 : PQ_CT_UINT_16;
				case 32:
					return s->is_signed ? PQ_CT_INT_32 : PQ_CT_UINT_32;
				default:
					return s->is_signed ? PQ_CT_INT_64 : PQ_CT_UINT_64;
			}
		default:
			return PQ_CT_NONE;
	}
}

/* Serialize SchemaElement.logicalType (field 10) of a column */
static void
pq_write_logical_type(ThriftWriter *t, const ParquetColumnSpec *s)
{
	tw_struct_begin(t, 10);
	switch (s->logical)
	{
		case PQ_LT_DECIMAL:
			tw_struct_begin(t, PQ_LT_DECIMAL);
			tw_i32(t, 1, s->scale);
			tw_i32(t, 2, s->precision);
			tw_struct_end(t);
			break;
		case PQ_LT_TIME:
		case PQ_LT_TIMESTAMP:
			tw_struct_begin(t, (int16_t) s->logical);
			tw_bool(t, 1, s->adjusted_to_utc);
			tw_struct_begin(t, 2);
			tw_empty_struct(t, (int16_t) s->unit);
			tw_struct_end(t);
			tw_struct_end(t);
			break;
		case PQ_LT_INTEGER:
			tw_struct_begin(t, PQ_LT_INTEGER);
			tw_i8(t, 1, (int8_t) s->bit_width);
			tw_bool(t, 2, s->is_signed);
			tw_struct_end(t);
			break;
		default:
			/* STRING, ENUM, DATE, JSON, BSON, UUID: empty structs */
			tw_empty_struct(t, (int16_t) s->logical);
			break;
	}
	tw_struct_end(t);
}

/*
 * Serialize the SchemaElements of one column: its leaf, or for a LIST
 * column the three of the standard form (see parquet_write.h).
 */
static void
pq_write_schema_element(ThriftWriter *t, const PqColumn *c)
{
	const ParquetColumnSpec *s = &c->spec;

	if (s->list)
	{
		tw_elem_struct_begin(t);
		tw_i32(t, 3, s->nullable ? PQ_OPTIONAL : PQ_REQUIRED);
		tw_string(t, 4, c->name);
		tw_i32(t, 5, 1);
		tw_i32(t, 6, PQ_CT_LIST);
		if (s->field_id > 0)
			tw_i32(t, 9, s->field_id);
		tw_struct_begin(t, 10);
		tw_empty_struct(t, PQ_LT_LIST);
		tw_struct_end(t);
		tw_struct_end(t);

		tw_elem_struct_begin(t);
		tw_i32(t, 3, PQ_REPEATED);
		tw_string(t, 4, "list");
		tw_i32(t, 5, 1);
		tw_struct_end(t);
	}

	tw_elem_struct_begin(t);
	tw_i32(t, 1, s->type);
	if (s->type == PQ_FIXED_LEN_BYTE_ARRAY)
		tw_i32(t, 2, s->type_length);
	tw_i32(t, 3, s->nullable || s->list ? PQ_OPTIONAL : PQ_REQUIRED);
	tw_string(t, 4, s->list ? "element" : c->name);
	if (c->converted != PQ_CT_NONE)
		tw_i32(t, 6, c->converted);
	if (s->logical == PQ_LT_DECIMAL)
	{
		tw_i32(t, 7, s->scale);
		tw_i32(t, 8, s->precision);
	}
	if (s->list ? s->element_field_id > 0 : s->field_id > 0)
		tw_i32(t, 9, s->list ? s->element_field_id : s->field_id);
	if (s->logical != PQ_LT_NONE)
		pq_write_logical_type(t, s);
	tw_struct_end(t);
}

/*
 * Serialize FileMetaData into w->footer: version, schema, num_rows, the
 * row groups serialized as they were written, key_value_metadata,
 * created_by and column_orders.
 */
void
pq_write_file_metadata(ParquetWriter *w)
{
	ThriftWriter	t;
	int			i;
	int			nelements = 1;

	for (i = 0; i < w->ncols; i++)
		nelements += w->cols[i].spec.list ? 3 : 1;
	w->footer.len = 0;
	tw_init(&t, &w->footer);
	tw_i32(&t, 1, 2);
	tw_list_begin(&t, 2, TC_STRUCT, nelements);
	tw_elem_struct_begin(&t);
	tw_string(&t, 4, w->schema_name);
	tw_i32(&t, 5, w->ncols);
	tw_struct_end(&t);
	for (i = 0; i < w->ncols; i++)
		pq_write_schema_element(&t, &w->cols[i]);
	tw_i64(&t, 3, w->total_rows);
	tw_list_begin(&t, 4, TC_STRUCT, w->nrowgroups);
	pq_buf_append(&w->footer, w->rowgroups.data, w->rowgroups.len);
	if (w->nkv > 0)
	{
		tw_list_begin(&t, 5, TC_STRUCT, w->nkv);
		for (i = 0; i < w->nkv; i++)
		{
			tw_elem_struct_begin(&t);
			tw_string(&t, 1, w->kv_keys[i]);
			if (w->kv_values[i] != NULL)
				tw_string(&t, 2, w->kv_values[i]);
			tw_struct_end(&t);
		}
	}
	if (w->created_by != NULL)
		tw_string(&t, 6, w->created_by);
	tw_list_begin(&t, 7, TC_STRUCT, w->ncols);
	for (i = 0; i < w->ncols; i++)
	{
		/* ColumnOrder union, member 1: TypeDefinedOrder (empty struct) */
		tw_elem_struct_begin(&t);
		tw_empty_struct(&t, 1);
		tw_struct_end(&t);
	}
	tw_struct_end(&t);
}
