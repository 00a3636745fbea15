/*-------------------------------------------------------------------------
 *
 * tableam.c
 *	  The spillpool table access method: the callbacks PostgreSQL calls,
 *	  inserts into the transaction's pending rows, TRUNCATE, size estimates,
 *	  and the refusals of an append-only table.
 *
 * The scan callbacks are in scan.c, the executor and planner hooks in
 * hooks.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/multixact.h"
#include "access/parallel.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/storage.h"
#include "catalog/storage_xlog.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/paths.h"
#include "optimizer/plancat.h"
#include "parser/parsetree.h"
#include "pgstat.h"
#include "storage/predicate.h"
#include "storage/procarray.h"
#include "storage/smgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "spillpool.h"
#include "am/tableam.h"
#include "am/customscan.h"
#include "am/scan.h"
#include "shard/shard_read.h"
#include "tier/memtable.h"
#include "tier/options.h"
#include "tier/pending.h"
#include "tier/position.h"
#include "tier/rowrecord.h"
#include "tier/segment.h"
#include "tier/storage.h"
#include "tier/visibility.h"

PG_FUNCTION_INFO_V1(spillpool_tableam_handler);

static const TableAmRoutine spillpool_methods;

/* True if the relation uses this access method. */
bool
rel_is_spillpool(Relation rel)
{
	return rel->rd_tableam == &spillpool_methods;
}

/* True if the relation with this oid uses this access method. */
bool
relid_is_spillpool(Oid relid)
{
	HeapTuple	tup;
	bool		result = false;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (HeapTupleIsValid(tup))
	{
		result = spillpool_is_access_method(((Form_pg_class) GETSTRUCT(tup))->relam);
		ReleaseSysCache(tup);
	}
	return result;
}

/* The error of every operation an append-only table does not have. */
void
spillpool_append_only_error(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("spillpool tables are append-only: %s is not supported", what),
			 errhint("Rows can only be added with INSERT or COPY, and removed with TRUNCATE or DROP TABLE.")));
}

static const TupleTableSlotOps *
spillpool_slot_callbacks(Relation rel)
{
	return &TTSOpsMinimalTuple;
}

/* Parallel scans: one participant reads; see spillpool_scan_start. */
static Size
spillpool_parallelscan_estimate(Relation rel)
{
	return sizeof(ParallelTableScanDescData);
}

static Size
spillpool_parallelscan_initialize(Relation rel, ParallelTableScanDesc pscan)
{
	pscan->phs_relid = RelationGetRelid(rel);
	pscan->phs_syncscan = false;
	pscan->phs_snapshot_any = false;
	return sizeof(ParallelTableScanDescData);
}

static void
spillpool_parallelscan_reinitialize(Relation rel, ParallelTableScanDesc pscan)
{
}

static IndexFetchTableData *
spillpool_index_fetch_begin(Relation rel)
{
	spillpool_append_only_error("an index");
	return NULL;
}

static void
spillpool_index_fetch_reset(IndexFetchTableData *scan)
{
}

static void
spillpool_index_fetch_end(IndexFetchTableData *scan)
{
}

static bool
spillpool_index_fetch_tuple(IndexFetchTableData *scan, ItemPointer tid,
							Snapshot snapshot, TupleTableSlot *slot,
							bool *call_again, bool *all_dead)
{
	spillpool_append_only_error("an index");
	return false;
}

static bool
spillpool_fetch_row_version(Relation rel, ItemPointer tid, Snapshot snapshot,
							TupleTableSlot *slot)
{
	spillpool_append_only_error("fetching a row by its ctid");
	return false;
}

static void
spillpool_get_latest_tid(TableScanDesc sscan, ItemPointer tid)
{
	spillpool_append_only_error("fetching a row by its ctid");
}

static bool
spillpool_tuple_tid_valid(TableScanDesc scan, ItemPointer tid)
{
	return false;
}

static bool
spillpool_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot, Snapshot snapshot)
{
	return true;
}

static TransactionId
spillpool_index_delete_tuples(Relation rel, TM_IndexDeleteOp *delstate)
{
	spillpool_append_only_error("an index");
	return InvalidTransactionId;
}

static void
spillpool_tuple_insert(Relation rel, TupleTableSlot *slot, CommandId cid,
					   int options, BulkInsertState bistate)
{
	PendingTable *pt = pending_for_rel(rel, true);

	CheckForSerializableConflictIn(rel, NULL, InvalidBlockNumber);
	pending_append_slot(pt, rel, slot, cid);
	pgstat_count_heap_insert(rel, 1);
}

static void
spillpool_tuple_insert_speculative(Relation rel, TupleTableSlot *slot, CommandId cid,
								   int options, BulkInsertState bistate, uint32 specToken)
{
	spillpool_append_only_error("INSERT ... ON CONFLICT");
}

static void
spillpool_tuple_complete_speculative(Relation rel, TupleTableSlot *slot,
									 uint32 specToken, bool succeeded)
{
	spillpool_append_only_error("INSERT ... ON CONFLICT");
}

/* COPY FROM comes here in batches. */
static void
spillpool_multi_insert(Relation rel, TupleTableSlot **slots, int ntuples,
					   CommandId cid, int options, BulkInsertState bistate)
{
	PendingTable *pt = pending_for_rel(rel, true);
	int			i;

	CheckForSerializableConflictIn(rel, NULL, InvalidBlockNumber);
	for (i = 0; i < ntuples; i++)
		pending_append_slot(pt, rel, slots[i], cid);
	pgstat_count_heap_insert(rel, ntuples);
}

static TM_Result
spillpool_tuple_delete(Relation rel, ItemPointer tid, CommandId cid,
					   Snapshot snapshot, Snapshot crosscheck, bool wait,
					   TM_FailureData *tmfd, bool changingPart)
{
	spillpool_append_only_error("DELETE");
	return TM_Ok;
}

static TM_Result
spillpool_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot,
					   CommandId cid, Snapshot snapshot, Snapshot crosscheck,
					   bool wait, TM_FailureData *tmfd, LockTupleMode *lockmode,
					   bool *update_indexes)
{
	spillpool_append_only_error("UPDATE");
	return TM_Ok;
}

static TM_Result
spillpool_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot,
					 TupleTableSlot *slot, CommandId cid, LockTupleMode mode,
					 LockWaitPolicy wait_policy, uint8 flags, TM_FailureData *tmfd)
{
	spillpool_append_only_error("SELECT ... FOR UPDATE/SHARE");
	return TM_Ok;
}

static void
spillpool_finish_bulk_insert(Relation rel, int options)
{
}

/*
 * A table rewrite (ALTER TABLE changing a column's type, ALTER TABLE SET
 * ACCESS METHOD) fills a new relation that make_new_heap names
 * "pg_temp_<oid of the table>", and then swaps the files: the new rows'
 * positions must go on from the old table's, so that consumers' offsets
 * stay valid.  Does nothing for other new relations.
 */
static void
spillpool_carry_over_rewrite(Relation rel, Oid new_relfilenode)
{
	unsigned int old_relid;
	char		tail;
	HeapTuple	tup;
	Oid			old_relfilenode = InvalidOid;
	bool		ours = false;

	if (sscanf(RelationGetRelationName(rel), "pg_temp_%u%c", &old_relid, &tail) != 1 ||
		rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP)
		return;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum((Oid) old_relid));
	if (!HeapTupleIsValid(tup))
		return;
	ours = spillpool_is_access_method(((Form_pg_class) GETSTRUCT(tup))->relam);
	old_relfilenode = ((Form_pg_class) GETSTRUCT(tup))->relfilenode;
	ReleaseSysCache(tup);
	if (ours && OidIsValid(old_relfilenode))
		position_carry_over(MyDatabaseId, old_relfilenode, new_relfilenode);
}

/*
 * CREATE TABLE and TRUNCATE: a new relfilenode gets an empty relation file
 * (so that generic code and the orphan sweep find one) and its directory;
 * the old relfilenode's directory goes when the transaction commits, its
 * positions' bound stays with the table.
 */
static void
spillpool_relation_set_new_filenode(Relation rel, const RelFileNode *newrnode,
									char persistence, TransactionId *freezeXid,
									MultiXactId *minmulti)
{
	SMgrRelation srel;

	spillpool_require_preload();
	if (persistence == RELPERSISTENCE_TEMP)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("spillpool does not support temporary tables")));

	*freezeXid = InvalidTransactionId;
	*minmulti = InvalidMultiXactId;

	srel = RelationCreateStorage(*newrnode, persistence, true);
	if (persistence == RELPERSISTENCE_UNLOGGED)
	{
		smgrcreate(srel, INIT_FORKNUM, false);
		log_smgrcreate(newrnode, INIT_FORKNUM);
		smgrimmedsync(srel, INIT_FORKNUM);
	}
	smgrclose(srel);

	storage_create_table_dir(MyDatabaseId, newrnode->relNode);
	storage_schedule_unlink(MyDatabaseId, newrnode->relNode, false);
	if (rel->rd_node.relNode != newrnode->relNode && OidIsValid(rel->rd_node.relNode))
	{
		/* TRUNCATE: positions go on from where the old rows' ended */
		position_carry_over(MyDatabaseId, rel->rd_node.relNode, newrnode->relNode);
		storage_schedule_unlink(MyDatabaseId, rel->rd_node.relNode, true);
	}
	else
		spillpool_carry_over_rewrite(rel, newrnode->relNode);
}

/*
 * TRUNCATE of a table whose relfilenode this transaction created (a new
 * table, or one truncated already): empty it in place.  Nobody else can
 * see the files.  The positions' bound stays: the relfilenode may carry
 * one over from an earlier TRUNCATE.
 */
static void
spillpool_relation_nontransactional_truncate(Relation rel)
{
	Oid			rfn = rel->rd_node.relNode;
	uint64		bound;

	pending_forget_rel(rel);
	bound = position_bound(MyDatabaseId, rfn);
	storage_remove_table_dir(MyDatabaseId, rfn);
	storage_create_table_dir(MyDatabaseId, rfn);
	if (bound > 1)
		position_write_floor(MyDatabaseId, rfn, bound);
}

static void
spillpool_relation_copy_data(Relation rel, const RelFileNode *newrnode)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("spillpool tables cannot be moved to another tablespace")));
}

static void
spillpool_relation_copy_for_cluster(Relation OldTable, Relation NewTable,
									Relation OldIndex, bool use_sort,
									TransactionId OldestXmin,
									TransactionId *xid_cutoff,
									MultiXactId *multi_cutoff,
									double *num_tuples, double *tups_vacuumed,
									double *tups_recently_dead)
{
	spillpool_append_only_error("VACUUM FULL or CLUSTER");
}

/* VACUUM: an append-only table has no dead rows; nothing to do. */
static void
spillpool_relation_vacuum(Relation rel, struct VacuumParams *params,
						  BufferAccessStrategy bstrategy)
{
}

static double
spillpool_index_build_range_scan(Relation table_rel, Relation index_rel,
								 struct IndexInfo *index_info, bool allow_sync,
								 bool anyvisible, bool progress,
								 BlockNumber start_blockno, BlockNumber numblocks,
								 IndexBuildCallback callback, void *callback_state,
								 TableScanDesc scan)
{
	spillpool_append_only_error("CREATE INDEX");
	return 0;
}

static void
spillpool_index_validate_scan(Relation table_rel, Relation index_rel,
							  struct IndexInfo *index_info, Snapshot snapshot,
							  struct ValidateIndexState *state)
{
	spillpool_append_only_error("CREATE INDEX");
}

/*
 * Rows the table holds, from the shared counters (no scan); with
 * shard_rows, also how many of them are in shards.
 */
static double
spillpool_estimate_rows(Relation rel, double *bytes, double *shard_rows)
{
	SpillTable *tab = spilltable_for_rel(rel);
	double		rows;

	LWLockAcquire(&tab->lock, LW_SHARED);
	if (shard_rows)
		*shard_rows = (double) tab->shard_rows;
	rows = (double) tab->seg_rows + (double) tab->shard_rows;
	*bytes = (double) tab->seg_raw_bytes + (double) tab->shard_bytes;
	if (tab->durability == SPILL_DURABILITY_NONE || rows == 0)
	{
		rows += (double) tab->mem_rows;
		*bytes += (double) tab->mem_bytes;
	}
	LWLockRelease(&tab->lock);
	return rows;
}

/*
 * The share of the table's rows that are in shards, from the shared
 * counters: the planner costs reading them (as column arrays) apart from
 * reading the unflushed rows (row by row).
 */
double
spillpool_estimate_shard_fraction(Relation rel)
{
	double		bytes;
	double		shard_rows;
	double		rows = spillpool_estimate_rows(rel, &bytes, &shard_rows);

	return rows > 0 ? Min(1.0, shard_rows / rows) : 0.0;
}

/* Pseudo size: enough blocks for ANALYZE to sample every row. */
static uint64
spillpool_relation_size(Relation rel, ForkNumber forkNumber)
{
	double		bytes;
	double		rows;

	if (forkNumber != MAIN_FORKNUM)
		return 0;
	rows = spillpool_estimate_rows(rel, &bytes, NULL);
	return (uint64) ((rows + ANALYZE_ROWS_PER_BLOCK - 1) / ANALYZE_ROWS_PER_BLOCK) * BLCKSZ;
}

static bool
spillpool_relation_needs_toast_table(Relation rel)
{
	return false;
}

/* Planner estimates from the shared counters. */
static void
spillpool_relation_estimate_size(Relation rel, int32 *attr_widths,
								 BlockNumber *pages, double *tuples,
								 double *allvisfrac)
{
	double		bytes;
	double		rows = spillpool_estimate_rows(rel, &bytes, NULL);

	*tuples = rows;
	*pages = (BlockNumber) Max(1, bytes / BLCKSZ);
	*allvisfrac = 0;
}

static bool
spillpool_scan_sample_next_block(TableScanDesc scan, struct SampleScanState *scanstate)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("spillpool tables do not support TABLESAMPLE")));
	return false;
}

static bool
spillpool_scan_sample_next_tuple(TableScanDesc scan, struct SampleScanState *scanstate,
								 TupleTableSlot *slot)
{
	return false;
}

static const TableAmRoutine spillpool_methods = {
	.type = T_TableAmRoutine,
	.slot_callbacks = spillpool_slot_callbacks,
	.scan_begin = spillpool_scan_begin,
	.scan_end = spillpool_scan_end,
	.scan_rescan = spillpool_scan_rescan,
	.scan_getnextslot = spillpool_scan_getnextslot,
	.parallelscan_estimate = spillpool_parallelscan_estimate,
	.parallelscan_initialize = spillpool_parallelscan_initialize,
	.parallelscan_reinitialize = spillpool_parallelscan_reinitialize,
	.index_fetch_begin = spillpool_index_fetch_begin,
	.index_fetch_reset = spillpool_index_fetch_reset,
	.index_fetch_end = spillpool_index_fetch_end,
	.index_fetch_tuple = spillpool_index_fetch_tuple,
	.tuple_fetch_row_version = spillpool_fetch_row_version,
	.tuple_tid_valid = spillpool_tuple_tid_valid,
	.tuple_get_latest_tid = spillpool_get_latest_tid,
	.tuple_satisfies_snapshot = spillpool_tuple_satisfies_snapshot,
	.index_delete_tuples = spillpool_index_delete_tuples,
	.tuple_insert = spillpool_tuple_insert,
	.tuple_insert_speculative = spillpool_tuple_insert_speculative,
	.tuple_complete_speculative = spillpool_tuple_complete_speculative,
	.multi_insert = spillpool_multi_insert,
	.tuple_delete = spillpool_tuple_delete,
	.tuple_update = spillpool_tuple_update,
	.tuple_lock = spillpool_tuple_lock,
	.finish_bulk_insert = spillpool_finish_bulk_insert,
	.relation_set_new_filenode = spillpool_relation_set_new_filenode,
	.relation_nontransactional_truncate = spillpool_relation_nontransactional_truncate,
	.relation_copy_data = spillpool_relation_copy_data,
	.relation_copy_for_cluster = spillpool_relation_copy_for_cluster,
	.relation_vacuum = spillpool_relation_vacuum,
	.scan_analyze_next_block = spillpool_scan_analyze_next_block,
	.scan_analyze_next_tuple = spillpool_scan_analyze_next_tuple,
	.index_build_range_scan = spillpool_index_build_range_scan,
	.index_validate_scan = spillpool_index_validate_scan,
	.relation_size = spillpool_relation_size,
	.relation_needs_toast_table = spillpool_relation_needs_toast_table,
	.relation_estimate_size = spillpool_relation_estimate_size,
	.scan_sample_next_block = spillpool_scan_sample_next_block,
	.scan_sample_next_tuple = spillpool_scan_sample_next_tuple,
};

/* The access method handler named by CREATE ACCESS METHOD. */
Datum
spillpool_tableam_handler(PG_FUNCTION_ARGS)
{
	spillpool_require_preload();
	PG_RETURN_POINTER(&spillpool_methods);
}
