/*-------------------------------------------------------------------------
 *
 * parquet_read.c
 *	  The public entry points of spillpool's standalone Parquet reader:
 *	  options, the names of the format's enums, opening a file from memory
 *	  or a file descriptor (the tail and footer), closing it, and decoding
 *	  column chunks and row groups for the caller.
 *
 * The footer is parsed in parquet_read_footer.c, pages are decompressed in
 * parquet_read_codec.c, values decoded in parquet_read_values.c and column
 * chunks walked page by page in parquet_read_chunk.c.  Failures are
 * reported as a ParquetStatus and a message; nothing here aborts, asserts
 * or longjmps, and nothing depends on PostgreSQL (see parquet_read.h for
 * the interface).
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parquet_read_internal.h"

/* See parquet_read.h. */
void
parquet_reader_default_options(ParquetReaderOptions *options)
{
	options->max_metadata_bytes = (size_t) 64 * 1024 * 1024;
	options->max_page_bytes = (size_t) 512 * 1024 * 1024;
	options->max_row_group_rows = INT64_C(64) * 1024 * 1024;
	options->max_list_elements = INT64_C(256) * 1024 * 1024;
	options->buffer_pool = NULL;
}

static void pool_release(ParquetBufferPool *pool);

/* Printable physical type, for messages. */
const char *
parquet_type_name(int physical_type)
{
	switch (physical_type)
	{
		case PQ_BOOLEAN:
			return "BOOLEAN";
		case PQ_INT32:
			return "INT32";
		case PQ_INT64:
			return "INT64";
		case PQ_INT96:
			return "INT96";
		case PQ_FLOAT:
			return "FLOAT";
		case PQ_DOUBLE:
			return "DOUBLE";
		case PQ_BYTE_ARRAY:
			return "BYTE_ARRAY";
		case PQ_FIXED_LEN_BYTE_ARRAY:
			return "FIXED_LEN_BYTE_ARRAY";
	}
	return "unknown";
}

/* Printable codec, for messages. */
const char *
parquet_codec_name(int codec)
{
	switch (codec)
	{
		case PQ_CODEC_UNCOMPRESSED:
			return "UNCOMPRESSED";
		case PQ_CODEC_SNAPPY:
			return "SNAPPY";
		case PQ_CODEC_GZIP:
			return "GZIP";
		case PQ_CODEC_LZO:
			return "LZO";
		case PQ_CODEC_BROTLI:
			return "BROTLI";
		case PQ_CODEC_LZ4:
			return "LZ4";
		case PQ_CODEC_ZSTD:
			return "ZSTD";
		case PQ_CODEC_LZ4_RAW:
			return "LZ4_RAW";
	}
	return "unknown";
}

/* Printable encoding, for messages. */
const char *
parquet_encoding_name(int encoding)
{
	switch (encoding)
	{
		case PQ_ENC_PLAIN:
			return "PLAIN";
		case PQ_ENC_PLAIN_DICTIONARY:
			return "PLAIN_DICTIONARY";
		case PQ_ENC_RLE:
			return "RLE";
		case PQ_ENC_BIT_PACKED:
			return "BIT_PACKED";
		case PQ_ENC_DELTA_BINARY_PACKED:
			return "DELTA_BINARY_PACKED";
		case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
			return "DELTA_LENGTH_BYTE_ARRAY";
		case PQ_ENC_DELTA_BYTE_ARRAY:
			return "DELTA_BYTE_ARRAY";
		case PQ_ENC_RLE_DICTIONARY:
			return "RLE_DICTIONARY";
		case PQ_ENC_BYTE_STREAM_SPLIT:
			return "BYTE_STREAM_SPLIT";
	}
	return "unknown";
}

/* See parquet_read.h. */
ParquetValueKind
parquet_value_kind(ParquetType physical_type)
{
	switch (physical_type)
	{
		case PQ_BOOLEAN:
			return PQ_VALUE_BOOLEAN;
		case PQ_INT32:
			return PQ_VALUE_INT32;
		case PQ_INT64:
		case PQ_INT96:
			return PQ_VALUE_INT64;
		case PQ_FLOAT:
			return PQ_VALUE_FLOAT;
		case PQ_DOUBLE:
			return PQ_VALUE_DOUBLE;
		case PQ_BYTE_ARRAY:
		case PQ_FIXED_LEN_BYTE_ARRAY:
			break;
	}
	return PQ_VALUE_BYTES;
}

/*
 * Starts a public call that fills *out: clears the caller's message buffer
 * (so that it is empty on success) and fails with PARQUET_ERROR_INVALID
 * and the message "missing" when out is NULL.
 */
static bool
call_begin(PqErr *e, const void *out, const char *missing)
{
	if (e->buf != NULL && e->len > 0)
		e->buf[0] = '\0';
	if (out == NULL)
		return pq_fail(e, PARQUET_ERROR_INVALID, "%s", missing);
	return true;
}

/* Rejects a file too small for the two magics and the metadata length. */
static bool
check_size(uint64_t file_size, PqErr *e)
{
	if (file_size < 12)
		return pq_corrupt(e, "not a Parquet file: %llu bytes is too small",
						  (unsigned long long) file_size);
	return true;
}

/*
 * Checks the ends of a file of file_size bytes (at least 12): head, its
 * first 4 bytes, must be the leading magic and tail, its last 8, "<metadata
 * length> PAR1".  Returns where the FileMetaData starts and how long it is.
 */
static bool
check_ends(const ParquetReader *reader, const uint8_t *head, const uint8_t *tail,
		   uint64_t file_size, uint64_t *meta_offset, size_t *meta_len, PqErr *e)
{
	uint32_t	len;

	/* a file with an encrypted footer starts and ends with "PARE" */
	if (memcmp(head, "PARE", 4) == 0 || memcmp(tail + 4, "PARE", 4) == 0)
		return pq_fail(e, PARQUET_ERROR_UNSUPPORTED, "encrypted Parquet files are not supported");
	if (memcmp(head, PARQUET_MAGIC, PARQUET_MAGIC_LEN) != 0)
		return pq_corrupt(e, "not a Parquet file: missing the leading \"PAR1\" magic");
	if (memcmp(tail + 4, PARQUET_MAGIC, PARQUET_MAGIC_LEN) != 0)
		return pq_corrupt(e, "not a Parquet file: missing the trailing \"PAR1\" magic");
	len = pq_load_le32(tail);
	if ((uint64_t) len > file_size - 12)
		return pq_corrupt(e, "invalid Parquet file: metadata length %u exceeds the file size %llu",
						  len, (unsigned long long) file_size);
	if (len > reader->options.max_metadata_bytes)
		return pq_fail(e, PARQUET_ERROR_LIMIT, "Parquet metadata of %u bytes exceeds the limit of %zu bytes",
					   len, reader->options.max_metadata_bytes);
	if (len == 0)
		return pq_corrupt(e, "invalid Parquet file: empty metadata");
	*meta_offset = file_size - 8 - len;
	*meta_len = len;
	return true;
}

/* Allocates a reader with the options (or defaults) and no source yet. */
static ParquetReader *
reader_create(const ParquetReaderOptions *options, PqErr *e)
{
	ParquetReader *reader = pq_calloc(e, 1, sizeof(ParquetReader));

	if (reader == NULL)
		return NULL;
	if (options != NULL)
		reader->options = *options;
	else
		parquet_reader_default_options(&reader->options);
	reader->fd = -1;
	reader->own_pool.max_bytes = SIZE_MAX;
	reader->pool = reader->options.buffer_pool != NULL ? reader->options.buffer_pool :
		&reader->own_pool;
	return reader;
}

/* See parquet_read.h. */
ParquetStatus
parquet_reader_open_memory(const uint8_t *data, size_t len,
						   const ParquetReaderOptions *options,
						   ParquetReader **out, char *err, size_t errlen)
{
	PqErr		e = {PARQUET_OK, err, errlen};
	ParquetReader *reader;
	uint64_t	meta_offset;
	size_t		meta_len;

	if (!call_begin(&e, out, "no reader pointer given"))
		return e.status;
	*out = NULL;
	if (data == NULL && len > 0)
	{
		pq_fail(&e, PARQUET_ERROR_INVALID, "no data given");
		return e.status;
	}
	if (!check_size(len, &e))
		return e.status;
	reader = reader_create(options, &e);
	if (reader == NULL)
		return e.status;
	reader->data = data;
	reader->file_size = len;
	if (!check_ends(reader, data, data + len - 8, len, &meta_offset, &meta_len, &e) ||
		!pq_reader_load_footer(reader, data + meta_offset, meta_len, &e))
	{
		parquet_reader_close(reader);
		return e.status;
	}
	reader->metadata_offset = meta_offset;
	*out = reader;
	return PARQUET_OK;
}

/* pread(2) of exactly len bytes at offset, retrying short reads. */
bool
pq_pread_fully(int fd, uint8_t *buf, size_t len, uint64_t offset, PqErr *e)
{
	while (len > 0)
	{
		ssize_t		n;

		if (offset > (uint64_t) INT64_MAX)
			return pq_fail(e, PARQUET_ERROR_IO, "read offset out of range");
		n = pread(fd, buf, len > (size_t) INT_MAX ? (size_t) INT_MAX : len, (off_t) offset);
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return pq_fail(e, PARQUET_ERROR_IO, "could not read Parquet file: %s", strerror(errno));
		}
		if (n == 0)
			return pq_fail(e, PARQUET_ERROR_IO, "could not read Parquet file: unexpected end of file");
		buf += n;
		len -= (size_t) n;
		offset += (uint64_t) n;
	}
	return true;
}

/*
 * Opens through fd, which is only ever read with fstat and pread (its file
 * position is neither used nor moved).  owns_fd says whether the reader
 * closes it, on failure here or in parquet_reader_close; otherwise the
 * caller closes it, after parquet_reader_close.
 */
static ParquetStatus
reader_open_fd(int fd, bool owns_fd, const ParquetReaderOptions *options,
			   ParquetReader **out, char *err, size_t errlen)
{
	PqErr		e = {PARQUET_OK, err, errlen};
	ParquetReader *reader;
	struct stat st;
	uint8_t		head[PARQUET_MAGIC_LEN];
	uint8_t		tail[8];
	uint64_t	meta_offset;
	size_t		meta_len;

	if (!call_begin(&e, out, "no reader pointer given"))
	{
		if (owns_fd)
			close(fd);
		return e.status;
	}
	*out = NULL;
	reader = reader_create(options, &e);
	if (reader == NULL)
	{
		if (owns_fd)
			close(fd);
		return e.status;
	}
	reader->fd = fd;
	reader->owns_fd = owns_fd;
	if (fstat(fd, &st) != 0)
	{
		pq_fail(&e, PARQUET_ERROR_IO, "could not stat Parquet file: %s", strerror(errno));
		goto fail;
	}
	if (!check_size((uint64_t) st.st_size, &e))
		goto fail;
	reader->file_size = (uint64_t) st.st_size;
	if (!pq_pread_fully(fd, head, sizeof(head), 0, &e) ||
		!pq_pread_fully(fd, tail, sizeof(tail), reader->file_size - 8, &e) ||
		!check_ends(reader, head, tail, reader->file_size, &meta_offset, &meta_len, &e))
		goto fail;
	reader->footer = pq_malloc(&e, meta_len);
	if (reader->footer == NULL ||
		!pq_pread_fully(fd, reader->footer, meta_len, meta_offset, &e) ||
		!pq_reader_load_footer(reader, reader->footer, meta_len, &e))
		goto fail;
	reader->metadata_offset = meta_offset;
	*out = reader;
	return PARQUET_OK;

fail:
	parquet_reader_close(reader);
	return e.status;
}

/* See parquet_read.h. */
ParquetStatus
parquet_reader_open_fd(int fd, const ParquetReaderOptions *options,
					   ParquetReader **out, char *err, size_t errlen)
{
	return reader_open_fd(fd, false, options, out, err, errlen);
}

/* See parquet_read.h. */
ParquetStatus
parquet_reader_open_file(const char *path, const ParquetReaderOptions *options,
						 ParquetReader **out, char *err, size_t errlen)
{
	int			fd;

	if (out != NULL)
		*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
	{
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "could not open Parquet file \"%s\": %s", path, strerror(errno));
		return PARQUET_ERROR_IO;
	}
	return reader_open_fd(fd, true, options, out, err, errlen);
}

/* See parquet_read.h. */
void
parquet_reader_close(ParquetReader *reader)
{
	if (reader == NULL)
		return;
	if (reader->owns_fd && reader->fd >= 0)
		close(reader->fd);
	pq_codec_free(reader);
	pool_release(&reader->own_pool);
	free(reader->levels);
	free(reader->indices);
	free(reader->deltas);
	free(reader->footer);
	pq_arena_free(&reader->arena);
	free(reader);
}

/* See parquet_read.h. */
ParquetBufferPool *
parquet_buffer_pool_create(size_t max_bytes)
{
	ParquetBufferPool *pool = calloc(1, sizeof(ParquetBufferPool));

	if (pool != NULL)
		pool->max_bytes = max_bytes;
	return pool;
}

/* Frees the spares of a pool. */
static void
pool_release(ParquetBufferPool *pool)
{
	for (int i = 0; i < pool->nspare; i++)
		free(pool->spare[i].ptr);
	pool->nspare = 0;
	pool->bytes = 0;
}

/* See parquet_read.h. */
void
parquet_buffer_pool_free(ParquetBufferPool *pool)
{
	if (pool == NULL)
		return;
	pool_release(pool);
	free(pool);
}

/*
 * A buffer of at least size bytes (its capacity in *cap), for decoding:
 * the smallest spare that holds size bytes without wasting more than
 * about three quarters of itself, or a new one.
 */
void *
pq_buffer_get(ParquetReader *reader, size_t size, size_t *cap, PqErr *e)
{
	ParquetBufferPool *pool = reader->pool;
	int			best = -1;
	void	   *buf;

	if (size >= PQ_SPARE_MIN_BYTES)
	{
		for (int i = 0; i < pool->nspare; i++)
		{
			size_t		c = pool->spare[i].cap;

			if (c >= size && c / 4 <= size &&
				(best < 0 || c < pool->spare[best].cap))
				best = i;
		}
	}
	if (best >= 0)
	{
		buf = pool->spare[best].ptr;
		*cap = pool->spare[best].cap;
		pool->bytes -= *cap;
		pool->spare[best] = pool->spare[--pool->nspare];
		return buf;
	}
	buf = pq_malloc(e, size > 0 ? size : 1);
	*cap = size;
	return buf;
}

/*
 * Gives a buffer of cap bytes back: kept as a spare if large and there is
 * room (the smallest spares make way for larger ones), else freed.
 */
void
pq_buffer_put(ParquetReader *reader, void *ptr, size_t cap)
{
	ParquetBufferPool *pool = reader->pool;

	if (ptr == NULL)
		return;
	if (cap < PQ_SPARE_MIN_BYTES || cap > pool->max_bytes)
	{
		free(ptr);
		return;
	}
	while (pool->nspare == PQ_SPARE_BUFFERS || pool->bytes + cap > pool->max_bytes)
	{
		int			smallest = 0;

		for (int i = 1; i < pool->nspare; i++)
		{
			if (pool->spare[i].cap < pool->spare[smallest].cap)
				smallest = i;
		}
		if (pool->spare[smallest].cap >= cap)
		{
			free(ptr);
			return;
		}
		free(pool->spare[smallest].ptr);
		pool->bytes -= pool->spare[smallest].cap;
		pool->spare[smallest] = pool->spare[--pool->nspare];
	}
	pool->spare[pool->nspare].ptr = ptr;
	pool->spare[pool->nspare++].cap = cap;
	pool->bytes += cap;
}

/* See parquet_read.h. */
const ParquetFileMeta *
parquet_reader_metadata(const ParquetReader *reader)
{
	return reader != NULL ? &reader->meta : NULL;
}

/* See parquet_read.h. */
int
parquet_reader_find_column(const ParquetReader *reader, const char *name)
{
	if (reader == NULL || name == NULL)
		return -1;
	for (int i = 0; i < reader->meta.num_columns; i++)
	{
		if (strcmp(reader->columns[i].name, name) == 0)
			return i;
	}
	return -1;
}

/* See parquet_read.h. */
void
parquet_column_values_free(ParquetColumnValues *values)
{
	if (values == NULL)
		return;
	for (int i = 0; i < values->num_buffers; i++)
		free(values->buffers[i]);
	free(values->buffers);
	free(values->buffer_caps);
	free(values->values);
	free(values->is_null);
	free(values->list_offsets);
	free(values->elements);
	free(values->element_is_null);
	values->list_offsets = NULL;
	values->elements = NULL;
	values->element_is_null = NULL;
	values->list_offsets_cap = 0;
	values->elements_cap = 0;
	values->element_is_null_cap = 0;
	values->num_elements = 0;
	values->buffers = NULL;
	values->buffer_caps = NULL;
	values->values_cap = 0;
	values->is_null_cap = 0;
	values->num_buffers = 0;
	values->max_buffers = 0;
	values->values = NULL;
	values->is_null = NULL;
	values->dict_index = NULL;
	values->dict = NULL;
	values->dict_count = 0;
	values->num_values = 0;
	values->num_nulls = 0;
}

/* See parquet_read.h. */
ParquetStatus
parquet_read_column_chunk(ParquetReader *reader, int row_group, int column,
						  ParquetColumnValues *out, char *err, size_t errlen)
{
	PqErr		e = {PARQUET_OK, err, errlen};
	ChunkDecoder cd;
	const ParquetRowGroup *rg;
	bool		ok;

	if (!call_begin(&e, out, "no output given"))
		return e.status;
	memset(out, 0, sizeof(*out));
	if (reader == NULL || row_group < 0 || row_group >= reader->meta.num_row_groups ||
		column < 0 || column >= reader->meta.num_columns)
	{
		pq_fail(&e, PARQUET_ERROR_INVALID, "row group %d or column %d out of range", row_group, column);
		return e.status;
	}
	rg = &reader->meta.row_groups[row_group];
	out->column = column;
	out->kind = parquet_value_kind(reader->columns[column].physical_type);

	memset(&cd, 0, sizeof(cd));
	cd.reader = reader;
	cd.col = &reader->columns[column];
	cd.cc = &rg->columns[column];
	cd.out = out;
	cd.e = &e;
	cd.rows_total = rg->num_rows;
	cd.levels = reader->levels;
	cd.levels_cap = reader->levels_cap;
	cd.indices = reader->indices;
	cd.indices_cap = reader->indices_cap;
	cd.deltas = reader->deltas;
	cd.deltas_cap = reader->deltas_cap;

	ok = pq_decode_column_chunk(&cd, rg);

	/* the scratch arrays serve the next chunk */
	reader->levels = cd.levels;
	reader->levels_cap = cd.levels_cap;
	reader->indices = cd.indices;
	reader->indices_cap = cd.indices_cap;
	reader->deltas = cd.deltas;
	reader->deltas_cap = cd.deltas_cap;
	cd.levels = NULL;
	cd.indices = NULL;
	cd.deltas = NULL;

	/*
	 * Byte arrays of uncompressed pages point into the chunk read from a
	 * file descriptor: then the output keeps it, else it goes now.
	 */
	if (ok && cd.chunk_buf != NULL && cd.chunk_referenced && out->kind == PQ_VALUE_BYTES)
	{
		ok = pq_values_keep_buffer(out, cd.chunk_buf, cd.chunk_buf_cap, &e);
		cd.chunk_buf = NULL;
	}

	/* every row came from the dictionary: the output keeps it, see the header */
	if (ok && cd.row_dict != NULL && cd.has_dict && !cd.not_dict_only &&
		cd.rows_done == cd.rows_total)
	{
		ok = pq_values_keep_buffer(out, cd.row_dict, cd.row_dict_cap, &e);
		if (ok)
		{
			out->dict_index = cd.row_dict;
			ok = pq_values_keep_buffer(out, cd.dict, sizeof(ParquetValue) * cd.dict_count, &e);
			if (ok)
			{
				out->dict = cd.dict;
				out->dict_count = (int64_t) cd.dict_count;
			}
			else
				out->dict_index = NULL;
			cd.dict = NULL;
		}
		cd.row_dict = NULL;
	}
	pq_chunk_decoder_free(&cd);
	if (!ok)
	{
		pq_add_context(&e, "row group %d, column \"%s\"", row_group, cd.col->name);
		parquet_column_values_free(out);
		return e.status;
	}
	return PARQUET_OK;
}

/* See parquet_read.h. */
void
parquet_row_group_batch_free(ParquetRowGroupBatch *batch)
{
	if (batch == NULL)
		return;
	for (int i = 0; i < batch->num_columns; i++)
		parquet_column_values_free(&batch->columns[i]);
	free(batch->columns);
	batch->columns = NULL;
	batch->num_columns = 0;
	batch->num_rows = 0;
}

/* See parquet_read.h. */
void
parquet_row_group_batch_recycle(ParquetReader *reader, ParquetRowGroupBatch *batch)
{
	if (batch == NULL)
		return;
	for (int i = 0; reader != NULL && i < batch->num_columns; i++)
	{
		ParquetColumnValues *cv = &batch->columns[i];

		pq_buffer_put(reader, cv->values, cv->values_cap);
		pq_buffer_put(reader, cv->is_null, cv->is_null_cap);
		pq_buffer_put(reader, cv->list_offsets, cv->list_offsets_cap);
		pq_buffer_put(reader, cv->elements, cv->elements_cap);
		pq_buffer_put(reader, cv->element_is_null, cv->element_is_null_cap);
		cv->values = NULL;
		cv->is_null = NULL;
		cv->list_offsets = NULL;
		cv->elements = NULL;
		cv->element_is_null = NULL;
		for (int k = 0; k < cv->num_buffers; k++)
			pq_buffer_put(reader, cv->buffers[k], cv->buffer_caps[k]);
		cv->num_buffers = 0;
	}
	parquet_row_group_batch_free(batch);
}

/* See parquet_read.h. */
ParquetStatus
parquet_read_row_group(ParquetReader *reader, int row_group,
					   const int *columns, int ncolumns,
					   ParquetRowGroupBatch *batch, char *err, size_t errlen)
{
	PqErr		e = {PARQUET_OK, err, errlen};

	if (!call_begin(&e, batch, "no batch given"))
		return e.status;
	memset(batch, 0, sizeof(*batch));
	if (reader == NULL || row_group < 0 || row_group >= reader->meta.num_row_groups)
	{
		pq_fail(&e, PARQUET_ERROR_INVALID, "row group %d out of range", row_group);
		return e.status;
	}
	if (columns == NULL)
		ncolumns = reader->meta.num_columns;
	if (ncolumns < 0)
	{
		pq_fail(&e, PARQUET_ERROR_INVALID, "negative column count");
		return e.status;
	}
	batch->row_group = row_group;
	batch->num_rows = reader->meta.row_groups[row_group].num_rows;
	batch->columns = pq_calloc(&e, (size_t) ncolumns, sizeof(ParquetColumnValues));
	if (batch->columns == NULL)
		return e.status;
	for (int i = 0; i < ncolumns; i++)
	{
		ParquetStatus st;

		st = parquet_read_column_chunk(reader, row_group, columns != NULL ? columns[i] : i,
									   &batch->columns[i], err, errlen);
		batch->num_columns = i + 1;
		if (st != PARQUET_OK)
		{
			parquet_row_group_batch_free(batch);
			return st;
		}
	}
	return PARQUET_OK;
}
