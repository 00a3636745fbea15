/*-------------------------------------------------------------------------
 *
 * parquet_read_footer.c
 *	  The reader's footer: decoding FileMetaData (schema elements, row
 *	  groups, column chunks, statistics, key/value metadata) from the
 *	  thrift compact protocol into the metadata arena, and checking that
 *	  the schema holds only primitives and lists of primitives and that the
 *	  row groups match it.
 *
 * Every byte is hostile: list counts are checked against the bytes left
 * before anything is allocated for them, known fields must have the wire
 * type the specification gives them, and unknown fields are skipped.
 * All allocations come from the reader's arena and are freed at once by
 * parquet_reader_close(), which keeps the many early exits leak-free.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "parquet_read_internal.h"

/*
 * Conservative lower bounds of the encoded size of one list element, used
 * to reject list counts that the remaining footer bytes cannot hold before
 * allocating for them.
 */
#define MIN_SCHEMA_ELEMENT_BYTES 3
#define MIN_ROW_GROUP_BYTES 4
#define MIN_COLUMN_CHUNK_BYTES 4
#define MIN_KEY_VALUE_BYTES 3

/* Zeroed, 16-byte aligned allocation of n * size bytes from the arena. */
void *
pq_arena_alloc(Arena *arena, PqErr *e, size_t n, size_t size)
{
	size_t		bytes;
	ArenaBlock *block;
	uint8_t    *p;

	if (size != 0 && n > (SIZE_MAX / 2) / size)
	{
		pq_fail(e, PARQUET_ERROR_NOMEM, "metadata allocation overflows");
		return NULL;
	}
	bytes = (n * size + 15) & ~(size_t) 15;
	if (bytes == 0)
		bytes = 16;
	block = arena->head;
	if (block == NULL || block->size - block->used < bytes)
	{
		size_t		bsize = bytes > ARENA_BLOCK_SIZE ? bytes : ARENA_BLOCK_SIZE;

		block = malloc(ARENA_HEADER_SIZE + bsize);
		if (block == NULL)
		{
			pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory allocating %zu bytes of metadata", bsize);
			return NULL;
		}
		block->size = bsize;
		block->used = 0;
		block->next = arena->head;
		arena->head = block;
	}
	p = (uint8_t *) block + ARENA_HEADER_SIZE + block->used;
	block->used += bytes;
	memset(p, 0, bytes);
	return p;
}

/* NUL-terminated arena copy of a thrift string. */
static char *
arena_strndup(Arena *arena, PqErr *e, const uint8_t *s, size_t len)
{
	char	   *p = pq_arena_alloc(arena, e, len + 1, 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/*
 * A list of footer structs being parsed.  Elements are appended as they
 * parse, so a hostile list count costs nothing until elements actually
 * decode; the finished list is copied into the arena.
 */
typedef struct GrowArray
{
	uint8_t    *items;
	size_t		count;
	size_t		cap;
	size_t		elem_size;
} GrowArray;

/* Appends a zeroed element and returns it, or NULL (NOMEM recorded). */
static void *
grow_array_next(GrowArray *ga, PqErr *e)
{
	void	   *slot;

	if (ga->count == ga->cap)
	{
		size_t		newcap = ga->cap == 0 ? 16 : ga->cap * 2;
		uint8_t    *items;

		if (newcap > SIZE_MAX / 2 / ga->elem_size)
		{
			pq_fail(e, PARQUET_ERROR_NOMEM, "metadata list too long");
			return NULL;
		}
		items = realloc(ga->items, newcap * ga->elem_size);
		if (items == NULL)
		{
			pq_fail(e, PARQUET_ERROR_NOMEM, "out of memory for metadata");
			return NULL;
		}
		ga->items = items;
		ga->cap = newcap;
	}
	slot = ga->items + ga->count * ga->elem_size;
	memset(slot, 0, ga->elem_size);
	ga->count++;
	return slot;
}

/* Moves the finished list into the arena and frees the temporary. */
static void *
grow_array_finish(GrowArray *ga, Arena *arena, PqErr *e)
{
	void	   *result = pq_arena_alloc(arena, e, ga->count, ga->elem_size);

	if (result != NULL && ga->count > 0)
		memcpy(result, ga->items, ga->count * ga->elem_size);
	free(ga->items);
	ga->items = NULL;
	return result;
}

/* Frees every block of the arena. */
void
pq_arena_free(Arena *arena)
{
	while (arena->head != NULL)
	{
		ArenaBlock *next = arena->head->next;

		free(arena->head);
		arena->head = next;
	}
}

/* ----------------------------------------------------------------
 * Footer structs (parquet.thrift)
 * ----------------------------------------------------------------
 */

/* Internal form of a SchemaElement, before the flatness check. */
typedef struct SchemaElement
{
	bool		has_type;
	int32_t		type;
	int32_t		type_length;
	bool		has_repetition;
	int32_t		repetition;
	const char *name;
	bool		has_num_children;
	int32_t		num_children;
	bool		has_converted_type;
	int32_t		converted_type;
	bool		has_scale;
	int32_t		scale;
	bool		has_precision;
	int32_t		precision;
	bool		has_field_id;
	int32_t		field_id;
	/* LogicalType */
	int32_t		logical_type;	/* union member id, 0 if none */
	int32_t		lt_scale;
	int32_t		lt_precision;
	bool		lt_adjusted;
	int32_t		lt_unit;
	int32_t		lt_bit_width;
	bool		lt_signed;
} SchemaElement;

/*
 * The members of TimeUnit, a union of empty structs: notes which one is
 * set as a ParquetTimeUnit (the member ids are its values).
 */
static ThriftFieldResult
time_unit_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	int32_t    *unit = arg;

	(void) tr;
	if (id >= PQ_UNIT_MILLIS && id <= PQ_UNIT_NANOS && type == TC_STRUCT)
		*unit = id;
	return THRIFT_FIELD_SKIP;	/* the member is empty: skipped all the same */
}

static const ThriftStructDef time_unit_def = {.read_field = time_unit_field};

/* DecimalType: scale (1) and precision (2). */
static ThriftFieldResult
decimal_type_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	SchemaElement *el = arg;

	switch (id)
	{
		case 1:
			return thrift_field_read(thrift_read_i32(tr, type, &el->lt_scale));
		case 2:
			return thrift_field_read(thrift_read_i32(tr, type, &el->lt_precision));
		default:
			return THRIFT_FIELD_SKIP;
	}
}

/* TimeType and TimestampType: isAdjustedToUTC (1) and unit (2). */
static ThriftFieldResult
time_type_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	SchemaElement *el = arg;

	switch (id)
	{
		case 1:
			return thrift_field_read(thrift_read_bool(tr, type, &el->lt_adjusted));
		case 2:
			return thrift_field_read(thrift_expect(tr, type, TC_STRUCT, "TimeUnit") &&
									 thrift_read_struct(tr, &time_unit_def, &el->lt_unit));
		default:
			return THRIFT_FIELD_SKIP;
	}
}

/* IntType: bitWidth (1), which must be 8, 16, 32 or 64, and isSigned (2). */
static ThriftFieldResult
int_type_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	SchemaElement *el = arg;
	int64_t		v = 0;
	bool		ok;

	switch (id)
	{
		case 1:
			ok = thrift_read_int(tr, type, &v);
			if (ok && (v != 8 && v != 16 && v != 32 && v != 64))
				ok = pq_corrupt(tr->err, "invalid Parquet metadata: INTEGER bit width %lld", (long long) v);
			el->lt_bit_width = (int32_t) v;
			return thrift_field_read(ok);
		case 2:
			return thrift_field_read(thrift_read_bool(tr, type, &el->lt_signed));
		default:
			return THRIFT_FIELD_SKIP;
	}
}

static const ThriftStructDef decimal_type_def = {.read_field = decimal_type_field};
static const ThriftStructDef time_type_def = {.read_field = time_type_field};
static const ThriftStructDef int_type_def = {.read_field = int_type_field};

/*
 * Parses the LogicalType union.  The members with parameters are read into
 * the element; the other known members (FLOAT16 among them) are empty
 * structs.  Unknown members (VARIANT, GEOMETRY, ...) are skipped and leave
 * the logical type unset, which the glue layer can treat as the plain
 * physical type.
 */
static ThriftFieldResult
logical_type_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	SchemaElement *el = arg;
	const ThriftStructDef *def = NULL;

	if (id < PQ_LT_STRING || id > PQ_LT_FLOAT16 || id == 9 || type != TC_STRUCT)
		return THRIFT_FIELD_SKIP;
	el->logical_type = id;
	if (id == PQ_LT_DECIMAL)
		def = &decimal_type_def;
	else if (id == PQ_LT_TIME || id == PQ_LT_TIMESTAMP)
		def = &time_type_def;
	else if (id == PQ_LT_INTEGER)
		def = &int_type_def;
	return thrift_field_read(thrift_read_struct(tr, def, el));
}

static const ThriftStructDef logical_type_def = {.read_field = logical_type_field};

/*
 * What the field callbacks of the footer's structs that allocate are
 * given: the arena and the struct being filled.
 */
typedef struct FooterTarget
{
	Arena	   *arena;
	void	   *out;
} FooterTarget;

/* Reads a struct of the footer that allocates from the arena into out. */
static bool
read_footer_struct(ThriftReader *tr, const ThriftStructDef *def, Arena *arena,
				   void *out)
{
	FooterTarget target = {arena, out};

	return thrift_read_struct(tr, def, &target);
}

/* Reads a string field into a NUL-terminated arena copy in *out. */
static bool
read_arena_string(ThriftReader *tr, uint8_t type, Arena *arena, const char **out)
{
	const uint8_t *s;
	size_t		slen;

	if (!thrift_read_binary(tr, type, &s, &slen))
		return false;
	*out = arena_strndup(arena, tr->err, s, slen);
	return *out != NULL;
}

/* Parses one element of a list of structs into *out (see parse_struct_list). */
typedef bool (*StructParser) (ThriftReader *tr, Arena *arena, void *out);

/*
 * Reads a thrift list of structs into an arena array of elem_size elements.
 * Elements are added as they parse, never allocated for the claimed count
 * up front, so a hostile list length costs nothing; min_bytes, the least an
 * element can take, bounds the count by the bytes left.  Returns the array
 * and sets *count, or returns NULL with the error recorded ("bad_list" for
 * a list that is not of structs).
 */
static void *
parse_struct_list(ThriftReader *tr, Arena *arena, uint8_t type, size_t min_bytes,
				  size_t elem_size, StructParser parse, const char *bad_list,
				  size_t *count)
{
	GrowArray	ga = {NULL, 0, 0, elem_size};
	uint8_t		et;
	size_t		n;
	bool		ok = true;
	void	   *result;

	if (!thrift_read_list_header(tr, type, &et, &n, min_bytes))
		return NULL;
	if (et != TC_STRUCT || n > INT_MAX)
	{
		pq_corrupt(tr->err, "%s", bad_list);
		return NULL;
	}
	for (size_t i = 0; i < n && ok; i++)
	{
		void	   *el = grow_array_next(&ga, tr->err);

		ok = (el != NULL && parse(tr, arena, el));
	}
	result = ok ? grow_array_finish(&ga, arena, tr->err) : NULL;
	free(ga.items);
	*count = n;
	return result;
}

/* The fields of a SchemaElement. */
static ThriftFieldResult
schema_element_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	FooterTarget *target = arg;
	SchemaElement *el = target->out;

	switch (id)
	{
		case 1:
			el->has_type = true;
			return thrift_field_read(thrift_read_i32(tr, type, &el->type));
		case 2:
			return thrift_field_read(thrift_read_i32(tr, type, &el->type_length));
		case 3:
			el->has_repetition = true;
			return thrift_field_read(thrift_read_i32(tr, type, &el->repetition));
		case 4:
			return thrift_field_read(read_arena_string(tr, type, target->arena, &el->name));
		case 5:
			el->has_num_children = true;
			return thrift_field_read(thrift_read_i32(tr, type, &el->num_children));
		case 6:
			el->has_converted_type = true;
			return thrift_field_read(thrift_read_i32(tr, type, &el->converted_type));
		case 7:
			el->has_scale = true;
			return thrift_field_read(thrift_read_i32(tr, type, &el->scale));
		case 8:
			el->has_precision = true;
			return thrift_field_read(thrift_read_i32(tr, type, &el->precision));
		case 9:
			el->has_field_id = true;
			return thrift_field_read(thrift_read_i32(tr, type, &el->field_id));
		case 10:
			return thrift_field_read(thrift_expect(tr, type, TC_STRUCT, "SchemaElement.logicalType") &&
									 thrift_read_struct(tr, &logical_type_def, el));
		default:
			return THRIFT_FIELD_SKIP;
	}
}

static const ThriftStructDef schema_element_def = {
	schema_element_field, THRIFT_FIELD_BIT(4), PARQUET_ERROR_CORRUPT,
	"invalid Parquet metadata: schema element without a name"
};

/* Parses one SchemaElement (an element of FileMetaData.schema). */
static bool
parse_schema_element(ThriftReader *tr, Arena *arena, void *out)
{
	SchemaElement *el = out;

	memset(el, 0, sizeof(*el));
	el->type_length = -1;
	return read_footer_struct(tr, &schema_element_def, arena, el);
}

/* The fields of a KeyValue: key (1) and value (2), NUL-terminated copies. */
static ThriftFieldResult
key_value_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	FooterTarget *target = arg;
	ParquetKeyValue *kv = target->out;
	const uint8_t *s;
	size_t		slen;
	char	   *copy;

	if (id != 1 && id != 2)
		return THRIFT_FIELD_SKIP;
	if (!thrift_read_binary(tr, type, &s, &slen))
		return THRIFT_FIELD_FAILED;
	copy = arena_strndup(target->arena, tr->err, s, slen);
	if (copy == NULL)
		return THRIFT_FIELD_FAILED;
	if (id == 1)
		kv->key = copy;
	else
	{
		kv->value = copy;
		kv->value_len = slen;
	}
	return THRIFT_FIELD_READ;
}

static const ThriftStructDef key_value_def = {
	key_value_field, THRIFT_FIELD_BIT(1), PARQUET_ERROR_CORRUPT,
	"invalid Parquet metadata: key/value entry without a key"
};

/*
 * Parses one KeyValue (an element of FileMetaData.key_value_metadata or
 * ColumnMetaData.key_value_metadata).
 */
static bool
parse_key_value(ThriftReader *tr, Arena *arena, void *out)
{
	ParquetKeyValue *kv = out;

	memset(kv, 0, sizeof(*kv));
	return read_footer_struct(tr, &key_value_def, arena, kv);
}

/*
 * The fields of Statistics; the byte strings point into the footer
 * buffer and must fit the uint32_t length of ParquetBytes.
 */
static ThriftFieldResult
statistics_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	ParquetStatistics *st = arg;
	ParquetBytes *target;
	bool	   *flag;
	const uint8_t *s;
	size_t		slen;

	switch (id)
	{
		case 1:
			target = &st->max;
			flag = &st->has_max;
			break;
		case 2:
			target = &st->min;
			flag = &st->has_min;
			break;
		case 3:
			st->has_null_count = true;
			return thrift_field_read(thrift_read_int(tr, type, &st->null_count));
		case 4:
			st->has_distinct_count = true;
			return thrift_field_read(thrift_read_int(tr, type, &st->distinct_count));
		case 5:
			target = &st->max_value;
			flag = &st->has_max_value;
			break;
		case 6:
			target = &st->min_value;
			flag = &st->has_min_value;
			break;
		case 7:
			st->has_is_max_value_exact = true;
			return thrift_field_read(thrift_read_bool(tr, type, &st->is_max_value_exact));
		case 8:
			st->has_is_min_value_exact = true;
			return thrift_field_read(thrift_read_bool(tr, type, &st->is_min_value_exact));
		default:
			return THRIFT_FIELD_SKIP;
	}
	if (!thrift_read_binary(tr, type, &s, &slen))
		return THRIFT_FIELD_FAILED;
	if (slen > UINT32_MAX)
		return thrift_field_read(pq_corrupt(tr->err, "invalid Parquet metadata: statistics value too long"));
	target->ptr = s;
	target->len = (uint32_t) slen;
	*flag = true;
	return THRIFT_FIELD_READ;
}

static const ThriftStructDef statistics_def = {.read_field = statistics_field};

/* Reads ColumnMetaData.encodings, a list of i32, into the arena. */
static bool
read_encodings(ThriftReader *tr, uint8_t type, Arena *arena, ParquetColumnChunk *cc)
{
	uint8_t		et;
	size_t		n;
	int32_t    *encodings;
	bool		ok;

	if (!thrift_read_list_header(tr, type, &et, &n, 1))
		return false;
	if (n > INT_MAX)
		return pq_corrupt(tr->err, "invalid Parquet metadata: too many encodings");
	encodings = pq_arena_alloc(arena, tr->err, n, sizeof(int32_t));
	if (encodings == NULL)
		return false;
	ok = true;
	for (size_t i = 0; i < n && ok; i++)
		ok = thrift_read_i32(tr, et, &encodings[i]);
	cc->encodings = encodings;
	cc->num_encodings = (int) n;
	return ok;
}

/*
 * The fields of ColumnMetaData, read into the chunk.  3 path_in_schema and
 * 13 onwards are skipped; 8, key_value_metadata, is read like the file's
 * (some writers, Arrow's among them, put entries there, keys without a
 * value included).
 */
static ThriftFieldResult
column_metadata_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	FooterTarget *target = arg;
	ParquetColumnChunk *cc = target->out;
	int32_t		i32 = 0;
	bool		ok;

	switch (id)
	{
		case 1:
			ok = thrift_read_i32(tr, type, &i32);
			if (ok && (i32 < PQ_BOOLEAN || i32 > PQ_FIXED_LEN_BYTE_ARRAY))
				ok = pq_corrupt(tr->err, "invalid Parquet metadata: physical type %d", (int) i32);
			cc->physical_type = (ParquetType) i32;
			return thrift_field_read(ok);
		case 2:
			return thrift_field_read(read_encodings(tr, type, target->arena, cc));
		case 4:
			return thrift_field_read(thrift_read_i32(tr, type, &cc->codec));
		case 5:
			return thrift_field_read(thrift_read_int(tr, type, &cc->num_values));
		case 6:
			return thrift_field_read(thrift_read_int(tr, type, &cc->total_uncompressed_size));
		case 7:
			return thrift_field_read(thrift_read_int(tr, type, &cc->total_compressed_size));
		case 8:
			{
				size_t		nkv;

				/* a parsed list is never NULL, even when empty */
				if (cc->key_values != NULL)
					return thrift_field_read(pq_corrupt(tr->err, "invalid Parquet metadata: duplicate column chunk key/value metadata"));
				cc->key_values = parse_struct_list(tr, target->arena, type, MIN_KEY_VALUE_BYTES,
												   sizeof(ParquetKeyValue), parse_key_value,
												   "invalid Parquet metadata: bad column chunk key/value list",
												   &nkv);
				if (cc->key_values == NULL)
					return THRIFT_FIELD_FAILED;
				cc->num_key_values = (int) nkv; /* at most INT_MAX */
				return THRIFT_FIELD_READ;
			}
		case 9:
			return thrift_field_read(thrift_read_int(tr, type, &cc->data_page_offset));
		case 10:
			cc->has_index_page_offset = true;
			return thrift_field_read(thrift_read_int(tr, type, &cc->index_page_offset));
		case 11:
			cc->has_dictionary_page_offset = true;
			return thrift_field_read(thrift_read_int(tr, type, &cc->dictionary_page_offset));
		case 12:
			cc->has_statistics = true;
			return thrift_field_read(thrift_expect(tr, type, TC_STRUCT, "ColumnMetaData.statistics") &&
									 thrift_read_struct(tr, &statistics_def, &cc->statistics));
		default:
			return THRIFT_FIELD_SKIP;
	}
}

/* type, codec, num_values, both sizes and data_page_offset are required */
static const ThriftStructDef column_metadata_def = {
	column_metadata_field,
	THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(4) | THRIFT_FIELD_BIT(5) |
	THRIFT_FIELD_BIT(6) | THRIFT_FIELD_BIT(7) | THRIFT_FIELD_BIT(9),
	PARQUET_ERROR_CORRUPT,
	"invalid Parquet metadata: column metadata lacks a required field"
};

/* Parses ColumnMetaData into the chunk and checks its sizes and offsets. */
static bool
parse_column_metadata(ThriftReader *tr, Arena *arena, ParquetColumnChunk *cc)
{
	if (!read_footer_struct(tr, &column_metadata_def, arena, cc))
		return false;
	if (cc->num_values < 0 || cc->total_compressed_size < 0 ||
		cc->total_uncompressed_size < 0 || cc->data_page_offset < 0 ||
		(cc->has_dictionary_page_offset && cc->dictionary_page_offset < 0))
		return pq_corrupt(tr->err, "invalid Parquet metadata: negative size or offset in column metadata");
	return true;
}

/* The fields of a ColumnChunk. */
static ThriftFieldResult
column_chunk_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	FooterTarget *target = arg;
	ParquetColumnChunk *cc = target->out;

	switch (id)
	{
		case 1:
			return thrift_field_read(read_arena_string(tr, type, target->arena, &cc->file_path));
		case 2:
			return thrift_field_read(thrift_read_int(tr, type, &cc->file_offset));
		case 3:
			return thrift_field_read(thrift_expect(tr, type, TC_STRUCT, "ColumnChunk.meta_data") &&
									 parse_column_metadata(tr, target->arena, cc));
		default:
			return THRIFT_FIELD_SKIP;
	}
}

/* A chunk without meta_data has it encrypted (and is rejected) */
static const ThriftStructDef column_chunk_def = {
	column_chunk_field, THRIFT_FIELD_BIT(3), PARQUET_ERROR_UNSUPPORTED,
	"Parquet column chunk without metadata (encrypted columns are not supported)"
};

/* Parses one ColumnChunk (an element of RowGroup.columns). */
static bool
parse_column_chunk(ThriftReader *tr, Arena *arena, void *out)
{
	ParquetColumnChunk *cc = out;

	memset(cc, 0, sizeof(*cc));
	return read_footer_struct(tr, &column_chunk_def, arena, cc);
}

/* The fields of a RowGroup. */
static ThriftFieldResult
row_group_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	FooterTarget *target = arg;
	ParquetRowGroup *rg = target->out;
	size_t		ncolumns;

	switch (id)
	{
		case 1:
			/* a parsed list is never NULL, even when empty */
			if (rg->columns != NULL)
				return thrift_field_read(pq_corrupt(tr->err, "invalid Parquet metadata: duplicate row group columns"));
			rg->columns = parse_struct_list(tr, target->arena, type, MIN_COLUMN_CHUNK_BYTES,
											sizeof(ParquetColumnChunk), parse_column_chunk,
											"invalid Parquet metadata: bad row group column list",
											&ncolumns);
			if (rg->columns == NULL)
				return THRIFT_FIELD_FAILED;
			rg->num_columns = (int) ncolumns;	/* at most INT_MAX */
			return THRIFT_FIELD_READ;
		case 2:
			return thrift_field_read(thrift_read_int(tr, type, &rg->total_byte_size));
		case 3:
			return thrift_field_read(thrift_read_int(tr, type, &rg->num_rows));
		default:
			return THRIFT_FIELD_SKIP;
	}
}

static const ThriftStructDef row_group_def = {
	row_group_field, THRIFT_FIELD_BIT(1) | THRIFT_FIELD_BIT(3), PARQUET_ERROR_CORRUPT,
	"invalid Parquet metadata: row group lacks columns or num_rows"
};

/* Parses one RowGroup (an element of FileMetaData.row_groups). */
static bool
parse_row_group(ThriftReader *tr, Arena *arena, void *out)
{
	ParquetRowGroup *rg = out;

	memset(rg, 0, sizeof(*rg));
	if (!read_footer_struct(tr, &row_group_def, arena, rg))
		return false;
	if (rg->num_rows < 0)
		return pq_corrupt(tr->err, "invalid Parquet metadata: negative row count in row group");
	return true;
}

/* What FileMetaData parsing produces before the schema is checked. */
typedef struct RawFileMeta
{
	int32_t		version;
	int64_t		num_rows;
	const char *created_by;
	size_t		num_elements;
	SchemaElement *elements;
	size_t		num_row_groups;
	ParquetRowGroup *row_groups;
	size_t		num_key_values;
	ParquetKeyValue *key_values;
	bool		encrypted;
} RawFileMeta;

/*
 * The fields of FileMetaData.  The lists may appear once each: a parsed
 * list is never NULL, even when empty.
 */
static ThriftFieldResult
file_metadata_field(ThriftReader *tr, int16_t id, uint8_t type, void *arg)
{
	FooterTarget *target = arg;
	RawFileMeta *fm = target->out;

	switch (id)
	{
		case 1:
			return thrift_field_read(thrift_read_i32(tr, type, &fm->version));
		case 2:
			if (fm->elements != NULL)
				return thrift_field_read(pq_corrupt(tr->err, "invalid Parquet metadata: duplicate schema"));
			fm->elements = parse_struct_list(tr, target->arena, type, MIN_SCHEMA_ELEMENT_BYTES,
											 sizeof(SchemaElement), parse_schema_element,
											 "invalid Parquet metadata: bad schema list",
											 &fm->num_elements);
			return thrift_field_read(fm->elements != NULL);
		case 3:
			return thrift_field_read(thrift_read_int(tr, type, &fm->num_rows));
		case 4:
			if (fm->row_groups != NULL)
				return thrift_field_read(pq_corrupt(tr->err, "invalid Parquet metadata: duplicate row groups"));
			fm->row_groups = parse_struct_list(tr, target->arena, type, MIN_ROW_GROUP_BYTES,
											   sizeof(ParquetRowGroup), parse_row_group,
											   "invalid Parquet metadata: bad row group list",
											   &fm->num_row_groups);
			return thrift_field_read(fm->row_groups != NULL);
		case 5:
			if (fm->key_values != NULL)
				return thrift_field_read(pq_corrupt(tr->err, "invalid Parquet metadata: duplicate key/value metadata"));
			fm->key_values = parse_struct_list(tr, target->arena, type, MIN_KEY_VALUE_BYTES,
											   sizeof(ParquetKeyValue), parse_key_value,
											   "invalid Parquet metadata: bad key/value list",
											   &fm->num_key_values);
			return thrift_field_read(fm->key_values != NULL);
		case 6:
			return thrift_field_read(read_arena_string(tr, type, target->arena, &fm->created_by));
		case 8:
			/* encryption_algorithm: plaintext footer, encrypted columns */
			fm->encrypted = true;
			return THRIFT_FIELD_SKIP;
		default:
			return THRIFT_FIELD_SKIP;
	}
}

/* schema, num_rows and row_groups are required */
static const ThriftStructDef file_metadata_def = {
	file_metadata_field,
	THRIFT_FIELD_BIT(2) | THRIFT_FIELD_BIT(3) | THRIFT_FIELD_BIT(4),
	PARQUET_ERROR_CORRUPT,
	"invalid Parquet metadata: missing schema, num_rows or row_groups"
};

/* Parses FileMetaData, the root struct of the footer. */
static bool
parse_file_metadata(ThriftReader *tr, Arena *arena, RawFileMeta *fm)
{
	memset(fm, 0, sizeof(*fm));
	if (!read_footer_struct(tr, &file_metadata_def, arena, fm))
		return false;
	if (fm->num_rows < 0)
		return pq_corrupt(tr->err, "invalid Parquet metadata: negative row count");
	return true;
}

/*
 * Fills the annotation fields of a leaf from its LogicalType, falling back
 * to the legacy ConvertedType, and validates what a decoder or the glue
 * layer relies on (decimal precision/scale, time units).
 */
static bool
schema_fill_annotations(const SchemaElement *el, ParquetColumnSchema *col, PqErr *e)
{
	col->converted_type = el->has_converted_type ? (ParquetConvertedType) el->converted_type : PQ_CT_NONE;
	col->logical_type = (ParquetLogicalType) el->logical_type;

	if (el->logical_type == PQ_LT_DECIMAL)
	{
		col->decimal_scale = el->lt_scale;
		col->decimal_precision = el->lt_precision;
	}
	else if (el->has_converted_type && el->converted_type == PQ_CT_DECIMAL)
	{
		col->decimal_scale = el->has_scale ? el->scale : 0;
		col->decimal_precision = el->has_precision ? el->precision : 0;
	}
	if ((el->logical_type == PQ_LT_DECIMAL ||
		 (el->has_converted_type && el->converted_type == PQ_CT_DECIMAL)) &&
		(col->decimal_precision <= 0 || col->decimal_scale < 0 ||
		 col->decimal_scale > col->decimal_precision))
		return pq_corrupt(e, "invalid Parquet schema: column \"%s\" has DECIMAL precision %d and scale %d",
						  col->name, (int) col->decimal_precision, (int) col->decimal_scale);

	if (el->logical_type == PQ_LT_TIME || el->logical_type == PQ_LT_TIMESTAMP)
	{
		if (el->lt_unit < PQ_UNIT_MILLIS || el->lt_unit > PQ_UNIT_NANOS)
			return pq_corrupt(e, "invalid Parquet schema: column \"%s\" has a time type without a unit",
							  col->name);
		col->time_unit = (ParquetTimeUnit) el->lt_unit;
		col->is_adjusted_to_utc = el->lt_adjusted;
	}
	else if (el->has_converted_type)
	{
		switch (el->converted_type)
		{
			case PQ_CT_TIME_MILLIS:
			case PQ_CT_TIMESTAMP_MILLIS:
				col->time_unit = PQ_UNIT_MILLIS;
				col->is_adjusted_to_utc = true;
				break;
			case PQ_CT_TIME_MICROS:
			case PQ_CT_TIMESTAMP_MICROS:
				col->time_unit = PQ_UNIT_MICROS;
				col->is_adjusted_to_utc = true;
				break;
			default:
				break;
		}
	}

	/* FLOAT16 annotates 2-byte fixed-length values only */
	if (el->logical_type == PQ_LT_FLOAT16 &&
		(col->physical_type != PQ_FIXED_LEN_BYTE_ARRAY || col->type_length != 2))
	{
		if (col->physical_type == PQ_FIXED_LEN_BYTE_ARRAY)
			return pq_corrupt(e, "invalid Parquet schema: column \"%s\" is FLOAT16 but FIXED_LEN_BYTE_ARRAY(%d), not FIXED_LEN_BYTE_ARRAY(2)",
							  col->name, (int) col->type_length);
		return pq_corrupt(e, "invalid Parquet schema: column \"%s\" is FLOAT16 but %s, not FIXED_LEN_BYTE_ARRAY(2)",
						  col->name, parquet_type_name(col->physical_type));
	}

	if (el->logical_type == PQ_LT_INTEGER)
	{
		col->int_bit_width = el->lt_bit_width;
		col->int_is_signed = el->lt_signed;
	}
	else if (el->has_converted_type &&
			 el->converted_type >= PQ_CT_UINT_8 && el->converted_type <= PQ_CT_INT_64)
	{
		static const int widths[] = {8, 16, 32, 64};

		col->int_bit_width = widths[(el->converted_type - PQ_CT_UINT_8) % 4];
		col->int_is_signed = el->converted_type >= PQ_CT_INT_8;
	}
	return true;
}

/* True if a schema element is a group (has children or no type). */
static bool
element_is_group(const SchemaElement *el)
{
	return !el->has_type || (el->has_num_children && el->num_children > 0);
}

/* True if a schema element carries a LIST annotation. */
static bool
element_is_list(const SchemaElement *el)
{
	return (el->has_converted_type && el->converted_type == PQ_CT_LIST) ||
		el->logical_type == PQ_LT_LIST;
}

/* True if a schema element carries a MAP annotation. */
static bool
element_is_map(const SchemaElement *el)
{
	return (el->has_converted_type &&
			(el->converted_type == PQ_CT_MAP || el->converted_type == PQ_CT_MAP_KEY_VALUE)) ||
		el->logical_type == PQ_LT_MAP;
}

/*
 * Fills col from the primitive leaf el: physical type, width and
 * annotations (the name, repetition and field id are the caller's).
 */
static bool
schema_fill_leaf(const SchemaElement *el, ParquetColumnSchema *col, PqErr *e)
{
	if (el->type < PQ_BOOLEAN || el->type > PQ_FIXED_LEN_BYTE_ARRAY)
		return pq_corrupt(e, "invalid Parquet schema: column \"%s\" has physical type %d",
						  col->name, (int) el->type);
	col->physical_type = (ParquetType) el->type;
	col->type_length = -1;
	if (col->physical_type == PQ_FIXED_LEN_BYTE_ARRAY)
	{
		if (el->type_length <= 0)
			return pq_corrupt(e, "invalid Parquet schema: column \"%s\" has FIXED_LEN_BYTE_ARRAY length %d",
							  col->name, (int) el->type_length);
		col->type_length = el->type_length;
	}
	else if (col->physical_type == PQ_INT96)
		col->type_length = 12;
	return schema_fill_annotations(el, col, e);
}

/*
 * Reads the field of the root at elements[*pos] into col and moves *pos
 * past it: a primitive leaf, or a list of primitives in one of the forms
 * of LogicalTypes.md's backward-compatibility rules (see parquet_read.h),
 * whose levels are worked out here:
 *
 *	- a repeated primitive: a required list of required elements (an
 *	  empty list is level 0, an element 1);
 *	- <name> (LIST) { repeated <primitive> }: required elements, the list
 *	  NULL at level 0 if it is OPTIONAL;
 *	- <name> (LIST) { repeated group R { <element> } } with R not named
 *	  "array" or "<name>_tuple": the element's own repetition.
 *
 * Anything else that nests is PARQUET_ERROR_NESTED naming the field.
 */
static bool
schema_read_field(const RawFileMeta *fm, size_t *pos, ParquetColumnSchema *col, PqErr *e)
{
	const SchemaElement *f = &fm->elements[*pos];
	const SchemaElement *leaf;
	int			list_def;

	col->name = f->name;
	col->has_field_id = f->has_field_id;
	col->field_id = f->field_id;
	if (f->has_repetition && f->repetition != PQ_REQUIRED &&
		f->repetition != PQ_OPTIONAL && f->repetition != PQ_REPEATED)
		return pq_corrupt(e, "invalid Parquet schema: column \"%s\" has repetition %d",
						  f->name, (int) f->repetition);

	if (!element_is_group(f))
	{
		if (element_is_list(f) || element_is_map(f))
			return pq_fail(e, PARQUET_ERROR_NESTED,
						   "nested Parquet types are not supported: column %s", f->name);
		*pos += 1;
		if (f->has_repetition && f->repetition == PQ_REPEATED)
		{
			/* a repeated primitive: a required list of required elements */
			col->repetition = PQ_REQUIRED;
			col->is_list = true;
			col->max_repetition_level = 1;
			col->list_definition_level = 0;
			col->max_definition_level = 1;
			col->element_required = true;
			col->has_element_field_id = f->has_field_id;
			col->element_field_id = f->field_id;
			return schema_fill_leaf(f, col, e);
		}
		col->repetition = f->has_repetition ? (ParquetRepetition) f->repetition : PQ_REQUIRED;
		col->max_definition_level = (col->repetition == PQ_OPTIONAL) ? 1 : 0;
		return schema_fill_leaf(f, col, e);
	}

	/* a group: only a LIST of primitives is read */
	if (!element_is_list(f) || !f->has_num_children || f->num_children != 1 ||
		(f->has_repetition && f->repetition == PQ_REPEATED) || *pos + 1 >= fm->num_elements)
		return pq_fail(e, PARQUET_ERROR_NESTED,
					   "nested Parquet types are not supported: column %s", f->name);
	col->repetition = f->has_repetition ? (ParquetRepetition) f->repetition : PQ_REQUIRED;
	list_def = col->repetition == PQ_OPTIONAL ? 1 : 0;
	{
		const SchemaElement *r = &fm->elements[*pos + 1];

		if (!r->has_repetition || r->repetition != PQ_REPEATED)
			return pq_fail(e, PARQUET_ERROR_NESTED,
						   "nested Parquet types are not supported: column %s", f->name);
		if (!element_is_group(r))
		{
			/* two levels: the repeated primitive is the (required) element */
			leaf = r;
			col->element_required = true;
			col->max_definition_level = list_def + 1;
			*pos += 2;
		}
		else
		{
			size_t		namelen = strlen(f->name);
			bool		tuple = strncmp(r->name, f->name, namelen) == 0 &&
				strcmp(r->name + namelen, "_tuple") == 0;

			if (!r->has_num_children || r->num_children != 1 ||
				strcmp(r->name, "array") == 0 || tuple ||
				*pos + 2 >= fm->num_elements)
				return pq_fail(e, PARQUET_ERROR_NESTED,
							   "nested Parquet types are not supported: column %s", f->name);
			leaf = &fm->elements[*pos + 2];
			if (element_is_group(leaf) || element_is_list(leaf) || element_is_map(leaf) ||
				(leaf->has_repetition && leaf->repetition == PQ_REPEATED))
				return pq_fail(e, PARQUET_ERROR_NESTED,
							   "nested Parquet types are not supported: column %s", f->name);
			if (leaf->has_repetition && leaf->repetition != PQ_REQUIRED &&
				leaf->repetition != PQ_OPTIONAL)
				return pq_corrupt(e, "invalid Parquet schema: column \"%s\" has an element of repetition %d",
								  f->name, (int) leaf->repetition);
			col->element_required = !(leaf->has_repetition && leaf->repetition == PQ_OPTIONAL);
			col->max_definition_level = list_def + 1 + (col->element_required ? 0 : 1);
			*pos += 3;
		}
	}
	if (element_is_list(leaf) || element_is_map(leaf))
		return pq_fail(e, PARQUET_ERROR_NESTED,
					   "nested Parquet types are not supported: column %s", f->name);
	col->is_list = true;
	col->max_repetition_level = 1;
	col->list_definition_level = list_def;
	col->has_element_field_id = leaf->has_field_id;
	col->element_field_id = leaf->field_id;
	return schema_fill_leaf(leaf, col, e);
}

/*
 * Turns the schema element list into the column list: one column per
 * field of the root, each a primitive or a list of primitives (see
 * schema_read_field).
 */
static bool
build_schema(ParquetReader *reader, const RawFileMeta *fm, PqErr *e)
{
	const SchemaElement *root;
	size_t		pos = 1;
	size_t		ncols = 0;

	if (fm->num_elements == 0)
		return pq_corrupt(e, "invalid Parquet schema: no root element");
	root = &fm->elements[0];
	if (!root->has_num_children || root->num_children < 0)
		return pq_corrupt(e, "invalid Parquet schema: root element is not a group");

	/* at most one column per element: the arena array is large enough */
	reader->columns = pq_arena_alloc(&reader->arena, e, fm->num_elements, sizeof(ParquetColumnSchema));
	if (reader->columns == NULL)
		return false;
	while (pos < fm->num_elements)
	{
		if (!schema_read_field(fm, &pos, &reader->columns[ncols], e))
			return false;
		ncols++;
	}
	if ((size_t) root->num_children != ncols)
		return pq_corrupt(e, "invalid Parquet schema: root has %d children but %zu columns follow",
						  (int) root->num_children, ncols);

	reader->meta.root_name = root->name;
	reader->meta.num_columns = (int) ncols;
	reader->meta.columns = reader->columns;
	return true;
}

/*
 * Parses and checks the FileMetaData bytes and fills reader->meta.  The
 * row groups must have one chunk per leaf, of the leaf's physical type.
 */
bool
pq_reader_load_footer(ParquetReader *reader, const uint8_t *meta, size_t meta_len, PqErr *e)
{
	ThriftReader tr;
	RawFileMeta fm;

	thrift_reader_init(&tr, meta, meta_len, e);
	if (!parse_file_metadata(&tr, &reader->arena, &fm))
		return false;
	if (fm.encrypted)
		return pq_fail(e, PARQUET_ERROR_UNSUPPORTED, "encrypted Parquet files are not supported");
	if (!build_schema(reader, &fm, e))
		return false;

	for (size_t g = 0; g < fm.num_row_groups; g++)
	{
		const ParquetRowGroup *rg = &fm.row_groups[g];

		if (rg->num_columns != reader->meta.num_columns)
			return pq_corrupt(e, "invalid Parquet metadata: row group %zu has %d columns, the schema %d",
							  g, rg->num_columns, reader->meta.num_columns);
		for (int c = 0; c < rg->num_columns; c++)
		{
			if (rg->columns[c].physical_type != reader->columns[c].physical_type)
				return pq_corrupt(e, "invalid Parquet metadata: column \"%s\" is %s in row group %zu but %s in the schema",
								  reader->columns[c].name,
								  parquet_type_name(rg->columns[c].physical_type), g,
								  parquet_type_name(reader->columns[c].physical_type));
		}
	}

	reader->meta.version = fm.version;
	reader->meta.num_rows = fm.num_rows;
	reader->meta.created_by = fm.created_by;
	reader->meta.num_row_groups = (int) fm.num_row_groups;
	reader->meta.row_groups = fm.row_groups;
	reader->meta.num_key_values = (int) fm.num_key_values;
	reader->meta.key_values = fm.key_values;
	return true;
}
