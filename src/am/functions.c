/*-------------------------------------------------------------------------
 *
 * functions.c
 *	  The SQL functions over a table: alter_table, stats, segments,
 *	  snapshots, shards, scan (time travel), flush and flush_if_due, and
 *	  the preload check run by the install script.
 *
 * Reading functions need SELECT on the table; alter_table, flush and
 * flush_if_due need ownership.
 * Paths are built from the table's own database oid and relfilenode only,
 * so no argument can reach outside the table's directory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"
#include "access/htup_details.h"
#include "utils/timestamp.h"
#include "utils/snapmgr.h"
#include "utils/rls.h"
#include "access/xact.h"
#include "utils/jsonb.h"
#include "parser/parse_type.h"
#include "executor/tuptable.h"
#include "access/tableam.h"

#include "spillpool.h"
#include "am/scan.h"
#include "shard/compact.h"
#include "shard/convert.h"
#include "shard/expire.h"
#include "shard/flush.h"
#include "shard/retention.h"
#include "iceberg/iceberg.h"
#include "vector/distance.h"
#include "am/tableam.h"
#include "shard/shard_read.h"
#include "tier/compress.h"
#include "tier/manifest.h"
#include "tier/memtable.h"
#include "tier/options.h"
#include "tier/segment.h"

PG_FUNCTION_INFO_V1(spillpool_require_preload_sql);
PG_FUNCTION_INFO_V1(spillpool_alter_table);
PG_FUNCTION_INFO_V1(spillpool_table_stats);
PG_FUNCTION_INFO_V1(spillpool_segments);
PG_FUNCTION_INFO_V1(spillpool_snapshots);
PG_FUNCTION_INFO_V1(spillpool_shards);
PG_FUNCTION_INFO_V1(spillpool_scan);
PG_FUNCTION_INFO_V1(spillpool_flush);
PG_FUNCTION_INFO_V1(spillpool_compact);
PG_FUNCTION_INFO_V1(spillpool_drop_shards);
PG_FUNCTION_INFO_V1(spillpool_expire_snapshots);
PG_FUNCTION_INFO_V1(spillpool_iceberg_metadata_location);
PG_FUNCTION_INFO_V1(spillpool_flush_if_due);

/* Called first by the install script, so CREATE EXTENSION fails clearly. */
Datum
spillpool_require_preload_sql(PG_FUNCTION_ARGS)
{
	spillpool_require_preload();
	PG_RETURN_VOID();
}

/*
 * Opens a spillpool table for a function, after checking the privilege the
 * function needs (ACL_SELECT, or ownership when need_owner).
 */
Relation
spillpool_open_checked(Oid relid, bool need_owner)
{
	Relation	rel;
	AclResult	acl;

	spillpool_require_preload();
	if (need_owner)
	{
		if (!pg_class_ownercheck(relid, GetUserId()))
			aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, get_rel_name(relid));
	}
	else
	{
		acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
		if (acl != ACLCHECK_OK)
			aclcheck_error(acl, OBJECT_TABLE, get_rel_name(relid));
	}
	rel = table_open(relid, AccessShareLock);
	if (!rel_is_spillpool(rel))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a spillpool table", RelationGetRelationName(rel))));
	return rel;
}

/*
 * Opens the spillpool table whose row type argument argno of a function
 * (fname, called as fname(NULL::table_name, more_args)) names, for a
 * reader of its rows: SELECT privilege, and no row-level security that
 * applies to the caller (such a reader would bypass the policies).
 */
Relation
spillpool_open_rowtype(FunctionCallInfo fcinfo, int argno, const char *fname,
					   const char *more_args)
{
	Oid			rowtype = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid			relid = OidIsValid(rowtype) ? typeidTypeRelid(rowtype) : InvalidOid;
	Relation	rel;

	if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs the row type of a spillpool table", fname),
				 errhint("Call it as %s(NULL::table_name, %s).", fname, more_args)));
	rel = spillpool_open_checked(relid, false);
	if (check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s cannot read table \"%s\" under row-level security",
						fname, RelationGetRelationName(rel)),
				 errdetail("Its row-level security policies apply to the current user."),
				 errhint("Query the table with SELECT, which applies the policies.")));
	return rel;
}

/* The error for a bad option value, naming the option. */
static void
option_error(const char *option, const char *value, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for spillpool option \"%s\": \"%s\"", option, value),
			 errdetail("%s", detail)));
}

/*
 * Checks the column an option of alter_table names (retention_column,
 * embedding_column): an error if rel has no such column, or if its base
 * type is neither type1 nor type2 (InvalidOid: only one); types names
 * them for the message, role the option ("retention", "embedding").
 */
static void
option_column_check(Relation rel, const char *column, const char *role,
					Oid type1, Oid type2, const char *types)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), column);
	Oid			type;

	if (attnum == InvalidAttrNumber || attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						column, RelationGetRelationName(rel))));
	type = getBaseType(get_atttype(RelationGetRelid(rel), attnum));
	if (type != type1 && (type2 == InvalidOid || type != type2))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s column \"%s\" must be of type %s", role, column, types),
				 errdetail("Column \"%s\" is of type %s.", column, format_type_be(type))));
}

/*
 * Parses a size such as '64MB' (as in postgresql.conf) into bytes.  With
 * allow_unlimited, -1 means no limit.
 */
static int64
option_parse_size(const char *option, const char *value, int64 min, bool allow_unlimited)
{
	volatile int64 bytes = 0;
	volatile bool ok = true;
	MemoryContext cxt = CurrentMemoryContext;

	if (allow_unlimited && (strcmp(value, "-1") == 0 || pg_strcasecmp(value, "unlimited") == 0))
		return -1;
	PG_TRY();
	{
		bytes = DatumGetInt64(DirectFunctionCall1(pg_size_bytes,
												  CStringGetTextDatum(value)));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		ok = false;
	}
	PG_END_TRY();
	if (!ok)
		option_error(option, value,
					 "Sizes are written as in postgresql.conf, for example '64MB' or '1GB'.");
	if (bytes < min)
	{
		char		detail[128];

		snprintf(detail, sizeof(detail), "The value must be at least " INT64_FORMAT " bytes%s.",
				 min, allow_unlimited ? ", or -1 for unlimited" : "");
		option_error(option, value, detail);
	}
	return bytes;
}

/* Text argument n of the call, or NULL. */
static char *
arg_text(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

/*
 * An interval option in milliseconds: zero means "none" (allow_zero), and
 * anything else must be positive and at most INT_MAX seconds.
 */
static int64
option_interval_ms(const char *option, Interval *iv, bool allow_zero)
{
	float8		secs = DatumGetFloat8(DirectFunctionCall2(interval_part,
														  CStringGetTextDatum("epoch"),
														  IntervalPGetDatum(iv)));
	char	   *text = DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(iv)));

	if (secs < 0 || (secs == 0 && !allow_zero))
		option_error(option, text, allow_zero ? "The interval must not be negative." :
					 "The interval must be positive.");
	if (secs > (float8) INT_MAX)
		option_error(option, text,
					 "The interval must be at most 2147483647 seconds (about 68 years).");
	return (int64) (secs * 1000);
}

/*
 * The lifecycle options of alter_table (arguments 11 to 15): the target
 * size of compaction and the small-shard count that starts it, the
 * retention column and interval, and the snapshot retention.  Retention
 * needs a column of type timestamp or timestamptz, given now or before.
 */
static void
alter_table_lifecycle_options(FunctionCallInfo fcinfo, Relation rel, Datum *values, char *nulls)
{
	char	   *s;
	SpillOptions cur;

	options_get(rel, &cur);
	if ((s = arg_text(fcinfo, 11)) != NULL)
	{
		values[11] = Int64GetDatum(option_parse_size("compact_target_size", s, 1024, false));
		nulls[11] = ' ';
	}
	if (!PG_ARGISNULL(12))
	{
		int32		v = PG_GETARG_INT32(12);

		if (v < 0)
			option_error("compact_min_shards", psprintf("%d", v),
						 "The value must be at least 0 (0: the background worker never compacts the table).");
		values[12] = Int32GetDatum(v);
		nulls[12] = ' ';
	}
	if ((s = arg_text(fcinfo, 13)) != NULL)
	{
		option_column_check(rel, s, "retention", TIMESTAMPOID, TIMESTAMPTZOID,
							"timestamp or timestamptz");
		values[13] = CStringGetTextDatum(s);
		nulls[13] = ' ';
		strlcpy(cur.retention_column, s, NAMEDATALEN);
	}
	if (!PG_ARGISNULL(14))
	{
		int64		ms = option_interval_ms("retention", PG_GETARG_INTERVAL_P(14), true);

		if (ms > 0 && cur.retention_column[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("retention needs a retention column"),
					 errhint("Name a timestamp or timestamptz column with retention_column.")));
		values[14] = PG_GETARG_DATUM(14);
		nulls[14] = ' ';
	}
	if (!PG_ARGISNULL(15))
	{
		(void) option_interval_ms("snapshot_retention", PG_GETARG_INTERVAL_P(15), true);
		values[15] = PG_GETARG_DATUM(15);
		nulls[15] = ' ';
	}
}

/*
 * The vector options of alter_table (arguments 16 to 20): the embedding
 * column (a real[] column; '' for none), its dimension (1 to 16000, which
 * the column needs), its metric (l2, cosine or inner_product) and the
 * build parameters of the HNSW index each flush builds over it.
 */
static void
alter_table_vector_options(FunctionCallInfo fcinfo, Relation rel, Datum *values, char *nulls)
{
	char	   *s;
	SpillOptions cur;
	bool		column_set = false;

	options_get(rel, &cur);
	if ((s = arg_text(fcinfo, 16)) != NULL)
	{
		if (s[0] != '\0')
		{
			option_column_check(rel, s, "embedding", FLOAT4ARRAYOID, InvalidOid, "real[]");
			column_set = true;
		}
		values[16] = CStringGetTextDatum(s);
		nulls[16] = ' ';
	}
	if (!PG_ARGISNULL(17))
	{
		int32		dim = PG_GETARG_INT32(17);

		if (dim < 1 || dim > 16000)
			option_error("embedding_dimension", psprintf("%d", dim),
						 "The dimension must be between 1 and 16000.");
		values[17] = Int32GetDatum(dim);
		nulls[17] = ' ';
		cur.embedding_dimension = dim;
	}
	if (column_set && cur.embedding_dimension <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an embedding column needs a dimension"),
				 errhint("Give embedding_dimension too.")));
	if ((s = arg_text(fcinfo, 18)) != NULL)
	{
		int			metric = vector_metric_from_name(s);

		if (metric < 0)
			option_error("embedding_metric", s, "Valid values are l2, cosine and inner_product.");
		values[18] = CStringGetTextDatum(vector_metric_name(metric));
		nulls[18] = ' ';
	}
	/* the index's build parameters: 2 to 100 links, 4 to 1000 candidates */
	if (PG_NARGS() >= 21 && !PG_ARGISNULL(19))
	{
		int32		m = PG_GETARG_INT32(19);

		if (m < 2 || m > 100)
			option_error("index_m", psprintf("%d", m),
						 "The value must be between 2 and 100.");
		values[19] = Int32GetDatum(m);
		nulls[19] = ' ';
	}
	if (PG_NARGS() >= 21 && !PG_ARGISNULL(20))
	{
		int32		ef = PG_GETARG_INT32(20);

		if (ef < 4 || ef > 1000)
			option_error("index_ef_construction", psprintf("%d", ef),
						 "The value must be between 4 and 1000.");
		values[20] = Int32GetDatum(ef);
		nulls[20] = ' ';
	}
}

/*
 * spillpool.alter_table(rel, memory_limit, max_file_size, spill_compression,
 * shard_compression, compression_level, flush_rows, flush_bytes,
 * flush_interval, max_disk_size, durability, compact_target_size,
 * compact_min_shards, retention_column, retention, snapshot_retention,
 * embedding_column, embedding_dimension, embedding_metric, index_m,
 * index_ef_construction):
 * validates every given option and stores it; NULL leaves an option as it
 * is.
 */
Datum
spillpool_alter_table(PG_FUNCTION_ARGS)
{
	Oid			relid;
	Relation	rel;
	Datum		values[OPTIONS_CATALOG_COLUMNS];
	char		nulls[OPTIONS_CATALOG_COLUMNS];
	char	   *s;
	SpillCodec	codec;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be NULL")));
	relid = PG_GETARG_OID(0);
	rel = spillpool_open_checked(relid, true);

	for (i = 0; i < OPTIONS_CATALOG_COLUMNS; i++)
		nulls[i] = 'n';
	values[0] = ObjectIdGetDatum(relid);
	nulls[0] = ' ';

	if ((s = arg_text(fcinfo, 1)) != NULL)
	{
		int64		v = option_parse_size("memory_limit", s, 64 * 1024, false);

		if (v > (int64) spillpool_memory_mb * 1024 * 1024)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for spillpool option \"memory_limit\": \"%s\"", s),
					 errdetail("memory_limit must not exceed spillpool.memory, which is %d MB.",
							   spillpool_memory_mb),
					 errhint("Lower memory_limit, or raise spillpool.memory and restart the server.")));
		values[1] = Int64GetDatum(v);
		nulls[1] = ' ';
	}
	if ((s = arg_text(fcinfo, 2)) != NULL)
	{
		values[2] = Int64GetDatum(option_parse_size("max_file_size", s, 64 * 1024, false));
		nulls[2] = ' ';
	}
	if ((s = arg_text(fcinfo, 3)) != NULL)
	{
		if (!codec_from_name(s, &codec))
			option_error("spill_compression", s, "Valid values are none, lz4 and zstd.");
		values[3] = CStringGetTextDatum(codec_name(codec));
		nulls[3] = ' ';
	}
	if ((s = arg_text(fcinfo, 4)) != NULL)
	{
		if (!codec_from_name(s, &codec))
			option_error("shard_compression", s, "Valid values are none, lz4 and zstd.");
		values[4] = CStringGetTextDatum(codec_name(codec));
		nulls[4] = ' ';
	}
	if (!PG_ARGISNULL(5))
	{
		int32		level = PG_GETARG_INT32(5);

		if (level < 1 || level > 22)
			option_error("compression_level", psprintf("%d", level),
						 "The level must be between 1 and 22.");
		values[5] = Int32GetDatum(level);
		nulls[5] = ' ';
	}
	if (!PG_ARGISNULL(6))
	{
		int64		v = PG_GETARG_INT64(6);

		if (v < 1)
			option_error("flush_rows", psprintf(INT64_FORMAT, v),
						 "The value must be at least 1.");
		values[6] = Int64GetDatum(v);
		nulls[6] = ' ';
	}
	if ((s = arg_text(fcinfo, 7)) != NULL)
	{
		values[7] = Int64GetDatum(option_parse_size("flush_bytes", s, 1024, false));
		nulls[7] = ' ';
	}
	if (!PG_ARGISNULL(8))
	{
		Interval   *iv = PG_GETARG_INTERVAL_P(8);
		Interval	zero;

		memset(&zero, 0, sizeof(zero));
		if (DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(iv),
											  IntervalPGetDatum(&zero))) <= 0)
			option_error("flush_interval",
						 DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(iv))),
						 "The interval must be positive.");

		/*
		 * The same bound as spillpool.default_flush_interval (INT_MAX
		 * seconds, about 68 years), rather than an interval that the flush
		 * worker's arithmetic would have to clamp.
		 */
		if (DatumGetFloat8(DirectFunctionCall2(interval_part, CStringGetTextDatum("epoch"),
											   IntervalPGetDatum(iv))) > (float8) INT_MAX)
			option_error("flush_interval",
						 DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(iv))),
						 "The interval must be at most 2147483647 seconds (about 68 years).");
		values[8] = IntervalPGetDatum(iv);
		nulls[8] = ' ';
	}
	if ((s = arg_text(fcinfo, 9)) != NULL)
	{
		values[9] = Int64GetDatum(option_parse_size("max_disk_size", s, 0, true));
		nulls[9] = ' ';
	}
	if ((s = arg_text(fcinfo, 10)) != NULL)
	{
		if (pg_strcasecmp(s, "commit") != 0 && pg_strcasecmp(s, "none") != 0)
			option_error("durability", s, "Valid values are commit and none.");
		values[10] = CStringGetTextDatum(pg_strcasecmp(s, "none") == 0 ? "none" : "commit");
		nulls[10] = ' ';
	}
	/* the lifecycle options came with 0.5: the 0.4 definition has 11 arguments */
	if (PG_NARGS() >= 16)
		alter_table_lifecycle_options(fcinfo, rel, values, nulls);
	/* and the vector options with 0.6 */
	if (PG_NARGS() >= 19)
		alter_table_vector_options(fcinfo, rel, values, nulls);

	options_store(values, nulls);

	/*
	 * The background worker judges thresholds from shared memory: give it
	 * the new ones now rather than at the next insert.  (Should this
	 * transaction roll back, the next insert or flush restores them.)
	 */
	{
		SpillOptions opts;

		/* a snapshot that sees the row written above */
		CommandCounterIncrement();
		PushActiveSnapshot(GetTransactionSnapshot());
		options_invalidate(relid);
		options_get(rel, &opts);
		PopActiveSnapshot();
		spilltable_refresh_options(spilltable_for_rel(rel), rel, &opts);
	}
	table_close(rel, AccessShareLock);
	PG_RETURN_VOID();
}

/*
 * spillpool.table_stats(rel): one row of counters for one table.  The SQL
 * function spillpool.stats() calls it for each table.
 */
Datum
spillpool_table_stats(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel = spillpool_open_checked(relid, false);
	SpillTable *tab = spilltable_for_rel(rel);
	TupleDesc	desc;
	Datum		values[14];
	bool		nulls[14];

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	memset(nulls, 0, sizeof(nulls));

	LWLockAcquire(&tab->lock, LW_SHARED);
	values[0] = ObjectIdGetDatum(relid);
	values[1] = Int64GetDatum(tab->mem_rows);
	values[2] = Int64GetDatum(tab->mem_bytes);
	values[3] = Int64GetDatum(tab->seg_files);
	values[4] = Int64GetDatum(tab->seg_rows);
	values[5] = Int64GetDatum(tab->seg_bytes);
	values[6] = Int64GetDatum(tab->seg_raw_bytes);
	values[7] = Int64GetDatum(tab->shards);
	values[8] = Int64GetDatum(tab->shard_rows);
	values[9] = Int64GetDatum(tab->shard_bytes);
	values[10] = Int64GetDatum(tab->flushes);
	values[11] = TimestampTzGetDatum(tab->last_flush);
	nulls[11] = (tab->last_flush == 0);
	values[12] = Int64GetDatum((int64) tab->snapshot_id);
	values[13] = Int64GetDatum(segment_quota_used(tab));
	LWLockRelease(&tab->lock);

	table_close(rel, AccessShareLock);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}

/*
 * spillpool.segments(rel): each segment file with its counters, read from
 * the block headers on disk.
 */
Datum
spillpool_segments(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel = spillpool_open_checked(relid, false);
	SpillTable *tab = spilltable_for_rel(rel);
	uint32		first,
				active;
	bool		active_exists;
	uint32		segno;
	int64		first_off;

	InitMaterializedSRF(fcinfo, 0);

	LWLockAcquire(&tab->lock, LW_SHARED);
	first = Max(tab->seg_first, tab->flush_seg);
	first_off = tab->flush_seg == first ? tab->flush_off : 0;
	active = tab->seg_active;
	active_exists = tab->seg_active_exists;
	LWLockRelease(&tab->lock);

	for (segno = first; segno <= active; segno++)
	{
		char		path[MAXPGPATH];
		SegmentReader rd;
		SegmentBlockHeader hdr;
		int64		rows = 0,
					raw = 0;
		Datum		values[6];
		bool		nulls[6] = {0};

		segment_file_path(path, tab->key.dbid, tab->key.relfilenode, segno);
		if (!segment_reader_open(&rd, path, -1, true))
			continue;
		/* rows before the flushed position are counted in the shards */
		if (segno == first)
			rd.off = Max(rd.off, first_off);
		while (segment_reader_next(&rd, &hdr, false))
		{
			rows += hdr.nrows;
			raw += hdr.raw_len;
		}
		values[0] = Int64GetDatum(segno);
		values[1] = CStringGetTextDatum(path);
		values[2] = Int64GetDatum(rows);
		values[3] = Int64GetDatum(rd.end);
		values[4] = Int64GetDatum(raw);
		values[5] = CStringGetTextDatum((segno == active && active_exists) ? "active" : "finished");
		segment_reader_close(&rd);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

/*
 * spillpool.snapshots(rel): every snapshot the manifest lists: its id,
 * commit time, shards added and rows.
 */
Datum
spillpool_snapshots(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel = spillpool_open_checked(relid, false);
	SpillTable *tab = spilltable_for_rel(rel);
	const Manifest *m;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	m = manifest_get(tab->key.dbid, tab->key.relfilenode, 0);
	for (i = 0; i < m->nsnapshots; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {0};

		values[0] = Int64GetDatum((int64) m->snapshots[i].id);
		values[1] = TimestampTzGetDatum(m->snapshots[i].commit_time);
		values[2] = Int32GetDatum(m->snapshots[i].nshards);
		values[3] = Int64GetDatum(m->snapshots[i].rows);
		/* the operation came with 0.4: the 0.3 definition has no column */
		values[4] = CStringGetTextDatum(manifest_operation_name(m->snapshots[i].op));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

/*
 * spillpool.shards(rel): every shard file: snapshot, path relative to the
 * data directory, rows, bytes, codec, row groups, and per-column min/max
 * read from the file's footer, the smallest and largest position of its
 * rows, and the path of its HNSW index and the vectors it holds.
 */
Datum
spillpool_shards(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel = spillpool_open_checked(relid, false);
	SpillTable *tab = spilltable_for_rel(rel);
	const Manifest *m;
	Manifest	copy;
	int			i;
	bool		hide_values = (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED);

	InitMaterializedSRF(fcinfo, 0);
	m = manifest_get(tab->key.dbid, tab->key.relfilenode, 0);
	/* the cached manifest may be replaced while the footers are read */
	copy = *m;
	copy.shards = palloc(sizeof(ManifestShard) * Max(m->nshards, 1));
	memcpy(copy.shards, m->shards, sizeof(ManifestShard) * m->nshards);
	for (i = 0; i < copy.nshards; i++)
	{
		ManifestShard *sh = &copy.shards[i];
		char		path[MAXPGPATH];
		Datum		values[11];
		bool		nulls[11] = {0};

		/* replaced by a compaction: kept for time travel only */
		if (sh->removed_in != 0)
			continue;
		shard_file_path(path, tab->key.dbid, tab->key.relfilenode, sh->snapshot, sh->n);
		values[0] = Int64GetDatum((int64) sh->snapshot);
		values[1] = CStringGetTextDatum(path);
		values[2] = Int64GetDatum(sh->rows);
		values[3] = Int64GetDatum(sh->bytes);
		values[4] = CStringGetTextDatum(shard_parquet_codec_name(sh->codec));
		values[5] = Int32GetDatum(sh->row_groups);
		/* min/max would show values row-level security hides */
		if (hide_values)
			nulls[6] = true;
		else
			values[6] = DirectFunctionCall1(jsonb_in,
											CStringGetDatum(shard_column_minmax(path, RelationGetDescr(rel))));
		/* positions came with 0.4: the 0.3 definition has no such columns */
		values[7] = Int64GetDatum((int64) sh->pos_min);
		values[8] = Int64GetDatum((int64) sh->pos_max);
		nulls[7] = nulls[8] = (sh->rows == 0);
		/* and its HNSW index with 0.6 */
		if (sh->has_index)
		{
			shard_index_path(path, tab->key.dbid, tab->key.relfilenode, sh->snapshot, sh->n);
			values[9] = CStringGetTextDatum(path);
			values[10] = Int64GetDatum(sh->index_vectors);
		}
		else
			nulls[9] = nulls[10] = true;
		Assert(rsinfo->setDesc->natts == 7 || rsinfo->setDesc->natts == 9 ||
			   rsinfo->setDesc->natts == 11);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

/*
 * spillpool.scan(NULL::tbl, snapshot): the table's rows as of a snapshot
 * (the rows of the shards of snapshots up to it), in commit order; with
 * snapshot NULL, every row the caller's snapshot sees, as SELECT does.
 */
Datum
spillpool_scan(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	rel = spillpool_open_rowtype(fcinfo, 0, "spillpool.scan", "snapshot");
	TableScanDesc scan;
	TupleTableSlot *slot;

	if (!PG_ARGISNULL(1) && PG_GETARG_INT64(1) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("snapshot id must not be negative")));

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	scan = table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	if (!PG_ARGISNULL(1))
		spillpool_scan_set_snapshot_id(scan, (uint64) PG_GETARG_INT64(1));
	slot = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
		tuplestore_puttupleslot(rsinfo->setResult, slot);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return (Datum) 0;
}

/*
 * spillpool.flush(rel): flush now, whatever the thresholds; returns the
 * snapshot id after it (the current one when there was nothing to flush).
 */
Datum
spillpool_flush(PG_FUNCTION_ARGS)
{
	Relation	rel = spillpool_open_checked(PG_GETARG_OID(0), true);
	bool		done;
	int64		snapshot = flush_table(rel, false, &done);

	table_close(rel, AccessShareLock);
	PG_RETURN_INT64(snapshot);
}

/*
 * spillpool.compact(rel): rewrites runs of shards smaller than
 * spillpool.compact_target_size into larger ones; returns the snapshot id
 * after it (the current one when there was nothing to compact).
 */
Datum
spillpool_compact(PG_FUNCTION_ARGS)
{
	Relation	rel = spillpool_open_checked(PG_GETARG_OID(0), true);
	int64		snapshot;

	snapshot = compact_table(rel, false);
	table_close(rel, AccessShareLock);
	PG_RETURN_INT64(snapshot);
}

/*
 * spillpool.drop_shards(rel, older_than, column_name): drops the shards
 * whose rows are all older than older_than by the table's retention column
 * (or column_name), in one "delete" snapshot; returns the rows dropped.
 */
Datum
spillpool_drop_shards(PG_FUNCTION_ARGS)
{
	Relation	rel;
	SpillOptions opts;
	const char *column;
	int64		rows;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table and older_than must not be NULL")));
	rel = spillpool_open_checked(PG_GETARG_OID(0), true);
	options_get(rel, &opts);
	column = PG_ARGISNULL(2) ? opts.retention_column : text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (column[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table \"%s\" has no retention column", RelationGetRelationName(rel)),
				 errhint("Pass column_name, or set one with spillpool.alter_table(retention_column => ...).")));
	rows = retention_drop_shards(rel, column, PG_GETARG_TIMESTAMPTZ(1), NULL);
	table_close(rel, AccessShareLock);
	PG_RETURN_INT64(rows);
}

/*
 * spillpool.expire_snapshots(rel, older_than): expires the snapshots
 * committed before older_than (default: now minus the table's
 * snapshot_retention) and deletes the files only they referenced; returns
 * the number of snapshots expired.
 */
Datum
spillpool_expire_snapshots(PG_FUNCTION_ARGS)
{
	Relation	rel;
	TimestampTz limit;
	int			n;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("table must not be NULL")));
	rel = spillpool_open_checked(PG_GETARG_OID(0), true);

	if (PG_ARGISNULL(1))
	{
		SpillOptions opts;

		options_get(rel, &opts);
		limit = GetCurrentTimestamp() - opts.snapshot_retention_ms * INT64CONST(1000);
	}
	else
		limit = PG_GETARG_TIMESTAMPTZ(1);
	n = expire_snapshots(rel, limit, NULL);
	table_close(rel, AccessShareLock);
	PG_RETURN_INT32(n);
}

/*
 * spillpool.iceberg_metadata_location(rel, previous): the location of the
 * table's current Iceberg metadata file (or of the one before it), NULL if
 * it has none yet; for the view spillpool.iceberg_tables.
 */
Datum
spillpool_iceberg_metadata_location(PG_FUNCTION_ARGS)
{
	Relation	rel = spillpool_open_checked(PG_GETARG_OID(0), false);
	SpillTable *tab = spilltable_for_rel(rel);
	char	   *loc = iceberg_metadata_location(tab->key.dbid, tab->key.relfilenode,
												PG_GETARG_BOOL(1));

	table_close(rel, AccessShareLock);
	if (loc == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(loc));
}

/*
 * spillpool.flush_if_due(rel): flush only when a threshold is reached;
 * returns the new snapshot id, or NULL when nothing was due.
 */
Datum
spillpool_flush_if_due(PG_FUNCTION_ARGS)
{
	Relation	rel = spillpool_open_checked(PG_GETARG_OID(0), true);
	bool		done;
	int64		snapshot = flush_table(rel, true, &done);

	table_close(rel, AccessShareLock);
	if (!done)
		PG_RETURN_NULL();
	PG_RETURN_INT64(snapshot);
}
