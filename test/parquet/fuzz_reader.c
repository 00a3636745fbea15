/*-------------------------------------------------------------------------
 *
 * fuzz_reader.c
 *	  libFuzzer harness of the standalone Parquet reader: opens the input
 *	  from memory, walks all metadata, and decodes every column of every
 *	  row group, touching each decoded value so that sanitizers see bad
 *	  pointers and lengths, and checking the shape of LIST columns (their
 *	  offsets ascend from 0 to the element count, NULL lists have none).  Build and run with test/parquet/Makefile
 *	  ("make -C test/parquet fuzz"); the seed corpus is
 *	  test/parquet/reader_corpus.
 *
 * The limits are lowered from the defaults so that one input cannot make
 * the reader allocate more than a few hundred MB: legitimate but huge
 * row groups are not what the fuzzer is after.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "parquet_read.h"

/*
 * Touches every byte a value refers to and folds it into a checksum;
 * FLOAT16 values also go through parquet_float16_to_float.
 */
static uint64_t
touch_value(const ParquetColumnValues *cv, const ParquetColumnSchema *col, const ParquetValue *v)
{
	uint64_t	sum = 0;

	if (cv->kind == PQ_VALUE_BYTES)
	{
		for (uint32_t k = 0; k < v->bytes.len; k++)
			sum += v->bytes.ptr[k];
		if (col->logical_type == PQ_LT_FLOAT16)
			sum += (uint64_t) (parquet_float16_to_float(v->bytes.ptr) > 0.0f);
	}
	else if (cv->kind == PQ_VALUE_BOOLEAN)
		sum += v->boolean;
	else if (cv->kind == PQ_VALUE_INT32 || cv->kind == PQ_VALUE_FLOAT)
		sum += (uint32_t) v->int32;
	else
		sum += (uint64_t) v->int64;
	return sum;
}

/*
 * Touches every value of a decoded column; for a LIST column every
 * element, after checking that the offsets describe the elements (a
 * violation is a reader bug: the harness traps).
 */
static uint64_t
touch_values(const ParquetColumnValues *cv, const ParquetColumnSchema *col)
{
	uint64_t	sum = 0;

	if (col->is_list)
	{
		if (cv->num_values > 0 &&
			(cv->values != NULL || cv->list_offsets == NULL || cv->list_offsets[0] != 0 ||
			 cv->list_offsets[cv->num_values] != cv->num_elements))
			__builtin_trap();
		for (int64_t i = 0; i < cv->num_values; i++)
		{
			if (cv->list_offsets[i + 1] < cv->list_offsets[i] ||
				(cv->is_null[i] && cv->list_offsets[i + 1] != cv->list_offsets[i]))
				__builtin_trap();
		}
		for (int64_t k = 0; k < cv->num_elements; k++)
		{
			if (!cv->element_is_null[k])
				sum += touch_value(cv, col, &cv->elements[k]);
		}
		return sum;
	}
	for (int64_t i = 0; i < cv->num_values; i++)
	{
		if (!cv->is_null[i])
			sum += touch_value(cv, col, &cv->values[i]);
	}
	return sum;
}

/* Touches the metadata strings, statistics and chunk key/value metadata. */
static uint64_t
touch_metadata(const ParquetFileMeta *meta)
{
	uint64_t	sum = 0;

	for (int c = 0; c < meta->num_columns; c++)
		sum += strlen(meta->columns[c].name);
	for (int k = 0; k < meta->num_key_values; k++)
		sum += strlen(meta->key_values[k].key) + meta->key_values[k].value_len;
	for (int g = 0; g < meta->num_row_groups; g++)
		for (int c = 0; c < meta->row_groups[g].num_columns; c++)
		{
			const ParquetColumnChunk *cc = &meta->row_groups[g].columns[c];

			for (int e = 0; e < cc->num_encodings; e++)
				sum += (uint32_t) cc->encodings[e];
			for (int k = 0; k < cc->num_key_values; k++)
				sum += strlen(cc->key_values[k].key) + cc->key_values[k].value_len;
			if (cc->statistics.has_min_value)
				for (uint32_t k = 0; k < cc->statistics.min_value.len; k++)
					sum += cc->statistics.min_value.ptr[k];
			if (cc->statistics.has_max)
				for (uint32_t k = 0; k < cc->statistics.max.len; k++)
					sum += cc->statistics.max.ptr[k];
		}
	return sum;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One fuzz input: any outcome but a crash, leak, hang or huge allocation. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ParquetReaderOptions opts;
	ParquetReader *reader;
	char		err[256];
	volatile uint64_t sink = 0;
	const ParquetFileMeta *meta;

	parquet_reader_default_options(&opts);
	opts.max_row_group_rows = 1 << 20;
	opts.max_page_bytes = 32 << 20;
	opts.max_metadata_bytes = 16 << 20;
	opts.max_list_elements = 1 << 22;
	if (parquet_reader_open_memory(data, size, &opts, &reader, err, sizeof(err)) != PARQUET_OK)
		return 0;
	meta = parquet_reader_metadata(reader);
	sink += touch_metadata(meta);
	for (int g = 0; g < meta->num_row_groups; g++)
	{
		ParquetRowGroupBatch batch;

		if (parquet_read_row_group(reader, g, NULL, 0, &batch, err, sizeof(err)) != PARQUET_OK)
			continue;
		for (int c = 0; c < batch.num_columns; c++)
			sink += touch_values(&batch.columns[c], &meta->columns[batch.columns[c].column]);
		parquet_row_group_batch_free(&batch);
	}
	parquet_reader_close(reader);
	(void) sink;
	return 0;
}
