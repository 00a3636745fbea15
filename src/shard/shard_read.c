/*-------------------------------------------------------------------------
 *
 * shard_read.c
 *	  Reading a table's Parquet shards in a scan: only the columns the query
 *	  needs, skipping row groups whose min/max rule out a simple qual.
 *
 * Shards of snapshots up to the scan's one are read in manifest order
 * (snapshot, then shard number), which is commit order.  Columns are
 * matched by attribute number, recorded in each shard's "spillpool.columns"
 * metadata (see shard_write.c), so renamed columns still match; a column
 * added after a shard was written reads as its default (attmissingval), as
 * heap does for old rows.
 *
 * A LIST column (see shard_write.c) is read back into an array of the
 * column's element type, one dimension, with the lower bound recorded in
 * spillpool.lower_bounds.<i> (1 otherwise); an empty list is an empty
 * array, and a row whose array was an exception reads its text form.
 * Lists are never skipped on and never answer from statistics: the
 * writer gives them none, and element bounds are not the column's.
 *
 * Row-group skipping compares a ShardFilter's constant with the column
 * chunk's min_value/max_value using the btree comparison function the
 * custom scan looked up.  A column chunk without statistics, or whose shard
 * holds values its min/max leave out (float NaN, the exceptions stored as
 * NULL), is never skipped.  Quals are still evaluated on every row that is
 * returned: skipping only saves work.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/stratnum.h"
#include "access/tupdesc_details.h"
#include "catalog/pg_type.h"
#include "parser/parse_coerce.h"
#include "storage/fd.h"
#include "datatype/timestamp.h"
#include "executor/tuptable.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/json.h"
#include "utils/typcache.h"
#include "catalog/pg_collation.h"
#include "utils/uuid.h"

#include "parquet/parquet_read.h"
#include "spillpool.h"
#include "shard/shard_read.h"
#include "shard/convert.h"
#include "tier/manifest.h"

/*
 * The decoding buffers (column arrays, pages) that the backend keeps from
 * one shard scan to the next, up to this many bytes: without them every
 * query faulted its first row groups' megabytes in anew, since malloc
 * returns freed buffers of that size to the kernel.
 */
#define SHARD_BUFFER_POOL_BYTES		((size_t) 32 * 1024 * 1024)

static ParquetBufferPool *shard_buffer_pool = NULL;

/* A value a shard stores as NULL because Parquet's type cannot hold it. */
typedef struct ShardException
{
	int64		row;
	char	   *text;
} ShardException;

/* How one Parquet column of the current shard maps to the table. */
typedef struct ShardReadColumn
{
	AttrNumber	attnum;
	ShardKind	kind;
	int			scale;			/* SK_NUMERIC */
	ParquetType physical;
	bool		by_ref;			/* its datums are allocated */
	bool		no_skip;		/* min/max leave some values out */
	int			nexceptions;
	ShardException *exceptions; /* ascending rows */
	/* SK_LIST: the elements (kind, physical and scale above are theirs) */
	ShardKind	elem_kind;
	Oid			elemtype;
	int32		elem_typmod;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	bool		elem_in_ready;
	FmgrInfo	elem_in;		/* elements of kind SK_TEXTFORM */
	Oid			elem_ioparam;
	int			nlower_bounds;
	ShardException *lower_bounds;	/* ascending rows, bound in text */
} ShardReadColumn;

struct ShardScan
{
	Relation	rel;
	TupleDesc	desc;
	Oid			dbid;
	Oid			relfilenode;
	ManifestShard *shards;
	bool		has_footer_crc; /* the open file's footer CRC, from the */
	pg_crc32c	footer_crc;		/* manifest (see shard_file_footer_crc) */
	int			nshards;
	int			cur_shard;		/* the next shard to open */
	int			end_shard;		/* read no shard from this one on */
	bool	   *needed;			/* per attribute */
	int			nfilters;
	ShardFilter *filters;
	FmgrInfo   *filter_cmp;
	ShardScanCounters *counters;
	ShardScanCounters own_counters;
	bool		utf8;

	/* input functions, per attribute, for text forms and exceptions */
	FmgrInfo   *in;
	Oid		   *ioparam;
	bool	   *in_ready;

	/* the shard being read */
	ParquetReader *reader;
	int			fd;				/* its file (OpenTransientFile), or -1 */
	SubTransactionId fd_subid;	/* the subtransaction fd.c files it under */
	bool		reopen;			/* closed by an aborted subtransaction */
	struct ShardScan *next_open;	/* in open_shard_files */
	const ParquetFileMeta *meta;
	char		path[MAXPGPATH];
	ShardReadColumn *cols;		/* per Parquet column */
	int		   *att_col;		/* per attribute: Parquet column or -1 */
	int		   *att_batch;		/* per attribute: index in the batch or -1 */
	int		   *batch_cols;		/* Parquet columns decoded */
	int			nbatch_cols;
	int			rg;				/* next row group */
	int64		rg_first_row;	/* shard row number of the batch's row 0 */
	ParquetRowGroupBatch batch;
	bool		batch_valid;
	bool		(*claim) (void *arg);	/* see shard_scan_set_claim */
	void	   *claim_arg;
	bool		batch_decoded;	/* its columns are decoded (shard_batch_decode) */
	int64		row;			/* next row of the batch */

	MemoryContext shard_cxt;	/* the current shard's mapping */
	MemoryContext row_cxt;		/* values of the current row */
	bool		row_cxt_used;	/* row_cxt holds something */
};

/* Raises a reader failure as an error naming the shard. */
static void
shard_read_error(ShardScan *ss, ParquetStatus st, const char *msg)
{
	ereport(ERROR,
			(errcode(parquet_status_errcode(st)),
			 errmsg("could not read spillpool shard \"%s\": %s", ss->path, msg)));
}

/*
 * The scans that have a shard file open, for shard_subxact_callback, and
 * whether that callback is registered.
 */
static ShardScan *open_shard_files = NULL;
static bool shard_subxact_callback_registered = false;

/*
 * Closes the current shard's reader and then its file, if open.  Every
 * path that lets go of a reader comes here, so the file is closed once.
 * Decoded batches do not need either: they own their buffers.
 */
static void
shard_file_close(ShardScan *ss)
{
	ShardScan **pp;

	if (ss->reader != NULL)
		parquet_reader_close(ss->reader);
	ss->reader = NULL;
	ss->meta = NULL;
	if (ss->fd < 0)
		return;
	CloseTransientFile(ss->fd);
	ss->fd = -1;
	for (pp = &open_shard_files; *pp != NULL; pp = &(*pp)->next_open)
	{
		if (*pp == ss)
		{
			*pp = ss->next_open;
			break;
		}
	}
}

/*
 * fd.c closes the transient files of a subtransaction that aborts (in
 * AtEOSubXact_Files, after this callback) and gives them to the parent of
 * one that commits.  A scan can outlive the subtransaction that opened its
 * shard file (a cursor opened before a savepoint and fetched after it), so
 * the reader and file of such a scan are closed here, while fd.c still
 * knows the descriptor, and the same shard is opened again when the scan
 * next reads a row group.  A scan the subtransaction owns is ended by its
 * resource owner right after this.
 */
static void
shard_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	ShardScan  *ss = open_shard_files;

	while (ss != NULL)
	{
		ShardScan  *next = ss->next_open;

		if (ss->fd_subid == mySubid)
		{
			if (event == SUBXACT_EVENT_COMMIT_SUB)
				ss->fd_subid = parentSubid;
			else if (event == SUBXACT_EVENT_ABORT_SUB)
			{
				shard_file_close(ss);
				ss->reopen = true;
			}
		}
		ss = next;
	}
}

/* The largest footer a shard's checksum is computed over. */
#define SHARD_FOOTER_MAX_BYTES (64 * 1024 * 1024)

/*
 * CRC32C of a shard file's footer: its last bytes, the FileMetaData, its
 * 4-byte length and the magic "PAR1".  The flush records it in the
 * manifest and every scan checks it before the footer is parsed, since the
 * footer decides what the pages mean and which row groups a filter skips:
 * a damaged footer could otherwise return other rows without an error.
 * The pages carry CRC-32s of their own, which the reader checks.
 */
pg_crc32c
shard_file_footer_crc(int fd, const char *path)
{
	struct stat st;
	uint8		tail[8];
	uint32		len;
	char	   *footer;
	pg_crc32c	crc;

	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (st.st_size < 12 || pg_pread(fd, tail, 8, st.st_size - 8) != 8)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not read the footer of spillpool shard \"%s\"", path),
				 errdetail("The file has %lld bytes.", (long long) st.st_size)));
	len = (uint32) tail[0] | ((uint32) tail[1] << 8) | ((uint32) tail[2] << 16) |
		((uint32) tail[3] << 24);
	if ((off_t) len > st.st_size - 12 || len > SHARD_FOOTER_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid footer length %u in spillpool shard \"%s\"", len, path),
				 errdetail("The file has %lld bytes.", (long long) st.st_size)));
	footer = palloc(len + 8);
	if (pg_pread(fd, footer, len + 8, st.st_size - 8 - len) != (ssize_t) (len + 8))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read the footer of spillpool shard \"%s\": %m", path)));
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, footer, len + 8);
	FIN_CRC32C(crc);
	pfree(footer);
	return crc;
}

/*
 * Opens the shard at ss->path: the file through fd.c, so that the backend
 * accounts for it and closes it at the end of the transaction at the
 * latest, and the reader on it, which only preads the descriptor.  The
 * scan closes both with shard_file_close, on the error paths too (scans
 * through their resource owner, see scan.c).
 */
static void
shard_file_open(ShardScan *ss)
{
	char		err[PARQUET_ERROR_MESSAGE_SIZE];
	ParquetStatus st;
	ParquetReaderOptions options;

	Assert(ss->reader == NULL && ss->fd < 0);
	if (!shard_subxact_callback_registered)
	{
		RegisterSubXactCallback(shard_subxact_callback, NULL);
		shard_subxact_callback_registered = true;
	}
	ss->reopen = false;
	ss->fd = OpenTransientFile(ss->path, O_RDONLY | PG_BINARY);
	if (ss->fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", ss->path)));
	ss->fd_subid = GetCurrentSubTransactionId();
	ss->next_open = open_shard_files;
	open_shard_files = ss;
	if (ss->has_footer_crc)
	{
		pg_crc32c	crc = shard_file_footer_crc(ss->fd, ss->path);

		if (crc != ss->footer_crc)
		{
			shard_file_close(ss);
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("checksum mismatch in the footer of spillpool shard \"%s\"", ss->path),
					 errdetail("The manifest records CRC32C %08x, the file has %08x.",
							   (unsigned int) ss->footer_crc, (unsigned int) crc)));
		}
	}
	parquet_reader_default_options(&options);
	if (shard_buffer_pool == NULL)
		shard_buffer_pool = parquet_buffer_pool_create(SHARD_BUFFER_POOL_BYTES);
	options.buffer_pool = shard_buffer_pool;	/* NULL: each reader its own */
	st = parquet_reader_open_fd(ss->fd, &options, &ss->reader, err, sizeof(err));
	if (st != PARQUET_OK)
	{
		ss->reader = NULL;
		shard_file_close(ss);
		shard_read_error(ss, st, err);
	}
	ss->meta = parquet_reader_metadata(ss->reader);
}

/*
 * Starts a scan of the shards of snapshots up to snapshot_id, returning
 * rows of the tuple descriptor desc: the slot's, which during an ALTER
 * TABLE rewrite is the table's old layout.  attrs lists
 * the attribute numbers the caller needs (offset by
 * FirstLowInvalidHeapAttributeNumber, as pull_varattnos makes them); NULL
 * means all.  filters is a List of ShardFilter.
 */
ShardScan *
shard_scan_begin(Relation rel, TupleDesc desc, Oid dbid, Oid relfilenode,
				 uint64 snapshot_id, Bitmapset *attrs, List *filters,
				 ShardScanCounters *counters)
{
	const Manifest *m = manifest_get(dbid, relfilenode, snapshot_id);
	/* the struct outlives the scan's memory: see OpenScan in tableam.c */
	ShardScan  *ss = MemoryContextAllocZero(TopMemoryContext, sizeof(ShardScan));
	ListCell   *lc;
	int			i;

	ss->fd = -1;
	ss->rel = rel;
	ss->desc = desc;
	ss->dbid = dbid;
	ss->relfilenode = relfilenode;
	ss->shards = palloc(sizeof(ManifestShard) * Max(m->nshards, 1));
	for (i = 0; i < m->nshards; i++)
		if (manifest_shard_in_snapshot(&m->shards[i], snapshot_id))
			ss->shards[ss->nshards++] = m->shards[i];
	ss->end_shard = ss->nshards;
	ss->needed = palloc0(sizeof(bool) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
		ss->needed[i] = !TupleDescAttr(desc, i)->attisdropped &&
			(attrs == NULL ||
			 bms_is_member(i + 1 - FirstLowInvalidHeapAttributeNumber, attrs) ||
			 bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs));
	ss->nfilters = list_length(filters);
	ss->filters = palloc(sizeof(ShardFilter) * Max(ss->nfilters, 1));
	ss->filter_cmp = palloc(sizeof(FmgrInfo) * Max(ss->nfilters, 1));
	i = 0;
	foreach(lc, filters)
	{
		ss->filters[i] = *(ShardFilter *) lfirst(lc);
		fmgr_info(ss->filters[i].cmp_proc, &ss->filter_cmp[i]);
		i++;
	}
	ss->counters = counters ? counters : &ss->own_counters;
	ss->utf8 = database_text_is_utf8();
	ss->in = palloc0(sizeof(FmgrInfo) * Max(desc->natts, 1));
	ss->ioparam = palloc0(sizeof(Oid) * Max(desc->natts, 1));
	ss->in_ready = palloc0(sizeof(bool) * Max(desc->natts, 1));
	ss->shard_cxt = AllocSetContextCreate(CurrentMemoryContext, "spillpool shard",
										  ALLOCSET_DEFAULT_SIZES);
	ss->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "spillpool shard row",
										ALLOCSET_DEFAULT_SIZES);
	return ss;
}

/* The input function of an attribute, looked up once. */
static Datum
shard_input(ShardScan *ss, int a, char *text)
{
	Form_pg_attribute att = TupleDescAttr(ss->desc, a);

	if (!ss->in_ready[a])
	{
		Oid			fn;

		getTypeInputInfo(att->atttypid, &fn, &ss->ioparam[a]);
		fmgr_info_cxt(fn, &ss->in[a], GetMemoryChunkContext(ss));
		ss->in_ready[a] = true;
	}
	return InputFunctionCall(&ss->in[a], text, ss->ioparam[a], att->atttypmod);
}

/*
 * Parses "row:text" lines of a spillpool.exceptions (or lower_bounds)
 * entry into *list, *n of them.
 */
static void
shard_parse_exceptions(ShardException **list, int *n, const char *value)
{
	const char *p = value;
	int			cap = 8;

	*list = palloc(sizeof(ShardException) * cap);
	while (*p)
	{
		const char *nl = strchr(p, '\n');
		const char *colon = strchr(p, ':');
		ShardException *e;

		if (nl == NULL)
			nl = p + strlen(p);
		if (colon == NULL || colon > nl)
			break;
		if (*n == cap)
		{
			cap *= 2;
			*list = repalloc(*list, sizeof(ShardException) * cap);
		}
		e = &(*list)[(*n)++];
		e->row = strtoi64(p, NULL, 10);
		e->text = pnstrdup(colon + 1, nl - colon - 1);
		p = *nl ? nl + 1 : nl;
	}
}

/* Reads the shard's metadata and maps its columns to the table's. */
static void
shard_map_columns(ShardScan *ss)
{
	const ParquetFileMeta *meta = ss->meta;
	const char *columns = NULL;
	const char *p;
	int			i;
	int			natts = ss->desc->natts;

	ss->cols = palloc0(sizeof(ShardReadColumn) * Max(meta->num_columns, 1));
	ss->att_col = palloc(sizeof(int) * Max(natts, 1));
	ss->att_batch = palloc(sizeof(int) * Max(natts, 1));
	ss->batch_cols = palloc(sizeof(int) * Max(natts, 1));
	for (i = 0; i < natts; i++)
		ss->att_col[i] = ss->att_batch[i] = -1;
	for (i = 0; i < meta->num_key_values; i++)
		if (strcmp(meta->key_values[i].key, "spillpool.columns") == 0)
			columns = meta->key_values[i].value;
	if (columns == NULL)
		shard_read_error(ss, PARQUET_ERROR_CORRUPT, "the spillpool.columns metadata is missing");

	p = columns;
	for (i = 0; i < meta->num_columns; i++)
	{
		int			attnum,
					kind,
					typmod;
		unsigned int typid;
		int			n;
		ShardReadColumn *c = &ss->cols[i];

		if (sscanf(p, "%d:%d:%u:%d%n", &attnum, &kind, &typid, &typmod, &n) != 4 ||
			attnum < 1 || kind < SK_BOOL || kind > SK_LIST ||
			(kind == SK_LIST) != meta->columns[i].is_list)
			shard_read_error(ss, PARQUET_ERROR_CORRUPT, "the spillpool.columns metadata is malformed");
		p += n;
		if (kind == SK_LIST)
		{
			int			elem_kind;

			if (sscanf(p, ":%d%n", &elem_kind, &n) != 1 ||
				elem_kind < SK_BOOL || elem_kind > SK_TEXTFORM)
				shard_read_error(ss, PARQUET_ERROR_CORRUPT, "the spillpool.columns metadata is malformed");
			p += n;
			c->elem_kind = (ShardKind) elem_kind;
			c->no_skip = true;
		}
		if (*p == ',')
			p++;
		c->attnum = attnum;
		c->kind = (ShardKind) kind;
		c->scale = meta->columns[i].decimal_scale;
		c->by_ref = !(c->kind == SK_BOOL || c->kind == SK_INT2 || c->kind == SK_INT4 ||
					  c->kind == SK_INT8 || c->kind == SK_FLOAT4 || c->kind == SK_FLOAT8 ||
					  c->kind == SK_DATE || c->kind == SK_TIMESTAMP ||
					  c->kind == SK_TIMESTAMPTZ);
		c->physical = meta->columns[i].physical_type;
		if (attnum <= natts && !TupleDescAttr(ss->desc, attnum - 1)->attisdropped)
		{
			Oid			atttypid = TupleDescAttr(ss->desc, attnum - 1)->atttypid;

			/*
			 * Changes ALTER TABLE makes without a rewrite keep the files: a
			 * binary-coercible one (text to varchar), and timestamp to
			 * timestamptz and back under TimeZone UTC (same microseconds).
			 */
			if (atttypid != typid && !IsBinaryCoercible(typid, atttypid) &&
				!((typid == TIMESTAMPOID || typid == TIMESTAMPTZOID) &&
				  (atttypid == TIMESTAMPOID || atttypid == TIMESTAMPTZOID)))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("spillpool shard \"%s\" stores column %d as type %s, but the table's column has type %s",
								ss->path, attnum, format_type_be(typid), format_type_be(atttypid))));
			if (c->kind == SK_LIST)
			{
				c->elem_typmod = TupleDescAttr(ss->desc, attnum - 1)->atttypmod;
				c->elemtype = get_element_type(getBaseType(atttypid));
				if (!OidIsValid(c->elemtype))
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("spillpool shard \"%s\" stores column %d as a list, but the table's column has type %s",
									ss->path, attnum, format_type_be(atttypid))));
				get_typlenbyvalalign(c->elemtype, &c->elmlen, &c->elmbyval, &c->elmalign);
			}
			ss->att_col[attnum - 1] = i;
		}
	}
	for (i = 0; i < meta->num_key_values; i++)
	{
		const ParquetKeyValue *kv = &meta->key_values[i];
		int			col;

		if (kv->value == NULL)
			continue;
		if (sscanf(kv->key, "spillpool.exceptions.%d", &col) == 1 &&
			col >= 0 && col < meta->num_columns)
		{
			shard_parse_exceptions(&ss->cols[col].exceptions, &ss->cols[col].nexceptions,
								   kv->value);
			ss->cols[col].no_skip = true;
		}
		else if (sscanf(kv->key, "spillpool.lower_bounds.%d", &col) == 1 &&
				 col >= 0 && col < meta->num_columns && ss->cols[col].kind == SK_LIST)
			shard_parse_exceptions(&ss->cols[col].lower_bounds, &ss->cols[col].nlower_bounds,
								   kv->value);
		else if (strcmp(kv->key, "spillpool.float_nan") == 0)
		{
			const char *q = kv->value;

			while (*q)
			{
				col = atoi(q);
				if (col >= 0 && col < meta->num_columns)
					ss->cols[col].no_skip = true;
				while (*q && *q != ',')
					q++;
				if (*q == ',')
					q++;
			}
		}
	}
	ss->nbatch_cols = 0;
	for (i = 0; i < natts; i++)
		if (ss->needed[i] && ss->att_col[i] >= 0)
		{
			ss->att_batch[i] = ss->nbatch_cols;
			ss->batch_cols[ss->nbatch_cols++] = ss->att_col[i];
		}
}

/* Opens the next shard; false when there is none. */
static bool
shard_open_next(ShardScan *ss)
{
	MemoryContext old;

	shard_file_close(ss);
	MemoryContextReset(ss->shard_cxt);
	if (ss->cur_shard >= ss->end_shard)
		return false;
	shard_file_path(ss->path, ss->dbid, ss->relfilenode,
					ss->shards[ss->cur_shard].snapshot, ss->shards[ss->cur_shard].n);
	ss->has_footer_crc = ss->shards[ss->cur_shard].has_footer_crc;
	ss->footer_crc = ss->shards[ss->cur_shard].footer_crc;
	ss->cur_shard++;
	shard_file_open(ss);
	old = MemoryContextSwitchTo(ss->shard_cxt);
	shard_map_columns(ss);
	MemoryContextSwitchTo(old);
	ss->rg = 0;
	ss->rg_first_row = 0;
	ss->counters->shards++;
	return true;
}

/* The name of a shard column's attribute, for conversion errors. */
static inline const char *
shard_column_name(const ShardScan *ss, const ShardReadColumn *c)
{
	return NameStr(TupleDescAttr(ss->desc, c->attnum - 1)->attname);
}

/*
 * A shard's DATE (days since 1970) as a date: the largest value is
 * infinity, its negation (and anything below) -infinity, as shard_write.c
 * writes them.  Values and statistics are both read through this.
 */
static Datum
shard_date_datum(const ShardScan *ss, const ShardReadColumn *c, int32 v)
{
	return DateADTGetDatum(parquet_date_to_pg(v, shard_column_name(ss, c)));
}

/* A shard's TIMESTAMP (microseconds since 1970), infinities as for dates. */
static Datum
shard_timestamp_datum(const ShardScan *ss, const ShardReadColumn *c, int64 v)
{
	return TimestampGetDatum(parquet_timestamp_to_pg(v, PQ_UNIT_MICROS,
													 shard_column_name(ss, c)));
}

/*
 * A statistics value (PLAIN bytes) as a datum of the column's type, or
 * false when the column kind is not one filters use.
 */
static bool
shard_stat_datum(ShardScan *ss, const ShardReadColumn *c, ParquetBytes b, Datum *d)
{
	switch (c->kind)
	{
		case SK_INT2:
		case SK_INT4:
		case SK_DATE:
			{
				int32		v;

				if (b.len != 4)
					return false;
				memcpy(&v, b.ptr, 4);
				if (c->kind == SK_INT2)
					*d = Int16GetDatum((int16) v);
				else if (c->kind == SK_INT4)
					*d = Int32GetDatum(v);
				else
					*d = shard_date_datum(ss, c, v);
				return true;
			}
		case SK_INT8:
		case SK_TIMESTAMP:
		case SK_TIMESTAMPTZ:
			{
				int64		v;

				if (b.len != 8)
					return false;
				memcpy(&v, b.ptr, 8);
				if (c->kind == SK_INT8)
					*d = Int64GetDatum(v);
				else
					*d = shard_timestamp_datum(ss, c, v);
				return true;
			}
		case SK_FLOAT4:
			{
				float		v;

				if (b.len != 4)
					return false;
				memcpy(&v, b.ptr, 4);
				*d = Float4GetDatum(v);
				return true;
			}
		case SK_FLOAT8:
			{
				double		v;

				if (b.len != 8)
					return false;
				memcpy(&v, b.ptr, 8);
				*d = Float8GetDatum(v);
				return true;
			}
		case SK_TEXT:
			{
				const char *s = (const char *) b.ptr;
				int			len = b.len;

				if (!ss->utf8)
				{
					s = pg_any_to_server(s, len, PG_UTF8);
					if (s != (const char *) b.ptr)
						len = strlen(s);
				}
				*d = PointerGetDatum(cstring_to_text_with_len(s, len));
				return true;
			}
		default:
			return false;
	}
}

/* True if a filter rules out every row of the current row group. */
static bool
shard_row_group_excluded(ShardScan *ss, const ParquetRowGroup *rg)
{
	int			f;

	for (f = 0; f < ss->nfilters; f++)
	{
		ShardFilter *flt = &ss->filters[f];
		int			col = ss->att_col[flt->attnum - 1];
		const ParquetColumnChunk *chunk;
		const ParquetStatistics *st;
		Datum		min,
					max;
		int32		cmin,
					cmax;
		bool		skip = false;

		if (col < 0 || ss->cols[col].no_skip)
			continue;
		chunk = &rg->columns[col];
		if (!chunk->has_statistics)
			continue;
		st = &chunk->statistics;
		/* only NULLs: no strict operator is true */
		if (st->has_null_count && st->null_count == rg->num_rows)
			return true;
		if (!st->has_min_value || !st->has_max_value ||
			!shard_stat_datum(ss, &ss->cols[col], st->min_value, &min) ||
			!shard_stat_datum(ss, &ss->cols[col], st->max_value, &max))
			continue;
		cmin = DatumGetInt32(FunctionCall2Coll(&ss->filter_cmp[f], flt->collation,
											   min, flt->value));
		cmax = DatumGetInt32(FunctionCall2Coll(&ss->filter_cmp[f], flt->collation,
											   max, flt->value));
		switch (flt->strategy)
		{
			case BTLessStrategyNumber:
				skip = cmin >= 0;
				break;
			case BTLessEqualStrategyNumber:
				skip = cmin > 0;
				break;
			case BTEqualStrategyNumber:
				skip = cmin > 0 || cmax < 0;
				break;
			case BTGreaterEqualStrategyNumber:
				skip = cmax < 0;
				break;
			case BTGreaterStrategyNumber:
				skip = cmax <= 0;
				break;
		}
		if (skip)
			return true;
	}
	return false;
}

/*
 * Decodes the columns of the row group the scan is at, if not done yet.
 * A scan that read a row group's footer statistics alone never decodes it.
 */
static void
shard_batch_decode(ShardScan *ss)
{
	char		err[PARQUET_ERROR_MESSAGE_SIZE];
	ParquetStatus st;
	int64		rows = ss->batch.num_rows;

	if (ss->batch_decoded)
		return;
	if (ss->reopen)
		shard_file_open(ss);	/* see shard_subxact_callback */
	st = parquet_read_row_group(ss->reader, ss->batch.row_group, ss->batch_cols,
								ss->nbatch_cols, &ss->batch, err, sizeof(err));
	if (st != PARQUET_OK)
	{
		parquet_row_group_batch_free(&ss->batch);
		ss->batch_valid = false;
		shard_read_error(ss, st, err);
	}
	Assert(ss->batch.num_rows == rows);
	(void) rows;
	ss->batch_decoded = true;
}

/*
 * Moves to the next row group that the filters do not rule out, and
 * decodes it unless "lazily" (then shard_batch_decode does when a column
 * is first read).
 */
static bool
shard_next_batch(ShardScan *ss, bool lazily)
{
	if (ss->batch_valid)
	{
		/* its buffers serve the next row group */
		parquet_row_group_batch_recycle(ss->reader, &ss->batch);
		ss->batch_valid = false;
	}
	for (;;)
	{
		const ParquetRowGroup *rg;

		if (ss->reopen)
			shard_file_open(ss);	/* see shard_subxact_callback */
		if (ss->reader == NULL || ss->rg >= ss->meta->num_row_groups)
		{
			if (!shard_open_next(ss))
				return false;
			continue;
		}
		rg = &ss->meta->row_groups[ss->rg];
		if (ss->rg > 0)
			ss->rg_first_row += ss->meta->row_groups[ss->rg - 1].num_rows;
		ss->rg++;
		ss->counters->row_groups++;
		if (ss->nfilters > 0 && shard_row_group_excluded(ss, rg))
		{
			ss->counters->row_groups_skipped++;
			continue;
		}
		if (ss->claim != NULL && !ss->claim(ss->claim_arg))
		{
			ss->counters->row_groups--; /* another participant's */
			continue;
		}
		CHECK_FOR_INTERRUPTS();
		memset(&ss->batch, 0, sizeof(ss->batch));
		ss->batch.row_group = ss->rg - 1;
		ss->batch.num_rows = rg->num_rows;
		/* no column needed (count(*)): rows only */
		ss->batch_decoded = ss->nbatch_cols == 0;
		ss->batch_valid = true;
		ss->row = 0;
		if (ss->batch.num_rows > 0)
		{
			if (!lazily)
				shard_batch_decode(ss);
			return true;
		}
	}
}

/* The text of this row in a list of "row:text" lines (ascending), or NULL. */
static char *
shard_row_text(const ShardException *list, int n, int64 row)
{
	int			lo = 0,
				hi = n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (list[mid].row == row)
			return list[mid].text;
		if (list[mid].row < row)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

/* The text form of an exception value of this row, or NULL. */
static char *
shard_exception_text(ShardReadColumn *c, int64 row)
{
	return shard_row_text(c->exceptions, c->nexceptions, row);
}

/*
 * A decoded value of a fixed-size kind as a datum of the column's type:
 * dates and timestamps converted from Parquet's epoch, with their
 * infinities (the errors name the column).
 */
static Datum
shard_fixed_datum(ShardKind kind, const ParquetValue *v, const char *name)
{
	switch (kind)
	{
		case SK_BOOL:
			return BoolGetDatum(v->boolean);
		case SK_INT2:
			return Int16GetDatum((int16) v->int32);
		case SK_INT4:
			return Int32GetDatum(v->int32);
		case SK_INT8:
			return Int64GetDatum(v->int64);
		case SK_FLOAT4:
			return Float4GetDatum(v->float4);
		case SK_FLOAT8:
			return Float8GetDatum(v->float8);
		case SK_DATE:
			return DateADTGetDatum(parquet_date_to_pg(v->int32, name));
		case SK_TIMESTAMP:
		case SK_TIMESTAMPTZ:
			return TimestampGetDatum(parquet_timestamp_to_pg(v->int64, PQ_UNIT_MICROS, name));
		default:
			break;
	}
	elog(ERROR, "unexpected spillpool shard column kind %d", (int) kind);
	return (Datum) 0;
}

/*
 * One decoded Parquet value of kind "kind" as a datum: of attribute a, or
 * an element of the LIST column c (whose scale and physical type are the
 * element's; text forms go through the element type's input function).
 */
static Datum
shard_value_datum(ShardScan *ss, ShardReadColumn *c, ShardKind kind, int a,
				  const ParquetValue *v)
{
	if (shard_kind_is_fixed(kind))
		return shard_fixed_datum(kind, v, shard_column_name(ss, c));
	switch (kind)
	{
		case SK_UUID:
			{
				pg_uuid_t  *u = palloc(sizeof(pg_uuid_t));

				if (v->bytes.len != UUID_LEN)
					shard_read_error(ss, PARQUET_ERROR_CORRUPT, "a uuid value is not 16 bytes");
				memcpy(u->data, v->bytes.ptr, UUID_LEN);
				return UUIDPGetDatum(u);
			}
		case SK_BYTEA:
			{
				bytea	   *b = palloc(VARHDRSZ + v->bytes.len);

				SET_VARSIZE(b, VARHDRSZ + v->bytes.len);
				memcpy(VARDATA(b), v->bytes.ptr, v->bytes.len);
				return PointerGetDatum(b);
			}
		case SK_TEXT:
		case SK_JSON:
		case SK_JSONB:
		case SK_TEXTFORM:
			{
				const char *s = (const char *) v->bytes.ptr;
				int			len = v->bytes.len;

				if (!ss->utf8)
				{
					s = pg_any_to_server(s, len, PG_UTF8);
					if (s != (const char *) v->bytes.ptr)
						len = strlen(s);
				}
				if (kind == SK_TEXT || kind == SK_JSON)
					return PointerGetDatum(cstring_to_text_with_len(s, len));
				if (c->kind == SK_LIST)
				{
					if (!c->elem_in_ready)
					{
						Oid			fn;

						getTypeInputInfo(c->elemtype, &fn, &c->elem_ioparam);
						fmgr_info_cxt(fn, &c->elem_in, ss->shard_cxt);
						c->elem_in_ready = true;
					}
					return InputFunctionCall(&c->elem_in, pnstrdup(s, len), c->elem_ioparam,
											 c->elem_typmod);
				}
				return shard_input(ss, a, pnstrdup(s, len));
			}
		case SK_NUMERIC:
			{
				int128		u;

				if (c->physical == PQ_INT32)
					u = v->int32;
				else if (c->physical == PQ_INT64)
					u = v->int64;
				else
					u = parquet_be_bytes_to_int128(v->bytes.ptr, v->bytes.len, ss->path);
				return parquet_decimal_to_numeric(u, c->scale);
			}
		default:
			break;
	}
	elog(ERROR, "unexpected spillpool shard column kind %d", (int) kind);
	return (Datum) 0;
}

/*
 * Row "row" of the current batch of LIST column c (batch column cv) as an
 * array of attribute a: its elements, one dimension with the lower bound
 * the shard recorded for the row (1 if none), or an empty array.
 */
static Datum
shard_list_datum(ShardScan *ss, ShardReadColumn *c, int a, const ParquetColumnValues *cv,
				 int64 row)
{
	int64		first = cv->list_offsets[row];
	int			n = (int) (cv->list_offsets[row + 1] - first);
	Datum	   *elems;
	bool	   *nulls;
	int			dims[1];
	int			lbs[1];
	char	   *lb;
	int			k;

	if (n == 0)
		return PointerGetDatum(construct_empty_array(c->elemtype));
	elems = palloc(sizeof(Datum) * n);
	nulls = palloc(sizeof(bool) * n);
	for (k = 0; k < n; k++)
	{
		nulls[k] = cv->element_is_null[first + k];
		elems[k] = nulls[k] ? (Datum) 0 :
			shard_value_datum(ss, c, c->elem_kind, a, &cv->elements[first + k]);
	}
	dims[0] = n;
	lb = shard_row_text(c->lower_bounds, c->nlower_bounds, ss->rg_first_row + row);
	lbs[0] = lb != NULL ? pg_strtoint32(lb) : 1;
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, c->elemtype,
											  c->elmlen, c->elmbyval, c->elmalign));
}

/*
 * Stores row "row" of the current batch into slot as a virtual tuple
 * (columns the scan does not need are NULL).  By-reference values are
 * allocated in the scan's row context, which the next row resets.
 */
static void
shard_fill_row(ShardScan *ss, int64 row, TupleTableSlot *slot)
{
	int			natts = ss->desc->natts;
	MemoryContext old;
	int			a;

	/* only rows with by-reference values allocate anything */
	if (ss->row_cxt_used)
	{
		MemoryContextReset(ss->row_cxt);
		ss->row_cxt_used = false;
	}
	old = MemoryContextSwitchTo(ss->row_cxt);
	ExecClearTuple(slot);
	for (a = 0; a < natts; a++)
	{
		int			bi = ss->att_batch[a];

		slot->tts_values[a] = (Datum) 0;
		slot->tts_isnull[a] = true;
		if (!ss->needed[a])
			continue;
		if (bi >= 0)
		{
			ParquetColumnValues *cv = &ss->batch.columns[bi];
			ShardReadColumn *c = &ss->cols[ss->att_col[a]];

			if (!cv->is_null[row] && c->kind == SK_LIST)
			{
				slot->tts_values[a] = shard_list_datum(ss, c, a, cv, row);
				slot->tts_isnull[a] = false;
				ss->row_cxt_used = true;
			}
			else if (!cv->is_null[row])
			{
				slot->tts_values[a] = shard_value_datum(ss, c, c->kind, a, &cv->values[row]);
				slot->tts_isnull[a] = false;
				if (c->by_ref)
					ss->row_cxt_used = true;
			}
			else if (c->nexceptions > 0)
			{
				char	   *text = shard_exception_text(c, ss->rg_first_row + row);

				ss->row_cxt_used = true;
				if (text != NULL)
				{
					slot->tts_values[a] = shard_input(ss, a, pstrdup(text));
					slot->tts_isnull[a] = false;
				}
			}
		}
		else if (ss->att_col[a] < 0)
		{
			/* added after this shard was written: the column's default */
			slot->tts_values[a] = getmissingattr(ss->desc, a + 1, &slot->tts_isnull[a]);
			ss->row_cxt_used = true;
		}
	}
	MemoryContextSwitchTo(old);
	ExecStoreVirtualTuple(slot);
}

/*
 * Stores the next shard row into slot as a virtual tuple (columns the scan
 * does not need are NULL).  Returns false after the last shard.
 */
bool
shard_scan_next(ShardScan *ss, TupleTableSlot *slot)
{
	if (!ss->batch_valid || ss->row >= ss->batch.num_rows)
	{
		if (!shard_next_batch(ss, false))
			return false;
	}
	shard_fill_row(ss, ss->row, slot);
	ss->row++;
	ss->counters->rows++;
	return true;
}

/*
 * Opens shard number "shard" (as for shard_scan_seek) unless it is the one
 * open, without reading a row group, and ends the scan after it.  False if
 * it cannot be opened.
 */
static bool
shard_scan_open_shard(ShardScan *ss, int shard)
{
	Assert(shard >= 0 && shard < ss->nshards);
	ss->end_shard = shard + 1;
	if (ss->reader != NULL && !ss->reopen && ss->cur_shard == shard + 1)
		return true;
	if (ss->batch_valid)
	{
		parquet_row_group_batch_free(&ss->batch);
		ss->batch_valid = false;
	}
	ss->cur_shard = shard;
	return shard_open_next(ss);
}

/*
 * Makes the next row shard_scan_next returns row "row" of shard number
 * "shard" (an index into the shards of the scan's snapshot, in manifest
 * order), and ends the scan after that shard.  Row groups before the row
 * are not decoded.  For readers by position (tail.c).
 */
void
shard_scan_seek(ShardScan *ss, int shard, int64 row)
{
	int64		first = 0;
	int			rg;

	if (ss->batch_valid)
	{
		parquet_row_group_batch_recycle(ss->reader, &ss->batch);
		ss->batch_valid = false;
	}
	if (!shard_scan_open_shard(ss, shard))
		return;
	for (rg = 0; rg < ss->meta->num_row_groups; rg++)
	{
		if (row < first + ss->meta->row_groups[rg].num_rows)
			break;
		first += ss->meta->row_groups[rg].num_rows;
	}
	if (rg >= ss->meta->num_row_groups)
	{
		/* past the end: nothing more to read */
		ss->rg = ss->meta->num_row_groups;
		return;
	}
	/* shard_next_batch adds the rows of the row group before rg */
	ss->rg = rg;
	ss->rg_first_row = rg > 0 ? first - ss->meta->row_groups[rg - 1].num_rows : 0;
	if (!shard_next_batch(ss, false))
		return;
	ss->row = row - ss->rg_first_row;
}

/*
 * The rows of the row group being read that shard_scan_next has not
 * returned yet (0 if none is decoded).
 */
int64
shard_scan_batch_rows_left(ShardScan *ss)
{
	if (!ss->batch_valid || !ss->batch_decoded)
		return 0;
	return ss->batch.num_rows - ss->row;
}

/*
 * The positions of the rows of shard number "shard" (as for
 * shard_scan_seek), which it opens: as runs of consecutive positions, in
 * row order, firsts[i] and counts[i] (palloc'd in the current context).
 * Returns the number of runs.  A shard written before positions existed
 * holds one run, numbered by the manifest.  A list that does not match the
 * shard's rows is corruption.
 */
int
shard_scan_position_runs(ShardScan *ss, int shard, uint64 **firsts, int64 **counts)
{
	const ManifestShard *sh = &ss->shards[shard];
	const char *value = NULL;
	int			n = 0,
				cap;
	int64		total = 0;
	const char *p;
	int			i;

	if (sh->pos_legacy)
	{
		*firsts = palloc(sizeof(uint64));
		*counts = palloc(sizeof(int64));
		(*firsts)[0] = sh->pos_min;
		(*counts)[0] = sh->rows;
		return 1;
	}
	if (!shard_scan_open_shard(ss, shard) || ss->meta == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not read spillpool shard \"%s\"", ss->path)));
	for (i = 0; i < ss->meta->num_key_values; i++)
		if (strcmp(ss->meta->key_values[i].key, "spillpool.positions") == 0)
			value = ss->meta->key_values[i].value;
	cap = 4;
	*firsts = palloc(sizeof(uint64) * cap);
	*counts = palloc(sizeof(int64) * cap);
	for (p = value; p != NULL && *p != '\0';)
	{
		unsigned long long first,
					count;
		int			used;

		if (sscanf(p, "%llu:%llu%n", &first, &count, &used) != 2 || first == 0 || count == 0)
			break;
		if (n == cap)
		{
			cap *= 2;
			*firsts = repalloc(*firsts, sizeof(uint64) * cap);
			*counts = repalloc(*counts, sizeof(int64) * cap);
		}
		(*firsts)[n] = first;
		(*counts)[n] = (int64) count;
		total += (int64) count;
		n++;
		p += used;
		if (*p == ',')
			p++;
		else if (*p != '\0')
			break;
	}
	if (value == NULL || (p != NULL && *p != '\0') || total != sh->rows)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid row positions in spillpool shard \"%s\"", ss->path),
				 errdetail("The shard has " INT64_FORMAT " rows, its positions list " INT64_FORMAT ".",
						   sh->rows, total)));
	return n;
}

/*
 * Moves a scan read batch by batch to its next row group (one the filters
 * do not rule out); false after the last shard.  The rows of the batch are
 * read with shard_scan_batch_column or shard_scan_batch_row, and count as
 * returned.
 */
bool
shard_scan_next_batch(ShardScan *ss)
{
	if (!shard_next_batch(ss, true))
		return false;
	ss->row = ss->batch.num_rows;
	ss->counters->rows += ss->batch.num_rows;
	return true;
}

/*
 * A parallel scan: before reading a row group that the filters do not rule
 * out, the scan calls claim(arg), and skips the row group when it returns
 * false (another participant reads it).  Every participant must come to
 * the row groups in the same order, which the shards' order gives.
 */
void
shard_scan_set_claim(ShardScan *ss, bool (*claim) (void *arg), void *arg)
{
	ss->claim = claim;
	ss->claim_arg = arg;
}

/* Rows of the current batch. */
int64
shard_scan_batch_rows(ShardScan *ss)
{
	return ss->batch.num_rows;
}

/*
 * Column attnum of the current batch as arrays; see ShardColumnArray for
 * when they are "plain".  A column the scan does not decode is not.
 */
void
shard_scan_batch_column(ShardScan *ss, AttrNumber attnum, ShardColumnArray *out)
{
	int			a = attnum - 1;
	int			bi = ss->att_batch[a];
	ShardReadColumn *c;
	ParquetColumnValues *cv;

	memset(out, 0, sizeof(*out));
	out->name = NameStr(TupleDescAttr(ss->desc, a)->attname);
	if (bi < 0 || ss->att_col[a] < 0 || !ss->needed[a])
		return;
	shard_batch_decode(ss);
	c = &ss->cols[ss->att_col[a]];
	cv = &ss->batch.columns[bi];
	out->kind = c->kind;
	out->values = cv->values;
	out->is_null = cv->is_null;
	out->dict_index = cv->dict_index;
	out->dict = cv->dict;
	out->dict_count = cv->dict_count;
	out->physical = c->physical;
	out->scale = c->scale;
	if (shard_kind_is_fixed(c->kind) || c->kind == SK_NUMERIC)
		out->plain = c->nexceptions == 0;
	else if (c->kind == SK_TEXT)
		out->plain = c->nexceptions == 0 && ss->utf8;
}

/* Row "row" of the current batch into slot, as shard_scan_next does. */
void
shard_scan_batch_row(ShardScan *ss, int64 row, TupleTableSlot *slot)
{
	shard_batch_decode(ss);
	shard_fill_row(ss, row, slot);
}

/*
 * The footer statistics of column attnum for the row group a batch read
 * is at, as datums of the column's type: how many values are not NULL,
 * and when there are any, the least and the greatest.  False unless they
 * are exact: the column is in this shard, of an integer, date or timestamp
 * kind (float statistics leave NaN out), with no exception values, and the
 * row group has a null count and, unless every value is NULL, both bounds.
 */
bool
shard_scan_batch_stats(ShardScan *ss, AttrNumber attnum, Datum *min, Datum *max,
					   int64 *nonnull)
{
	int			col = ss->att_col[attnum - 1];
	const ParquetRowGroup *rg;
	const ParquetColumnChunk *chunk;
	const ParquetStatistics *st;
	ShardReadColumn *c;

	if (col < 0 || !ss->batch_valid)
		return false;
	if (ss->reopen)
		shard_file_open(ss);	/* see shard_subxact_callback */
	c = &ss->cols[col];
	switch (c->kind)
	{
		case SK_INT2:
		case SK_INT4:
		case SK_INT8:
		case SK_DATE:
		case SK_TIMESTAMP:
		case SK_TIMESTAMPTZ:
			break;
		default:
			return false;
	}
	if (c->no_skip || c->nexceptions > 0)
		return false;
	rg = &ss->meta->row_groups[ss->batch.row_group];
	chunk = &rg->columns[col];
	st = &chunk->statistics;
	if (!chunk->has_statistics || !st->has_null_count ||
		st->null_count < 0 || st->null_count > rg->num_rows)
		return false;
	*nonnull = rg->num_rows - st->null_count;
	if (*nonnull == 0)
		return true;
	return st->has_min_value && st->has_max_value &&
		shard_stat_datum(ss, c, st->min_value, min) &&
		shard_stat_datum(ss, c, st->max_value, max);
}

/*
 * The value of row r of a plain column array of a fixed-size kind, as a
 * datum of the column's type (see shard_fixed_datum).
 */
Datum
shard_array_datum(const ShardColumnArray *c, int64 r)
{
	return shard_fixed_datum(c->kind, &c->values[r], c->name);
}

/*
 * Releases the reader and the decoded row group (malloc'd) and the scan
 * struct.  Touches nothing in the scan's memory contexts, which may be gone
 * already when an error ended the scan.
 */
void
shard_scan_end(ShardScan *ss)
{
	if (ss == NULL)
		return;
	if (ss->batch_valid)
		parquet_row_group_batch_free(&ss->batch);
	ss->batch_valid = false;
	shard_file_close(ss);
	pfree(ss);
}

/*
 * Per-attribute bounds of a shard, aggregated over its row groups from the
 * footer statistics: for each attribute of desc (index attnum - 1), whether
 * the shard has the column, its min and max as datums and as the Parquet
 * statistics bytes they came from, and its null count.  A column whose
 * statistics leave values out (text forms, exceptions, ...) has no bounds.
 * For spillpool.shards, retention and the Iceberg manifests.  The result and
 * its datums are allocated in the current memory context.
 */
ShardColumnBounds *
shard_column_bounds(const char *path, TupleDesc desc)
{
	ShardScan  *ss = palloc0(sizeof(ShardScan));
	ShardColumnBounds *bounds = palloc0(sizeof(ShardColumnBounds) * Max(desc->natts, 1));
	int			i;

	ss->fd = -1;
	ss->desc = desc;
	ss->needed = palloc0(sizeof(bool) * Max(desc->natts, 1));
	ss->utf8 = database_text_is_utf8();
	strlcpy(ss->path, path, MAXPGPATH);
	shard_file_open(ss);
	PG_TRY();
	{
		shard_map_columns(ss);
		for (i = 0; i < ss->meta->num_columns; i++)
		{
			ShardReadColumn *c = &ss->cols[i];
			ShardColumnBounds *b;
			Form_pg_attribute att;
			TypeCacheEntry *tce;
			int			rg;

			if (c->attnum > desc->natts || ss->att_col[c->attnum - 1] != i)
				continue;
			b = &bounds[c->attnum - 1];
			if (c->kind == SK_LIST)
			{
				/* no bounds and no null count: element statistics are not the list's */
				b->present = true;
				b->kind = SK_LIST;
				continue;
			}
			att = TupleDescAttr(desc, c->attnum - 1);
			tce = lookup_type_cache(att->atttypid, TYPECACHE_CMP_PROC_FINFO);
			b->present = true;
			b->kind = c->kind;
			b->nulls_known = true;
			for (rg = 0; rg < ss->meta->num_row_groups; rg++)
			{
				const ParquetColumnChunk *chunk = &ss->meta->row_groups[rg].columns[i];
				const ParquetStatistics *stats = &chunk->statistics;
				Datum		lo,
							hi;

				if (!chunk->has_statistics || !stats->has_null_count)
					b->nulls_known = false;
				else
					b->nulls += stats->null_count;
				if (!chunk->has_statistics || !stats->has_min_value || !stats->has_max_value ||
					c->no_skip || !OidIsValid(tce->cmp_proc) ||
					!shard_stat_datum(ss, c, stats->min_value, &lo) ||
					!shard_stat_datum(ss, c, stats->max_value, &hi))
				{
					/* a row group with values but no bounds: no bounds at all */
					if (!chunk->has_statistics || !stats->has_null_count ||
						stats->null_count < ss->meta->row_groups[rg].num_rows)
						b->no_bounds = true;
					continue;
				}
				if (!b->has_bounds ||
					DatumGetInt32(FunctionCall2Coll(&tce->cmp_proc_finfo, C_COLLATION_OID, lo, b->min)) < 0)
				{
					b->min = lo;
					b->min_raw = palloc(Max(stats->min_value.len, 1));
					memcpy(b->min_raw, stats->min_value.ptr, stats->min_value.len);
					b->min_raw_len = stats->min_value.len;
				}
				if (!b->has_bounds ||
					DatumGetInt32(FunctionCall2Coll(&tce->cmp_proc_finfo, C_COLLATION_OID, hi, b->max)) > 0)
				{
					b->max = hi;
					b->max_raw = palloc(Max(stats->max_value.len, 1));
					memcpy(b->max_raw, stats->max_value.ptr, stats->max_value.len);
					b->max_raw_len = stats->max_value.len;
				}
				b->has_bounds = true;
			}
			if (b->no_bounds)
				b->has_bounds = false;
		}
	}
	PG_CATCH();
	{
		shard_file_close(ss);
		PG_RE_THROW();
	}
	PG_END_TRY();
	shard_file_close(ss);
	return bounds;
}

/*
 * Per-column min, max and null count of a shard as a JSON object text:
 * {"col": {"min": "...", "max": "...", "nulls": n}, ...}.  Columns whose
 * kind has no usable statistics (text forms, decimals, ...) are left out;
 * so are the bounds of a column whose statistics leave values out.
 */
char *
shard_column_minmax(const char *path, TupleDesc desc)
{
	ShardColumnBounds *bounds = shard_column_bounds(path, desc);
	StringInfoData out;
	int			i;

	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	for (i = 0; i < desc->natts; i++)
	{
		ShardColumnBounds *b = &bounds[i];
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!b->present || (!b->has_bounds && !b->nulls_known))
			continue;
		if (out.len > 1)
			appendStringInfoString(&out, ", ");
		escape_json(&out, NameStr(att->attname));
		appendStringInfoString(&out, ": {");
		if (b->has_bounds)
		{
			Oid			outfn;
			bool		isvarlena;

			getTypeOutputInfo(att->atttypid, &outfn, &isvarlena);
			appendStringInfoString(&out, "\"min\": ");
			escape_json(&out, OidOutputFunctionCall(outfn, b->min));
			appendStringInfoString(&out, ", \"max\": ");
			escape_json(&out, OidOutputFunctionCall(outfn, b->max));
			if (b->nulls_known)
				appendStringInfoString(&out, ", ");
		}
		if (b->nulls_known)
			appendStringInfo(&out, "\"nulls\": " INT64_FORMAT, b->nulls);
		appendStringInfoChar(&out, '}');
	}
	appendStringInfoChar(&out, '}');
	return out.data;
}
