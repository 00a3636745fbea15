/*-------------------------------------------------------------------------
 *
 * compact.c
 *	  Compaction: rewriting runs of small Parquet shards into larger ones.
 *
 * A table that is flushed often collects many small shards.  Compaction
 * takes a run of consecutive small shards of the current snapshot (in scan
 * order, so rows keep their order), reads their rows back with their
 * positions and writes them into new shards, and commits a snapshot whose
 * operation is "replace": the new shards take the place of the run in the
 * manifest's list, and the old ones are marked removed by it.  Scans and
 * time travel to earlier snapshots still read the old shards, which stay
 * on disk (snapshot expiry is what will remove them).
 *
 * Steps, each a fault-injection point (spillpool.debug_crash_at):
 *	 1. write the new shard files, fsync them and their directory
 *		(compact-shards-written);
 *	 2. replace the manifest (its own points, manifest-temp, and then
 *		compact-manifest-renamed after the rename, the commit point);
 *	 3. publish the new snapshot in shared memory.
 * A crash before the rename leaves the old snapshot, and loading the table
 * removes the unlisted new files; after it, the new one.
 *
 * Compaction holds the table's flushing flag (flush_claim), so that it and
 * flushes, which both replace the manifest, run one at a time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "spillpool.h"
#include "shard/compact.h"
#include "shard/flush.h"
#include "shard/shard_read.h"
#include "shard/shard_write.h"
#include "tier/fault.h"
#include "tier/manifest.h"
#include "tier/memtable.h"
#include "tier/options.h"
#include "iceberg/iceberg.h"
#include "vector/shard_index.h"

/* spillpool.compact_target_size: the option's default (kB) */
int			spillpool_compact_target_size_kb = 128 * 1024;

/* What one compaction step holds, on the heap so that PG_CATCH sees it. */
typedef struct CompactState
{
	ShardScan  *ss;				/* the run's reader, once open */
	ShardWriter *sw;			/* the new shards, until committed */
	ShardIndexBuild *index;		/* their vectors, if the table has an
								 * embedding column */
} CompactState;

/* A run of shards to compact: indexes in the current snapshot's list. */
typedef struct CompactRun
{
	int			first;			/* index among the snapshot's shards */
	int			count;
	int64		rows;
	int64		bytes;
} CompactRun;

/*
 * The first run of at least two consecutive shards of snapshot "cur" that
 * are each smaller than the target, taken while their total stays within
 * it (so that the rewrite makes one shard of them).  Indexes are those of
 * the shard scan (the snapshot's shards, in manifest order).  False if
 * there is none.
 */
static bool
compact_find_run(const Manifest *m, uint64 cur, int64 target, CompactRun *run)
{
	int			idx = 0;
	int			i;

	memset(run, 0, sizeof(*run));
	for (i = 0; i < m->nshards; i++)
	{
		const ManifestShard *sh = &m->shards[i];

		if (!manifest_shard_in_snapshot(sh, cur))
			continue;
		if (sh->bytes < target && run->bytes + sh->bytes <= target)
		{
			if (run->count == 0)
				run->first = idx;
			run->count++;
			run->rows += sh->rows;
			run->bytes += sh->bytes;
		}
		else if (run->count >= 2)
			break;
		else
		{
			memset(run, 0, sizeof(*run));
			/* a big shard ends a run; a small one may start the next */
			if (sh->bytes < target)
			{
				run->first = idx;
				run->count = 1;
				run->rows = sh->rows;
				run->bytes = sh->bytes;
			}
		}
		idx++;
	}
	return run->count >= 2;
}

/*
 * Writes the rows of the run's shards, with their positions, into new
 * shards of snapshot "snapshot"; the reader and the writer (finished by
 * the caller) go into st as soon as they exist.
 */
static void
compact_rewrite(Relation rel, SpillTable *tab, const SpillOptions *opts, uint64 cur,
				uint64 snapshot, const CompactRun *run, CompactState *st)
{
	TupleDesc	desc = RelationGetDescr(rel);
	ShardScan  *ss;
	ShardWriter *sw;
	TupleTableSlot *slot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
	MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext,
												  "spillpool compaction row",
												  ALLOCSET_DEFAULT_SIZES);
	int			k;

	ss = shard_scan_begin(rel, desc, tab->key.dbid, tab->key.relfilenode, cur,
						  NULL, NIL, NULL);
	st->ss = ss;
	sw = shard_writer_begin(rel, tab->key.dbid, tab->key.relfilenode, snapshot,
							opts->shard_codec, opts->compression_level);
	st->sw = sw;
	st->index = shard_index_begin(rel, opts);
	for (k = 0; k < run->count; k++)
	{
		uint64	   *firsts;
		int64	   *counts;
		int			nruns = shard_scan_position_runs(ss, run->first + k, &firsts, &counts);
		int			r;

		shard_scan_seek(ss, run->first + k, 0);
		for (r = 0; r < nruns; r++)
		{
			int64		j;

			for (j = 0; j < counts[r]; j++)
			{
				MemoryContext old;
				MinimalTuple mt;

				if (!shard_scan_next(ss, slot))
					ereport(ERROR,
							(errcode(ERRCODE_DATA_CORRUPTED),
							 errmsg("a spillpool shard of table \"%s\" holds fewer rows than its positions list",
									RelationGetRelationName(rel))));
				old = MemoryContextSwitchTo(row_cxt);
				slot_getallattrs(slot);
				mt = heap_form_minimal_tuple(desc, slot->tts_values, slot->tts_isnull);
				shard_writer_add(sw, mt, firsts[r] + j);
				if (st->index != NULL)
					shard_index_add_values(st->index, slot->tts_values, slot->tts_isnull);
				MemoryContextSwitchTo(old);
				MemoryContextReset(row_cxt);
			}
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	MemoryContextDelete(row_cxt);
}

/*
 * Commits the new shards: the manifest lists them where the run was, marks
 * the run's shards removed by the new snapshot, and records the snapshot
 * as a "replace".  Then shared memory follows.  Once the manifest is
 * renamed the files are committed: st->sw is cleared, so that an error
 * after that does not remove them.
 */
static void
compact_commit(Relation rel, SpillTable *tab, uint64 cur, uint64 snapshot, const CompactRun *run,
			   ManifestShard *added, int nadded, CompactState *st)
{
	Manifest	m;
	ManifestShard *shards;
	ManifestSnapshot *s;
	int			n = 0;
	int			idx = 0;
	int			i;
	int64		added_bytes = 0;

	(void) manifest_read(tab->key.dbid, tab->key.relfilenode, &m);
	shards = palloc(sizeof(ManifestShard) * (m.nshards + nadded));
	for (i = 0; i < m.nshards; i++)
	{
		ManifestShard *sh = &m.shards[i];
		bool		in_run = false;

		if (manifest_shard_in_snapshot(sh, cur))
		{
			in_run = (idx >= run->first && idx < run->first + run->count);
			if (idx == run->first)
			{
				memcpy(shards + n, added, sizeof(ManifestShard) * nadded);
				n += nadded;
			}
			idx++;
		}
		shards[n] = *sh;
		if (in_run)
			shards[n].removed_in = snapshot;
		n++;
	}
	m.shards = shards;
	m.nshards = n;
	m.snapshots = repalloc(m.snapshots, sizeof(ManifestSnapshot) * (m.nsnapshots + 1));
	s = &m.snapshots[m.nsnapshots++];
	s->id = snapshot;
	s->commit_time = GetCurrentTimestamp();
	s->rows = run->rows;
	s->nshards = nadded;
	s->op = MANIFEST_REPLACE;
	s->removed_shards = run->count;
	s->removed_rows = run->rows;
	iceberg_before_commit(rel, tab, &m, true);
	manifest_write(tab->key.dbid, tab->key.relfilenode, &m);
	st->sw = NULL;				/* committed: an error from here on keeps the files */
	spillpool_fault_point("compact-manifest-renamed");

	for (i = 0; i < nadded; i++)
		added_bytes += added[i].bytes;
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->snapshot_id = snapshot;
	tab->shards += nadded - run->count;
	tab->shard_bytes += added_bytes - run->bytes;
	LWLockRelease(&tab->lock);
	iceberg_after_commit(rel, tab, &m);
}

/*
 * Compacts one run of small shards into a new snapshot.  Returns false when
 * there was no run, or when the rewrite did not make fewer shards than it
 * read (it then committed, but another round would find the same run).
 * The caller holds the flushing flag.
 */
static bool
compact_one_run(Relation rel, SpillTable *tab, const SpillOptions *opts, int64 target)
{
	Manifest	m;
	CompactRun	run;
	uint64		cur;
	CompactState *st = palloc0(sizeof(CompactState));
	ManifestShard *added;
	int			nadded = 0;

	LWLockAcquire(&tab->lock, LW_SHARED);
	cur = tab->snapshot_id;
	LWLockRelease(&tab->lock);
	(void) manifest_read(tab->key.dbid, tab->key.relfilenode, &m);
	if (!compact_find_run(&m, cur, target, &run))
		return false;

	PG_TRY();
	{
		compact_rewrite(rel, tab, opts, cur, cur + 1, &run, st);
		nadded = shard_writer_finish(st->sw, &added);
		spillpool_fault_point("compact-shards-written");
		/* the new shards get their own indexes, built anew */
		if (st->index != NULL && nadded > 0)
			shard_index_write(st->index, tab->key.dbid, tab->key.relfilenode, added, nadded);
		shard_index_end(st->index);
		st->index = NULL;
		compact_commit(rel, tab, cur, cur + 1, &run, added, nadded, st);
	}
	PG_CATCH();
	{
		if (st->sw != NULL)
		{
			shard_writer_abort(st->sw);
			shard_index_remove_files(tab->key.dbid, tab->key.relfilenode, cur + 1);
		}
		if (st->ss != NULL)
			shard_scan_end(st->ss);
		PG_RE_THROW();
	}
	PG_END_TRY();
	shard_scan_end(st->ss);
	return nadded < run.count;
}

/*
 * The number of shards of a table's current snapshot below the target size
 * (from the manifest, no file is read).
 */
static int
compact_count_small(SpillTable *tab, int64 target)
{
	Manifest	m;
	uint64		cur;
	int			n = 0;
	int			i;

	LWLockAcquire(&tab->lock, LW_SHARED);
	cur = tab->snapshot_id;
	LWLockRelease(&tab->lock);
	(void) manifest_read(tab->key.dbid, tab->key.relfilenode, &m);
	for (i = 0; i < m.nshards; i++)
		if (manifest_shard_in_snapshot(&m.shards[i], cur) && m.shards[i].bytes < target)
			n++;
	return n;
}

/*
 * Compacts a table: every run of small shards, one "replace" snapshot per
 * run.  The target (the table's compact_target_size) is capped at
 * spillpool.max_shard_size, where the writer would start another file.
 * With only_if_due (the background worker), it compacts only a table with
 * more small shards than its compact_min_shards.  Each run holds the
 * flushing flag on its own, so that flushes are not held off for the whole
 * compaction.  Returns the snapshot id after it (the current one when there
 * was nothing to compact).  The caller holds a lock on the relation.
 */
int64
compact_table(Relation rel, bool only_if_due)
{
	SpillTable *tab = spilltable_for_rel(rel);
	SpillOptions opts;
	int64		target;
	MemoryContext run_cxt;
	bool		more = true;
	uint64		snapshot;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot compact spillpool tables during recovery")));
	options_get(rel, &opts);
	target = opts.compact_target_size >= 0 ? opts.compact_target_size :
		(int64) spillpool_compact_target_size_kb * 1024;
	target = Min(target, (int64) spillpool_max_shard_size_mb * 1024 * 1024);
	if (only_if_due &&
		(opts.compact_min_shards <= 0 || compact_count_small(tab, target) <= opts.compact_min_shards))
		more = false;
	else
		flush_check_columns_committed(rel);
	run_cxt = AllocSetContextCreate(CurrentMemoryContext, "spillpool compaction",
									ALLOCSET_DEFAULT_SIZES);
	while (more)
	{
		MemoryContext old;
		int			guc_level;

		CHECK_FOR_INTERRUPTS();
		(void) flush_claim(tab, true);
		guc_level = flush_fix_output_settings();
		old = MemoryContextSwitchTo(run_cxt);
		PG_TRY();
		{
			more = compact_one_run(rel, tab, &opts, target);
		}
		PG_CATCH();
		{
			flush_release();
			PG_RE_THROW();
		}
		PG_END_TRY();
		MemoryContextSwitchTo(old);
		MemoryContextReset(run_cxt);
		AtEOXact_GUC(true, guc_level);
		flush_release();
	}
	MemoryContextDelete(run_cxt);

	LWLockAcquire(&tab->lock, LW_SHARED);
	snapshot = tab->snapshot_id;
	LWLockRelease(&tab->lock);
	return (int64) snapshot;
}
