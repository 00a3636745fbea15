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
 * Scans may still read the files: every scan pins the table's files when it
 * starts (spilltable_pin_segments_locked), and the expiry's commit retires
 * the pins of the scans running then.  The files are deleted at once if no
 * such scan is left, or else by the background worker's next round once
 * they have all ended (expire_remove_unlisted).
 *
 * Steps, each a fault-injection point (spillpool.debug_crash_at):
 *	 1. replace the manifest (manifest-temp before the rename, then
 *		expire-manifest-renamed, the commit point);
 *	 2. publish the oldest snapshot in shared memory, write the Iceberg
 *		metadata;
 *	 3. delete the files (expire-file-removed after each).
 * A crash before the rename leaves every snapshot; after it, the files that
 * the new manifest does not list are removed when the table is loaded.
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

/*
 * Expires the snapshots of a table committed before "limit" and deletes
 * the shard files only they referenced (now, or later if scans still read
 * them).  Returns the number of snapshots expired; *files_removed (if not
 * NULL) gets the number of files deleted now.  Holds the flushing flag
 * while it runs; the caller holds a lock on the relation.
 */
int
expire_snapshots(Relation rel, TimestampTz limit, int *files_removed)
{
	SpillTable *tab = spilltable_for_rel(rel);
	int			nexpired = 0;
	int			nremoved = 0;

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
		bool		remove_now;
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
			/* shards no kept snapshot holds: removed at or before keep */
			m.shards = palloc(sizeof(ManifestShard) * Max(old.nshards, 1));
			m.nshards = 0;
			for (i = 0; i < old.nshards; i++)
				if (old.shards[i].removed_in == 0 || old.shards[i].removed_in > keep)
					m.shards[m.nshards++] = old.shards[i];
			m.expired_below = keep;
			/* the Iceberg manifest of the whole table that keep lists */
			m.expired_base = iceberg_base_at(&old, keep);
			iceberg_before_commit(rel, tab, &m);
			manifest_write(tab->key.dbid, tab->key.relfilenode, &m);
			spillpool_fault_point("expire-manifest-renamed");

			LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
			tab->oldest_snapshot = keep;
			/* the scans running now may still read the files */
			spilltable_retire_segment_pins_locked(tab);
			remove_now = (tab->readers_old == 0);
			if (!remove_now)
				tab->shards_unlisted = true;
			LWLockRelease(&tab->lock);

			iceberg_after_commit(rel, tab, &m);

			if (remove_now)
			{
				for (i = 0; i < old.nshards; i++)
				{
					char		path[MAXPGPATH];

					if (old.shards[i].removed_in == 0 || old.shards[i].removed_in > keep)
						continue;
					shard_file_path(path, tab->key.dbid, tab->key.relfilenode,
									old.shards[i].snapshot, old.shards[i].n);
					if (storage_unlink_file(path, true))
						nremoved++;
					spillpool_fault_point("expire-file-removed");
				}
			}
		}
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
 * Deletes the shard files an expiry left because scans still read them,
 * once no scan started before it is left.  Cheap when there is nothing to
 * do (shared memory only).  Returns the number of files deleted.
 */
int
expire_remove_unlisted(SpillTable *tab)
{
	bool		due;
	volatile int removed = 0;

	LWLockAcquire(&tab->lock, LW_SHARED);
	due = tab->shards_unlisted && tab->readers_old == 0;
	LWLockRelease(&tab->lock);
	if (!due || !flush_claim(tab, false))
		return 0;
	PG_TRY();
	{
		Manifest	m;

		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		due = tab->shards_unlisted && tab->readers_old == 0;
		tab->shards_unlisted = false;
		LWLockRelease(&tab->lock);
		if (due)
		{
			(void) manifest_read(tab->key.dbid, tab->key.relfilenode, &m);
			removed = manifest_remove_unlisted(tab->key.dbid, tab->key.relfilenode, &m, DEBUG1);
		}
	}
	PG_CATCH();
	{
		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		tab->shards_unlisted = true;
		LWLockRelease(&tab->lock);
		flush_release();
		PG_RE_THROW();
	}
	PG_END_TRY();
	flush_release();
	return removed;
}
