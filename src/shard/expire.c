/*-------------------------------------------------------------------------
 *
 * expire.c
 *	  Snapshot expiry: forgetting snapshots older than a table's
 *	  snapshot_retention and deleting the shard files only they reference.
 *
 * Compaction and retention keep the shards they replace or drop, so that
 * time travel to earlier snapshots still reads them.  Expiry ends that: the
 * snapshots committed before now minus snapshot_retention (never the
 * current one) are taken out of the manifest, with every shard that no
 * snapshot left references (removed by a snapshot at or before the oldest
 * one kept).  Time travel to an expired snapshot then fails with an error
 * that names the oldest one still held.  Expiring follows Iceberg's
 * expire_snapshots: a snapshot expires by its own commit time.
 *
 * Scans may still need the expired snapshots: every scan pins the table's
 * files when it starts (spilltable_pin_segments_locked), and fixes its
 * snapshot then, but reads the manifest's shard lines later.  So the
 * expiry's commit keeps the shard lines and retires the pins of the scans
 * running then, and the lines go and the files are deleted once no such
 * scan is left: at once, or in the background worker's next round
 * (expire_prune_pending).
 *
 * Steps, each a fault-injection point (spillpool.debug_crash_at):
 *	 1. replace the manifest without the expired snapshots (manifest-temp
 *		before the rename, then expire-manifest-renamed, the commit point);
 *	 2. publish the oldest snapshot in shared memory, write the Iceberg
 *		metadata (iceberg-metadata-written);
 *	 3. replace the manifest without the shard lines no kept snapshot needs
 *		(expire-manifest-pruned), delete their files (expire-file-removed
 *		after each).
 * A crash before the first rename leaves every snapshot; after it, loading
 * the table marks the second step due, and after the second rename the
 * files that the manifest does not list are removed when the table is
 * loaded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "miscadmin.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "spillpool.h"
#include "iceberg/iceberg.h"
#include "shard/expire.h"
#include "shard/flush.h"
#include "tier/fault.h"
#include "tier/manifest.h"
#include "tier/memtable.h"
#include "tier/storage.h"

/*
 * The oldest snapshot to keep: the first one committed at or after
 * "limit", and never one after the current snapshot.
 */
static uint64
expire_oldest_kept(const Manifest *m, uint64 cur, TimestampTz limit)
{
	int			i;

	for (i = 0; i < m->nsnapshots; i++)
		if (m->snapshots[i].commit_time >= limit || m->snapshots[i].id >= cur)
			return Min(m->snapshots[i].id, cur);
	return cur;
}

/* Can this shard line go: removed before the oldest snapshot kept? */
static inline bool
expire_prunable(const ManifestShard *sh, uint64 expired_below)
{
	return sh->removed_in != 0 && sh->removed_in < expired_below;
}

/*
 * The second step of an expiry: takes the shards no kept snapshot holds
 * out of the manifest and deletes their files.  The caller holds the
 * flushing flag and has made sure that no scan that started before the
 * expiry's commit still runs (such a scan may still need those lines and
 * files: its snapshot may have expired under it).  A shard removed by the
 * oldest snapshot kept stays until that one expires too: its Iceberg
 * manifest names it.  Returns the number of files deleted.
 */
static int
expire_prune(SpillTable *tab)
{
	Manifest	m;
	Manifest	pruned;
	int			nremoved = 0;
	int			i;

	(void) manifest_read(tab->key.dbid, tab->key.relfilenode, &m);
	pruned = m;
	pruned.shards = palloc(sizeof(ManifestShard) * Max(m.nshards, 1));
	pruned.nshards = 0;
	for (i = 0; i < m.nshards; i++)
		if (!expire_prunable(&m.shards[i], m.expired_below))
			pruned.shards[pruned.nshards++] = m.shards[i];
	if (pruned.nshards == m.nshards)
		return 0;
	manifest_write(tab->key.dbid, tab->key.relfilenode, &pruned);
	spillpool_fault_point("expire-manifest-pruned");
	for (i = 0; i < m.nshards; i++)
	{
		char		path[MAXPGPATH];

		if (!expire_prunable(&m.shards[i], m.expired_below))
			continue;
		shard_file_path(path, tab->key.dbid, tab->key.relfilenode,
						m.shards[i].snapshot, m.shards[i].n);
		if (storage_unlink_file(path, true))
			nremoved++;
		if (m.shards[i].has_index)
		{
			shard_index_path(path, tab->key.dbid, tab->key.relfilenode,
							 m.shards[i].snapshot, m.shards[i].n);
			(void) storage_unlink_file(path, true);
		}
		spillpool_fault_point("expire-file-removed");
	}
	return nremoved;
}

/*
 * Does an expiry's second step if one is due and no scan that started
 * before that expiry is left; the flag stays set until it succeeds, so an
 * error leaves it to the worker.  The caller holds the flushing flag.
 * Returns the number of files deleted.
 */
static int
expire_prune_if_due(SpillTable *tab)
{
	bool		due;
	int			removed;

	LWLockAcquire(&tab->lock, LW_SHARED);
	due = tab->expire_pending && tab->readers_old == 0;
	LWLockRelease(&tab->lock);
	if (!due)
		return 0;
	removed = expire_prune(tab);
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->expire_pending = false;
	LWLockRelease(&tab->lock);
	return removed;
}

/*
 * Expires the snapshots of a table committed before "limit" and deletes
 * the shard files only they referenced (now, or later if scans still read
 * them).  Returns the number of snapshots expired; *files_removed (if not
 * NULL) gets the number of files deleted now.  Holds the flushing flag
 * while it runs; the caller holds a lock on the relation.
 *
 * The expiry commits in two steps.  The first takes the expired snapshots
 * out of the manifest and publishes the oldest one kept (time travel below
 * it fails from then on) but keeps every shard line: a scan that started
 * before fixed its snapshot and reads the manifest's lines later.  The
 * second (expire_prune) takes out the lines no kept snapshot needs and
 * deletes the files, at once when no scan that started before is left,
 * or in a later round of the background worker.
 */
int
expire_snapshots(Relation rel, TimestampTz limit, int *files_removed)
{
	SpillTable *tab = spilltable_for_rel(rel);
	volatile int nexpired = 0;
	volatile int nremoved = 0;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot expire snapshots of spillpool tables during recovery")));
	(void) flush_claim(tab, true);
	PG_TRY();
	{
		Manifest	m;
		Manifest	old;
		uint64		cur;
		uint64		keep;
		int			i;

		LWLockAcquire(&tab->lock, LW_SHARED);
		cur = tab->snapshot_id;
		LWLockRelease(&tab->lock);
		(void) manifest_read(tab->key.dbid, tab->key.relfilenode, &m);
		keep = expire_oldest_kept(&m, cur, limit);
		if (keep > manifest_oldest_snapshot(&m) && keep > 0)
		{
			old = m;
			m.snapshots = palloc(sizeof(ManifestSnapshot) * Max(old.nsnapshots, 1));
			m.nsnapshots = 0;
			for (i = 0; i < old.nsnapshots; i++)
			{
				if (old.snapshots[i].id >= keep)
					m.snapshots[m.nsnapshots++] = old.snapshots[i];
				else
					nexpired++;
			}
			m.expired_below = keep;
			/* the Iceberg manifest of the whole table that keep lists */
			m.expired_base = iceberg_base_at(&old, keep);
			iceberg_before_commit(rel, tab, &m, false);
			manifest_write(tab->key.dbid, tab->key.relfilenode, &m);
			spillpool_fault_point("expire-manifest-renamed");

			LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
			tab->oldest_snapshot = keep;
			/* the scans running now may still read the lines and files */
			spilltable_retire_segment_pins_locked(tab);
			tab->expire_pending = true;
			LWLockRelease(&tab->lock);

			iceberg_after_commit(rel, tab, &m);
		}
		/* this expiry's second step, or an earlier one's */
		nremoved = expire_prune_if_due(tab);
	}
	PG_CATCH();
	{
		flush_release();
		PG_RE_THROW();
	}
	PG_END_TRY();
	flush_release();
	if (files_removed)
		*files_removed = nremoved;
	return nexpired;
}

/*
 * The second step of an expiry that scans held back (or that a restart
 * interrupted), once no scan that started before it is left: see
 * expire_prune.  Cheap when there is nothing to do (shared memory only).
 * Returns the number of files deleted.
 */
int
expire_prune_pending(SpillTable *tab)
{
	bool		due;
	volatile int removed = 0;

	/* without the flag first: most rounds have nothing to do */
	LWLockAcquire(&tab->lock, LW_SHARED);
	due = tab->expire_pending && tab->readers_old == 0;
	LWLockRelease(&tab->lock);
	if (!due || !flush_claim(tab, false))
		return 0;
	PG_TRY();
	{
		removed = expire_prune_if_due(tab);
	}
	PG_CATCH();
	{
		flush_release();
		PG_RE_THROW();
	}
	PG_END_TRY();
	flush_release();
	return removed;
}
