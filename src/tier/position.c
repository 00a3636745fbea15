/*-------------------------------------------------------------------------
 *
 * position.c
 *	  Row positions: every committed row of a table has one, a bigint that
 *	  grows in the order transactions hand their rows over, is never used
 *	  twice and stays with the row through every tier.
 *
 * A transaction takes a run of positions at PRE_COMMIT, while holding the
 * table's lock under which its rows become readable: as a memtable batch (memtable_append), whose seq is the
 * position of its first row, or as adopted segment files (pending.c).
 * Segment blocks carry the position of their first row in their header,
 * shards a list of runs in their footer (see shard_write.c).
 *
 * So that no position is used twice, not even after a crash that lost
 * rows which consumers had already read (durability 'none'), positions are
 * handed out only below a bound kept in the file
 * $PGDATA/spillpool/<db>/<relfilenode>/positions:
 *
 *		spillpool positions 1
 *		floor <first position not yet promised>
 *		crc <CRC32C of every byte before this line, hex>
 *
 * The bound moves POSITION_RESERVE_STEP ahead at a time, written before
 * any position past the old one is handed out (the file is replaced with
 * durable_rename); after a restart the table continues from the bound.
 * TRUNCATE gives the new relfilenode the old one's bound, so positions go
 * on growing across it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <unistd.h>

#include "miscadmin.h"
#include "port/pg_crc32c.h"
#include "pgstat.h"
#include "storage/fd.h"
#include "utils/wait_event.h"

#include "spillpool.h"
#include "tier/memtable.h"
#include "tier/position.h"
#include "tier/segment.h"
#include "tier/storage.h"

#define POSITION_HEADER "spillpool positions 1\n"

static void
position_file_path(char *path, Oid dbid, Oid relfilenode, bool tmp)
{
	snprintf(path, MAXPGPATH, "spillpool/%u/%u/positions%s", dbid, relfilenode,
			 tmp ? ".tmp" : "");
}

/*
 * The durable bound of a table's positions, or 0 when the table has no
 * positions file (created before positions existed, or a table whose
 * directory was recreated).  A damaged file is an error: trusting it could
 * hand out positions twice.
 */
uint64
position_read_floor(Oid dbid, Oid relfilenode)
{
	char		path[MAXPGPATH];
	char		buf[256];
	int			fd;
	int			len;
	char	   *crc_line;
	unsigned int crc_read;
	uint64		floor;
	pg_crc32c	crc;

	position_file_path(path, dbid, relfilenode, false);
	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
	{
		if (errno == ENOENT)
			return 0;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	}
	pgstat_report_wait_start(WAIT_EVENT_DATA_FILE_READ);
	len = read(fd, buf, sizeof(buf) - 1);
	pgstat_report_wait_end();
	if (len < 0)
	{
		int			save_errno = errno;

		CloseTransientFile(fd);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	}
	CloseTransientFile(fd);
	buf[len] = '\0';

	crc_line = strstr(buf, "crc ");
	if (strncmp(buf, POSITION_HEADER, strlen(POSITION_HEADER)) != 0 ||
		crc_line == NULL ||
		sscanf(crc_line, "crc %x", &crc_read) != 1 ||
		sscanf(buf + strlen(POSITION_HEADER), "floor " UINT64_FORMAT, &floor) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid spillpool positions file \"%s\"", path)));
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, buf, crc_line - buf);
	FIN_CRC32C(crc);
	if (crc != (pg_crc32c) crc_read)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("checksum mismatch in spillpool positions file \"%s\"", path)));
	return floor;
}

/*
 * Replaces a table's positions file with one saying "floor": written to a
 * temporary file, fsynced, and renamed over it with durable_rename.
 */
void
position_write_floor(Oid dbid, Oid relfilenode, uint64 floor)
{
	char		path[MAXPGPATH];
	char		tmp[MAXPGPATH];
	char		buf[256];
	int			len;
	pg_crc32c	crc;

	len = snprintf(buf, sizeof(buf), POSITION_HEADER "floor " UINT64_FORMAT "\n", floor);
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, buf, len);
	FIN_CRC32C(crc);
	len += snprintf(buf + len, sizeof(buf) - len, "crc %08x\n", (unsigned int) crc);

	position_file_path(path, dbid, relfilenode, false);
	position_file_path(tmp, dbid, relfilenode, true);
	storage_write_temp_file(tmp, buf, len);
	(void) durable_rename(tmp, path, ERROR);
}

/*
 * Makes sure that the next nrows positions of a table lie below its durable
 * bound, writing a new bound if not.  Called outside the table's lock,
 * since it may write: when position_take_locked found the bound too low,
 * and before an adoption takes its positions.  The writes are serialized
 * by pos_lock.  Errors (a full disk) are ERRORs,
 * before anything was handed over.
 */
void
position_reserve(SpillTable *tab, uint64 nrows)
{
	uint64		need;
	uint64		floor;

	LWLockAcquire(&tab->lock, LW_SHARED);
	need = tab->next_pos + nrows;
	floor = tab->pos_floor;
	LWLockRelease(&tab->lock);
	if (need <= floor)
		return;

	LWLockAcquire(&tab->pos_lock, LW_EXCLUSIVE);
	LWLockAcquire(&tab->lock, LW_SHARED);
	need = tab->next_pos + nrows;
	floor = tab->pos_floor;
	LWLockRelease(&tab->lock);
	if (need > floor)
	{
		uint64		new_floor = need + Max(POSITION_RESERVE_STEP, nrows);

		position_write_floor(tab->key.dbid, tab->key.relfilenode, new_floor);
		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		if (new_floor > tab->pos_floor)
			tab->pos_floor = new_floor;
		LWLockRelease(&tab->lock);
	}
	LWLockRelease(&tab->pos_lock);
}

/*
 * Hands out nrows positions, the first in *first, if they lie below the
 * durable bound; false if not (the caller releases the lock, calls
 * position_reserve and tries again).  Caller holds tab->lock exclusively,
 * in the same critical section that makes the rows readable.
 */
bool
position_take_locked(SpillTable *tab, uint64 nrows, uint64 *first)
{
	if (tab->next_pos + nrows > tab->pos_floor)
		return false;
	*first = tab->next_pos;
	tab->next_pos += nrows;
	return true;
}

/*
 * A bound above every position a table's files may hold or have handed
 * out: its shared state's, after loading the table if need be (a table
 * written by 0.3 has no positions file; the positions of its rows are
 * computed when it is loaded, see segment_load).  The caller holds a lock
 * that keeps writers out (TRUNCATE, a rewrite).
 */
uint64
position_bound(Oid dbid, Oid relfilenode)
{
	SpillTable *tab = spilltable_lookup(dbid, relfilenode, true);
	uint64		bound;

	if (!tab->loaded)
		segment_load(tab);
	LWLockAcquire(&tab->lock, LW_SHARED);
	bound = Max(tab->pos_floor, tab->next_pos);
	LWLockRelease(&tab->lock);
	return bound;
}

/*
 * TRUNCATE and rewrites: the new relfilenode starts where the old one's
 * positions could have reached, so that a consumer's offset stays valid
 * across them.
 */
void
position_carry_over(Oid dbid, Oid old_relfilenode, Oid new_relfilenode)
{
	uint64		bound = position_bound(dbid, old_relfilenode);

	if (bound > 1)
		position_write_floor(dbid, new_relfilenode, bound);
}
