/*-------------------------------------------------------------------------
 *
 * storage.c
 *	  A table's directory: creating it, removing it when TRUNCATE or DROP
 *	  commits (or a CREATE rolls back), removing orphans at startup, and
 *	  the removal of single files with a warning.
 *
 * Files are keyed by relfilenode, so TRUNCATE (a new relfilenode) and its
 * rollback need no copying: the old directory is removed when the
 * transaction commits, the new one when it aborts, as PostgreSQL does for
 * relation files (smgr pending deletes).  DROP is seen through the object
 * access hook.  A directory left behind by a crash in between belongs to no
 * relation file any more and is removed when the server starts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/catalog.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "catalog/pg_database.h"
#include "catalog/pg_tablespace_d.h"
#include "commands/defrem.h"
#include "common/file_perm.h"
#include "common/relpath.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/wait_event.h"
#include "utils/rel.h"

#include "spillpool.h"
#include "am/consumer.h"
#include "tier/storage.h"
#include "tier/manifest.h"
#include "tier/memtable.h"
#include "tier/options.h"
#include "tier/segment.h"

typedef struct PendingUnlink
{
	Oid			dbid;
	Oid			relfilenode;	/* InvalidOid: the whole database */
	bool		at_commit;		/* else at abort */
	SubTransactionId subid;
	struct PendingUnlink *next;
} PendingUnlink;

static PendingUnlink *pending_unlinks = NULL;
static object_access_hook_type prev_object_access_hook = NULL;

/*
 * Removes one file, with a WARNING (not an error: the callers are cleaning
 * up, and the file is harmless where it is) when that fails.  A file that
 * is already gone counts as removed when missing_ok.  Returns true if the
 * file is gone.
 */
bool
storage_unlink_file(const char *path, bool missing_ok)
{
	if (unlink(path) == 0 || (missing_ok && errno == ENOENT))
		return true;
	ereport(WARNING,
			(errcode_for_file_access(),
			 errmsg("could not remove file \"%s\": %m", path)));
	return false;
}

/*
 * Writes a small file whole under its temporary name and fsyncs it, for a
 * caller that then moves it over the real one with durable_rename (the
 * manifest, the positions file).  A failed write removes the temporary
 * file; errors are ERRORs (a failed fsync as data_sync_elevel says).
 */
void
storage_write_temp_file(const char *tmp, const char *data, int len)
{
	int			fd;

	fd = OpenTransientFile(tmp, O_RDWR | O_CREAT | O_TRUNC | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", tmp)));
	errno = 0;
	pgstat_report_wait_start(WAIT_EVENT_DATA_FILE_WRITE);
	if (write(fd, data, len) != len)
	{
		int			save_errno = errno ? errno : ENOSPC;

		pgstat_report_wait_end();
		CloseTransientFile(fd);
		(void) unlink(tmp);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", tmp)));
	}
	pgstat_report_wait_end();
	pgstat_report_wait_start(WAIT_EVENT_DATA_FILE_SYNC);
	if (pg_fsync(fd) != 0)
	{
		int			save_errno = errno;

		CloseTransientFile(fd);
		errno = save_errno;
		ereport(data_sync_elevel(ERROR),
				(errcode_for_file_access(),
				 errmsg("could not fsync file \"%s\": %m", tmp)));
	}
	pgstat_report_wait_end();
	CloseTransientFile(fd);
}

/* Creates a directory if missing, with the data directory's mode. */
static void
storage_mkdir(const char *path)
{
	if (MakePGDirectory(path) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", path)));
}

/*
 * Creates spillpool/<db>/<relfilenode>/seg/ for a new relfilenode and makes
 * the names durable.  Segment files inside are created lazily.
 */
void
storage_create_table_dir(Oid dbid, Oid relfilenode)
{
	char		path[MAXPGPATH];

	storage_mkdir("spillpool");
	snprintf(path, MAXPGPATH, "spillpool/%u", dbid);
	storage_mkdir(path);
	segment_table_dir_path(path, dbid, relfilenode);
	storage_mkdir(path);
	segment_dir_path(path, dbid, relfilenode);
	storage_mkdir(path);
	fsync_fname(path, true);
	shard_dir_path(path, dbid, relfilenode);
	storage_mkdir(path);
	fsync_fname(path, true);
	segment_table_dir_path(path, dbid, relfilenode);
	fsync_fname(path, true);
	snprintf(path, MAXPGPATH, "spillpool/%u", dbid);
	fsync_fname(path, true);
	fsync_fname("spillpool", true);
}

/*
 * Removes a table's directory and forgets its shared state.  Used at commit
 * or abort, so it only warns on failure: the startup sweep will try again.
 */
void
storage_remove_table_dir(Oid dbid, Oid relfilenode)
{
	char		path[MAXPGPATH];

	segment_forget_files(dbid, relfilenode);
	manifest_forget(dbid, relfilenode);
	if (spill_shared != NULL)
		spilltable_forget(dbid, relfilenode);
	segment_table_dir_path(path, dbid, relfilenode);
	if (!rmtree(path, true))
		ereport(WARNING,
				(errcode(ERRCODE_IO_ERROR),
				 errmsg("could not remove spillpool directory \"%s\"", path)));
}

/* True if this transaction has directory removals queued (PREPARE refuses). */
bool
storage_has_pending_unlinks(void)
{
	return pending_unlinks != NULL;
}

/* Queues a directory removal for the end of the (sub)transaction. */
void
storage_schedule_unlink(Oid dbid, Oid relfilenode, bool at_commit)
{
	PendingUnlink *pu = MemoryContextAlloc(TopMemoryContext, sizeof(PendingUnlink));

	pu->dbid = dbid;
	pu->relfilenode = relfilenode;
	pu->at_commit = at_commit;
	pu->subid = GetCurrentSubTransactionId();
	pu->next = pending_unlinks;
	pending_unlinks = pu;
}

/* Carries out one queued removal. */
static void
storage_do_unlink(PendingUnlink *pu)
{
	if (OidIsValid(pu->relfilenode))
		storage_remove_table_dir(pu->dbid, pu->relfilenode);
	else
	{
		char		path[MAXPGPATH];

		if (spill_shared != NULL)
			spilltable_forget_database(pu->dbid);
		snprintf(path, MAXPGPATH, "spillpool/%u", pu->dbid);
		(void) rmtree(path, true);
	}
}

/* Transaction end: removals for this outcome happen, the others are dropped. */
void
storage_at_xact_end(bool commit)
{
	PendingUnlink *pu = pending_unlinks;

	pending_unlinks = NULL;
	while (pu)
	{
		PendingUnlink *next = pu->next;

		if (pu->at_commit == commit)
			storage_do_unlink(pu);
		pfree(pu);
		pu = next;
	}
}

/*
 * Subtransaction end: on commit its entries pass to the parent; on abort
 * its abort-time removals happen now and its commit-time ones are dropped.
 */
void
storage_at_subxact_end(bool commit, SubTransactionId subid, SubTransactionId parent)
{
	PendingUnlink **link = &pending_unlinks;

	while (*link)
	{
		PendingUnlink *pu = *link;

		if (pu->subid < subid)
		{
			link = &pu->next;
			continue;
		}
		if (commit)
		{
			pu->subid = parent;
			link = &pu->next;
			continue;
		}
		if (!pu->at_commit)
			storage_do_unlink(pu);
		*link = pu->next;
		pfree(pu);
	}
}

/*
 * Object access hook: a dropped spillpool table's directory goes when the
 * dropping transaction commits; a dropped database's whole directory too.
 */
static void
storage_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					  int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);
	if (access != OAT_DROP)
		return;

	if (classId == RelationRelationId && subId == 0)
	{
		HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(objectId));

		if (HeapTupleIsValid(tup))
		{
			Form_pg_class form = (Form_pg_class) GETSTRUCT(tup);
			bool		ours = spillpool_is_access_method(form->relam);

			if (ours && OidIsValid(form->relfilenode))
				storage_schedule_unlink(MyDatabaseId, form->relfilenode, true);
			ReleaseSysCache(tup);
			if (ours)
			{
				options_forget_relation(objectId);
				consumer_forget_relation(objectId);
			}
		}
	}
	else if (classId == DatabaseRelationId)
		storage_schedule_unlink(objectId, InvalidOid, true);
}

/*
 * True if base/<suffix> exists, or <suffix> in the version directory of
 * any tablespace: where a database's directory or a relation's file is.
 */
static bool
storage_exists_in_tablespaces(const char *suffix)
{
	char		path[MAXPGPATH];
	struct stat st;
	DIR		   *d;
	struct dirent *de;
	bool		found = false;

	snprintf(path, MAXPGPATH, "base/%s", suffix);
	if (stat(path, &st) == 0)
		return true;
	d = AllocateDir("pg_tblspc");
	while (!found && (de = ReadDirExtended(d, "pg_tblspc", LOG)) != NULL)
	{
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, MAXPGPATH, "pg_tblspc/%s/%s/%s",
				 de->d_name, TABLESPACE_VERSION_DIRECTORY, suffix);
		if (stat(path, &st) == 0)
			found = true;
	}
	FreeDir(d);
	return found;
}

/* True if a relation file base/<db>/<rfn> exists in any tablespace. */
static bool
storage_relation_file_exists(Oid dbid, Oid relfilenode)
{
	char		suffix[64];

	snprintf(suffix, sizeof(suffix), "%u/%u", dbid, relfilenode);
	return storage_exists_in_tablespaces(suffix);
}

/*
 * True if a database directory exists in any tablespace: a database whose
 * default tablespace is not pg_default has no base/<dbid>.
 */
static bool
storage_database_exists(Oid dbid)
{
	char		suffix[32];

	snprintf(suffix, sizeof(suffix), "%u", dbid);
	return storage_exists_in_tablespaces(suffix);
}

/*
 * Removes directories that no relation owns any more: left behind when the
 * server stopped between a DROP or TRUNCATE commit and the removal.  Needs
 * no catalog: a spillpool table always has an (empty) relation file.
 */
void
storage_remove_orphans(void)
{
	DIR		   *top;
	struct dirent *dde;

	top = AllocateDir("spillpool");
	if (top == NULL)
		return;
	while ((dde = ReadDirExtended(top, "spillpool", LOG)) != NULL)
	{
		char		dbpath[MAXPGPATH];
		Oid			dbid;
		DIR		   *d;
		struct dirent *de;

		if (sscanf(dde->d_name, "%u", &dbid) != 1)
			continue;
		snprintf(dbpath, MAXPGPATH, "spillpool/%s", dde->d_name);
		if (!storage_database_exists(dbid))
		{
			ereport(LOG, (errmsg("removing orphaned spillpool directory \"%s\"", dbpath)));
			(void) rmtree(dbpath, true);
			continue;
		}
		d = AllocateDir(dbpath);
		while (d && (de = ReadDirExtended(d, dbpath, LOG)) != NULL)
		{
			Oid			rfn;
			char		path[MAXPGPATH];

			if (sscanf(de->d_name, "%u", &rfn) != 1)
				continue;
			if (storage_relation_file_exists(dbid, rfn))
				continue;
			snprintf(path, MAXPGPATH, "%s/%s", dbpath, de->d_name);
			ereport(LOG, (errmsg("removing orphaned spillpool directory \"%s\"", path)));
			(void) rmtree(path, true);
		}
		if (d)
			FreeDir(d);
	}
	FreeDir(top);
}

/* Installs the object access hook; called from _PG_init. */
void
storage_init(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = storage_object_access;
}
