/*-------------------------------------------------------------------------
 *
 * shard_read.h
 *	  Parquet shards back into rows: projection, row-group skipping.
 *
 *
 *-------------------------------------------------------------------------
 */
#ifndef SPILLPOOL_SHARD_READ_H
#define SPILLPOOL_SHARD_READ_H

#include "access/attnum.h"
#include "executor/tuptable.h"
#include "nodes/bitmapset.h"
#include "nodes/pg_list.h"
#include "utils/rel.h"

#include "parquet/parquet_types.h"
#include "port/pg_crc32c.h"
#include "shard/convert.h"

/* A qual a row group's min/max can rule out: column op constant. */
typedef struct ShardFilter
{
	AttrNumber	attnum;
	int			strategy;		/* BTLessStrategyNumber ... BTGreaterStrategyNumber */
	Datum		value;
	Oid			value_type;
	Oid			collation;
	Oid			cmp_proc;		/* btree comparison (column type, value type) */
} ShardFilter;

/* What a shard scan did, for EXPLAIN ANALYZE. */
typedef struct ShardScanCounters
{
	int64		shards;
	int64		row_groups;
	int64		row_groups_skipped;
	int64		rows;
} ShardScanCounters;

typedef struct ShardScan ShardScan;

extern ShardScan *shard_scan_begin(Relation rel, TupleDesc desc, Oid dbid,
								   Oid relfilenode, uint64 snapshot_id,
								   Bitmapset *attrs, List *filters,
								   ShardScanCounters *counters);
extern bool shard_scan_next(ShardScan *ss, TupleTableSlot *slot);
extern void shard_scan_end(ShardScan *ss);
extern void shard_scan_seek(ShardScan *ss, int shard, int64 row);
extern int64 shard_scan_batch_rows_left(ShardScan *ss);
extern int	shard_scan_position_runs(ShardScan *ss, int shard, uint64 **firsts,
									 int64 **counts);
extern void shard_scan_set_claim(ShardScan *ss, bool (*claim) (void *arg), void *arg);

/* The bounds of one column of a shard (shard_column_bounds). */
typedef struct ShardColumnBounds
{
	bool		present;		/* the shard has the column */
	ShardKind	kind;
	bool		has_bounds;		/* min and max cover every non-null value */
	bool		no_bounds;		/* (internal) a row group lacked them */
	Datum		min;
	Datum		max;
	char	   *min_raw;		/* the Parquet statistics bytes of min */
	int			min_raw_len;
	char	   *max_raw;
	int			max_raw_len;
	bool		nulls_known;
	int64		nulls;
} ShardColumnBounds;

extern ShardColumnBounds *shard_column_bounds(const char *path, TupleDesc desc);
extern char *shard_column_minmax(const char *path, TupleDesc desc);

/*
 * One column of the row group a batch read is at, as the shard holds it:
 * values[r] and is_null[r] for every row r.  plain says they are the
 * column's values as they are, to be read by kind (shard_array_datum):
 * the column is in this shard, has no exceptions in it, and its text needs
 * no conversion to the database encoding.  Otherwise rows must be read
 * with shard_scan_batch_row.  When the row group's chunk of the column
 * is dictionary encoded throughout, dict_index[r] is the dictionary entry
 * of row r (0 for NULL) and dict[0 .. dict_count - 1] the entries, which
 * values[] repeat; otherwise dict_index is NULL.
 */
typedef struct ShardColumnArray
{
	ShardKind	kind;
	const ParquetValue *values;
	const bool *is_null;
	bool		plain;
	ParquetType physical;		/* SK_NUMERIC: INT32, INT64 or FLBA */
	int			scale;			/* SK_NUMERIC */
	const uint32 *dict_index;
	const ParquetValue *dict;
	int64		dict_count;
	const char *name;			/* for messages */
} ShardColumnArray;

/* Reading a shard scan row group by row group, column by column. */
extern bool shard_scan_next_batch(ShardScan *ss);
extern int64 shard_scan_batch_rows(ShardScan *ss);
extern void shard_scan_batch_column(ShardScan *ss, AttrNumber attnum, ShardColumnArray *out);
extern void shard_scan_batch_row(ShardScan *ss, int64 row, TupleTableSlot *slot);
extern Datum shard_array_datum(const ShardColumnArray *c, int64 row);
/*
 * The unscaled value of row r of a plain SK_NUMERIC column array, at the
 * column's scale.
 */
static inline int128
shard_array_decimal(const ShardColumnArray *c, int64 r)
{
	if (c->physical == PQ_INT32)
		return c->values[r].int32;
	if (c->physical == PQ_INT64)
		return c->values[r].int64;
	return parquet_be_bytes_to_int128(c->values[r].bytes.ptr, c->values[r].bytes.len, c->name);
}

extern bool shard_scan_batch_stats(ShardScan *ss, AttrNumber attnum, Datum *min,
								   Datum *max, int64 *nonnull);

/* CRC32C of a shard file's footer (recorded in the manifest). */
extern pg_crc32c shard_file_footer_crc(int fd, const char *path);

#endif							/* SPILLPOOL_SHARD_READ_H */
