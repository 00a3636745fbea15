/*-------------------------------------------------------------------------
 *
 * iceberg.c
 *	  Iceberg v2 metadata of a spillpool table: every snapshot of the
 *	  manifest is also an Iceberg table snapshot, so that lake engines read
 *	  the table itself rather than a folder of Parquet files.
 *
 * The table directory spillpool/<db>/<relfilenode> is the Iceberg table's
 * location: the shards are its data files, and metadata/ holds
 *
 *		v<N>.metadata.json		the table metadata (schema, snapshots, logs)
 *		version-hint.text		N, for readers without a catalog
 *		snap-<g>-<S>.avro		the manifest list of snapshot S
 *		m-<g>-<X>.avro			a manifest, written by snapshot X
 *
 * where g is a generation that changes when the files are written again
 * from scratch (see below).  Which manifests a snapshot lists follows from
 * the spillpool manifest alone:
 *	- an append X writes a manifest of the shards it added (ADDED);
 *	- a base R writes a manifest of every shard live after it (ADDED for its
 *	  own, EXISTING with their original snapshot and sequence number for
 *	  the others) and of the shards it removed (DELETED).  The bases are
 *	  the replaces and deletes (compaction, retention), and every
 *	  ICEBERG_MERGE_APPENDS-th append after the last base (iceberg_bases);
 *	- snapshot S lists the manifest of the last base R at or before it, and
 *	  those of the appends after R up to S.
 * So an append costs a manifest of its own shards, and a manifest list
 * never names more than ICEBERG_MERGE_APPENDS + 1 manifests.  Iceberg
 * snapshot ids and sequence numbers are spillpool's snapshot ids.  Expiry
 * drops snapshots from the metadata and the files only they referenced.
 *
 * Commit protocol (the spillpool manifest stays the commit point):
 *	1. iceberg_before_commit writes and fsyncs the new snapshot's Avro files
 *	   and records the generation and the next metadata version in the
 *	   manifest about to be written;
 *	2. the caller replaces the manifest;
 *	3. iceberg_after_commit writes v<N>.metadata.json and version-hint.text
 *	   (each with durable_rename) and removes files no longer referenced.
 * A crash before 2 leaves unreferenced Avro files, removed at the next load
 * or commit (or written again by the retry); a crash between 2 and 3 leaves
 * the previous metadata current until the background worker (iceberg_check)
 * or the next commit writes it, and nothing is removed until then.  An
 * error in 3 is a WARNING: the snapshot is committed.
 *
 * The files are written again from scratch in a new generation when the
 * location they name changes (spillpool.iceberg_location_prefix), when a
 * table written before 0.5 gets its first Iceberg snapshot, and when a
 * snapshot's manifest list is missing.
 *
 * Field ids are attribute numbers; the shards carry them in their Parquet
 * schema, and the table property schema.name-mapping.default maps names to
 * them for shards written before they did.  Types follow the Iceberg spec's
 * mapping; columns stored as their text form are Iceberg strings whose doc
 * names the PostgreSQL type.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "spillpool.h"
#include "iceberg/iceberg.h"
#include "iceberg/iceberg_avro.h"
#include "shard/convert.h"
#include "shard/shard_read.h"
#include "tier/fault.h"
#include "tier/manifest.h"
#include "tier/storage.h"

/* spillpool.iceberg_location_prefix: "" means the data directory's path */
char	   *spillpool_iceberg_location_prefix = NULL;

/* Previous metadata files kept (and listed in the metadata log). */
#define ICEBERG_METADATA_KEEP 10

/* Appends after which the next one writes a manifest of the whole table. */
#define ICEBERG_MERGE_APPENDS 100

/* What writing one table's Iceberg files needs. */
typedef struct IcebergWriter
{
	Relation	rel;
	Oid			dbid;
	Oid			relfilenode;
	const Manifest *m;
	uint32		gen;
	char	   *location;		/* the table's location as engines see it */
	char	   *schema_json;
	uint64	   *bases;			/* iceberg_bases */
	int			nbases;
} IcebergWriter;

/* $PGDATA-relative path of a table's Iceberg metadata directory. */
void
iceberg_metadata_dir(char *path, Oid dbid, Oid relfilenode)
{
	snprintf(path, MAXPGPATH, "spillpool/%u/%u/metadata", dbid, relfilenode);
}

/*
 * The location of a table as lake engines see it: the location prefix
 * (spillpool.iceberg_location_prefix, or the data directory's absolute
 * path) followed by the table directory's path below the data directory.
 */
char *
iceberg_table_location(Oid dbid, Oid relfilenode)
{
	const char *prefix = spillpool_iceberg_location_prefix;
	int			len;

	if (prefix == NULL || prefix[0] == '\0')
		prefix = DataDir;
	len = strlen(prefix);
	while (len > 1 && prefix[len - 1] == '/')
		len--;
	return psprintf("%.*s/spillpool/%u/%u", len, prefix, dbid, relfilenode);
}

/* CRC32C of a location, recorded to notice that the prefix changed. */
static uint32
iceberg_location_crc(const char *location)
{
	pg_crc32c	crc;

	INIT_CRC32C(crc);
	COMP_CRC32C(crc, location, strlen(location));
	FIN_CRC32C(crc);
	return (uint32) crc;
}

/* Iceberg's milliseconds since 1970 of a PostgreSQL timestamp. */
static int64
iceberg_time_ms(TimestampTz t)
{
	return (t + PARQUET_PG_EPOCH_USECS) / 1000;
}

/* The snapshot of the manifest with this id, or NULL. */
static const ManifestSnapshot *
iceberg_find_snapshot(const Manifest *m, uint64 id)
{
	int			lo = 0,
				hi = m->nsnapshots - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (m->snapshots[mid].id == id)
			return &m->snapshots[mid];
		if (m->snapshots[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* uint64 comparator for qsort */
static int
iceberg_u64_cmp(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Sorts ids and drops duplicates; returns the new count. */
static int
iceberg_sort_unique(uint64 *ids, int n)
{
	int			k = 1;
	int			i;

	if (n <= 1)
		return n;
	qsort(ids, n, sizeof(uint64), iceberg_u64_cmp);
	for (i = 1; i < n; i++)
		if (ids[i] != ids[k - 1])
			ids[k++] = ids[i];
	return k;
}

/* Index of id in the sorted ids, or -1. */
static int
iceberg_find_id(const uint64 *ids, int n, uint64 id)
{
	int			lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (ids[mid] == id)
			return mid;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/*
 * The bases of a manifest's history, ascending: the snapshots whose Iceberg
 * manifest lists every live shard (see the top of the file).  A replace or
 * delete is one; so is every ICEBERG_MERGE_APPENDS-th append after the last
 * base, so that a manifest list never names more manifests than that (the
 * Iceberg writers merge manifests likewise).  The rule depends only on the
 * history up to each snapshot, so it never changes what it said about an
 * earlier one: after an expiry it starts from the base the manifest
 * recorded, and the appends after it that expired still have all their
 * shards listed (anything that removed one would be a later base).
 */
static int
iceberg_bases(const Manifest *m, uint64 **bases)
{
	uint64	   *out = palloc(sizeof(uint64) * (m->nsnapshots + 1));
	uint64		first = m->nsnapshots > 0 ? m->snapshots[0].id : PG_UINT64_MAX;
	uint64	   *expired_appends = palloc(sizeof(uint64) * (m->nshards + 1));
	int			nexp = 0;
	int			appends;
	int			n = 0;
	int			i;

	if (m->expired_base != 0)
		out[n++] = m->expired_base;
	for (i = 0; i < m->nshards; i++)
		if (m->shards[i].snapshot > m->expired_base && m->shards[i].snapshot < first)
			expired_appends[nexp++] = m->shards[i].snapshot;
	appends = iceberg_sort_unique(expired_appends, nexp);
	for (i = 0; i < m->nsnapshots; i++)
	{
		if (m->snapshots[i].id == m->expired_base)
			appends = 0;		/* the oldest kept is the recorded base */
		else if (m->snapshots[i].op != MANIFEST_APPEND || ++appends >= ICEBERG_MERGE_APPENDS)
		{
			out[n++] = m->snapshots[i].id;
			appends = 0;
		}
	}
	pfree(expired_appends);
	*bases = out;
	return n;
}

/* The last base at or before s, 0 if none. */
static uint64
iceberg_base_of(const uint64 *bases, int nbases, uint64 s)
{
	int			lo = 0,
				hi = nbases - 1;
	uint64		base = 0;

	/* bases ascend (a base recorded by an expiry may appear twice) */
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (bases[mid] <= s)
		{
			base = bases[mid];
			lo = mid + 1;
		}
		else
			hi = mid - 1;
	}
	return base;
}

/*
 * The manifests some kept snapshot lists, ascending: the bases from that of
 * the first kept snapshot on, and each append x after the base of the
 * first kept snapshot at or after it (bases only grow).  Returns the count;
 * *ids is palloc'd.
 */
static int
iceberg_referenced_manifests(const Manifest *m, const uint64 *bases, int nbases, uint64 **ids)
{
	uint64	   *out = palloc(sizeof(uint64) * (m->nshards + nbases + 1));
	uint64		first;
	uint64		first_base;
	int			n = 0;
	int			i;

	*ids = out;
	if (m->nsnapshots == 0)
		return 0;
	first = m->snapshots[0].id;
	first_base = iceberg_base_of(bases, nbases, first);
	for (i = 0; i < nbases; i++)
		if (bases[i] >= first_base && bases[i] != 0)
			out[n++] = bases[i];
	for (i = 0; i < m->nshards; i++)
	{
		uint64		x = m->shards[i].snapshot;

		if (iceberg_base_of(bases, nbases, Max(x, first)) < x)
			out[n++] = x;
	}
	return iceberg_sort_unique(out, n);
}

/* For expire.c: the base of snapshot s in the manifest's history. */
uint64
iceberg_base_at(const Manifest *m, uint64 s)
{
	uint64	   *bases;
	int			n = iceberg_bases(m, &bases);

	return iceberg_base_of(bases, n, s);
}

/*
 * The manifests snapshot s lists, by the id of the snapshot that wrote
 * them, ascending: its base (if any) and the appends after the base that
 * added shards still listed.  Returns the count; *ids is palloc'd.
 */
static int
iceberg_manifests_of(const Manifest *m, const uint64 *bases, int nbases, uint64 s, uint64 **ids)
{
	uint64		base = iceberg_base_of(bases, nbases, s);
	uint64	   *out = palloc(sizeof(uint64) * (m->nshards + 1));
	int			n = 0;
	int			i;

	if (base != 0)
		out[n++] = base;
	for (i = 0; i < m->nshards; i++)
	{
		uint64		x = m->shards[i].snapshot;

		if (x > base && x <= s)
			out[n++] = x;
	}
	*ids = out;
	return iceberg_sort_unique(out, n);
}

/* The status of a shard in the manifest written by snapshot x, or -1. */
static int
iceberg_entry_status(const ManifestShard *sh, uint64 x, bool x_is_base)
{
	if (!x_is_base)
		return sh->snapshot == x ? ICEBERG_STATUS_ADDED : -1;
	if (sh->removed_in == x)
		return ICEBERG_STATUS_DELETED;
	if (manifest_shard_in_snapshot(sh, x))
		return sh->snapshot == x ? ICEBERG_STATUS_ADDED : ICEBERG_STATUS_EXISTING;
	return -1;
}

/* File names of the Avro files, relative to the metadata directory. */
static char *
iceberg_manifest_name(uint32 gen, uint64 x)
{
	return psprintf("m-%u-" UINT64_FORMAT ".avro", gen, x);
}

static char *
iceberg_list_name(uint32 gen, uint64 s)
{
	return psprintf("snap-%u-" UINT64_FORMAT ".avro", gen, s);
}

/*
 * The Iceberg type of a shard kind (a column's, or a LIST column's
 * elements'), with a doc string for text forms of the column's type.
 */
static const char *
iceberg_kind_type(ShardKind kind, int precision, int scale, Form_pg_attribute att, char **doc)
{
	switch (kind)
	{
		case SK_BOOL:
			return "\"boolean\"";
		case SK_INT2:
		case SK_INT4:
			return "\"int\"";
		case SK_INT8:
			return "\"long\"";
		case SK_FLOAT4:
			return "\"float\"";
		case SK_FLOAT8:
			return "\"double\"";
		case SK_TEXT:
			return "\"string\"";
		case SK_BYTEA:
			return "\"binary\"";
		case SK_DATE:
			return "\"date\"";
		case SK_TIMESTAMP:
			return "\"timestamp\"";
		case SK_TIMESTAMPTZ:
			return "\"timestamptz\"";
		case SK_UUID:
			return "\"uuid\"";
		case SK_NUMERIC:
			return psprintf("\"decimal(%d, %d)\"", precision, scale);
		case SK_JSON:
		case SK_JSONB:
		case SK_TEXTFORM:
		case SK_LIST:
			*doc = psprintf("stored as the text form of PostgreSQL type %s",
							format_type_be(att->atttypid));
			return "\"string\"";
	}
	return "\"string\"";
}

/*
 * The Iceberg type of a column (with a doc string for text forms): a LIST
 * column is a list whose element field id is shard_list_element_field_id
 * of the column's (the id its shards' element carries, see convert.h),
 * with optional elements.
 */
static const char *
iceberg_type_of(Form_pg_attribute att, char **doc)
{
	int32		typmod = att->atttypmod;
	Oid			base = getBaseTypeAndTypmod(att->atttypid, &typmod);
	int			precision = 0,
				scale = 0;
	ShardKind	kind = shard_kind_of_type(base, typmod, &precision, &scale);

	*doc = NULL;
	if (kind == SK_LIST)
	{
		Oid			elemtype;
		ShardKind	elem_kind = shard_list_element_kind(base, typmod, &elemtype,
														&precision, &scale);
		char	   *elem_doc = NULL;
		const char *elem = iceberg_kind_type(elem_kind, precision, scale, att, &elem_doc);

		if (elem_doc != NULL)
			*doc = psprintf("elements stored as the text form of PostgreSQL type %s",
							format_type_be(elemtype));
		return psprintf("{\"type\": \"list\", \"element-id\": %d, \"element\": %s, \"element-required\": false}",
						shard_list_element_field_id(att->attnum), elem);
	}
	return iceberg_kind_type(kind, precision, scale, att, doc);
}

/*
 * The table's last-column-id: the highest field id of its schema, the
 * attribute numbers (dropped ones included, never reused) and the element
 * ids of its LIST columns.
 */
static int
iceberg_last_column_id(TupleDesc desc)
{
	int			last = desc->natts;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		int32		typmod = att->atttypmod;
		Oid			base;
		int			precision,
					scale;

		if (att->attisdropped)
			continue;
		base = getBaseTypeAndTypmod(att->atttypid, &typmod);
		if (shard_kind_of_type(base, typmod, &precision, &scale) == SK_LIST)
			last = Max(last, shard_list_element_field_id(att->attnum));
	}
	return last;
}

/* The table schema as Iceberg JSON: one struct, field id = attnum. */
static char *
iceberg_schema_json(TupleDesc desc)
{
	StringInfoData out;
	int			i;
	bool		first = true;

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"type\": \"struct\", \"schema-id\": 0, \"fields\": [");
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		char	   *doc;
		const char *type;

		if (att->attisdropped)
			continue;
		type = iceberg_type_of(att, &doc);
		appendStringInfo(&out, "%s{\"id\": %d, \"name\": ", first ? "" : ", ", att->attnum);
		escape_json(&out, NameStr(att->attname));
		appendStringInfo(&out, ", \"required\": false, \"type\": %s", type);
		if (doc != NULL)
		{
			appendStringInfoString(&out, ", \"doc\": ");
			escape_json(&out, doc);
		}
		appendStringInfoChar(&out, '}');
		first = false;
	}
	appendStringInfoString(&out, "]}");
	return out.data;
}

/*
 * A bound as Iceberg's single-value serialization, from the Parquet
 * statistics bytes: the same bytes for every kind written here but
 * decimals stored as INT32/INT64, which Iceberg wants as big-endian
 * two's complement.  Kinds without exact bounds return false.
 */
static bool
iceberg_bound_bytes(ShardKind kind, const char *raw, int len, unsigned char **out, int *outlen)
{
	switch (kind)
	{
		case SK_BOOL:
		case SK_INT2:
		case SK_INT4:
		case SK_INT8:
		case SK_DATE:
		case SK_TIMESTAMP:
		case SK_TIMESTAMPTZ:
		case SK_TEXT:
		case SK_BYTEA:
		case SK_UUID:
			*out = (unsigned char *) raw;
			*outlen = len;
			return true;
		case SK_NUMERIC:
			if (len == 4 || len == 8)
			{
				unsigned char *be = palloc(len);
				int			k;

				for (k = 0; k < len; k++)
					be[k] = (unsigned char) raw[len - 1 - k];
				*out = be;
				*outlen = len;
			}
			else
			{
				*out = (unsigned char *) raw;
				*outlen = len;
			}
			return true;
		default:
			/* floats (NaN), JSON and text forms: no bounds */
			return false;
	}
}

/*
 * In a PG_CATCH that turns an error into a WARNING: the error, copied into
 * cxt and cleared.  A query cancel or shutdown is thrown on instead.
 */
static ErrorData *
iceberg_catch_error(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
		PG_RE_THROW();
	FlushErrorState();
	return edata;
}

/*
 * The bounds of a shard's columns, or NULL with a WARNING when its footer
 * cannot be read: metrics are optional in Iceberg, and a damaged old shard
 * must not stop the commits of new snapshots (reading it fails anyway).
 */
static ShardColumnBounds *
iceberg_shard_bounds(const char *path, TupleDesc desc)
{
	MemoryContext cxt = CurrentMemoryContext;
	ShardColumnBounds *volatile bounds = NULL;

	PG_TRY();
	{
		bounds = shard_column_bounds(path, desc);
	}
	PG_CATCH();
	{
		ErrorData  *edata = iceberg_catch_error(cxt);

		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("Iceberg metadata lists shard \"%s\" without column metrics", path),
				 errdetail("Its footer could not be read: %s", edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return bounds;
}

/* Fills the data file entry of a shard: path, counts, metrics. */
static void
iceberg_data_file(IcebergWriter *w, const ManifestShard *sh, int status, uint64 x,
				  IcebergDataFile *df)
{
	TupleDesc	desc = RelationGetDescr(w->rel);
	char		path[MAXPGPATH];
	ShardColumnBounds *bounds;
	IcebergColumnMetrics *cols = palloc0(sizeof(IcebergColumnMetrics) * Max(desc->natts, 1));
	int			n = 0;
	int			i;

	shard_file_path(path, w->dbid, w->relfilenode, sh->snapshot, sh->n);
	/* a deleted entry needs no metrics: no reader plans a scan with it */
	bounds = status == ICEBERG_STATUS_DELETED ? NULL : iceberg_shard_bounds(path, desc);
	for (i = 0; bounds != NULL && i < desc->natts; i++)
	{
		ShardColumnBounds *b = &bounds[i];
		IcebergColumnMetrics *c;

		/* a LIST's metrics would belong to its element's field id: none */
		if (TupleDescAttr(desc, i)->attisdropped || !b->present || b->kind == SK_LIST)
			continue;
		c = &cols[n++];
		c->field_id = i + 1;
		c->value_count = sh->rows;
		c->null_count = b->nulls_known ? b->nulls : -1;
		c->lower_len = c->upper_len = -1;
		if (b->has_bounds)
		{
			unsigned char *lo,
					   *hi;
			int			lolen,
						hilen;

			if (iceberg_bound_bytes(b->kind, b->min_raw, b->min_raw_len, &lo, &lolen) &&
				iceberg_bound_bytes(b->kind, b->max_raw, b->max_raw_len, &hi, &hilen))
			{
				c->lower = lo;
				c->lower_len = lolen;
				c->upper = hi;
				c->upper_len = hilen;
			}
		}
	}
	df->status = status;
	df->snapshot_id = (int64) (status == ICEBERG_STATUS_DELETED ? x : sh->snapshot);
	df->sequence_number = (int64) sh->snapshot;
	df->file_sequence_number = (int64) sh->snapshot;
	df->file_path = psprintf("%s/shards/" UINT64_FORMAT "-%d.parquet", w->location,
							 sh->snapshot, sh->n);
	df->record_count = sh->rows;
	df->file_size_in_bytes = sh->bytes;
	df->ncolumns = n;
	df->columns = cols;
}

/*
 * Writes the manifest of snapshot x: a base lists every shard live at it
 * and those it removed, an append the shards it added.
 */
static void
iceberg_write_manifest_of(IcebergWriter *w, uint64 x)
{
	bool		is_base = iceberg_find_id(w->bases, w->nbases, x) >= 0;
	IcebergDataFile *files = palloc0(sizeof(IcebergDataFile) * Max(w->m->nshards, 1));
	int			n = 0;
	char		dir[MAXPGPATH];
	int			i;

	for (i = 0; i < w->m->nshards; i++)
	{
		const ManifestShard *sh = &w->m->shards[i];
		int			status = iceberg_entry_status(sh, x, is_base);

		if (status < 0)
			continue;
		iceberg_data_file(w, sh, status, x, &files[n++]);
	}
	iceberg_metadata_dir(dir, w->dbid, w->relfilenode);
	(void) iceberg_write_manifest(psprintf("%s/%s", dir, iceberg_manifest_name(w->gen, x)),
								  w->schema_json, 0, files, n);
}

/* Adds one entry of a shard to a manifest_file record's counts. */
static void
iceberg_count_entry(IcebergManifestRef *ref, const ManifestShard *sh, int status)
{
	switch (status)
	{
		case ICEBERG_STATUS_ADDED:
			ref->added_files_count++;
			ref->added_rows_count += sh->rows;
			break;
		case ICEBERG_STATUS_EXISTING:
			ref->existing_files_count++;
			ref->existing_rows_count += sh->rows;
			ref->min_sequence_number = Min(ref->min_sequence_number, (int64) sh->snapshot);
			break;
		case ICEBERG_STATUS_DELETED:
			/* not live: no part of min_sequence_number */
			ref->deleted_files_count++;
			ref->deleted_rows_count += sh->rows;
			break;
		default:
			break;
	}
}

/*
 * Writes the manifest list of snapshot s; its manifests must exist.  The
 * counts of every manifest come from one pass over the shards, the
 * lengths from the files.
 */
static void
iceberg_write_list_of(IcebergWriter *w, uint64 s, uint64 parent)
{
	uint64	   *ids;
	int			n = iceberg_manifests_of(w->m, w->bases, w->nbases, s, &ids);
	uint64		base = iceberg_base_of(w->bases, w->nbases, s);
	int			base_idx = base != 0 ? iceberg_find_id(ids, n, base) : -1;
	IcebergManifestRef *refs = palloc0(sizeof(IcebergManifestRef) * Max(n, 1));
	char		dir[MAXPGPATH];
	int			i;

	iceberg_metadata_dir(dir, w->dbid, w->relfilenode);
	for (i = 0; i < n; i++)
	{
		char	   *name = iceberg_manifest_name(w->gen, ids[i]);
		char	   *path = psprintf("%s/%s", dir, name);
		struct stat st;

		if (stat(path, &st) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not stat file \"%s\": %m", path)));
		refs[i].manifest_path = psprintf("%s/metadata/%s", w->location, name);
		refs[i].manifest_length = st.st_size;
		refs[i].sequence_number = (int64) ids[i];
		refs[i].min_sequence_number = (int64) ids[i];
		refs[i].added_snapshot_id = (int64) ids[i];
	}
	for (i = 0; i < w->m->nshards; i++)
	{
		const ManifestShard *sh = &w->m->shards[i];

		if (base_idx >= 0)
			iceberg_count_entry(&refs[base_idx], sh, iceberg_entry_status(sh, base, true));
		if (sh->snapshot > base && sh->snapshot <= s)
		{
			int			k = iceberg_find_id(ids, n, sh->snapshot);

			if (k >= 0)
				iceberg_count_entry(&refs[k], sh, ICEBERG_STATUS_ADDED);
		}
	}
	iceberg_write_manifest_list(psprintf("%s/%s", dir, iceberg_list_name(w->gen, s)),
								(int64) s, parent == 0 ? -1 : (int64) parent, (int64) s,
								refs, n);
}

/* Does the metadata directory hold this file? */
static bool
iceberg_file_exists(Oid dbid, Oid relfilenode, const char *name)
{
	char		dir[MAXPGPATH];
	struct stat st;

	iceberg_metadata_dir(dir, dbid, relfilenode);
	return stat(psprintf("%s/%s", dir, name), &st) == 0;
}

/*
 * Step 1 of a commit that changed the table's snapshots (see the top of
 * the file): writes the Avro files of the manifest's newest snapshot when
 * the commit makes it (new_snapshot; an expiry makes none), or those of
 * every snapshot in a new generation when needed, and records the
 * generation and the next metadata version in m.  A new snapshot's files
 * are always written, over any that a commit which failed after this step
 * left.  Errors are ERRORs: the commit has not happened.
 */
void
iceberg_before_commit(Relation rel, SpillTable *tab, Manifest *m, bool new_snapshot)
{
	IcebergWriter w;
	char		dir[MAXPGPATH];
	uint32		crc;
	bool		rebuild;
	int			prev;
	int			i;

	memset(&w, 0, sizeof(w));
	w.rel = rel;
	w.dbid = tab->key.dbid;
	w.relfilenode = tab->key.relfilenode;
	w.m = m;
	w.location = iceberg_table_location(w.dbid, w.relfilenode);
	crc = iceberg_location_crc(w.location);
	if (m->nsnapshots == 0)
		return;					/* nothing to describe yet */

	iceberg_metadata_dir(dir, w.dbid, w.relfilenode);
	if (MakePGDirectory(dir) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", dir)));
	w.schema_json = iceberg_schema_json(RelationGetDescr(rel));
	w.nbases = iceberg_bases(m, &w.bases);

	/*
	 * The last snapshot this commit does not make must have its list in
	 * this generation (each commit writes its own, so a missing one means
	 * a lost file): else all are written again.
	 */
	rebuild = (m->ice_gen == 0 || m->ice_location_crc != crc);
	prev = m->nsnapshots - (new_snapshot ? 2 : 1);
	if (!rebuild && prev >= 0)
		rebuild = !iceberg_file_exists(w.dbid, w.relfilenode,
									   iceberg_list_name(m->ice_gen, m->snapshots[prev].id));
	w.gen = rebuild ? m->ice_gen + 1 : m->ice_gen;

	if (rebuild)
	{
		uint64	   *ids;
		int			n = iceberg_referenced_manifests(m, w.bases, w.nbases, &ids);

		for (i = 0; i < n; i++)
			iceberg_write_manifest_of(&w, ids[i]);
		for (i = 0; i < m->nsnapshots; i++)
			iceberg_write_list_of(&w, m->snapshots[i].id, m->snapshots[i].id - 1);
	}
	else if (new_snapshot)
	{
		const ManifestSnapshot *s = &m->snapshots[m->nsnapshots - 1];

		iceberg_write_manifest_of(&w, s->id);
		iceberg_write_list_of(&w, s->id, s->id - 1);
	}
	/* the new files' directory entries, before the manifest names them */
	fsync_fname(dir, true);
	spillpool_fault_point("iceberg-avro-written");
	m->ice_gen = w.gen;
	m->ice_version++;
	m->ice_location_crc = crc;
}

/* The table UUID: stable for a relfilenode of a database cluster. */
static char *
iceberg_table_uuid(Oid dbid, Oid relfilenode)
{
	uint64		sysid = GetSystemIdentifier();

	return psprintf("%08x-%04x-4%03x-8%03x-%08x%04x",
					(uint32) (sysid >> 32), (uint32) (sysid >> 16) & 0xffff,
					(uint32) sysid & 0xfff, (uint32) (dbid >> 20) & 0xfff,
					(uint32) ((dbid << 12) | (relfilenode >> 20)), relfilenode & 0xffff);
}

/* The table properties: a name mapping for shards without field ids. */
static void
iceberg_append_properties(StringInfo out, Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	StringInfoData map;
	int			i;
	bool		first = true;

	initStringInfo(&map);
	appendStringInfoChar(&map, '[');
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		appendStringInfo(&map, "%s{\"field-id\": %d, \"names\": [", first ? "" : ", ", att->attnum);
		escape_json(&map, NameStr(att->attname));
		appendStringInfoString(&map, "]}");
		first = false;
	}
	appendStringInfoChar(&map, ']');
	appendStringInfoString(out, "\"properties\": {\"schema.name-mapping.default\": ");
	escape_json(out, map.data);
	appendStringInfoString(out, ", \"spillpool.table\": ");
	escape_json(out, quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel)));
	appendStringInfoString(out, ", \"write.parquet.compression-codec\": \"zstd\"}");
}

/* Per-snapshot counts for the summaries (iceberg_snapshot_totals). */
typedef struct IcebergTotals
{
	int64		added_files;
	int64		added_rows;
	int64		total_files;
	int64		total_rows;
} IcebergTotals;

/*
 * The counts of every kept snapshot's summary in one pass over the shards:
 * a shard adds to the snapshot that added it, and to the totals of every
 * snapshot from that one (or the first kept) up to the one before its
 * removal, kept as differences and summed up in snapshot order.
 */
static IcebergTotals *
iceberg_snapshot_totals(const Manifest *m)
{
	int			n = m->nsnapshots;
	IcebergTotals *t = palloc0(sizeof(IcebergTotals) * Max(n, 1));
	int64	   *dfiles = palloc0(sizeof(int64) * (n + 1));
	int64	   *drows = palloc0(sizeof(int64) * (n + 1));
	uint64		first = n > 0 ? m->snapshots[0].id : 0;
	int			i;

	for (i = 0; i < m->nshards && n > 0; i++)
	{
		const ManifestShard *sh = &m->shards[i];
		int			from;
		int			to;

		/* ids are consecutive: the index of id x is x - first */
		if (sh->snapshot >= first && sh->snapshot - first < (uint64) n)
		{
			t[sh->snapshot - first].added_files++;
			t[sh->snapshot - first].added_rows += sh->rows;
		}
		/* not live in any kept snapshot (an expiry's second step is due) */
		if (sh->removed_in != 0 && sh->removed_in <= first)
			continue;
		from = sh->snapshot <= first ? 0 : (int) (sh->snapshot - first);
		to = sh->removed_in == 0 ? n : (int) Min((uint64) n, sh->removed_in - first);
		if (from >= n || to <= from)
			continue;
		dfiles[from]++;
		drows[from] += sh->rows;
		dfiles[to]--;
		drows[to] -= sh->rows;
	}
	for (i = 0; i < n; i++)
	{
		t[i].total_files = (i > 0 ? t[i - 1].total_files : 0) + dfiles[i];
		t[i].total_rows = (i > 0 ? t[i - 1].total_rows : 0) + drows[i];
	}
	pfree(dfiles);
	pfree(drows);
	return t;
}

/* The snapshot's summary: operation and the counts Iceberg engines show. */
static void
iceberg_append_summary(StringInfo out, const ManifestSnapshot *s, const IcebergTotals *t)
{
	const char *op;

	/* what it removed may have expired: the snapshot line keeps the counts */
	op = s->op == MANIFEST_APPEND ? "append" : (s->op == MANIFEST_REPLACE ? "replace" : "delete");
	appendStringInfo(out, "{\"operation\": \"%s\", \"added-data-files\": \"" INT64_FORMAT
					 "\", \"added-records\": \"" INT64_FORMAT "\", \"deleted-data-files\": \"%d"
					 "\", \"deleted-records\": \"" INT64_FORMAT
					 "\", \"total-data-files\": \"" INT64_FORMAT "\", \"total-records\": \""
					 INT64_FORMAT "\", \"total-delete-files\": \"0\", \"total-position-deletes\": \"0\", "
					 "\"total-equality-deletes\": \"0\"}",
					 op, t->added_files, t->added_rows, s->removed_shards, s->removed_rows,
					 t->total_files, t->total_rows);
}

/* v<N>.metadata.json of the manifest, as text. */
static char *
iceberg_metadata_json(IcebergWriter *w)
{
	const Manifest *m = w->m;
	StringInfoData out;
	char		dir[MAXPGPATH];
	const ManifestSnapshot *cur = m->nsnapshots > 0 ? &m->snapshots[m->nsnapshots - 1] : NULL;
	int			last_column_id = 0;
	TupleDesc	desc = RelationGetDescr(w->rel);
	int			i;
	int			v;
	bool		first;
	IcebergTotals *totals = iceberg_snapshot_totals(m);

	/* field ids are attribute numbers, dropped ones included: never reused */
	last_column_id = iceberg_last_column_id(desc);
	iceberg_metadata_dir(dir, w->dbid, w->relfilenode);
	initStringInfo(&out);
	appendStringInfo(&out, "{\n  \"format-version\": 2,\n  \"table-uuid\": \"%s\",\n  \"location\": ",
					 iceberg_table_uuid(w->dbid, w->relfilenode));
	escape_json(&out, w->location);
	appendStringInfo(&out, ",\n  \"last-sequence-number\": " UINT64_FORMAT
					 ",\n  \"last-updated-ms\": " INT64_FORMAT
					 ",\n  \"last-column-id\": %d"
					 ",\n  \"current-schema-id\": 0,\n  \"schemas\": [%s]"
					 ",\n  \"default-spec-id\": 0,\n  \"partition-specs\": [{\"spec-id\": 0, \"fields\": []}]"
					 ",\n  \"last-partition-id\": 999"
					 ",\n  \"default-sort-order-id\": 0,\n  \"sort-orders\": [{\"order-id\": 0, \"fields\": []}],\n  ",
					 cur ? cur->id : 0,
					 iceberg_time_ms(GetCurrentTimestamp()),
					 last_column_id, w->schema_json);
	iceberg_append_properties(&out, w->rel);
	if (cur != NULL)
		appendStringInfo(&out, ",\n  \"current-snapshot-id\": " UINT64_FORMAT
						 ",\n  \"refs\": {\"main\": {\"snapshot-id\": " UINT64_FORMAT ", \"type\": \"branch\"}}",
						 cur->id, cur->id);
	else
		appendStringInfoString(&out, ",\n  \"current-snapshot-id\": -1,\n  \"refs\": {}");

	appendStringInfoString(&out, ",\n  \"snapshots\": [");
	for (i = 0; i < m->nsnapshots; i++)
	{
		const ManifestSnapshot *s = &m->snapshots[i];

		appendStringInfo(&out, "%s\n    {\"snapshot-id\": " UINT64_FORMAT, i > 0 ? "," : "", s->id);
		/* ids are consecutive; the parent may have expired, as in Iceberg */
		if (s->id > 1)
			appendStringInfo(&out, ", \"parent-snapshot-id\": " UINT64_FORMAT, s->id - 1);
		appendStringInfo(&out, ", \"sequence-number\": " UINT64_FORMAT
						 ", \"timestamp-ms\": " INT64_FORMAT ", \"manifest-list\": ",
						 s->id, iceberg_time_ms(s->commit_time));
		escape_json(&out, psprintf("%s/metadata/%s", w->location, iceberg_list_name(w->gen, s->id)));
		appendStringInfoString(&out, ", \"summary\": ");
		iceberg_append_summary(&out, s, &totals[i]);
		appendStringInfoString(&out, ", \"schema-id\": 0}");
	}
	appendStringInfoString(&out, "\n  ],\n  \"snapshot-log\": [");
	for (i = 0; i < m->nsnapshots; i++)
		appendStringInfo(&out, "%s\n    {\"timestamp-ms\": " INT64_FORMAT ", \"snapshot-id\": " UINT64_FORMAT "}",
						 i > 0 ? "," : "", iceberg_time_ms(m->snapshots[i].commit_time),
						 m->snapshots[i].id);
	appendStringInfoString(&out, "\n  ],\n  \"metadata-log\": [");
	first = true;
	for (v = Max(1, (int) m->ice_version - ICEBERG_METADATA_KEEP); v < (int) m->ice_version; v++)
	{
		struct stat st;
		char	   *name = psprintf("v%d.metadata.json", v);

		if (stat(psprintf("%s/%s", dir, name), &st) != 0)
			continue;
		appendStringInfo(&out, "%s\n    {\"timestamp-ms\": " INT64_FORMAT ", \"metadata-file\": ",
						 first ? "" : ",", (int64) st.st_mtime * 1000);
		escape_json(&out, psprintf("%s/metadata/%s", w->location, name));
		appendStringInfoChar(&out, '}');
		first = false;
	}
	appendStringInfoString(&out, "\n  ]\n}\n");
	return out.data;
}

/* Writes a small metadata file atomically: temporary file, durable_rename. */
static void
iceberg_write_small_file(const char *dir, const char *name, const char *data)
{
	char		path[MAXPGPATH];
	char		tmp[MAXPGPATH];

	snprintf(path, MAXPGPATH, "%s/%s", dir, name);
	snprintf(tmp, MAXPGPATH, "%s/%s.tmp", dir, name);
	storage_write_temp_file(tmp, data, strlen(data));
	if (durable_rename(tmp, path, ERROR) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not rename \"%s\" to \"%s\": %m", tmp, path)));
}

/*
 * The metadata version that version-hint.text publishes, 0 if none.
 */
static uint32
iceberg_published_version(Oid dbid, Oid relfilenode)
{
	char		dir[MAXPGPATH];
	char		hint[32];
	int			fd;
	int			len = 0;

	iceberg_metadata_dir(dir, dbid, relfilenode);
	fd = OpenTransientFile(psprintf("%s/version-hint.text", dir), O_RDONLY | PG_BINARY);
	if (fd >= 0)
	{
		len = read(fd, hint, sizeof(hint) - 1);
		CloseTransientFile(fd);
	}
	hint[Max(len, 0)] = '\0';
	return len > 0 ? (uint32) strtoul(hint, NULL, 10) : 0;
}

/*
 * Removes the files of a table's metadata directory that the manifest no
 * longer references: Avro files of other generations, of expired snapshots
 * and of manifests no kept snapshot lists, metadata files older than the
 * ones kept, and temporary files.  Only once the manifest's own metadata
 * is published: until then (a crash between a commit and its metadata)
 * the published metadata may still name them.  Needs no relation: at load,
 * too.
 */
void
iceberg_remove_unreferenced(Oid dbid, Oid relfilenode, const Manifest *m)
{
	char		dir[MAXPGPATH];
	DIR		   *d;
	struct dirent *de;
	uint64	   *keep_m = NULL;
	int			nkeep_m = 0;
	uint32		published = iceberg_published_version(dbid, relfilenode);

	if (published != m->ice_version)
		return;
	iceberg_metadata_dir(dir, dbid, relfilenode);
	if (m->ice_gen != 0)
	{
		uint64	   *bases;
		int			nbases = iceberg_bases(m, &bases);

		nkeep_m = iceberg_referenced_manifests(m, bases, nbases, &keep_m);
	}
	d = AllocateDir(dir);
	while (d && (de = ReadDirExtended(d, dir, LOG)) != NULL)
	{
		uint32		gen;
		uint64		id;
		int			v;
		char		tail[16];
		bool		keep = false;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
			strcmp(de->d_name, "version-hint.text") == 0)
			continue;
		if (sscanf(de->d_name, "m-%u-" UINT64_FORMAT ".%15s", &gen, &id, tail) == 3 &&
			strcmp(tail, "avro") == 0 && gen == m->ice_gen)
		{
			keep = iceberg_find_id(keep_m, nkeep_m, id) >= 0;
		}
		else if (sscanf(de->d_name, "snap-%u-" UINT64_FORMAT ".%15s", &gen, &id, tail) == 3 &&
				 strcmp(tail, "avro") == 0 && gen == m->ice_gen)
			keep = (iceberg_find_snapshot(m, id) != NULL);
		else if (sscanf(de->d_name, "v%d.metadata.%15s", &v, tail) == 2 &&
				 strcmp(tail, "json") == 0)
			keep = (v <= (int) m->ice_version && v > (int) m->ice_version - ICEBERG_METADATA_KEEP);
		if (keep)
			continue;
		(void) storage_unlink_file(psprintf("%s/%s", dir, de->d_name), true);
	}
	if (d)
		FreeDir(d);
}

/*
 * Step 3 of a commit: writes v<N>.metadata.json and version-hint.text for
 * the committed manifest and removes what it no longer references.  The
 * commit has happened: an error here is reported as a WARNING, and the
 * background worker writes the metadata again later (iceberg_check).
 */
void
iceberg_after_commit(Relation rel, SpillTable *tab, const Manifest *m)
{
	MemoryContext cxt = CurrentMemoryContext;
	MemoryContext work;

	if (m->ice_gen == 0)
		return;
	work = AllocSetContextCreate(CurrentMemoryContext, "spillpool iceberg",
								 ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(work);
	PG_TRY();
	{
		IcebergWriter w;
		char		dir[MAXPGPATH];

		memset(&w, 0, sizeof(w));
		w.rel = rel;
		w.dbid = tab->key.dbid;
		w.relfilenode = tab->key.relfilenode;
		w.m = m;
		w.gen = m->ice_gen;
		w.location = iceberg_table_location(w.dbid, w.relfilenode);
		w.schema_json = iceberg_schema_json(RelationGetDescr(rel));
		iceberg_metadata_dir(dir, w.dbid, w.relfilenode);
		iceberg_write_small_file(dir, psprintf("v%u.metadata.json", m->ice_version),
								 iceberg_metadata_json(&w));
		spillpool_fault_point("iceberg-metadata-written");
		iceberg_write_small_file(dir, "version-hint.text", psprintf("%u", m->ice_version));
		iceberg_remove_unreferenced(w.dbid, w.relfilenode, m);
	}
	PG_CATCH();
	{
		ErrorData  *edata = iceberg_catch_error(cxt);

		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("could not write the Iceberg metadata of table \"%s\": %s",
						RelationGetRelationName(rel), edata->message),
				 errdetail("The snapshot is committed; the background worker writes the metadata again.")));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	MemoryContextDelete(work);
}

/*
 * For the background worker: writes the metadata of the current manifest
 * again when its v<N>.metadata.json or version-hint.text is missing or
 * stale (a crash or an error after a commit), or when the location prefix
 * changed (a new generation, through an empty commit).  The caller holds
 * the flushing flag.  Returns true if it wrote anything.
 */
bool
iceberg_check(Relation rel, SpillTable *tab)
{
	Manifest	m;
	char	   *location;

	if (!manifest_read(tab->key.dbid, tab->key.relfilenode, &m) || m.nsnapshots == 0)
		return false;
	location = iceberg_table_location(tab->key.dbid, tab->key.relfilenode);
	if (m.ice_gen == 0 || m.ice_location_crc != iceberg_location_crc(location))
	{
		/* a new generation is a commit of its own */
		iceberg_before_commit(rel, tab, &m, false);
		manifest_write(tab->key.dbid, tab->key.relfilenode, &m);
		iceberg_after_commit(rel, tab, &m);
		return true;
	}
	if (iceberg_published_version(tab->key.dbid, tab->key.relfilenode) == m.ice_version &&
		iceberg_file_exists(tab->key.dbid, tab->key.relfilenode,
							psprintf("v%u.metadata.json", m.ice_version)))
		return false;
	iceberg_after_commit(rel, tab, &m);
	return true;
}

/*
 * The location of a table's current metadata file (previous: the one
 * before it), or NULL if it has none; for spillpool.iceberg_tables.
 */
char *
iceberg_metadata_location(Oid dbid, Oid relfilenode, bool previous)
{
	Manifest	m;
	uint32		v;

	if (!manifest_read(dbid, relfilenode, &m) || m.ice_gen == 0)
		return NULL;
	v = previous ? m.ice_version - 1 : m.ice_version;
	if (v == 0 || !iceberg_file_exists(dbid, relfilenode, psprintf("v%u.metadata.json", v)))
		return NULL;
	return psprintf("%s/metadata/v%u.metadata.json", iceberg_table_location(dbid, relfilenode), v);
}
