/*-------------------------------------------------------------------------
 *
 * writer_bench.c
 *	  Time spillpool's Parquet writer on the benchmark shape.
 *
 * This file owns the writer benchmark: 2M rows of
 * (id bigint, ts timestamptz, device int, temp float8, msg text) with
 *
 *	  id = i, ts = 2024-01-01 00:00:00+00 + i seconds (microseconds),
 *	  device = i % 1000, temp = round(((i * 7919) % 10000) / 100.0, 2),
 *	  msg = 'event ' || (i % 5000)
 *
 * written to a ZSTD (level 3) Parquet file with the default page and row
 * group sizes, all columns OPTIONAL like a PostgreSQL table's.  The 5000
 * message strings are prepared before the clock starts, as they would sit
 * in spillpool's memtable; everything else (building each row's values,
 * encoding, compressing, writing) is timed.  fsync is not timed, matching
 * test/duckdb/bench.mjs, which times DuckDB's COPY ... TO of the same rows.
 *
 * Usage: writer_bench [OUTPUT_FILE [RUNS [ROWS]]]
 * Prints one line per run and a final "median" line: elapsed ms and bytes.
 *
 *-------------------------------------------------------------------------
 */
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/parquet/parquet_write.h"

#define NMSG 5000

/* Wall-clock milliseconds */
static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1000.0 + (double) ts.tv_nsec / 1e6;
}

/* qsort comparator for the run times */
static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y;
}

/* Write the benchmark file once; returns elapsed ms, sets *bytes */
static double
run_once(const char *path, int64_t nrows, char msgs[NMSG][16], int *msglen,
		 uint64_t *bytes)
{
	ParquetColumnSpec cols[5];
	ParquetWriterOptions opts;
	ParquetWriteResult res;
	ParquetRowValue row[5];
	ParquetWriter *w;
	char		err[256];
	double		t0;
	double		elapsed;
	int64_t		i;
	int			fd;

	parquet_column_init(&cols[0], "id", PQ_INT64, true);
	parquet_column_init(&cols[1], "ts", PQ_INT64, true);
	cols[1].logical = PQ_LT_TIMESTAMP;
	cols[1].unit = PQ_UNIT_MICROS;
	cols[1].adjusted_to_utc = true;
	parquet_column_init(&cols[2], "device", PQ_INT32, true);
	cols[2].logical = PQ_LT_INTEGER;
	cols[2].bit_width = 32;
	parquet_column_init(&cols[3], "temp", PQ_DOUBLE, true);
	parquet_column_init(&cols[4], "msg", PQ_BYTE_ARRAY, true);
	cols[4].logical = PQ_LT_STRING;
	parquet_writer_options_init(&opts);
	opts.codec = PQ_CODEC_ZSTD;
	opts.compression_level = 3;
	opts.created_by = "spillpool version 0.1";

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
	{
		perror(path);
		exit(1);
	}
	memset(row, 0, sizeof(row));

	t0 = now_ms();
	w = parquet_writer_create(fd, cols, 5, &opts, err, sizeof(err));
	if (w == NULL)
	{
		fprintf(stderr, "writer_bench: %s\n", err);
		exit(1);
	}
	for (i = 0; i < nrows; i++)
	{
		int			m = (int) (i % NMSG);

		row[0].v.int64 = i;
		row[1].v.int64 = INT64_C(1704067200000000) + i * INT64_C(1000000);
		row[2].v.int32 = (int32_t) (i % 1000);
		row[3].v.float8 = round((double) ((i * 7919) % 10000) / 100.0 * 100.0) / 100.0;
		row[4].v.bytes.ptr = (const uint8_t *) msgs[m];
		row[4].v.bytes.len = (uint32_t) msglen[m];
		if (parquet_writer_add_row(w, row) != PARQUET_OK)
		{
			fprintf(stderr, "writer_bench: %s\n", parquet_writer_error(w));
			exit(1);
		}
	}
	if (parquet_writer_finish(w, &res, err, sizeof(err)) != PARQUET_OK)
	{
		fprintf(stderr, "writer_bench: %s\n", err);
		exit(1);
	}
	parquet_writer_free(w);
	elapsed = now_ms() - t0;
	close(fd);
	*bytes = res.bytes_written;
	return elapsed;
}

/* Run the benchmark RUNS times and print each run and the median */
int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "bench.parquet";
	int			runs = argc > 2 ? atoi(argv[2]) : 3;
	int64_t		nrows = argc > 3 ? atoll(argv[3]) : 2000000;
	static char msgs[NMSG][16];
	int			msglen[NMSG];
	double	   *ms;
	uint64_t	bytes = 0;
	int			i;

	if (runs < 1)
		runs = 1;
	ms = malloc(sizeof(double) * (size_t) runs);
	for (i = 0; i < NMSG; i++)
		msglen[i] = snprintf(msgs[i], sizeof(msgs[i]), "event %d", i);
	for (i = 0; i < runs; i++)
	{
		ms[i] = run_once(path, nrows, msgs, msglen, &bytes);
		printf("writer_bench run %d: rows=%" PRId64 " ms=%.1f bytes=%" PRIu64 "\n",
			   i + 1, nrows, ms[i], bytes);
	}
	qsort(ms, (size_t) runs, sizeof(double), cmp_double);
	printf("writer_bench median: rows=%" PRId64 " ms=%.1f bytes=%" PRIu64 "\n",
		   nrows, ms[runs / 2], bytes);
	free(ms);
	return 0;
}
