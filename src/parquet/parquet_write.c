/*-------------------------------------------------------------------------
 *
 * parquet_write.c
 *	  The public entry points of spillpool's standalone Parquet writer
 *	  (flat schemas and LIST columns, data pages v1): options and column defaults, schema
 *	  validation, creating a writer, key/value metadata, finishing the file
 *	  and freeing the writer, plus the writer's error recording and its
 *	  buffered output to the file descriptor.
 *
 * Rows are buffered by parquet_write_values.c and written as pages,
 * column chunks, row groups and the footer by parquet_write_chunk.c.
 * Nothing here depends on PostgreSQL (no palloc, no ereport): memory comes
 * from malloc, errors are returned as a ParquetStatus with a message kept
 * in the writer, so the code can be unit-tested standalone.  The public
 * interface and its guarantees are documented in parquet_write.h.
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <lz4.h>

#include "parquet_write_internal.h"

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */

/*
 * Record the first error of a writer and return its code.  Later errors
 * (consequences of the first) do not overwrite the message.  The writer's
 * PqErr points at its errmsg, so this is the reader's first-wins rule.
 */
ParquetStatus
pq_writer_fail(ParquetWriter *w, ParquetStatus code, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	pq_vfail(&w->err, code, fmt, ap);
	va_end(ap);
	return w->err.status;
}

/*
 * Report a problem with one row without making the writer unusable
 * (validation errors are detected before anything is buffered).
 */
ParquetStatus
pq_writer_reject(ParquetWriter *w, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(w->errmsg, sizeof(w->errmsg), fmt, ap);
	va_end(ap);
	return PARQUET_ERROR_INVALID;
}

/* Copy a message into a caller's error buffer, if it gave one */
static void
pq_copy_error(char *errbuf, size_t errlen, const char *msg)
{
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", msg);
}

/* ---------------------------------------------------------------------
 * Output
 * ---------------------------------------------------------------------
 */

/* write(2) all of p[0..n), retrying on EINTR and short writes */
static int
pq_write_fd(ParquetWriter *w, const uint8_t *p, size_t n)
{
	while (n > 0)
	{
		ssize_t		r = write(w->fd, p, n);

		if (r < 0)
		{
			if (errno == EINTR)
				continue;
			return pq_writer_fail(w, PARQUET_ERROR_IO, "could not write Parquet file: %s",
						   strerror(errno));
		}
		if (r == 0)
			return pq_writer_fail(w, PARQUET_ERROR_IO,
						   "could not write Parquet file: write returned 0");
		p += r;
		n -= (size_t) r;
	}
	return PARQUET_OK;
}

/* Pass the buffered output to the fd */
static int
pq_out_flush(ParquetWriter *w)
{
	int			rc;

	if (w->out.len == 0)
		return PARQUET_OK;
	rc = pq_write_fd(w, w->out.data, w->out.len);
	w->out.len = 0;
	return rc;
}

/*
 * Append bytes to the file.  Small pieces (headers, small pages) are
 * gathered in the output buffer; large ones go straight to write(2).
 */
ParquetStatus
pq_out(ParquetWriter *w, const void *p, size_t n)
{
	int			rc;

	if (n > w->out.cap - w->out.len || n >= w->out.cap / 2)
	{
		rc = pq_out_flush(w);
		if (rc != PARQUET_OK)
			return rc;
	}
	if (n >= w->out.cap / 2)
	{
		rc = pq_write_fd(w, p, n);
		if (rc != PARQUET_OK)
			return rc;
	}
	else
	{
		memcpy(w->out.data + w->out.len, p, n);
		w->out.len += n;
	}
	w->offset += n;
	return PARQUET_OK;
}

/* ---------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------
 */

/*
 * Largest DECIMAL precision a FIXED_LEN_BYTE_ARRAY of n bytes holds:
 * floor(log10(2^(8n-1) - 1)), for n = 1..16.
 */
static const int pq_flba_max_precision[17] = {
	0, 2, 4, 6, 9, 11, 14, 16, 18, 21, 23, 26, 28, 31, 33, 35, 38
};

/* Check one column spec; on error write a message and return false */
static bool
pq_validate_column(const ParquetColumnSpec *s, int i, char *msg, size_t msglen)
{
	const char *name = s->name ? s->name : "";

	if (s->name == NULL || s->name[0] == '\0')
	{
		snprintf(msg, msglen, "column %d has no name", i);
		return false;
	}
	if (!s->list && s->element_field_id != 0)
	{
		snprintf(msg, msglen, "column \"%s\": element_field_id without list", name);
		return false;
	}
	switch (s->type)
	{
		case PQ_BOOLEAN:
		case PQ_INT32:
		case PQ_INT64:
		case PQ_FLOAT:
		case PQ_DOUBLE:
		case PQ_BYTE_ARRAY:
			break;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			if (s->type_length <= 0)
			{
				snprintf(msg, msglen, "column \"%s\": FIXED_LEN_BYTE_ARRAY needs a positive type_length", name);
				return false;
			}
			break;
		default:
			snprintf(msg, msglen, "column \"%s\": unsupported physical type %d",
					 name, (int) s->type);
			return false;
	}

	switch (s->logical)
	{
		case PQ_LT_NONE:
			return true;
		case PQ_LT_STRING:
		case PQ_LT_JSON:
		case PQ_LT_BSON:
		case PQ_LT_ENUM:
			if (s->type == PQ_BYTE_ARRAY)
				return true;
			break;
		case PQ_LT_UUID:
			if (s->type == PQ_FIXED_LEN_BYTE_ARRAY && s->type_length == 16)
				return true;
			break;
		case PQ_LT_DATE:
			if (s->type == PQ_INT32)
				return true;
			break;
		case PQ_LT_TIMESTAMP:
			if (s->unit < PQ_UNIT_MILLIS || s->unit > PQ_UNIT_NANOS)
			{
				snprintf(msg, msglen, "column \"%s\": invalid time unit %d",
						 name, (int) s->unit);
				return false;
			}
			if (s->type == PQ_INT64)
				return true;
			break;
		case PQ_LT_TIME:
			if (s->unit < PQ_UNIT_MILLIS || s->unit > PQ_UNIT_NANOS)
			{
				snprintf(msg, msglen, "column \"%s\": invalid time unit %d",
						 name, (int) s->unit);
				return false;
			}
			if ((s->unit == PQ_UNIT_MILLIS && s->type == PQ_INT32) ||
				(s->unit != PQ_UNIT_MILLIS && s->type == PQ_INT64))
				return true;
			break;
		case PQ_LT_INTEGER:
			if ((s->type == PQ_INT32 && (s->bit_width == 8 || s->bit_width == 16 ||
										 s->bit_width == 32)) ||
				(s->type == PQ_INT64 && s->bit_width == 64))
				return true;
			break;
		case PQ_LT_DECIMAL:
			if (s->precision < 1 || s->scale < 0 || s->scale > s->precision)
			{
				snprintf(msg, msglen, "column \"%s\": invalid DECIMAL(%d,%d)",
						 name, (int) s->precision, (int) s->scale);
				return false;
			}
			if ((s->type == PQ_INT32 && s->precision <= 9) ||
				(s->type == PQ_INT64 && s->precision <= 18) ||
				(s->type == PQ_FIXED_LEN_BYTE_ARRAY && s->type_length <= 16 &&
				 s->precision <= pq_flba_max_precision[s->type_length]))
				return true;
			break;
		default:
			snprintf(msg, msglen, "column \"%s\": unsupported logical type %d",
					 name, (int) s->logical);
			return false;
	}
	snprintf(msg, msglen,
			 "column \"%s\": logical type %d does not fit physical type %d",
			 name, (int) s->logical, (int) s->type);
	return false;
}

/* Duplicate a string with malloc (NULL stays NULL) */
static char *
pq_strdup(const char *s, bool *oom)
{
	char	   *d;
	size_t		n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	d = malloc(n);
	if (d == NULL)
		*oom = true;
	else
		memcpy(d, s, n);
	return d;
}

/* ---------------------------------------------------------------------
 * Public API
 * ---------------------------------------------------------------------
 */

/* Fill opts with the defaults documented in parquet_write.h */
void
parquet_writer_options_init(ParquetWriterOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->codec = PQ_CODEC_ZSTD;
	opts->compression_level = PARQUET_DEFAULT_ZSTD_LEVEL;
	opts->row_group_rows = PARQUET_DEFAULT_ROW_GROUP_ROWS;
	opts->row_group_bytes = PARQUET_DEFAULT_ROW_GROUP_BYTES;
	opts->page_bytes = PARQUET_DEFAULT_PAGE_BYTES;
	opts->dictionary_bytes = PARQUET_DEFAULT_DICTIONARY_BYTES;
	opts->schema_name = PARQUET_DEFAULT_SCHEMA_NAME;
}

/* Zero a column spec and set the fields every column needs */
void
parquet_column_init(ParquetColumnSpec *col, const char *name, ParquetType type,
					bool nullable)
{
	memset(col, 0, sizeof(*col));
	col->name = name;
	col->type = type;
	col->nullable = nullable;
	col->logical = PQ_LT_NONE;
	col->is_signed = true;
	col->unit = PQ_UNIT_MICROS;
}

/* Minimal FIXED_LEN_BYTE_ARRAY length for a DECIMAL precision */
int
parquet_decimal_flba_length(int precision)
{
	int			n;

	if (precision < 1 || precision > PARQUET_MAX_DECIMAL_PRECISION)
		return -1;
	for (n = 1; n <= 16; n++)
	{
		if (pq_flba_max_precision[n] >= precision)
			return n;
	}
	return -1;
}

/*
 * Create a writer: validate everything up front, copy the schema and the
 * strings, allocate the compression contexts and buffer the leading magic.
 */
ParquetWriter *
parquet_writer_create(int fd, const ParquetColumnSpec *cols, int ncols,
					  const ParquetWriterOptions *opts, char *errbuf,
					  size_t errlen)
{
	ParquetWriterOptions defaults;
	ParquetWriter *w;
	char		msg[PARQUET_ERROR_MESSAGE_SIZE];
	bool		oom = false;
	off_t		pos;
	int			i;

	if (opts == NULL)
	{
		parquet_writer_options_init(&defaults);
		opts = &defaults;
	}
	if (fd < 0)
	{
		pq_copy_error(errbuf, errlen, "invalid file descriptor");
		return NULL;
	}
	if (cols == NULL || ncols <= 0)
	{
		pq_copy_error(errbuf, errlen, "a Parquet schema needs at least one column");
		return NULL;
	}
	for (i = 0; i < ncols; i++)
	{
		if (!pq_validate_column(&cols[i], i, msg, sizeof(msg)))
		{
			pq_copy_error(errbuf, errlen, msg);
			return NULL;
		}
	}
	if (opts->codec != PQ_CODEC_UNCOMPRESSED && opts->codec != PQ_CODEC_ZSTD &&
		opts->codec != PQ_CODEC_LZ4_RAW)
	{
		snprintf(msg, sizeof(msg),
				 "unsupported compression codec %d (use UNCOMPRESSED, ZSTD or LZ4_RAW)",
				 (int) opts->codec);
		pq_copy_error(errbuf, errlen, msg);
		return NULL;
	}
	if (opts->row_group_rows < 0 || opts->nkey_value_metadata < 0 ||
		(opts->nkey_value_metadata > 0 && opts->key_value_metadata == NULL))
	{
		pq_copy_error(errbuf, errlen, "invalid writer options");
		return NULL;
	}
	for (i = 0; i < opts->nkey_value_metadata; i++)
	{
		if (opts->key_value_metadata[i].key == NULL)
		{
			pq_copy_error(errbuf, errlen, "key_value_metadata entry without a key");
			return NULL;
		}
	}
	pos = lseek(fd, 0, SEEK_CUR);
	if (pos > 0)
	{
		pq_copy_error(errbuf, errlen,
					  "the file descriptor must be positioned at the start of the file");
		return NULL;
	}

	w = calloc(1, sizeof(ParquetWriter));
	if (w == NULL)
	{
		pq_copy_error(errbuf, errlen, "out of memory");
		return NULL;
	}
	w->err.buf = w->errmsg;
	w->err.len = sizeof(w->errmsg);
	w->fd = fd;
	w->codec = opts->codec;
	w->level = opts->compression_level != 0 ? opts->compression_level :
		PARQUET_DEFAULT_ZSTD_LEVEL;
	w->rg_rows = opts->row_group_rows > 0 ? opts->row_group_rows :
		PARQUET_DEFAULT_ROW_GROUP_ROWS;
	w->rg_bytes = opts->row_group_bytes > 0 ? opts->row_group_bytes :
		PARQUET_DEFAULT_ROW_GROUP_BYTES;
	w->page_bytes = opts->page_bytes > 0 ? opts->page_bytes :
		PARQUET_DEFAULT_PAGE_BYTES;
	w->dict_bytes = opts->dictionary_bytes > 0 ? opts->dictionary_bytes :
		PARQUET_DEFAULT_DICTIONARY_BYTES;
	w->created_by = pq_strdup(opts->created_by, &oom);
	w->schema_name = pq_strdup(opts->schema_name ? opts->schema_name :
							   PARQUET_DEFAULT_SCHEMA_NAME, &oom);
	w->ncols = ncols;
	w->cols = calloc((size_t) ncols, sizeof(PqColumn));
	if (w->cols == NULL)
		oom = true;
	for (i = 0; !oom && i < ncols; i++)
	{
		PqColumn   *c = &w->cols[i];

		c->spec = cols[i];
		c->name = pq_strdup(cols[i].name, &oom);
		c->spec.name = c->name;
		c->converted = pq_converted_type(&c->spec);
		switch (c->spec.type)
		{
			case PQ_BOOLEAN:
				c->width = 1;
				c->sort = PQ_SORT_BOOL;
				break;
			case PQ_INT32:
				c->width = 4;
				c->sort = (c->spec.logical == PQ_LT_INTEGER && !c->spec.is_signed) ?
					PQ_SORT_UINT : PQ_SORT_INT;
				break;
			case PQ_INT64:
				c->width = 8;
				c->sort = (c->spec.logical == PQ_LT_INTEGER && !c->spec.is_signed) ?
					PQ_SORT_UINT : PQ_SORT_INT;
				break;
			case PQ_FLOAT:
				c->width = 4;
				c->sort = PQ_SORT_FLOAT;
				break;
			case PQ_DOUBLE:
				c->width = 8;
				c->sort = PQ_SORT_FLOAT;
				break;
			case PQ_BYTE_ARRAY:
				c->width = 0;
				c->sort = PQ_SORT_BYTES;
				break;
			default:
				c->width = c->spec.type_length;
				c->sort = c->spec.logical == PQ_LT_DECIMAL ?
					PQ_SORT_DECIMAL_BE : PQ_SORT_BYTES;
				break;
		}
		c->dict_capable = c->spec.type != PQ_BOOLEAN && !c->spec.no_dictionary;
		if (c->spec.list)
		{
			/* list, repeated group and the always OPTIONAL element */
			c->max_def = (c->spec.nullable ? 1 : 0) + 2;
			c->max_rep = 1;
		}
		else
			c->max_def = c->spec.nullable ? 1 : 0;
		/* a list's elements count as variable bytes, see add_row */
		if (!c->spec.list)
			w->fixed_row_bytes += (size_t) c->width + (size_t) c->max_def;
		pq_column_reset(c);
	}
	for (i = 0; !oom && i < opts->nkey_value_metadata; i++)
	{
		if (parquet_writer_add_metadata(w, opts->key_value_metadata[i].key,
										opts->key_value_metadata[i].value) != PARQUET_OK)
			oom = true;
	}
	if (!oom && w->codec == PQ_CODEC_ZSTD)
	{
		w->zctx = ZSTD_createCCtx();
		if (w->zctx == NULL)
			oom = true;
	}
	if (!oom && w->codec == PQ_CODEC_LZ4_RAW)
	{
		w->lz4state = malloc((size_t) LZ4_sizeofState());
		if (w->lz4state == NULL)
			oom = true;
	}
	if (!oom && !pq_buf_reserve(&w->out, PQ_OUT_BUFFER_BYTES))
		oom = true;
	if (oom)
	{
		parquet_writer_free(w);
		pq_copy_error(errbuf, errlen, "out of memory");
		return NULL;
	}

	memcpy(w->out.data, PARQUET_MAGIC, PARQUET_MAGIC_LEN);
	w->out.len = PARQUET_MAGIC_LEN;
	w->offset = PARQUET_MAGIC_LEN;
	return w;
}

/* See parquet_write.h: the writer's offset counts buffered bytes too. */
uint64_t
parquet_writer_bytes(const ParquetWriter *w)
{
	return w->offset;
}

/* Record a key_value_metadata entry for the footer */
ParquetStatus
parquet_writer_add_metadata(ParquetWriter *w, const char *key, const char *value)
{
	bool		oom = false;

	if (w == NULL || key == NULL)
		return PARQUET_ERROR_INVALID;
	if (w->err.status != PARQUET_OK)
		return w->err.status;
	if (w->finished)
		return PARQUET_ERROR_STATE;
	if (w->nkv == w->kv_cap)
	{
		int			cap = w->kv_cap ? w->kv_cap * 2 : 8;
		char	  **keys = realloc(w->kv_keys, sizeof(char *) * (size_t) cap);

		if (keys == NULL)
			return pq_writer_fail(w, PARQUET_ERROR_NOMEM, "out of memory");
		w->kv_keys = keys;
		keys = realloc(w->kv_values, sizeof(char *) * (size_t) cap);
		if (keys == NULL)
			return pq_writer_fail(w, PARQUET_ERROR_NOMEM, "out of memory");
		w->kv_values = keys;
		w->kv_cap = cap;
	}
	w->kv_keys[w->nkv] = pq_strdup(key, &oom);
	w->kv_values[w->nkv] = pq_strdup(value, &oom);
	w->nkv++;					/* counted even on failure, so free() frees */
	if (oom)
		return pq_writer_fail(w, PARQUET_ERROR_NOMEM, "out of memory");
	return PARQUET_OK;
}

/*
 * Write the last row group and the footer (FileMetaData, its length,
 * "PAR1"), and flush the output buffer to the fd.
 */
ParquetStatus
parquet_writer_finish(ParquetWriter *w, ParquetWriteResult *result,
					  char *errbuf, size_t errlen)
{
	uint8_t		tail[8];
	int			rc;

	if (w == NULL)
	{
		pq_copy_error(errbuf, errlen, "no Parquet writer");
		return PARQUET_ERROR_INVALID;
	}
	if (w->finished && w->err.status == PARQUET_OK)
	{
		pq_copy_error(errbuf, errlen, "the Parquet writer is already finished");
		return PARQUET_ERROR_STATE;
	}
	rc = w->err.status;
	if (rc == PARQUET_OK)
		rc = pq_flush_row_group(w);
	if (rc == PARQUET_OK)
	{
		pq_write_file_metadata(w);
		if (w->footer.oom || w->footer.len > UINT32_MAX)
			rc = pq_writer_fail(w, PARQUET_ERROR_NOMEM, "out of memory");
	}
	if (rc == PARQUET_OK)
		rc = pq_out(w, w->footer.data, w->footer.len);
	if (rc == PARQUET_OK)
	{
		pq_store_le32(tail, (uint32_t) w->footer.len);
		memcpy(tail + 4, PARQUET_MAGIC, PARQUET_MAGIC_LEN);
		rc = pq_out(w, tail, sizeof(tail));
	}
	if (rc == PARQUET_OK)
		rc = pq_out_flush(w);
	w->finished = true;
	if (rc != PARQUET_OK)
	{
		pq_copy_error(errbuf, errlen, w->errmsg);
		return rc;
	}
	if (result != NULL)
	{
		result->bytes_written = w->offset;
		result->rows = w->total_rows;
		result->row_groups = w->nrowgroups;
	}
	return PARQUET_OK;
}

/* The message of the writer's last error */
const char *
parquet_writer_error(const ParquetWriter *w)
{
	return w != NULL ? w->errmsg : "no Parquet writer";
}

/* Free the writer and everything it owns (the fd is the caller's) */
void
parquet_writer_free(ParquetWriter *w)
{
	int			i;

	if (w == NULL)
		return;
	if (w->cols != NULL)
	{
		for (i = 0; i < w->ncols; i++)
		{
			PqColumn   *c = &w->cols[i];

			free(c->name);
			pq_buf_free(&c->def);
			pq_buf_free(&c->rep);
			pq_buf_free(&c->plain);
			pq_buf_free(&c->idx);
			pq_buf_free(&c->dict);
			pq_buf_free(&c->dict_off);
			pq_buf_free(&c->minb);
			pq_buf_free(&c->maxb);
			free(c->slots);
		}
		free(w->cols);
	}
	for (i = 0; i < w->nkv; i++)
	{
		free(w->kv_keys[i]);
		free(w->kv_values[i]);
	}
	free(w->kv_keys);
	free(w->kv_values);
	free(w->created_by);
	free(w->schema_name);
	pq_buf_free(&w->out);
	pq_buf_free(&w->page);
	pq_buf_free(&w->cpage);
	pq_buf_free(&w->hdr);
	pq_buf_free(&w->rowgroups);
	pq_buf_free(&w->footer);
	ZSTD_freeCCtx(w->zctx);
	free(w->lz4state);
	free(w);
}
