/*-------------------------------------------------------------------------
 *
 * retention.c
 *	  Retention: dropping whole shards whose rows are all older than a limit.
 *
 * A table's retention option names a timestamp or timestamptz column and an
 * interval.  A shard is dropped when the largest value of that column in it
 * (from the shard's footer statistics, no row is read) is older than the
 * limit.  A shard that straddles the limit, with some rows older and some
 * newer, is kept whole until its newest row is older too; so is a shard
 * with a NULL in the column, or written before the column existed, since
 * nothing says how old those rows are.  Rows not yet flushed (memtable
 * and segments) are never dropped: retention only ever removes shards.
 *
 * Dropping commits a snapshot whose operation is "delete": the manifest
 * marks the shards removed by it.  Time travel to earlier snapshots still
 * reads them until snapshot expiry (expire.c) deletes their files.
 *
 * Steps, each a fault-injection point (spillpool.debug_crash_at):
 *	 1. replace the manifest (manifest-temp before the rename, then
 *		drop-manifest-renamed, the commit point);
 *	 2. publish the new snapshot in shared memory and in the Iceberg
 *		metadata.
 * A crash before the rename leaves the old snapshot, after it the new one;
 * no file is written or removed, so none can be left over.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "spillpool.h"
#include "shard/flush.h"
#include "shard/retention.h"
#include "shard/shard_read.h"
#include "tier/fault.h"
#include "tier/manifest.h"
#include "tier/memtable.h"
#include "tier/options.h"
#include "iceberg/iceberg.h"

/*
 * The attribute number of a table's retention column, checked to exist and
 * to be a timestamp or timestamptz (it may have been dropped, renamed or
 * retyped since alter_table named it).
 */
static AttrNumber
retention_column_attnum(Relation rel, const char *column)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(rel), column);
	Oid			type;

	if (attnum == InvalidAttrNumber || attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("retention column \"%s\" of relation \"%s\" does not exist",
						column, RelationGetRelationName(rel)),
				 errhint("Name another column with spillpool.alter_table(retention_column => ...).")));
	type = getBaseType(get_atttype(RelationGetRelid(rel), attnum));
	if (type != TIMESTAMPOID && type != TIMESTAMPTZOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("retention column \"%s\" must be of type timestamp or timestamptz", column),
				 errdetail("Column \"%s\" is of type %s.", column, format_type_be(type))));
	return attnum;
}

/*
 * Is every value of the column in this shard older than the limit?  The
 * limit is a timestamptz; a timestamp column is compared in the session's
 * time zone, as "ts < limit" would compare it.
 */
static bool
retention_shard_is_older(Relation rel, const char *path, AttrNumber attnum, TimestampTz limit)
{
	TupleDesc	desc = RelationGetDescr(rel);
	ShardColumnBounds *b = &shard_column_bounds(path, desc)[attnum - 1];
	Timestamp	max;

	/* a row whose age is unknown (NULL) is never dropped */
	if (!b->present || !b->has_bounds || !b->nulls_known || b->nulls > 0)
		return false;
	max = DatumGetTimestamp(b->max);
	if (b->kind == SK_TIMESTAMP)
		return DatumGetBool(DirectFunctionCall2(timestamp_lt_timestamptz,
												TimestampGetDatum(max),
												TimestampTzGetDatum(limit)));
	return max < limit;
}

/*
 * Drops the shards of the current snapshot whose retention column is all
 * older than "limit", in one "delete" snapshot.  Returns the rows dropped
 * (0 when no shard qualified and nothing was committed).  Holds the
 * flushing flag while it runs; the caller holds a lock on the relation.
 */
int64
retention_drop_shards(Relation rel, const char *column, TimestampTz limit, int *nshards_out)
{
	SpillTable *tab = spilltable_for_rel(rel);
	AttrNumber	attnum;
	int64		rows = 0;
	int64		bytes = 0;
	int			ndropped = 0;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot drop shards of spillpool tables during recovery")));
	attnum = retention_column_attnum(rel, column);
	flush_check_columns_committed(rel);
	(void) flush_claim(tab, true);
	PG_TRY();
	{
		Manifest	m;
		uint64		cur;
		uint64		snapshot;
		int			i;

		LWLockAcquire(&tab->lock, LW_SHARED);
		cur = tab->snapshot_id;
		LWLockRelease(&tab->lock);
		snapshot = cur + 1;
		(void) manifest_read(tab->key.dbid, tab->key.relfilenode, &m);
		for (i = 0; i < m.nshards; i++)
		{
			ManifestShard *sh = &m.shards[i];
			char		path[MAXPGPATH];

			if (!manifest_shard_in_snapshot(sh, cur) || sh->rows == 0)
				continue;
			shard_file_path(path, tab->key.dbid, tab->key.relfilenode, sh->snapshot, sh->n);
			if (!retention_shard_is_older(rel, path, attnum, limit))
				continue;
			sh->removed_in = snapshot;
			rows += sh->rows;
			bytes += sh->bytes;
			ndropped++;
		}
		if (ndropped > 0)
		{
			ManifestSnapshot *s;

			m.snapshots = repalloc(m.snapshots, sizeof(ManifestSnapshot) * (m.nsnapshots + 1));
			s = &m.snapshots[m.nsnapshots++];
			s->id = snapshot;
			s->commit_time = GetCurrentTimestamp();
			s->rows = 0;
			s->nshards = 0;
			s->op = MANIFEST_DELETE;
			s->removed_shards = ndropped;
			s->removed_rows = rows;
			iceberg_before_commit(rel, tab, &m, true);
			manifest_write(tab->key.dbid, tab->key.relfilenode, &m);
			spillpool_fault_point("drop-manifest-renamed");

			LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
			tab->snapshot_id = snapshot;
			tab->shards -= ndropped;
			tab->shard_rows -= rows;
			tab->shard_bytes -= bytes;
			LWLockRelease(&tab->lock);
			iceberg_after_commit(rel, tab, &m);
		}
	}
	PG_CATCH();
	{
		flush_release();
		PG_RE_THROW();
	}
	PG_END_TRY();
	flush_release();
	if (nshards_out)
		*nshards_out = ndropped;
	return rows;
}

/*
 * The worker's retention: drops the shards older than now minus the
 * table's retention, when it has a retention column and interval.
 * Returns the rows dropped.
 */
int64
retention_apply(Relation rel, const SpillOptions *opts)
{
	TimestampTz limit;

	if (opts->retention_column[0] == '\0' || opts->retention_ms <= 0)
		return 0;
	limit = GetCurrentTimestamp() - opts->retention_ms * INT64CONST(1000);
	return retention_drop_shards(rel, opts->retention_column, limit, NULL);
}
