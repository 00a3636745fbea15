/*-------------------------------------------------------------------------
 *
 * manifest.c
 *	  The manifest of a table: which snapshots and Parquet shards exist, and
 *	  up to which segment position the rows have been flushed.
 *
 * The manifest is the commit point of a flush.  It lives at
 * $PGDATA/spillpool/<db>/<relfilenode>/manifest as a small text file:
 *
 *		spillpool manifest 1
 *		flush <segment number> <offset>
 *		snapshot <id> <commit time, us since 2000> <rows> <shards> <operation>
 *			<shards removed> <rows removed>
 *		shard <snapshot> <n> <rows> <bytes> <codec> <row groups>
 *			<footer CRC, hex> <first position> <last position>
 *		...
 *		removed <snapshot> <n> <snapshot that replaced the shard>
 *		legacy <position of the first unflushed row of a version 1 block>
 *		expired <oldest snapshot kept> <last snapshot before it not an append>
 *		iceberg <generation> <metadata version> <location CRC, hex>
 *		crc <CRC32C of every byte before this line, hex>
 *
 * It is replaced whole: written to manifest.tmp, fsynced, and renamed over
 * the old one with durable_rename.  A crash leaves either the old or the
 * new manifest; shard files it does not list are leftovers of an
 * interrupted flush or compaction, or files of expired snapshots, and are
 * removed when the table is loaded.
 *
 * A shard written before positions existed (0.3) has none in its file: its
 * line ends with the word "legacy" after the positions its rows were
 * numbered with (0.4 numbered them at every read, by their place in the
 * list, and wrote them without positions), so that expiry can take shards
 * out of the list without renumbering the others.
 *
 * Scans read the manifest through a small per-backend cache keyed by the
 * table and its current snapshot id.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "port/pg_crc32c.h"
#include "storage/fd.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "spillpool.h"
#include "tier/manifest.h"
#include "iceberg/iceberg.h"
#include "tier/compress.h"
#include "tier/fault.h"
#include "tier/memtable.h"
#include "tier/storage.h"

#define MANIFEST_HEADER "spillpool manifest 1\n"

/* One cached manifest per table this backend has scanned. */
typedef struct ManifestCacheEntry
{
	SpillTableKey key;
	Manifest   *manifest;		/* in CacheMemoryContext */
	ino_t		ino;			/* the file it was read from */
	off_t		size;
} ManifestCacheEntry;

static HTAB *manifest_cache = NULL;

static void manifest_write_file(Oid dbid, Oid relfilenode, const Manifest *m,
								bool fault_points);
static void manifest_number_legacy_shards(Manifest *m);
static int	manifest_shard_index_cmp(const void *a, const void *b, void *arg);
static int	manifest_shard_of_line(Manifest *m, int **index, int *index_len,
								   uint64 snap, int n);
static int	manifest_shard_index_find(const ManifestShard *shards, const int *index,
									  int len, uint64 snapshot, int n);

/* $PGDATA-relative path of a table's manifest (or of its temporary copy). */
static void
manifest_path(char *path, Oid dbid, Oid relfilenode, bool temp)
{
	snprintf(path, MAXPGPATH, "spillpool/%u/%u/manifest%s", dbid, relfilenode,
			 temp ? ".tmp" : "");
}

/* $PGDATA-relative path of a table's shard directory. */
void
shard_dir_path(char *path, Oid dbid, Oid relfilenode)
{
	snprintf(path, MAXPGPATH, "spillpool/%u/%u/shards", dbid, relfilenode);
}

/* $PGDATA-relative path of shard n of a snapshot. */
void
shard_file_path(char *path, Oid dbid, Oid relfilenode, uint64 snapshot, int n)
{
	snprintf(path, MAXPGPATH, "spillpool/%u/%u/shards/" UINT64_FORMAT "-%d.parquet",
			 dbid, relfilenode, snapshot, n);
}

/* $PGDATA-relative path of the HNSW index of shard n of a snapshot. */
void
shard_index_path(char *path, Oid dbid, Oid relfilenode, uint64 snapshot, int n)
{
	snprintf(path, MAXPGPATH, "spillpool/%u/%u/shards/" UINT64_FORMAT "-%d.hnsw",
			 dbid, relfilenode, snapshot, n);
}

/* An empty manifest: no snapshot, nothing flushed. */
static void
manifest_init(Manifest *m)
{
	memset(m, 0, sizeof(Manifest));
}

/*
 * The error for a manifest that does not parse; detail is a whole sentence
 * that may name the line number.
 */
static void
manifest_corrupt(const char *path, int line, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("spillpool manifest \"%s\" is corrupt", path),
			 errdetail(detail, line)));
}

/*
 * A table without a manifest has never been flushed, and holds no shard
 * file: every flush writes the manifest (empty at the first) before its
 * first shard (manifest_ensure).  Shard files without a manifest mean the
 * manifest was lost; that is corruption, not an interrupted flush, and the
 * files are left where they are.
 */
static void
manifest_check_no_shards(Oid dbid, Oid relfilenode, const char *path)
{
	char		dir[MAXPGPATH];
	DIR		   *d;
	struct dirent *de;
	int			shards = 0;
	char		first[MAXPGPATH] = "";

	shard_dir_path(dir, dbid, relfilenode);
	d = AllocateDir(dir);
	while (d && (de = ReadDirExtended(d, dir, LOG)) != NULL)
	{
		size_t		len = strlen(de->d_name);

		if (len > 8 && strcmp(de->d_name + len - 8, ".parquet") == 0)
		{
			if (shards++ == 0)
				strlcpy(first, de->d_name, sizeof(first));
		}
	}
	if (d)
		FreeDir(d);
	/* a first flush may have written its manifest and shard meanwhile */
	if (shards > 0 && access(path, F_OK) == 0)
		return;
	if (shards > 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("spillpool manifest \"%s\" is missing", path),
				 errdetail_plural("The shard directory \"%s\" holds %d Parquet file (\"%s\") that only the manifest can list.",
								  "The shard directory \"%s\" holds %d Parquet files (such as \"%s\") that only the manifest can list.",
								  shards, dir, shards, first),
				 errhint("Restore the manifest from a backup. No file was removed.")));
}

/*
 * Writes an empty manifest for a table that has none, before its first
 * flush writes a shard: from then on, shard files without a manifest are
 * corruption (manifest_check_no_shards).
 */
void
manifest_ensure(Oid dbid, Oid relfilenode)
{
	char		path[MAXPGPATH];
	struct stat st;
	Manifest	m;

	manifest_path(path, dbid, relfilenode, false);
	if (stat(path, &st) == 0)
		return;
	if (errno != ENOENT)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	manifest_check_no_shards(dbid, relfilenode, path);
	manifest_init(&m);
	manifest_write_file(dbid, relfilenode, &m, false);
}

/*
 * Reads a table's manifest into m (allocated in the current context).
 * Returns false, with m empty, when the table has none (never flushed).
 */
bool
manifest_read(Oid dbid, Oid relfilenode, Manifest *m)
{
	char		path[MAXPGPATH];
	int			fd;
	struct stat st;
	char	   *buf;
	char	   *line;
	char	   *next;
	int			lineno = 0;
	int			snap_cap = 8,
				shard_cap = 8;
	int		   *index = NULL;	/* shards by (snapshot, n), for removed lines */
	int			index_len = -1;

	manifest_init(m);
	manifest_path(path, dbid, relfilenode, false);
	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
	{
		if (errno == ENOENT)
		{
			manifest_check_no_shards(dbid, relfilenode, path);
			return false;
		}
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	}
	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	buf = palloc(st.st_size + 1);
	if (read(fd, buf, st.st_size) != st.st_size)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	CloseTransientFile(fd);
	buf[st.st_size] = '\0';

	if (strncmp(buf, MANIFEST_HEADER, strlen(MANIFEST_HEADER)) != 0)
		manifest_corrupt(path, 1, gettext_noop("The header line is missing."));

	/* the last line holds the CRC of everything before it */
	{
		char	   *crc_line = NULL;
		char	   *p;
		unsigned int crc;
		pg_crc32c	want;

		for (p = strstr(buf, "\ncrc "); p != NULL; p = strstr(p + 1, "\ncrc "))
			crc_line = p + 1;
		if (crc_line == NULL)
			manifest_corrupt(path, 0, gettext_noop("The checksum line is missing."));
		if (sscanf(crc_line, "crc %x", &crc) != 1 ||
			strchr(crc_line, '\n') != buf + st.st_size - 1)
			manifest_corrupt(path, 0, gettext_noop("The checksum line is malformed or not the last line."));
		INIT_CRC32C(want);
		COMP_CRC32C(want, buf, crc_line - buf);
		FIN_CRC32C(want);
		if (crc != (unsigned int) want)
			manifest_corrupt(path, 0, gettext_noop("The checksum does not match the contents."));
		*crc_line = '\0';
	}

	m->snapshots = palloc(sizeof(ManifestSnapshot) * snap_cap);
	m->shards = palloc(sizeof(ManifestShard) * shard_cap);
	for (line = buf; *line != '\0'; line = next)
	{
		char	   *nl = strchr(line, '\n');

		lineno++;
		if (nl == NULL)
			manifest_corrupt(path, lineno, gettext_noop("The file ends inside line %d."));
		*nl = '\0';
		next = nl + 1;
		if (lineno == 1)
			continue;
		if (strncmp(line, "flush ", 6) == 0)
		{
			if (sscanf(line, "flush %u " INT64_FORMAT, &m->flush_seg, &m->flush_off) != 2)
				manifest_corrupt(path, lineno, gettext_noop("Line %d is not a valid flush line."));
		}
		else if (strncmp(line, "snapshot ", 9) == 0)
		{
			ManifestSnapshot *s;
			char		op[16];
			int			fields;

			if (m->nsnapshots == snap_cap)
			{
				snap_cap *= 2;
				m->snapshots = repalloc(m->snapshots, sizeof(ManifestSnapshot) * snap_cap);
			}
			s = &m->snapshots[m->nsnapshots++];
			op[0] = '\0';
			/* the operation came with 0.4; older lines are appends */
			s->removed_shards = 0;
			s->removed_rows = 0;
			/* the operation came with 0.4, what it removed with 0.5 */
			fields = sscanf(line, "snapshot " UINT64_FORMAT " " INT64_FORMAT " " INT64_FORMAT " %d %15s %d " INT64_FORMAT,
							&s->id, &s->commit_time, &s->rows, &s->nshards, op,
							&s->removed_shards, &s->removed_rows);
			if (fields != 4 && fields != 5 && fields != 7)
				manifest_corrupt(path, lineno, gettext_noop("Line %d is not a valid snapshot line."));
			if (fields == 4 || strcmp(op, "append") == 0)
				s->op = MANIFEST_APPEND;
			else if (strcmp(op, "replace") == 0)
				s->op = MANIFEST_REPLACE;
			else if (strcmp(op, "delete") == 0)
				s->op = MANIFEST_DELETE;
			else
				manifest_corrupt(path, lineno, gettext_noop("Line %d names an unknown operation."));
		}
		else if (strncmp(line, "shard ", 6) == 0)
		{
			ManifestShard *s;
			int			codec;
			unsigned int footer_crc;
			int			fields;
			char		flag[16];

			if (m->nshards == shard_cap)
			{
				shard_cap *= 2;
				m->shards = repalloc(m->shards, sizeof(ManifestShard) * shard_cap);
			}
			s = &m->shards[m->nshards++];
			memset(s, 0, sizeof(*s));

			/*
			 * The footer's CRC came with 0.3 and positions with 0.4; older
			 * lines have six or seven fields.
			 */
			flag[0] = '\0';
			fields = sscanf(line, "shard " UINT64_FORMAT " %d " INT64_FORMAT " " INT64_FORMAT " %d %d %x " UINT64_FORMAT " " UINT64_FORMAT " %15s",
							&s->snapshot, &s->n, &s->rows, &s->bytes, &codec,
							&s->row_groups, &footer_crc, &s->pos_min, &s->pos_max, flag);
			if (fields != 6 && fields != 7 && fields != 9 && fields != 10)
				manifest_corrupt(path, lineno, gettext_noop("Line %d is not a valid shard line."));
			if (fields >= 9 && (s->pos_min == 0 || s->pos_max < s->pos_min))
				manifest_corrupt(path, lineno, gettext_noop("Line %d has invalid positions."));
			/* a 0.3 shard with frozen numbers, with or without a footer CRC */
			if (fields == 10 && strcmp(flag, "legacy") != 0 && strcmp(flag, "legacy-nocrc") != 0)
				manifest_corrupt(path, lineno, gettext_noop("Line %d ends with an unknown word."));
			s->pos_legacy = (fields == 10);
			s->codec = (SpillCodec) codec;
			s->has_footer_crc = (fields >= 7) && strcmp(flag, "legacy-nocrc") != 0;
			s->footer_crc = s->has_footer_crc ? (pg_crc32c) footer_crc : 0;
		}
		else if (strncmp(line, "removed ", 8) == 0)
		{
			uint64		snap,
						by;
			int			n;
			int			i;

			if (sscanf(line, "removed " UINT64_FORMAT " %d " UINT64_FORMAT, &snap, &n, &by) != 3)
				manifest_corrupt(path, lineno, gettext_noop("Line %d is not a valid removed line."));
			i = manifest_shard_of_line(m, &index, &index_len, snap, n);
			if (i < 0 || by <= snap)
				manifest_corrupt(path, lineno, gettext_noop("Line %d removes a shard the manifest does not list before it."));
			m->shards[i].removed_in = by;
		}
		else if (strncmp(line, "index ", 6) == 0)
		{
			uint64		snap;
			int			n;
			int			i;
			int64		bytes,
						vectors;
			unsigned int crc;

			if (sscanf(line, "index " UINT64_FORMAT " %d " INT64_FORMAT " %x " INT64_FORMAT,
					   &snap, &n, &bytes, &crc, &vectors) != 5 || bytes <= 0 || vectors < 0)
				manifest_corrupt(path, lineno, gettext_noop("Line %d is not a valid index line."));
			i = manifest_shard_of_line(m, &index, &index_len, snap, n);
			if (i < 0)
				manifest_corrupt(path, lineno, gettext_noop("Line %d indexes a shard the manifest does not list before it."));
			m->shards[i].has_index = true;
			m->shards[i].index_bytes = bytes;
			m->shards[i].index_crc = (pg_crc32c) crc;
			m->shards[i].index_vectors = vectors;
		}
		else if (strncmp(line, "expired ", 8) == 0)
		{
			if (sscanf(line, "expired " UINT64_FORMAT " " UINT64_FORMAT,
					   &m->expired_below, &m->expired_base) != 2 ||
				m->expired_below == 0 || m->expired_base > m->expired_below)
				manifest_corrupt(path, lineno, gettext_noop("Line %d is not a valid expired line."));
		}
		else if (strncmp(line, "iceberg ", 8) == 0)
		{
			if (sscanf(line, "iceberg %u %u %x", &m->ice_gen, &m->ice_version,
					   &m->ice_location_crc) != 3)
				manifest_corrupt(path, lineno, gettext_noop("Line %d is not a valid iceberg line."));
		}
		else if (strncmp(line, "legacy ", 7) == 0)
		{
			if (sscanf(line, "legacy " UINT64_FORMAT, &m->legacy_next) != 1 ||
				m->legacy_next == 0)
				manifest_corrupt(path, lineno, gettext_noop("Line %d is not a valid legacy line."));
		}
		else
			manifest_corrupt(path, lineno, gettext_noop("Line %d is of no known kind."));
	}
	manifest_number_legacy_shards(m);
	return true;
}

/*
 * The shard (snapshot, n) that a removed or index line names, or -1.
 * Shard lines come first: they are sorted into *index once, by (snapshot,
 * n), and again only if more shard lines came since.
 */
static int
manifest_shard_of_line(Manifest *m, int **index, int *index_len, uint64 snap, int n)
{
	int			i;

	if (*index_len != m->nshards)
	{
		*index = *index ? repalloc(*index, sizeof(int) * Max(m->nshards, 1)) :
			palloc(sizeof(int) * Max(m->nshards, 1));
		for (i = 0; i < m->nshards; i++)
			(*index)[i] = i;
		qsort_arg(*index, m->nshards, sizeof(int), manifest_shard_index_cmp, m->shards);
		*index_len = m->nshards;
	}
	return manifest_shard_index_find(m->shards, *index, *index_len, snap, n);
}

/* Orders indexes of shards by (snapshot, n); arg is the shard array. */
static int
manifest_shard_index_cmp(const void *a, const void *b, void *arg)
{
	const ManifestShard *shards = (const ManifestShard *) arg;
	const ManifestShard *x = &shards[*(const int *) a];
	const ManifestShard *y = &shards[*(const int *) b];

	if (x->snapshot != y->snapshot)
		return x->snapshot < y->snapshot ? -1 : 1;
	return x->n < y->n ? -1 : (x->n > y->n ? 1 : 0);
}

/* The shard (snapshot, n) through the sorted index, or -1. */
static int
manifest_shard_index_find(const ManifestShard *shards, const int *index, int len,
						  uint64 snapshot, int n)
{
	int			lo = 0,
				hi = len - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		const ManifestShard *sh = &shards[index[mid]];

		if (sh->snapshot == snapshot && sh->n == n)
			return index[mid];
		if (sh->snapshot < snapshot || (sh->snapshot == snapshot && sh->n < n))
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/*
 * Shards written before positions existed (0.3 and older) have none in the
 * manifest: their rows are numbered 1, 2, ... in manifest order, so that
 * they keep the same positions for as long as the shards exist.  They
 * precede every shard written since.  Such a shard's rows are one run.
 */
static void
manifest_number_legacy_shards(Manifest *m)
{
	uint64		next = 1;
	int			i;

	for (i = 0; i < m->nshards; i++)
	{
		ManifestShard *s = &m->shards[i];

		if (s->pos_legacy)
			next = s->pos_max + 1;	/* numbered when last written */
		if (s->pos_min != 0 || s->rows == 0)
			continue;
		s->pos_legacy = true;
		s->pos_min = next;
		s->pos_max = next + s->rows - 1;
		next += s->rows;
	}
}

/*
 * The position after the last row of every shard of a manifest (1 if it
 * has none): nothing in the shards lies at or past it.
 */
uint64
manifest_position_end(const Manifest *m)
{
	uint64		end = 1;
	int			i;

	for (i = 0; i < m->nshards; i++)
		if (m->shards[i].rows > 0 && m->shards[i].pos_max + 1 > end)
			end = m->shards[i].pos_max + 1;
	return end;
}

/*
 * Replaces a table's manifest atomically: write the temporary file, fsync
 * it, durable_rename it over the manifest (which fsyncs the directory).
 * Errors are ERRORs; the old manifest stays in place until the rename.
 */
void
manifest_write(Oid dbid, Oid relfilenode, const Manifest *m)
{
	manifest_write_file(dbid, relfilenode, m, true);
}

/*
 * The body of manifest_write; with fault_points, the flush's fault point
 * "manifest-temp" comes between the temporary file's fsync and its rename
 * (manifest_ensure's empty manifest has none).
 */
static void
manifest_write_file(Oid dbid, Oid relfilenode, const Manifest *m, bool fault_points)
{
	StringInfoData buf;
	char		path[MAXPGPATH];
	char		tmp[MAXPGPATH];
	pg_crc32c	crc;
	int			i;

	initStringInfo(&buf);
	appendStringInfoString(&buf, MANIFEST_HEADER);
	appendStringInfo(&buf, "flush %u " INT64_FORMAT "\n", m->flush_seg, m->flush_off);
	for (i = 0; i < m->nsnapshots; i++)
		appendStringInfo(&buf, "snapshot " UINT64_FORMAT " " INT64_FORMAT " " INT64_FORMAT " %d %s %d " INT64_FORMAT "\n",
						 m->snapshots[i].id, m->snapshots[i].commit_time,
						 m->snapshots[i].rows, m->snapshots[i].nshards,
						 manifest_operation_name(m->snapshots[i].op),
						 m->snapshots[i].removed_shards, m->snapshots[i].removed_rows);
	for (i = 0; i < m->nshards; i++)
	{
		appendStringInfo(&buf, "shard " UINT64_FORMAT " %d " INT64_FORMAT " " INT64_FORMAT " %d %d",
						 m->shards[i].snapshot, m->shards[i].n, m->shards[i].rows,
						 m->shards[i].bytes, (int) m->shards[i].codec,
						 m->shards[i].row_groups);
		/* a 0.3 shard's numbers (pos_legacy) are frozen by writing them */
		appendStringInfo(&buf, " %08x " UINT64_FORMAT " " UINT64_FORMAT,
						 (unsigned int) m->shards[i].footer_crc,
						 m->shards[i].pos_min, m->shards[i].pos_max);
		if (m->shards[i].pos_legacy)
			appendStringInfoString(&buf, m->shards[i].has_footer_crc ?
								   " legacy" : " legacy-nocrc");
		appendStringInfoChar(&buf, '\n');
	}
	for (i = 0; i < m->nshards; i++)
		if (m->shards[i].has_index)
			appendStringInfo(&buf, "index " UINT64_FORMAT " %d " INT64_FORMAT " %08x " INT64_FORMAT "\n",
							 m->shards[i].snapshot, m->shards[i].n, m->shards[i].index_bytes,
							 (unsigned int) m->shards[i].index_crc, m->shards[i].index_vectors);
	for (i = 0; i < m->nshards; i++)
		if (m->shards[i].removed_in != 0)
			appendStringInfo(&buf, "removed " UINT64_FORMAT " %d " UINT64_FORMAT "\n",
							 m->shards[i].snapshot, m->shards[i].n, m->shards[i].removed_in);
	if (m->legacy_next != 0)
		appendStringInfo(&buf, "legacy " UINT64_FORMAT "\n", m->legacy_next);
	if (m->expired_below != 0)
		appendStringInfo(&buf, "expired " UINT64_FORMAT " " UINT64_FORMAT "\n",
						 m->expired_below, m->expired_base);
	if (m->ice_gen != 0)
		appendStringInfo(&buf, "iceberg %u %u %08x\n", m->ice_gen, m->ice_version,
						 m->ice_location_crc);
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, buf.data, buf.len);
	FIN_CRC32C(crc);
	appendStringInfo(&buf, "crc %08x\n", (unsigned int) crc);

	manifest_path(path, dbid, relfilenode, false);
	manifest_path(tmp, dbid, relfilenode, true);
	storage_write_temp_file(tmp, buf.data, buf.len);
	pfree(buf.data);

	if (fault_points)
		spillpool_fault_point("manifest-temp");
	if (durable_rename(tmp, path, ERROR) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not rename \"%s\" to \"%s\": %m", tmp, path)));
}

/* Copies a manifest into another memory context. */
static Manifest *
manifest_copy(const Manifest *m, MemoryContext cxt)
{
	Manifest   *c = MemoryContextAllocZero(cxt, sizeof(Manifest));

	*c = *m;
	c->snapshots = MemoryContextAlloc(cxt, sizeof(ManifestSnapshot) * Max(m->nsnapshots, 1));
	memcpy(c->snapshots, m->snapshots, sizeof(ManifestSnapshot) * m->nsnapshots);
	c->shards = MemoryContextAlloc(cxt, sizeof(ManifestShard) * Max(m->nshards, 1));
	memcpy(c->shards, m->shards, sizeof(ManifestShard) * m->nshards);
	return c;
}

/* The name of a snapshot's operation, as the manifest and SQL show it. */
const char *
manifest_operation_name(ManifestOperation op)
{
	switch (op)
	{
		case MANIFEST_APPEND:
			break;
		case MANIFEST_REPLACE:
			return "replace";
		case MANIFEST_DELETE:
			return "delete";
	}
	return "append";
}

/*
 * The oldest snapshot that time travel can still read: the first one the
 * manifest lists, or (before any flush) the first one to come.  Snapshot 0,
 * the empty table before the first flush, can be read until a snapshot
 * expires.
 */
uint64
manifest_oldest_snapshot(const Manifest *m)
{
	if (m->expired_below == 0)
		return 0;
	return m->expired_below;
}

/* The id of the newest snapshot a manifest lists, 0 if none. */
static uint64
manifest_latest_snapshot(const Manifest *m)
{
	return m->nsnapshots > 0 ? m->snapshots[m->nsnapshots - 1].id : 0;
}

/*
 * The manifest of a table as of at least snapshot "snapshot_id", from the
 * backend's cache when the file has not been replaced since (every
 * replacement is a new inode).  The manifest may list newer snapshots (a
 * flush committed meanwhile); callers look at shards up to their snapshot
 * only.  The result stays valid until the next call.
 */
const Manifest *
manifest_get(Oid dbid, Oid relfilenode, uint64 snapshot_id)
{
	ManifestCacheEntry *e;
	SpillTableKey key;
	bool		found;
	Manifest	m;
	char		path[MAXPGPATH];
	struct stat st;

	if (manifest_cache == NULL)
		manifest_cache = spillpool_local_hash("spillpool manifests", 16, sizeof(SpillTableKey),
										 sizeof(ManifestCacheEntry), CacheMemoryContext);
	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.relfilenode = relfilenode;
	e = hash_search(manifest_cache, &key, HASH_ENTER, &found);
	if (!found)
		e->manifest = NULL;

	manifest_path(path, dbid, relfilenode, false);
	if (stat(path, &st) != 0)
	{
		if (errno != ENOENT)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not stat file \"%s\": %m", path)));
		st.st_ino = 0;
		st.st_size = 0;
	}
	if (e->manifest != NULL && e->ino == st.st_ino && e->size == st.st_size &&
		manifest_latest_snapshot(e->manifest) >= snapshot_id)
		return e->manifest;

	(void) manifest_read(dbid, relfilenode, &m);
	if (manifest_latest_snapshot(&m) < snapshot_id)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("spillpool manifest \"%s\" lacks snapshot " UINT64_FORMAT, path, snapshot_id)));
	if (e->manifest != NULL)
	{
		pfree(e->manifest->snapshots);
		pfree(e->manifest->shards);
		pfree(e->manifest);
		e->manifest = NULL;
	}
	e->manifest = manifest_copy(&m, CacheMemoryContext);
	e->ino = st.st_ino;
	e->size = st.st_size;
	return e->manifest;
}

/* Drops a table's cached manifest (its files are gone). */
void
manifest_forget(Oid dbid, Oid relfilenode)
{
	SpillTableKey key;
	ManifestCacheEntry *e;

	if (manifest_cache == NULL)
		return;
	memset(&key, 0, sizeof(key));
	key.dbid = dbid;
	key.relfilenode = relfilenode;
	e = hash_search(manifest_cache, &key, HASH_FIND, NULL);
	if (e == NULL)
		return;
	if (e->manifest != NULL)
	{
		pfree(e->manifest->snapshots);
		pfree(e->manifest->shards);
		pfree(e->manifest);
	}
	hash_search(manifest_cache, &key, HASH_REMOVE, NULL);
}

/*
 * Removes every shard file of a table that its manifest does not list: left
 * by a flush or compaction that did not reach its commit point, or by an
 * expiry or shard drop whose files could not be removed at once because
 * scans still read them.  Each removal is reported at elevel.  Returns how
 * many it removed.  The caller makes
 * sure no flush, compaction or expiry is writing files meanwhile (at load,
 * or holding the flushing flag) and that no scan still reads the files.
 */
int
manifest_remove_unlisted(Oid dbid, Oid relfilenode, const Manifest *m, int elevel)
{
	char		dir[MAXPGPATH];
	char		path[MAXPGPATH];
	DIR		   *d;
	struct dirent *de;
	int			removed = 0;

	shard_dir_path(dir, dbid, relfilenode);
	d = AllocateDir(dir);
	while (d && (de = ReadDirExtended(d, dir, LOG)) != NULL)
	{
		uint64		snap;
		int			n;
		char		tail[16];
		bool		listed = false;
		int			i;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (sscanf(de->d_name, UINT64_FORMAT "-%d.%15s", &snap, &n, tail) == 3 &&
			(strcmp(tail, "parquet") == 0 || strcmp(tail, "hnsw") == 0))
		{
			bool		index = (strcmp(tail, "hnsw") == 0);

			for (i = 0; i < m->nshards && !listed; i++)
				listed = (m->shards[i].snapshot == snap && m->shards[i].n == n &&
						  (!index || m->shards[i].has_index));
		}
		if (listed)
			continue;
		snprintf(path, MAXPGPATH, "%s/%s", dir, de->d_name);
		ereport(elevel,
				(errmsg("removing spillpool shard file \"%s\" that the manifest does not list", path)));
		if (storage_unlink_file(path, false))
			removed++;
	}
	if (d)
		FreeDir(d);
	return removed;
}

/*
 * At load: removes manifest.tmp, every shard file the manifest does not
 * list, and the Iceberg metadata files it does not reference.
 */
void
manifest_remove_leftovers(Oid dbid, Oid relfilenode, const Manifest *m)
{
	char		path[MAXPGPATH];

	manifest_path(path, dbid, relfilenode, true);
	(void) storage_unlink_file(path, true);
	(void) manifest_remove_unlisted(dbid, relfilenode, m, LOG);
	iceberg_remove_unreferenced(dbid, relfilenode, m);
}

/*
 * Fills the flush state of a just-loaded table from its manifest: the
 * current snapshot, what is already in shards, and the shard counters.
 */
void
manifest_load_table_state(SpillTable *tab, const Manifest *m)
{
	int			i;

	tab->snapshot_id = manifest_latest_snapshot(m);
	tab->oldest_snapshot = manifest_oldest_snapshot(m);
	tab->flush_seg = m->flush_seg;
	tab->flush_off = m->flush_off;
	tab->flushes = 0;
	tab->last_flush = 0;
	for (i = 0; i < m->nsnapshots; i++)
	{
		if (m->snapshots[i].op != MANIFEST_APPEND)
			continue;			/* compactions are not flushes */
		tab->flushes++;
		tab->last_flush = m->snapshots[i].commit_time;
	}
	tab->shards = 0;
	tab->shard_rows = 0;
	tab->shard_bytes = 0;
	for (i = 0; i < m->nshards; i++)
	{
		if (!manifest_shard_in_snapshot(&m->shards[i], tab->snapshot_id))
			continue;
		tab->shards++;
		tab->shard_rows += m->shards[i].rows;
		tab->shard_bytes += m->shards[i].bytes;
	}
	tab->delete_below = m->flush_seg;
	/* an expiry whose second step a restart interrupted */
	tab->expire_pending = false;
	for (i = 0; i < m->nshards; i++)
		if (m->shards[i].removed_in != 0 && m->shards[i].removed_in < m->expired_below)
			tab->expire_pending = true;
}
