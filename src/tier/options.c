/*-------------------------------------------------------------------------
 *
 * options.c
 *	  Per-table options: reading spillpool.table_options, falling back to the
 *	  spillpool.default_* settings, and caching the result per backend.
 *
 * The options live in a catalog table of the extension, so they are
 * transactional and pg_dump carries them (pg_extension_config_dump).  A NULL
 * column means "the default".  spillpool.alter_table invalidates the
 * relation's relcache entry, which drops every backend's cached copy.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/syscache.h"
#include "catalog/pg_class.h"
#include "access/htup_details.h"

#include "spillpool.h"
#include "tier/options.h"
#include "tier/compress.h"
#include "vector/distance.h"

typedef struct OptionsCacheEntry
{
	Oid			relid;
	SpillOptions opts;
} OptionsCacheEntry;

static HTAB *options_cache = NULL;

/*
 * The columns of spillpool.table_options, in their order, with the
 * expression options_read_catalog reads each with (intervals in ms).
 * Extension 0.4 has the first 11, 0.5 the first 16, 0.6 all.
 */
static const char *const options_catalog_names[OPTIONS_CATALOG_COLUMNS] = {
	"relid", "memory_limit", "max_file_size", "spill_compression", "shard_compression",
	"compression_level", "flush_rows", "flush_bytes", "flush_interval", "max_disk_size",
	"durability", "compact_target_size", "compact_min_shards", "retention_column",
	"retention", "snapshot_retention", "embedding_column", "embedding_dimension",
	"embedding_metric", "index_m", "index_ef_construction"
};

static const char *const options_catalog_reads[OPTIONS_CATALOG_COLUMNS] = {
	"relid", "memory_limit", "max_file_size", "spill_compression", "shard_compression",
	"compression_level", "flush_rows", "flush_bytes",
	"(extract(epoch FROM flush_interval) * 1000)::bigint", "max_disk_size",
	"durability", "compact_target_size", "compact_min_shards", "retention_column",
	"(extract(epoch FROM retention) * 1000)::bigint",
	"(extract(epoch FROM snapshot_retention) * 1000)::bigint", "embedding_column",
	"embedding_dimension", "embedding_metric", "index_m", "index_ef_construction"
};


/* Relcache invalidation: forget cached options of that relation (or all). */
static void
options_relcache_callback(Datum arg, Oid relid)
{
	if (options_cache == NULL)
		return;
	if (OidIsValid(relid))
		hash_search(options_cache, &relid, HASH_REMOVE, NULL);
	else
	{
		hash_destroy(options_cache);
		options_cache = NULL;
	}
}

/* Registers the invalidation callback; called from _PG_init. */
void
options_init(void)
{
	CacheRegisterRelcacheCallback(options_relcache_callback, (Datum) 0);
}

/* Drops this backend's cached options of a relation. */
void
options_invalidate(Oid relid)
{
	options_relcache_callback((Datum) 0, relid);
}

/* The defaults, from the spillpool.default_* settings. */
static void
options_defaults(SpillOptions *opts)
{
	opts->memory_limit = (int64) spillpool_default_memory_limit_kb * 1024;
	opts->max_file_size = (int64) spillpool_default_max_file_size_kb * 1024;
	opts->spill_codec = (SpillCodec) spillpool_default_spill_codec;
	opts->shard_codec = (SpillCodec) spillpool_default_shard_codec;
	opts->compression_level = spillpool_default_compression_level;
	opts->flush_rows = spillpool_default_flush_rows;
	opts->flush_bytes = (int64) spillpool_default_flush_bytes_kb * 1024;
	opts->flush_interval_ms = (int64) spillpool_default_flush_interval_s * 1000;
	opts->max_disk_size = spillpool_default_max_disk_size_mb < 0 ? -1 :
		(int64) spillpool_default_max_disk_size_mb * 1024 * 1024;
	opts->durability = (SpillDurability) spillpool_default_durability;
	opts->compact_target_size = -1; /* spillpool.compact_target_size, a user setting */
	opts->compact_min_shards = spillpool_default_compact_min_shards;
	opts->retention_column[0] = '\0';
	opts->retention_ms = 0;
	opts->snapshot_retention_ms = (int64) spillpool_default_snapshot_retention_s * 1000;
	opts->embedding_column[0] = '\0';
	opts->embedding_dimension = 0;
	opts->embedding_metric = VECTOR_METRIC_L2;
	opts->index_m = spillpool_default_index_m;
	opts->index_ef_construction = spillpool_default_index_ef_construction;
}

/*
 * Runs what follows as the catalog's owner (the extension's owner, a
 * superuser) with search_path pg_catalog alone, so that the SQL the
 * extension runs on its catalog resolves every operator, function and cast
 * to the system's own, whatever schemas and search_path the calling role
 * set up (a role's own "=" would otherwise run with the owner's rights).
 * An error restores both with the transaction's abort.
 */
void
options_as_owner_begin(Oid owner, OptionsOwnerState *st)
{
	GetUserIdAndSecContext(&st->save_userid, &st->save_sec);
	SetUserIdAndSecContext(owner, st->save_sec | SECURITY_LOCAL_USERID_CHANGE);
	st->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

/* Ends what options_as_owner_begin began. */
void
options_as_owner_end(OptionsOwnerState *st)
{
	AtEOXact_GUC(true, st->guc_level);
	SetUserIdAndSecContext(st->save_userid, st->save_sec);
}

/*
 * Reads the row of spillpool.table_options for a relation over SPI and
 * overrides the defaults with its non-NULL columns.  It reads as the
 * catalog's owner: the catalog shows other roles only the rows of tables
 * they may SELECT, and a role that may only INSERT must still write with
 * the table's options.
 */
static void
options_read_catalog(Oid relid, SpillOptions *opts)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	int			rc;
	Oid			owner = options_catalog_owner(relid);
	OptionsOwnerState st;
	StringInfoData sql;
	int			ncols;
	int			i;

	if (!OidIsValid(owner))
		return;					/* no catalog (DROP EXTENSION): the defaults */
	args[0] = ObjectIdGetDatum(relid);
	options_as_owner_begin(owner, &st);
	SPI_connect();
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	ncols = options_catalog_columns();
	for (i = 1; i < ncols; i++)
		appendStringInfo(&sql, "%s%s", i > 1 ? ", " : "", options_catalog_reads[i]);
	appendStringInfoString(&sql, " FROM spillpool.table_options WHERE relid = $1");
	rc = SPI_execute_with_args(sql.data, 1, argtypes, args, NULL, true, 1);
	options_as_owner_end(&st);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read spillpool.table_options: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;
		SpillCodec	codec;

		d = SPI_getbinval(tup, desc, 1, &isnull);
		if (!isnull)
			opts->memory_limit = DatumGetInt64(d);
		d = SPI_getbinval(tup, desc, 2, &isnull);
		if (!isnull)
			opts->max_file_size = DatumGetInt64(d);
		d = SPI_getbinval(tup, desc, 3, &isnull);
		if (!isnull && codec_from_name(TextDatumGetCString(d), &codec))
			opts->spill_codec = codec;
		d = SPI_getbinval(tup, desc, 4, &isnull);
		if (!isnull && codec_from_name(TextDatumGetCString(d), &codec))
			opts->shard_codec = codec;
		d = SPI_getbinval(tup, desc, 5, &isnull);
		if (!isnull)
			opts->compression_level = DatumGetInt32(d);
		d = SPI_getbinval(tup, desc, 6, &isnull);
		if (!isnull)
			opts->flush_rows = DatumGetInt64(d);
		d = SPI_getbinval(tup, desc, 7, &isnull);
		if (!isnull)
			opts->flush_bytes = DatumGetInt64(d);
		d = SPI_getbinval(tup, desc, 8, &isnull);
		if (!isnull)
			opts->flush_interval_ms = DatumGetInt64(d);
		d = SPI_getbinval(tup, desc, 9, &isnull);
		if (!isnull)
			opts->max_disk_size = DatumGetInt64(d);
		d = SPI_getbinval(tup, desc, 10, &isnull);
		if (!isnull)
			opts->durability = strcmp(TextDatumGetCString(d), "none") == 0 ?
				SPILL_DURABILITY_NONE : SPILL_DURABILITY_COMMIT;
		if (desc->natts < 15)
		{
			SPI_finish();
			return;				/* the 0.4 catalog: no lifecycle options */
		}
		d = SPI_getbinval(tup, desc, 11, &isnull);
		if (!isnull)
			opts->compact_target_size = DatumGetInt64(d);
		d = SPI_getbinval(tup, desc, 12, &isnull);
		if (!isnull)
			opts->compact_min_shards = DatumGetInt32(d);
		d = SPI_getbinval(tup, desc, 13, &isnull);
		if (!isnull)
			strlcpy(opts->retention_column, TextDatumGetCString(d), NAMEDATALEN);
		d = SPI_getbinval(tup, desc, 14, &isnull);
		if (!isnull)
			opts->retention_ms = DatumGetInt64(d);
		d = SPI_getbinval(tup, desc, 15, &isnull);
		if (!isnull)
			opts->snapshot_retention_ms = DatumGetInt64(d);
		/* the vector options came with 0.6 */
		if (desc->natts >= 18)
		{
			d = SPI_getbinval(tup, desc, 16, &isnull);
			if (!isnull)
				strlcpy(opts->embedding_column, TextDatumGetCString(d), NAMEDATALEN);
			d = SPI_getbinval(tup, desc, 17, &isnull);
			if (!isnull)
				opts->embedding_dimension = DatumGetInt32(d);
			d = SPI_getbinval(tup, desc, 18, &isnull);
			if (!isnull)
				opts->embedding_metric = vector_metric_from_name(TextDatumGetCString(d));
		}
		if (desc->natts >= 20)
		{
			d = SPI_getbinval(tup, desc, 19, &isnull);
			if (!isnull)
				opts->index_m = DatumGetInt32(d);
			d = SPI_getbinval(tup, desc, 20, &isnull);
			if (!isnull)
				opts->index_ef_construction = DatumGetInt32(d);
		}
	}
	SPI_finish();
}

/*
 * How many columns of options_catalog_names spillpool.table_options has:
 * 11 (0.4), 16 (0.5: the lifecycle options) or 21 (0.6: the vector
 * options; 19 in a development catalog of 0.6 without the index options).  Until ALTER EXTENSION spillpool UPDATE, the library serves an
 * older catalog.
 */
int
options_catalog_columns(void)
{
	Oid			nsp = get_namespace_oid("spillpool", true);
	Oid			catalog = OidIsValid(nsp) ? get_relname_relid("table_options", nsp) : InvalidOid;

	if (!OidIsValid(catalog))
		return 11;
	if (get_attnum(catalog, "index_ef_construction") != InvalidAttrNumber)
		return 21;
	/* a development catalog of 0.6 before the index options */
	if (get_attnum(catalog, "embedding_metric") != InvalidAttrNumber)
		return 19;
	if (get_attnum(catalog, "snapshot_retention") != InvalidAttrNumber)
		return 16;
	return 11;
}

/*
 * The owner of spillpool.table_options (the extension's owner), or
 * InvalidOid when the catalog is gone or is the relation "relid" itself
 * (DROP EXTENSION drops both).
 */
Oid
options_catalog_owner(Oid relid)
{
	Oid			nsp = get_namespace_oid("spillpool", true);
	Oid			catalog;
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(nsp))
		return InvalidOid;
	catalog = get_relname_relid("table_options", nsp);
	if (!OidIsValid(catalog) || catalog == relid)
		return InvalidOid;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(catalog));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Runs one statement on spillpool.table_options as the catalog's owner, so
 * that a table's owner can change its options without write access to the
 * catalog (see options_as_owner_begin).  Returns the SPI result code.
 */
int
options_catalog_execute(Oid owner, const char *sql, int nargs, Oid *types,
						Datum *values, const char *nulls)
{
	OptionsOwnerState st;
	int			rc;

	options_as_owner_begin(owner, &st);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	SPI_finish();
	options_as_owner_end(&st);
	return rc;
}

/*
 * Stores the options of one table (values[0] its oid; a NULL keeps the
 * option as it is), in the column order of spillpool.table_options.  With
 * an older catalog (before ALTER EXTENSION UPDATE) only its first columns
 * exist, and the newer options cannot be set.
 */
void
options_store(Datum *values, const char *nulls)
{
	Oid			types[OPTIONS_CATALOG_COLUMNS] = {OIDOID, INT8OID, INT8OID, TEXTOID,
		TEXTOID, INT4OID, INT8OID, INT8OID, INTERVALOID, INT8OID, TEXTOID,
		INT8OID, INT4OID, TEXTOID, INTERVALOID, INTERVALOID, TEXTOID, INT4OID,
	TEXTOID, INT4OID, INT4OID};
	Oid			relid = DatumGetObjectId(values[0]);
	Oid			owner = options_catalog_owner(InvalidOid);
	int			ncols = options_catalog_columns();
	int			i;
	StringInfoData sql;

	if (!OidIsValid(owner))
		elog(ERROR, "spillpool.table_options is missing");
	for (i = ncols; i < OPTIONS_CATALOG_COLUMNS; i++)
		if (nulls[i] != 'n')
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("option \"%s\" of spillpool tables needs a newer version of the extension",
							options_catalog_names[i]),
					 errhint("Run ALTER EXTENSION spillpool UPDATE.")));
	initStringInfo(&sql);
	appendStringInfoString(&sql, "INSERT INTO spillpool.table_options AS o VALUES ($1");
	for (i = 1; i < ncols; i++)
		appendStringInfo(&sql, ", $%d", i + 1);
	appendStringInfoString(&sql, ") ON CONFLICT (relid) DO UPDATE SET ");
	for (i = 1; i < ncols; i++)
		appendStringInfo(&sql, "%s%s = coalesce($%d, o.%s)", i > 1 ? ", " : "",
						 options_catalog_names[i], i + 1, options_catalog_names[i]);
	if (options_catalog_execute(owner, sql.data, ncols, types, values, nulls) != SPI_OK_INSERT)
		elog(ERROR, "could not store spillpool options");
	CacheInvalidateRelcacheByRelid(relid);
	options_invalidate(relid);
}

/*
 * Deletes a dropped table's row from spillpool.table_options, so that a
 * later table given the same oid does not inherit its options.  Does
 * nothing when the catalog itself is already gone (DROP EXTENSION drops
 * both).
 */
void
options_forget_relation(Oid relid)
{
	Oid			owner = options_catalog_owner(relid);
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];

	if (!OidIsValid(owner))
		return;
	args[0] = ObjectIdGetDatum(relid);
	(void) options_catalog_execute(owner,
								   "DELETE FROM spillpool.table_options WHERE relid = $1",
								   1, argtypes, args, NULL);
	options_invalidate(relid);
}

/*
 * The effective options of a relation, from this backend's cache when it
 * has them.
 */
void
options_get(Relation rel, SpillOptions *opts)
{
	Oid			relid = RelationGetRelid(rel);
	OptionsCacheEntry *ent;
	bool		found;

	if (options_cache == NULL)
		options_cache = spillpool_local_hash("spillpool options", 64, sizeof(Oid),
										 sizeof(OptionsCacheEntry), CacheMemoryContext);
	ent = hash_search(options_cache, &relid, HASH_FIND, &found);
	if (found)
	{
		*opts = ent->opts;
		return;
	}
	options_defaults(opts);
	options_read_catalog(relid, opts);
	/* the SPI call may have processed an invalidation that reset the cache */
	if (options_cache != NULL)
	{
		ent = hash_search(options_cache, &relid, HASH_ENTER, NULL);
		ent->opts = *opts;
	}
}
