/*-------------------------------------------------------------------------
 *
 * memtable.c
 *	  The shared-memory memtables: the table hash and its pins, the DSA area
 *	  of batches, appending, eviction, the iterator and the marks a flush
 *	  makes, the scan's copy, and the dump at clean shutdown.
 *
 * All memtables share one DSA area created in place in the main shared
 * memory segment with its size limited to spillpool.memory, so together they
 * can never exceed it.  Each table's batches form a FIFO list; a batch leaves
 * memory (oldest first) when the table passes its memory_limit or the area
 * is full.  Until its transaction ends a batch is "owner_active": nobody else
 * writes it out or frees it, since only the owner knows whether it commits
 * (and, with durability 'commit', writes it to its segment after the commit
 * record).  Other batches are written out by whichever backend needs the
 * room.  Other modules read batches through memtable_first/memtable_next
 * and change them only through the functions here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "spillpool.h"
#include "tier/memtable.h"
#include "tier/position.h"
#include "tier/options.h"
#include "tier/segment.h"

SpillShared *spill_shared = NULL;
static HTAB *spill_table_hash = NULL;
static dsa_area *postmaster_area = NULL;
static dsa_area *backend_area = NULL;

static void memtable_shutdown_callback(int code, Datum arg);

/* Bytes of DSA area configured by spillpool.memory. */
static Size
memtable_dsa_size(void)
{
	return (Size) spillpool_memory_mb * 1024 * 1024;
}

/* Shared memory to request: globals, the table hash and the DSA area. */
Size
memtable_shmem_size(void)
{
	Size		size = MAXALIGN(sizeof(SpillShared));

	size = add_size(size, memtable_dsa_size());
	size = add_size(size, hash_estimate_size(spillpool_max_tables, sizeof(SpillTable)));
	return size;
}

static char *
memtable_dsa_place(void)
{
	return (char *) spill_shared + MAXALIGN(sizeof(SpillShared));
}

/*
 * Creates (postmaster) or finds the shared state.  Runs in every process
 * that attaches shared memory.
 */
void
memtable_shmem_init(void)
{
	bool		found;
	HASHCTL		info;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	spill_shared = ShmemInitStruct("spillpool",
								   MAXALIGN(sizeof(SpillShared)) + memtable_dsa_size(),
								   &found);
	if (!found)
	{
		dsa_area   *area;

		spill_shared->hash_lock = &(GetNamedLWLockTranche("spillpool"))->lock;
		pg_atomic_init_u64(&spill_shared->disk_bytes, 0);
		spill_shared->ntables = 0;
		spill_shared->table_tranche = LWLockNewTrancheId();
		spill_shared->dsa_tranche = LWLockNewTrancheId();
		spill_shared->dsa_size = memtable_dsa_size();
		area = dsa_create_in_place(memtable_dsa_place(), spill_shared->dsa_size,
								   spill_shared->dsa_tranche, NULL);
		dsa_set_size_limit(area, spill_shared->dsa_size);
		dsa_pin(area);
		postmaster_area = area;
	}

	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(SpillTableKey);
	info.entrysize = sizeof(SpillTable);
	spill_table_hash = ShmemInitHash("spillpool tables",
									 spillpool_max_tables, spillpool_max_tables,
									 &info, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);

	LWLockRegisterTranche(spill_shared->table_tranche, "spillpool_table");
	LWLockRegisterTranche(spill_shared->dsa_tranche, "spillpool_memtable");

	if (!IsUnderPostmaster)
		on_shmem_exit(memtable_shutdown_callback, (Datum) 0);
}

/* The DSA area of memtable batches, attached on first use in a backend. */
dsa_area *
memtable_area(void)
{
	if (!IsUnderPostmaster)
		return postmaster_area;
	if (backend_area == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		backend_area = dsa_attach_in_place(memtable_dsa_place(), NULL);
		dsa_pin_mapping(backend_area);
		MemoryContextSwitchTo(old);
	}
	return backend_area;
}

/*
 * Finds a table's shared entry, creating an empty one when asked.  The
 * caller loads the on-disk state (segment_load) before using a new entry.
 */
SpillTable *
spilltable_lookup(Oid dbid, Oid relfilenode, bool create)
{
	SpillTableKey key;
	SpillTable *tab;
	bool		found;

	spillpool_require_preload();
	key.dbid = dbid;
	key.relfilenode = relfilenode;

	LWLockAcquire(spill_shared->hash_lock, LW_SHARED);
	tab = hash_search(spill_table_hash, &key, HASH_FIND, NULL);
	LWLockRelease(spill_shared->hash_lock);
	if (tab || !create)
		return tab;

	LWLockAcquire(spill_shared->hash_lock, LW_EXCLUSIVE);
	/* the hash could grow into spare shared memory: hold it to the setting */
	tab = hash_search(spill_table_hash, &key, HASH_FIND, &found);
	if (!found && spill_shared->ntables < spillpool_max_tables)
		tab = hash_search(spill_table_hash, &key, HASH_ENTER_NULL, &found);
	if (tab == NULL)
	{
		LWLockRelease(spill_shared->hash_lock);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many spillpool tables in use"),
				 errdetail("spillpool.max_tables is %d.", spillpool_max_tables),
				 errhint("Raise spillpool.max_tables and restart the server.")));
	}
	if (!found)
	{
		spill_shared->ntables++;
		memset((char *) tab + sizeof(SpillTableKey), 0,
			   sizeof(SpillTable) - sizeof(SpillTableKey));
		tab->mem_head = InvalidDsaPointer;
		tab->mem_tail = InvalidDsaPointer;
		tab->write_cursor = InvalidDsaPointer;
		tab->next_pos = 1;
		tab->seg_first = 1;
		tab->seg_active = 1;
		tab->synced_seg = 1;
		tab->memory_limit = (int64) spillpool_default_memory_limit_kb * 1024;
		tab->max_file_size = (int64) spillpool_default_max_file_size_kb * 1024;
		tab->spill_codec = spillpool_default_spill_codec;
		tab->compression_level = spillpool_default_compression_level;
		tab->durability = spillpool_default_durability;
		pg_atomic_init_u32(&tab->readers_cur, 0);
		LWLockInitialize(&tab->lock, spill_shared->table_tranche);
		LWLockInitialize(&tab->write_lock, spill_shared->table_tranche);
		LWLockInitialize(&tab->sync_lock, spill_shared->table_tranche);
		LWLockInitialize(&tab->pos_lock, spill_shared->table_tranche);
		ConditionVariableInit(&tab->batch_cv);
	}
	LWLockRelease(spill_shared->hash_lock);
	return tab;
}

/*
 * Pins the entry of a loaded table that is not being dropped, for a user
 * that does not have the relation open (the launcher, between its rounds):
 * DROP waits until the entry is unpinned before it frees and removes it,
 * so the pin can be held across I/O, where the hash lock must not be.
 * Returns NULL when there is no such table.  A process holds one pin at a
 * time; it is released at exit too.
 */
static SpillTable *pinned_by_me = NULL;

/* Releases this process's pin when it exits, even on FATAL. */
static void
spilltable_unpin_at_exit(int code, Datum arg)
{
	if (pinned_by_me != NULL)
		spilltable_unpin(pinned_by_me);
}

SpillTable *
spilltable_pin(const SpillTableKey *key)
{
	static bool exit_callback = false;
	SpillTable *entry;
	SpillTable *tab = NULL;

	LWLockAcquire(spill_shared->hash_lock, LW_SHARED);
	entry = hash_search(spill_table_hash, key, HASH_FIND, NULL);
	Assert(pinned_by_me == NULL);
	if (!exit_callback)
	{
		before_shmem_exit(spilltable_unpin_at_exit, (Datum) 0);
		exit_callback = true;
	}
	if (entry != NULL)
	{
		LWLockAcquire(&entry->lock, LW_EXCLUSIVE);
		if (entry->loaded && !entry->dropped)
		{
			entry->pins++;
			tab = pinned_by_me = entry;
		}
		LWLockRelease(&entry->lock);
	}
	LWLockRelease(spill_shared->hash_lock);
	return tab;
}

/* Releases a pin of spilltable_pin, waking a DROP that waits for it. */
void
spilltable_unpin(SpillTable *tab)
{
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	Assert(tab->pins > 0 && tab == pinned_by_me);
	tab->pins--;
	pinned_by_me = NULL;
	LWLockRelease(&tab->lock);
	ConditionVariableBroadcast(&tab->batch_cv);
}

/*
 * The shared entry of an open spillpool relation, created if needed, with
 * its on-disk state loaded (the first use after startup reads the files).
 */
SpillTable *
spilltable_for_rel(Relation rel)
{
	SpillTable *tab;

	tab = spilltable_lookup(MyDatabaseId, rel->rd_node.relNode, true);
	if (!tab->loaded)
		segment_load(tab);
	return tab;
}

/* Copies the options a backend resolved into the shared entry. */
void
spilltable_refresh_options(SpillTable *tab, Relation rel, const SpillOptions *opts)
{
	if (tab->relid == RelationGetRelid(rel) &&
		tab->max_disk_size == opts->max_disk_size &&
		tab->spill_codec == opts->spill_codec &&
		tab->compression_level == opts->compression_level &&
		tab->durability == opts->durability &&
		tab->memory_limit == opts->memory_limit &&
		tab->max_file_size == opts->max_file_size &&
		tab->flush_rows == opts->flush_rows &&
		tab->flush_bytes == opts->flush_bytes &&
		tab->flush_interval_ms == opts->flush_interval_ms)
		return;
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->relid = RelationGetRelid(rel);
	tab->spill_codec = opts->spill_codec;
	tab->max_disk_size = opts->max_disk_size;
	tab->compression_level = opts->compression_level;
	tab->durability = opts->durability;
	tab->memory_limit = opts->memory_limit;
	tab->max_file_size = opts->max_file_size;
	tab->flush_rows = opts->flush_rows;
	tab->flush_bytes = opts->flush_bytes;
	tab->flush_interval_ms = opts->flush_interval_ms;
	LWLockRelease(&tab->lock);
}

/* Frees every batch of a table; the caller holds tab->lock exclusively. */
static void
memtable_free_all_locked(SpillTable *tab)
{
	dsa_area   *area = memtable_area();
	dsa_pointer dp = tab->mem_head;

	while (DsaPointerIsValid(dp))
	{
		MemBatch   *b = dsa_get_address(area, dp);
		dsa_pointer next = b->next;

		dsa_free(area, dp);
		dp = next;
	}
	tab->mem_head = tab->mem_tail = InvalidDsaPointer;
	tab->write_cursor = InvalidDsaPointer;
	tab->mem_bytes = tab->mem_rows = tab->mem_batches = 0;
}

/*
 * Drops a table's shared entry after its files are gone (DROP or TRUNCATE
 * committed).  The caller holds AccessExclusiveLock on the relation or the
 * table no longer exists, so nobody else uses the entry.
 */
void
spilltable_forget(Oid dbid, Oid relfilenode)
{
	SpillTable *tab = spilltable_lookup(dbid, relfilenode, false);
	SpillTableKey key;

	if (tab == NULL)
		return;

	/*
	 * Once dropped, the entry takes no new pins; the launcher, the only
	 * user of the entry without the relation open, holds one while it uses
	 * the entry, so wait until none is left.  write_lock then waits out any
	 * segment write still under way.
	 */
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	tab->dropped = true;
	while (tab->pins > 0)
	{
		LWLockRelease(&tab->lock);
		ConditionVariableSleep(&tab->batch_cv, PG_WAIT_EXTENSION);
		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	}
	LWLockRelease(&tab->lock);
	ConditionVariableCancelSleep();

	LWLockAcquire(&tab->write_lock, LW_EXCLUSIVE);
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	memtable_free_all_locked(tab);
	pg_atomic_sub_fetch_u64(&spill_shared->disk_bytes,
							(uint64) (tab->seg_bytes + tab->reserved_bytes));
	tab->seg_bytes = tab->reserved_bytes = 0;
	tab->dropped = true;
	LWLockRelease(&tab->lock);
	LWLockRelease(&tab->write_lock);

	key.dbid = dbid;
	key.relfilenode = relfilenode;
	LWLockAcquire(spill_shared->hash_lock, LW_EXCLUSIVE);
	if (hash_search(spill_table_hash, &key, HASH_REMOVE, NULL) != NULL)
		spill_shared->ntables--;
	LWLockRelease(spill_shared->hash_lock);
}

/*
 * The keys of the tables in the hash, of one database or (InvalidOid) all.
 * Callers look each one up again: an entry may go away meanwhile.
 */
int
spilltable_collect_keys(Oid dbid, SpillTableKey *keys)
{
	HASH_SEQ_STATUS status;
	SpillTable *tab;
	int			n = 0;

	LWLockAcquire(spill_shared->hash_lock, LW_SHARED);
	hash_seq_init(&status, spill_table_hash);
	while ((tab = hash_seq_search(&status)) != NULL)
		if ((!OidIsValid(dbid) || tab->key.dbid == dbid) && n < spillpool_max_tables)
			keys[n++] = tab->key;
	LWLockRelease(spill_shared->hash_lock);
	return n;
}

/* Drops the entries of every table of a dropped database. */
void
spilltable_forget_database(Oid dbid)
{
	SpillTableKey *keys = palloc(sizeof(SpillTableKey) * spillpool_max_tables);
	int			n = spilltable_collect_keys(dbid, keys);
	int			i;

	for (i = 0; i < n; i++)
		spilltable_forget(keys[i].dbid, keys[i].relfilenode);
	pfree(keys);
}

/*
 * Writes the oldest batch that is neither on disk nor owned by a committing
 * transaction to the table's active segment.  Returns false when there is
 * no such batch.  Holds write_lock across the append so that batches reach
 * the segment in FIFO order.
 */
static bool
memtable_write_out_oldest(SpillTable *tab)
{
	MemBatch   *b;
	SegmentBlock blk;
	uint32		end_seg;
	int64		end_off;

	LWLockAcquire(&tab->write_lock, LW_EXCLUSIVE);
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	for (b = memtable_first(tab); b != NULL; b = memtable_next(b))
	{
		if (!MEMBATCH_MEMORY_ONLY(b) || b->writing || b->flush_taken)
			continue;
		if (b->owner_active)
			b = NULL;			/* must not overtake an unfinished commit */
		break;
	}
	if (b == NULL)
	{
		LWLockRelease(&tab->lock);
		LWLockRelease(&tab->write_lock);
		return false;
	}
	b->writing = true;
	LWLockRelease(&tab->lock);

	PG_TRY();
	{
		/* its transaction has ended and did not abort: it committed */
		segment_build_block(&blk, tab->spill_codec, tab->compression_level,
							MEMBATCH_DATA(b), b->data_len, b->nrows, b->fxid,
							b->seq, SEGMENT_BLOCK_COMMITTED);
		segment_append_blocks(tab, &blk, 1, SEGMENT_APPEND_CHECK_QUOTA,
							  &end_seg, &end_off);
	}
	PG_CATCH();
	{
		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		b->writing = false;
		LWLockRelease(&tab->lock);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pfree(blk.buf);

	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	b->writing = false;
	b->on_disk = true;
	LWLockRelease(&tab->lock);
	LWLockRelease(&tab->write_lock);
	ConditionVariableBroadcast(&tab->batch_cv);
	return true;
}

/*
 * Frees batches from the head while they are safely elsewhere (on disk or
 * aborted).  Returns the bytes freed.  Caller holds tab->lock exclusively.
 */
static int64
memtable_free_head_locked(SpillTable *tab, int64 want)
{
	dsa_area   *area = memtable_area();
	int64		freed = 0;

	while (DsaPointerIsValid(tab->mem_head) && freed < want)
	{
		MemBatch   *b = dsa_get_address(area, tab->mem_head);
		dsa_pointer dp = tab->mem_head;
		int64		sz = MAXALIGN(sizeof(MemBatch)) + b->data_len;

		if (MEMBATCH_MEMORY_ONLY(b) || b->writing ||
			b->owner_active || b->flush_taken)
			break;
		tab->mem_head = b->next;
		if (!DsaPointerIsValid(tab->mem_head))
			tab->mem_tail = InvalidDsaPointer;
		if (tab->write_cursor == dp)
			tab->write_cursor = b->next;
		tab->mem_bytes -= sz;
		if (!b->aborted && !b->in_shard)
			tab->mem_rows -= b->nrows;
		tab->mem_batches--;
		dsa_free(area, dp);
		freed += sz;
	}
	return freed;
}

/*
 * Frees every batch a flush moved into a shard, wherever it is in the
 * list, unless its owner or a writer still holds it (those go later, from
 * the head).  Caller holds tab->lock exclusively.
 */
static void
memtable_free_flushed_locked(SpillTable *tab)
{
	dsa_area   *area = memtable_area();
	dsa_pointer prev = InvalidDsaPointer;
	dsa_pointer dp = tab->mem_head;

	while (DsaPointerIsValid(dp))
	{
		MemBatch   *b = dsa_get_address(area, dp);
		dsa_pointer next = b->next;

		if (!b->in_shard || b->owner_active || b->writing || b->flush_taken)
		{
			prev = dp;
			dp = next;
			continue;
		}
		if (DsaPointerIsValid(prev))
			((MemBatch *) dsa_get_address(area, prev))->next = next;
		else
			tab->mem_head = next;
		if (tab->mem_tail == dp)
			tab->mem_tail = prev;
		if (tab->write_cursor == dp)
			tab->write_cursor = next;
		tab->mem_bytes -= MAXALIGN(sizeof(MemBatch)) + b->data_len;
		tab->mem_batches--;
		dsa_free(area, dp);
		dp = next;
	}
}

/*
 * Makes room for "need" more bytes in a table's memtable, oldest batches
 * first.  With force, frees everything it can (the area is full).  Waits
 * briefly for a committing owner to finish writing its batch.
 */
static void
memtable_make_room(SpillTable *tab, int64 need, bool force)
{
	int			waits = 0;

	for (;;)
	{
		MemBatch   *head;
		bool		owner_busy;

		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		if (!force && tab->mem_bytes + need <= tab->memory_limit)
		{
			LWLockRelease(&tab->lock);
			return;
		}
		memtable_free_head_locked(tab, force ? PG_INT64_MAX :
								  tab->mem_bytes + need - tab->memory_limit);
		if ((!force && tab->mem_bytes + need <= tab->memory_limit) ||
			!DsaPointerIsValid(tab->mem_head))
		{
			LWLockRelease(&tab->lock);
			return;
		}
		head = dsa_get_address(memtable_area(), tab->mem_head);
		owner_busy = head->owner_active || head->writing;
		LWLockRelease(&tab->lock);

		if (owner_busy || !memtable_write_out_oldest(tab))
		{
			/* someone else is writing the head out; wait for it, a little */
			if (waits++ >= MEMTABLE_EVICT_MAX_WAITS)
				return;			/* overshoot rather than stall ingest */
			ConditionVariableTimedSleep(&tab->batch_cv, MEMTABLE_BATCH_WAIT_MS,
										PG_WAIT_EXTENSION);
			ConditionVariableCancelSleep();
		}
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * Frees, oldest first, batches of other tables that are already on disk,
 * until "need" bytes are freed or none is left: when the shared area is full
 * a table must not be starved by the memory others hold.  The hash lock is
 * held (shared) so that no entry is removed meanwhile.
 */
static void
memtable_free_others(SpillTable *self, int64 need)
{
	HASH_SEQ_STATUS status;
	SpillTable *tab;
	int64		freed = 0;

	LWLockAcquire(spill_shared->hash_lock, LW_SHARED);
	hash_seq_init(&status, spill_table_hash);
	while ((tab = hash_seq_search(&status)) != NULL)
	{
		if (tab == self || tab->dropped || !tab->loaded)
			continue;
		LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
		freed += memtable_free_head_locked(tab, need - freed);
		LWLockRelease(&tab->lock);
		if (freed >= need)
		{
			hash_seq_term(&status);
			break;
		}
	}
	LWLockRelease(spill_shared->hash_lock);
}

/*
 * Appends a committed transaction's rows to the memtable as one batch,
 * tagged with its xid, and gives the rows their positions (the batch's seq
 * is its first row's).  Called at PRE_COMMIT, so scans find the rows before
 * the transaction commits and decide visibility as heap does for xmin.
 * Returns NULL when the rows cannot be held in memory (the caller then
 * writes them to a segment directly).
 */
MemBatch *
memtable_append(SpillTable *tab, FullTransactionId fxid, const char *data,
				uint32 data_len, uint32 nrows, bool needs_write, uint64 *seq)
{
	dsa_area   *area = memtable_area();
	int64		need = MAXALIGN(sizeof(MemBatch)) + data_len;
	dsa_pointer dp;
	MemBatch   *b;

	if (need > tab->memory_limit)
		return NULL;
retry:
	memtable_make_room(tab, need, false);
	dp = dsa_allocate_extended(area, need, DSA_ALLOC_NO_OOM);
	if (!DsaPointerIsValid(dp))
	{
		/* the shared area is full: this table's oldest first, then others' */
		memtable_make_room(tab, need, true);
		dp = dsa_allocate_extended(area, need, DSA_ALLOC_NO_OOM);
		if (!DsaPointerIsValid(dp))
		{
			memtable_free_others(tab, need);
			dp = dsa_allocate_extended(area, need, DSA_ALLOC_NO_OOM);
		}
		if (!DsaPointerIsValid(dp))
			return NULL;
	}
	b = dsa_get_address(area, dp);
	memset(b, 0, sizeof(MemBatch));
	b->next = InvalidDsaPointer;
	b->fxid = fxid;
	b->nrows = nrows;
	b->data_len = data_len;
	b->owner_active = true;
	b->needs_write = needs_write;
	memcpy(MEMBATCH_DATA(b), data, data_len);

	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	if (!position_take_locked(tab, nrows, &b->seq))
	{
		/*
		 * Past the durable bound (once per POSITION_RESERVE_STEP rows):
		 * move it, which writes, outside the lock, and start again
		 */
		LWLockRelease(&tab->lock);
		dsa_free(area, dp);
		position_reserve(tab, nrows);
		goto retry;
	}
	if (DsaPointerIsValid(tab->mem_tail))
		((MemBatch *) dsa_get_address(area, tab->mem_tail))->next = dp;
	else
		tab->mem_head = dp;
	tab->mem_tail = dp;
	if (!DsaPointerIsValid(tab->write_cursor))
		tab->write_cursor = dp;
	tab->mem_bytes += need;
	tab->mem_rows += nrows;
	tab->mem_batches++;
	if (tab->unflushed_since == 0)
		tab->unflushed_since = GetCurrentTimestamp();
	LWLockRelease(&tab->lock);

	*seq = b->seq;
	return b;
}

/*
 * Records what became of a batch: written, committed or aborted.  Only the
 * batch's owner calls this, and the batch is not freed before the owner
 * releases it, so the pointer is still valid.
 */
void
memtable_mark_batch(SpillTable *tab, MemBatch *b, bool committed, bool aborted,
					bool on_disk, bool release)
{
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	if (committed)
		b->committed = true;
	if (on_disk || aborted)
		b->needs_write = false;
	if (aborted && !b->aborted)
	{
		b->aborted = true;
		/* counted rows are those that may be seen; a flush may have dropped them */
		if (!b->in_shard)
			tab->mem_rows -= b->nrows;
	}
	if (on_disk)
		b->on_disk = true;
	if (release)
		b->owner_active = false;
	LWLockRelease(&tab->lock);
	ConditionVariableBroadcast(&tab->batch_cv);
}

/*
 * Rows and raw bytes of the batches that exist in memory only (not in a
 * segment, a shard, nor aborted): with the segments' counts, what is not yet
 * flushed.  Caller holds tab->lock.
 */
void
memtable_memory_only_locked(SpillTable *tab, int64 *rows, int64 *bytes)
{
	MemBatch   *b;

	*rows = 0;
	*bytes = 0;
	for (b = memtable_first(tab); b != NULL; b = memtable_next(b))
	{
		if (!MEMBATCH_MEMORY_ONLY(b))
			continue;
		*rows += b->nrows;
		*bytes += b->data_len;
	}
}

/*
 * Takes for a flush the memory-only batches, oldest first, up to the first
 * that must wait (its commit-time write is pending, its owner is still
 * committing, or someone is writing it out) or cap of them: they come after
 * every segment block in scan order.  They are flagged flush_taken, so that
 * they are neither written out nor freed until the flush marks them in a
 * shard or gives them back.  Caller holds tab->lock exclusively.  Returns
 * how many, in out.
 */
int
memtable_take_for_flush_locked(SpillTable *tab, MemBatch **out, int cap)
{
	MemBatch   *b;
	int			n = 0;

	for (b = memtable_first(tab); b != NULL; b = memtable_next(b))
	{
		if (!MEMBATCH_MEMORY_ONLY(b))
			continue;
		if (b->needs_write || b->owner_active || b->writing || n == cap)
			break;
		b->flush_taken = true;
		out[n++] = b;
	}
	return n;
}

/* Gives back batches a flush took but did not write into its shard. */
void
memtable_return_from_flush(SpillTable *tab, MemBatch **batches, int n)
{
	int			i;

	if (n == 0)
		return;
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	for (i = 0; i < n; i++)
		batches[i]->flush_taken = false;
	LWLockRelease(&tab->lock);
}

/* qsort/bsearch comparator of batch sequence numbers (uint64). */
int
memtable_seq_cmp(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * Records a committed flush: the batches it took are in a shard now, and so
 * are the memtable copies of the segment blocks it flushed (their batch
 * sequence numbers in seqs, ascending), whatever their state: a group
 * writer may have appended such a block and still be syncing it.  Those
 * batches are never read again and are freed as soon as nothing holds
 * them.  Caller holds tab->lock exclusively.
 */
void
memtable_mark_flushed_locked(SpillTable *tab, MemBatch **taken, int ntaken,
							 const uint64 *seqs, int nseqs)
{
	MemBatch   *b;
	int			i;

	for (i = 0; i < ntaken; i++)
	{
		taken[i]->flush_taken = false;
		taken[i]->in_shard = true;
		tab->mem_rows -= taken[i]->nrows;
	}
	for (b = memtable_first(tab); nseqs > 0 && b != NULL; b = memtable_next(b))
	{
		if (b->in_shard)
			continue;
		if (bsearch(&b->seq, seqs, nseqs, sizeof(uint64), memtable_seq_cmp) != NULL)
		{
			b->in_shard = true;
			if (!b->aborted)
				tab->mem_rows -= b->nrows;
		}
	}
	memtable_free_flushed_locked(tab);
}

/*
 * Claims, for the commit-time write, every batch whose transaction has
 * committed and that waits for its block (durability 'commit'), in batch
 * order; marks them "writing" so that nothing frees them.  Caller holds
 * write_lock.  Returns how many, with the array in *out.
 */
int
memtable_claim_committed(SpillTable *tab, MemBatch ***out)
{
	MemBatch  **batches = NULL;
	MemBatch   *b;
	int			n = 0,
				cap = 0;

	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);

	/* skip what no longer needs writing, for good */
	while ((b = memtable_batch_at(tab->write_cursor)) != NULL)
	{
		if (b->needs_write && !b->on_disk && !b->aborted)
			break;
		tab->write_cursor = b->next;
	}
	for (; b != NULL; b = memtable_next(b))
	{
		if (!b->needs_write || !b->committed || b->on_disk || b->writing ||
			b->aborted || b->in_shard)
			continue;
		if (n == cap)
		{
			cap = Max(16, cap * 2);
			batches = batches ? repalloc(batches, sizeof(MemBatch *) * cap) :
				palloc(sizeof(MemBatch *) * cap);
		}
		b->writing = true;
		batches[n++] = b;
	}
	LWLockRelease(&tab->lock);
	*out = batches;
	return n;
}

/*
 * Segment pins: a scan that starts pins the segment and shard files it may
 * read, so that a flush or an expiry does not remove them under it.  Scans
 * that started after the last retirement count in readers_cur (an atomic,
 * so that scans can start under the shared lock); a flush or expiry that
 * commits retires them to readers_old, and the files it dropped are removed
 * only when no old reader is left.  The retirement count at pin time tells
 * which counter a pin is in.
 */
int64
spilltable_pin_segments_locked(SpillTable *tab)
{
	pg_atomic_fetch_add_u32(&tab->readers_cur, 1);
	return tab->pin_generation;
}

/* Releases a scan's pin taken at retirement count gen. */
void
spilltable_unpin_segments(SpillTable *tab, int64 gen)
{
	LWLockAcquire(&tab->lock, LW_EXCLUSIVE);
	if (gen == tab->pin_generation && pg_atomic_read_u32(&tab->readers_cur) > 0)
		pg_atomic_fetch_sub_u32(&tab->readers_cur, 1);
	else if (tab->readers_old > 0)
		tab->readers_old--;
	LWLockRelease(&tab->lock);
}

/*
 * A flush or expiry committed: every scan running now may still read the
 * files it emptied or unlisted.  Caller holds tab->lock exclusively.
 */
void
spilltable_retire_segment_pins_locked(SpillTable *tab)
{
	tab->pin_generation++;
	tab->readers_old += (int) pg_atomic_exchange_u32(&tab->readers_cur, 0);
}

/*
 * Ends the claim of memtable_claim_committed: the batches are in a segment
 * now (written), or are left for another try.  Caller holds tab->lock
 * exclusively.
 */
void
memtable_end_claim_locked(MemBatch **batches, int n, bool written)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (written)
			batches[i]->on_disk = true;
		batches[i]->writing = false;
	}
}

/*
 * Writes every batch not yet on disk to the segment, so that rows written
 * straight to a segment afterwards come after them (FIFO).  Batches whose
 * owners are still committing are written by those owners.
 */
void
memtable_spill_all(SpillTable *tab)
{
	while (memtable_write_out_oldest(tab))
		CHECK_FOR_INTERRUPTS();
}

/*
 * Copies a table's memtable for a scan, together with the segment range
 * that existed at the same moment.  The copy is consistent: a batch is
 * either in it, or (evicted earlier) inside [seg_first, seg_end/end_off].
 */
void
memtable_copy(SpillTable *tab, MemtableCopy *copy, ScanStart *start)
{
	MemBatch   *b;
	char	   *buf;
	int			i = 0;

	LWLockAcquire(&tab->lock, LW_SHARED);
	copy->nbatches = (int) tab->mem_batches;
	copy->seqs = palloc(sizeof(uint64) * (copy->nbatches + 1));
	copy->fxids = palloc(sizeof(FullTransactionId) * (copy->nbatches + 1));
	copy->committed = palloc(sizeof(bool) * (copy->nbatches + 1));
	copy->consumed = palloc0(sizeof(bool) * (copy->nbatches + 1));
	copy->data = palloc(sizeof(char *) * (copy->nbatches + 1));
	copy->data_len = palloc(sizeof(uint32) * (copy->nbatches + 1));
	copy->nrows = palloc(sizeof(uint32) * (copy->nbatches + 1));
	buf = palloc(Max(tab->mem_bytes, 1));
	for (b = memtable_first(tab); b != NULL; b = memtable_next(b))
	{
		/* flushed rows are read from the shards */
		if (b->aborted || b->in_shard)
		{
			copy->nbatches--;
			continue;
		}
		copy->seqs[i] = b->seq;
		copy->fxids[i] = b->fxid;
		copy->committed[i] = b->committed;
		copy->data[i] = buf;
		copy->data_len[i] = b->data_len;
		copy->nrows[i] = b->nrows;
		memcpy(buf, MEMBATCH_DATA(b), b->data_len);
		buf += b->data_len;
		i++;
	}
	spilltable_unflushed_range(tab, &start->seg_first, &start->seg_first_off,
							   &start->seg_end, &start->seg_end_off);
	start->snapshot_id = tab->snapshot_id;
	start->oldest_snapshot = tab->oldest_snapshot;
	/* the segment and shard files this scan may read stay until it ends */
	start->pin_gen = spilltable_pin_segments_locked(tab);
	LWLockRelease(&tab->lock);
}

/* Index of the batch with this seq in a copy, or -1. */
int
memtable_copy_find(MemtableCopy *copy, uint64 seq)
{
	int			lo = 0,
				hi = copy->nbatches - 1;

	if (seq == 0)
		return -1;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (copy->seqs[mid] == seq)
			return mid;
		if (copy->seqs[mid] < seq)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/*
 * At a clean shutdown the postmaster writes every memtable batch that is not
 * on disk (durability 'none' tables) to its segment, so a restart loses
 * nothing.  Every transaction has ended by then: a batch not marked aborted
 * committed.  Nothing is written after a crash (code != 0).
 */
static void
memtable_shutdown_dump(void)
{
	HASH_SEQ_STATUS status;
	SpillTable *tab;
	dsa_area   *area = memtable_area();

	if (area == NULL || spill_table_hash == NULL)
		return;
	hash_seq_init(&status, spill_table_hash);
	while ((tab = hash_seq_search(&status)) != NULL)
	{
		MemBatch   *b;
		SegmentBlock *blocks;
		int			n = 0;

		if (!tab->loaded || tab->dropped || tab->mem_batches == 0)
			continue;
		blocks = palloc(sizeof(SegmentBlock) * tab->mem_batches);
		for (b = memtable_first(tab); b != NULL; b = memtable_next(b))
		{
			if (!MEMBATCH_MEMORY_ONLY(b) || n >= tab->mem_batches)
				continue;
			segment_build_block(&blocks[n++], tab->spill_codec, tab->compression_level,
								MEMBATCH_DATA(b), b->data_len, b->nrows, b->fxid,
								b->seq, SEGMENT_BLOCK_COMMITTED);
		}
		if (n > 0)
			(void) segment_write_at_shutdown(tab, blocks, n);
	}
}

/* on_shmem_exit callback of the postmaster. */
static void
memtable_shutdown_callback(int code, Datum arg)
{
	if (code != 0)
		return;
	PG_TRY();
	{
		memtable_shutdown_dump();
	}
	PG_CATCH();
	{
		EmitErrorReport();
		FlushErrorState();
	}
	PG_END_TRY();
}
