/*-------------------------------------------------------------------------
 *
 * reader_test.c
 *	  Unit tests of the standalone Parquet reader (src/parquet/parquet_read.c).
 *
 *	  usage: reader_test CORPUS_DIR
 *
 * 1. Every fixture listed in CORPUS_DIR/expected.json (written by DuckDB
 *	  through reader_make_fixtures.mjs) is opened from memory and from a
 *	  file; readable ones must have DuckDB's row, row group and column
 *	  counts, non-null counts, codecs, encodings and, per column, the md5
 *	  of the values' canonical text form (see reader_make_fixtures.mjs);
 *	  error fixtures must fail with the expected status and message.
 * 2. Hand-built files cover what DuckDB does not write: unknown thrift
 *	  fields of every type, REQUIRED columns, INT96, BIT_PACKED levels, RLE
 *	  booleans, DELTA_BYTE_ARRAY, dictionary fallback within a chunk, legacy
 *	  statistics, snappy literals, page checksums (PageHeader.crc), GZIP
 *	  and Brotli pages, and malformed metadata and pages; and cases of
 *	  other writers' files in apache/parquet-testing: column chunk
 *	  key/value metadata with zero offsets, v2 pages with an empty values
 *	  section, INT96 beyond every range, FLOAT16.  With READER_TEST_SEED_DIR
 *	  set, those files are also saved there (fuzzing seeds).
 * 3. Truncated and corrupted variants of fixtures must fail cleanly (every
 *	  prefix, prefix + footer) or at least not crash (random byte flips,
 *	  zeroed tails); run the ASan build to catch memory errors.
 *
 * Ends with the line "N passed, N failed"; exits non-zero on any failure.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

#include <brotli/encode.h>
#include <lz4.h>
#include <lz4frame.h>
#include <zlib.h>

#include "parquet_read.h"
#include "parquet_write.h"

static int	tests_passed;
static int	tests_failed;

/* Records one assertion; prints the failing ones with their location. */
#define CHECK(cond, ...) check_impl((cond), __FILE__, __LINE__, __VA_ARGS__)

/* Counts an assertion and prints a failing one with its location. */
static bool
check_impl(bool cond, const char *file, int line, const char *fmt,...)
{
	va_list		ap;

	if (cond)
	{
		tests_passed++;
		return true;
	}
	tests_failed++;
	fprintf(stderr, "FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

/* Reads a whole file, or NULL. */
static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *buf;
	long		size;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(size > 0 ? (size_t) size : 1);
	if (buf == NULL || fread(buf, 1, (size_t) size, f) != (size_t) size)
	{
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t) size;
	return buf;
}

#include "test_md5.h"

/* MD5 of a C string, for the self-test. */
static void
md5_hex(const char *s, char *hex)
{
	Md5			m;

	md5_init(&m);
	md5_update(&m, s, strlen(s));
	md5_final(&m, hex);
}

/* ----------------------------------------------------------------
 * A small JSON reader for expected.json
 * ----------------------------------------------------------------
 */
typedef enum JType
{
	J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ
} JType;

typedef struct JVal
{
	JType		type;
	bool		b;
	double		num;
	char	   *str;
	int			n;
	struct JVal *items;
	char	  **keys;
} JVal;

typedef struct JParser
{
	const char *p;
	const char *end;
	bool		failed;
} JParser;

/* Skips JSON whitespace. */
static void
j_ws(JParser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\n' || *jp->p == '\r' || *jp->p == '\t'))
		jp->p++;
}

/* Appends a code point as UTF-8. */
static size_t
utf8_put(char *out, unsigned cp)
{
	if (cp < 0x80)
	{
		out[0] = (char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (char) (0xc0 | (cp >> 6));
		out[1] = (char) (0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (char) (0xe0 | (cp >> 12));
		out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char) (0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char) (0xf0 | (cp >> 18));
	out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char) (0x80 | (cp & 0x3f));
	return 4;
}

/* Parses a JSON string (at its opening quote) into a malloc'd C string. */
static char *
j_string(JParser *jp)
{
	char	   *out = malloc((size_t) (jp->end - jp->p) + 1);
	size_t		n = 0;

	jp->p++;					/* opening quote */
	while (jp->p < jp->end && *jp->p != '"')
	{
		if (*jp->p == '\\' && jp->p + 1 < jp->end)
		{
			char		c = jp->p[1];

			jp->p += 2;
			if (c == 'n')
				out[n++] = '\n';
			else if (c == 't')
				out[n++] = '\t';
			else if (c == 'r')
				out[n++] = '\r';
			else if (c == 'b')
				out[n++] = '\b';
			else if (c == 'f')
				out[n++] = '\f';
			else if (c == 'u' && jp->end - jp->p >= 4)
			{
				unsigned	cp = (unsigned) strtoul((char[5]) {jp->p[0], jp->p[1], jp->p[2], jp->p[3], 0}, NULL, 16);

				jp->p += 4;
				if (cp >= 0xd800 && cp < 0xdc00 && jp->end - jp->p >= 6 && jp->p[0] == '\\' && jp->p[1] == 'u')
				{
					unsigned	lo = (unsigned) strtoul((char[5]) {jp->p[2], jp->p[3], jp->p[4], jp->p[5], 0}, NULL, 16);

					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					jp->p += 6;
				}
				n += utf8_put(out + n, cp);
			}
			else
				out[n++] = c;
		}
		else
			out[n++] = *jp->p++;
	}
	if (jp->p >= jp->end)
		jp->failed = true;
	else
		jp->p++;
	out[n] = '\0';
	return out;
}

static void j_value(JParser *jp, JVal *v);

/* Appends to an array or object under construction. */
static JVal *
j_push(JVal *v)
{
	v->items = realloc(v->items, sizeof(JVal) * (size_t) (v->n + 1));
	v->keys = realloc(v->keys, sizeof(char *) * (size_t) (v->n + 1));
	memset(&v->items[v->n], 0, sizeof(JVal));
	v->keys[v->n] = NULL;
	return &v->items[v->n++];
}

/* Parses any JSON value; sets jp->failed on malformed input. */
static void
j_value(JParser *jp, JVal *v)
{
	memset(v, 0, sizeof(*v));
	j_ws(jp);
	if (jp->p >= jp->end)
	{
		jp->failed = true;
		return;
	}
	if (*jp->p == '{' || *jp->p == '[')
	{
		bool		obj = (*jp->p == '{');
		char		close = obj ? '}' : ']';

		v->type = obj ? J_OBJ : J_ARR;
		jp->p++;
		j_ws(jp);
		if (jp->p < jp->end && *jp->p == close)
		{
			jp->p++;
			return;
		}
		while (!jp->failed)
		{
			char	   *key = NULL;
			JVal	   *item;

			j_ws(jp);
			if (obj)
			{
				if (jp->p >= jp->end || *jp->p != '"')
				{
					jp->failed = true;
					return;
				}
				key = j_string(jp);
				j_ws(jp);
				if (jp->p >= jp->end || *jp->p != ':')
				{
					free(key);
					jp->failed = true;
					return;
				}
				jp->p++;
			}
			item = j_push(v);
			v->keys[v->n - 1] = key;
			j_value(jp, item);
			j_ws(jp);
			if (jp->p < jp->end && *jp->p == ',')
				jp->p++;
			else if (jp->p < jp->end && *jp->p == close)
			{
				jp->p++;
				return;
			}
			else
				jp->failed = true;
		}
		return;
	}
	if (*jp->p == '"')
	{
		v->type = J_STR;
		v->str = j_string(jp);
		return;
	}
	if (strncmp(jp->p, "true", 4) == 0 || strncmp(jp->p, "false", 5) == 0)
	{
		v->type = J_BOOL;
		v->b = (*jp->p == 't');
		jp->p += v->b ? 4 : 5;
		return;
	}
	if (strncmp(jp->p, "null", 4) == 0)
	{
		v->type = J_NULL;
		jp->p += 4;
		return;
	}
	{
		char	   *endp;

		v->type = J_NUM;
		v->num = strtod(jp->p, &endp);
		if (endp == jp->p)
			jp->failed = true;
		jp->p = endp;
	}
}

/* Frees a parsed JSON value's children and strings. */
static void
j_free(JVal *v)
{
	for (int i = 0; i < v->n; i++)
	{
		j_free(&v->items[i]);
		free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

/* Member of an object, or NULL. */
static const JVal *
j_get(const JVal *v, const char *key)
{
	if (v == NULL || v->type != J_OBJ)
		return NULL;
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return &v->items[i];
	return NULL;
}

/* String member of an object, or NULL. */
static const char *
j_str(const JVal *v, const char *key)
{
	const JVal *m = j_get(v, key);

	return (m != NULL && m->type == J_STR) ? m->str : NULL;
}

/* Integer member of an object, or -1. */
static long long
j_num(const JVal *v, const char *key)
{
	const JVal *m = j_get(v, key);

	return (m != NULL && m->type == J_NUM) ? (long long) m->num : -1;
}

/* ----------------------------------------------------------------
 * Canonical text forms of decoded values (see reader_make_fixtures.mjs)
 * ----------------------------------------------------------------
 */
typedef struct StrBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} StrBuf;

/* Appends bytes to a growable NUL-terminated string. */
static void
sb_put(StrBuf *sb, const void *p, size_t n)
{
	if (sb->len + n + 1 > sb->cap)
	{
		sb->cap = (sb->len + n + 1) * 2;
		sb->data = realloc(sb->data, sb->cap);
	}
	memcpy(sb->data + sb->len, p, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

/* Appends formatted text (short pieces only) to a string. */
static void
sb_printf(StrBuf *sb, const char *fmt,...)
{
	char		tmp[128];
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	sb_put(sb, tmp, (size_t) n);
}

/* A DECIMAL's unscaled value as DuckDB prints it: "-12.30", "0.05". */
static void
put_decimal(StrBuf *sb, __int128 v, int scale)
{
	char		digits[64];
	int			n = 0;
	unsigned __int128 u;

	if (v < 0)
	{
		sb_put(sb, "-", 1);
		u = (unsigned __int128) (-(v + 1)) + 1;
	}
	else
		u = (unsigned __int128) v;
	do
	{
		digits[n++] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u > 0);
	while (n < scale + 1)
		digits[n++] = '0';
	for (int i = n - 1; i >= 0; i--)
	{
		sb_put(sb, &digits[i], 1);
		if (i == scale && scale > 0)
			sb_put(sb, ".", 1);
	}
}

/* Big-endian two's complement (DECIMAL in byte arrays) to __int128. */
static __int128
be_to_int128(const uint8_t *p, uint32_t len)
{
	unsigned __int128 u = 0;

	if (len == 0)
		return 0;
	if (p[0] & 0x80)
		u = ~(unsigned __int128) 0;
	for (uint32_t i = 0; i < len; i++)
		u = (u << 8) | p[i];
	return (__int128) u;
}

/* Whether a column is annotated DECIMAL (logical or converted). */
static bool
is_decimal(const ParquetColumnSchema *col)
{
	return col->logical_type == PQ_LT_DECIMAL || col->converted_type == PQ_CT_DECIMAL;
}

/* Whether a byte-array column holds text (compared as is, not as hex). */
static bool
is_text(const ParquetColumnSchema *col)
{
	return col->logical_type == PQ_LT_STRING || col->logical_type == PQ_LT_ENUM ||
		col->logical_type == PQ_LT_JSON || col->converted_type == PQ_CT_UTF8 ||
		col->converted_type == PQ_CT_ENUM || col->converted_type == PQ_CT_JSON;
}

/* Appends bytes as hex digits, as DuckDB's hex() (upper) or UUID text (lower). */
static void
put_hex(StrBuf *sb, const uint8_t *p, uint32_t len, bool upper)
{
	for (uint32_t i = 0; i < len; i++)
		sb_printf(sb, upper ? "%02X" : "%02x", p[i]);
}

/* Appends a float as printf %.17g, "nan" for any NaN (its sign varies). */
static void
put_float(StrBuf *sb, double d)
{
	if (isnan(d))
		sb_put(sb, "nan", 3);
	else
		sb_printf(sb, "%.17g", d);
}

/* Appends the canonical text of one non-null value. */
static void
canon_value(StrBuf *sb, const ParquetColumnSchema *col, ParquetValueKind kind, const ParquetValue *v)
{
	bool		is_unsigned = col->int_bit_width > 0 && !col->int_is_signed;

	switch (kind)
	{
		case PQ_VALUE_BOOLEAN:
			sb_printf(sb, "%s", v->boolean ? "true" : "false");
			break;
		case PQ_VALUE_INT32:
			if (is_decimal(col))
				put_decimal(sb, v->int32, col->decimal_scale);
			else if (is_unsigned)
				sb_printf(sb, "%u", (unsigned) v->int32);
			else
				sb_printf(sb, "%d", v->int32);
			break;
		case PQ_VALUE_INT64:
			if (is_decimal(col))
				put_decimal(sb, v->int64, col->decimal_scale);
			else if (is_unsigned)
				sb_printf(sb, "%llu", (unsigned long long) v->int64);
			else
				sb_printf(sb, "%lld", (long long) v->int64);
			break;
		case PQ_VALUE_FLOAT:
			put_float(sb, (double) v->float4);
			break;
		case PQ_VALUE_DOUBLE:
			put_float(sb, v->float8);
			break;
		case PQ_VALUE_BYTES:
			if (is_decimal(col))
				put_decimal(sb, be_to_int128(v->bytes.ptr, v->bytes.len), col->decimal_scale);
			else if (col->logical_type == PQ_LT_UUID)
				put_hex(sb, v->bytes.ptr, v->bytes.len, false);
			else if (is_text(col))
				sb_put(sb, v->bytes.ptr, v->bytes.len);
			else
				put_hex(sb, v->bytes.ptr, v->bytes.len, true);
			break;
	}
}

/* Per-column accumulation over all row groups. */
typedef struct ColumnTally
{
	Md5			md5;
	long long	count;
	long long	non_null;
	StrBuf		text;
} ColumnTally;

/* Adds one decoded chunk to a column's counts and md5, row by row. */
/*
 * The dictionary index a decoded chunk exposes: only for a chunk with a
 * dictionary page, and then every non-null row's value is its dictionary
 * entry.
 */
static int	dict_index_chunks;		/* chunks that exposed one */

static void
check_dict_index(const char *name, int g, int c, const ParquetColumnChunk *cc,
				 const ParquetColumnValues *cv)
{
	bool		ok = true;

	if (cv->dict_index == NULL)
		return;
	dict_index_chunks++;
	CHECK(cc->has_dictionary_page_offset && cv->dict != NULL && cv->dict_count > 0,
		  "%s: row group %d column %d: dictionary index without a dictionary", name, g, c);
	for (int64_t i = 0; ok && i < cv->num_values; i++)
	{
		if (cv->is_null[i])
			continue;
		ok = cv->dict_index[i] < (uint32_t) cv->dict_count &&
			memcmp(&cv->values[i], &cv->dict[cv->dict_index[i]], sizeof(ParquetValue)) == 0;
	}
	CHECK(ok, "%s: row group %d column %d: values are their dictionary entries", name, g, c);
}

static void
tally_values(ColumnTally *t, const ParquetColumnSchema *col, const ParquetColumnValues *cv)
{
	for (int64_t i = 0; i < cv->num_values; i++)
	{
		t->text.len = 0;
		if (t->count > 0)
			sb_put(&t->text, "\n", 1);
		if (cv->is_null[i])
			sb_put(&t->text, "\\N", 2);
		else if (col->is_list)
		{
			/* "[e,e,...]", "\N" for a NULL element */
			sb_put(&t->text, "[", 1);
			for (int64_t k = cv->list_offsets[i]; k < cv->list_offsets[i + 1]; k++)
			{
				if (k > cv->list_offsets[i])
					sb_put(&t->text, ",", 1);
				if (cv->element_is_null[k])
					sb_put(&t->text, "\\N", 2);
				else
					canon_value(&t->text, col, cv->kind, &cv->elements[k]);
			}
			sb_put(&t->text, "]", 1);
			t->non_null++;
		}
		else
		{
			canon_value(&t->text, col, cv->kind, &cv->values[i]);
			t->non_null++;
		}
		md5_update(&t->md5, t->text.data, t->text.len);
		t->count++;
	}
}

/* Two decoded values of a kind are equal (only the kind's member is set). */
static bool
same_value(ParquetValueKind kind, const ParquetValue *a, const ParquetValue *b)
{
	if (kind == PQ_VALUE_BYTES)
		return a->bytes.len == b->bytes.len &&
			(a->bytes.len == 0 || memcmp(a->bytes.ptr, b->bytes.ptr, a->bytes.len) == 0);
	return memcmp(a, b, kind == PQ_VALUE_BOOLEAN ? sizeof(bool) :
				  (kind == PQ_VALUE_INT32 || kind == PQ_VALUE_FLOAT) ? 4 : 8) == 0;
}

/* Two decodings of the same chunk are equal value by value. */
static bool
same_values(const ParquetColumnValues *a, const ParquetColumnValues *b)
{
	if (a->num_values != b->num_values || a->num_nulls != b->num_nulls || a->kind != b->kind ||
		a->num_elements != b->num_elements || (a->list_offsets == NULL) != (b->list_offsets == NULL))
		return false;
	for (int64_t i = 0; i < a->num_values; i++)
	{
		if (a->is_null[i] != b->is_null[i])
			return false;
		if (a->list_offsets != NULL &&
			(a->list_offsets[i] != b->list_offsets[i] || a->list_offsets[i + 1] != b->list_offsets[i + 1]))
			return false;
		if (a->is_null[i] || a->list_offsets != NULL)
			continue;
		if (!same_value(a->kind, &a->values[i], &b->values[i]))
			return false;
	}
	for (int64_t k = 0; k < a->num_elements; k++)
	{
		if (a->element_is_null[k] != b->element_is_null[k] ||
			(!a->element_is_null[k] && !same_value(a->kind, &a->elements[k], &b->elements[k])))
			return false;
	}
	return true;
}

/* ----------------------------------------------------------------
 * Fixture checks
 * ----------------------------------------------------------------
 */

/* Checks a readable fixture through one opened reader. */
static void
check_ok_fixture(ParquetReader *reader, const JVal *fx, const char *how)
{
	const char *name = j_str(fx, "file");
	const ParquetFileMeta *meta = parquet_reader_metadata(reader);
	const JVal *cols = j_get(fx, "columns");
	const JVal *codecs = j_get(fx, "codecs");
	ColumnTally *tally;
	char		err[512];
	int			ncols;

	CHECK(meta->num_rows == j_num(fx, "num_rows"), "%s (%s): num_rows %lld, expected %lld",
		  name, how, (long long) meta->num_rows, j_num(fx, "num_rows"));
	CHECK(meta->num_row_groups == j_num(fx, "num_row_groups"), "%s (%s): %d row groups, expected %lld",
		  name, how, meta->num_row_groups, j_num(fx, "num_row_groups"));
	if (!CHECK(cols != NULL && meta->num_columns == cols->n, "%s (%s): %d columns, expected %d",
			   name, how, meta->num_columns, cols ? cols->n : -1))
		return;
	ncols = meta->num_columns;
	CHECK(meta->created_by != NULL && strstr(meta->created_by, "DuckDB") != NULL,
		  "%s (%s): created_by \"%s\"", name, how, meta->created_by ? meta->created_by : "(null)");

	tally = calloc((size_t) ncols, sizeof(ColumnTally));
	for (int c = 0; c < ncols; c++)
	{
		const JVal *jc = &cols->items[c];

		md5_init(&tally[c].md5);
		CHECK(strcmp(meta->columns[c].name, j_str(jc, "name")) == 0, "%s: column %d is \"%s\", expected \"%s\"",
			  name, c, meta->columns[c].name, j_str(jc, "name"));
		CHECK(parquet_reader_find_column(reader, j_str(jc, "name")) == c, "%s: find_column(%s)", name, j_str(jc, "name"));
		if (meta->columns[c].is_list)
			CHECK(meta->columns[c].max_definition_level == 3 && meta->columns[c].list_definition_level == 1 &&
				  meta->columns[c].max_repetition_level == 1 && !meta->columns[c].element_required,
				  "%s: DuckDB lists are OPTIONAL lists of OPTIONAL elements", name);
		else
			CHECK(meta->columns[c].max_definition_level == 1, "%s: DuckDB columns are OPTIONAL", name);
	}

	for (int g = 0; g < meta->num_row_groups; g++)
	{
		const ParquetRowGroup *rg = &meta->row_groups[g];
		ParquetRowGroupBatch batch;
		ParquetStatus st;

		st = parquet_read_row_group(reader, g, NULL, 0, &batch, err, sizeof(err));
		if (!CHECK(st == PARQUET_OK, "%s (%s): row group %d: %s", name, how, g, err))
			continue;
		CHECK(batch.num_rows == rg->num_rows && batch.num_columns == ncols, "%s: batch shape", name);
		for (int c = 0; c < ncols; c++)
		{
			const ParquetColumnChunk *cc = &rg->columns[c];
			const JVal *jenc = j_get(&cols->items[c], "encodings");
			bool		codec_ok = false;

			CHECK(batch.columns[c].num_values == rg->num_rows, "%s: column %d has %lld values in row group %d",
				  name, c, (long long) batch.columns[c].num_values, g);
			tally_values(&tally[c], &meta->columns[c], &batch.columns[c]);
			check_dict_index(name, g, c, cc, &batch.columns[c]);
			if (cc->has_statistics && cc->statistics.has_null_count && !meta->columns[c].is_list)
				CHECK(cc->statistics.null_count == batch.columns[c].num_nulls,
					  "%s: column %d null_count statistic %lld, decoded %lld nulls",
					  name, c, (long long) cc->statistics.null_count, (long long) batch.columns[c].num_nulls);
			for (int k = 0; codecs != NULL && k < codecs->n; k++)
				codec_ok |= strcmp(codecs->items[k].str, parquet_codec_name(cc->codec)) == 0;
			CHECK(codec_ok, "%s: column %d has codec %s", name, c, parquet_codec_name(cc->codec));
			if (jenc != NULL && jenc->type == J_ARR)
			{
				/* every listed encoding is expected, and every expected one listed */
				for (int k = 0; k < cc->num_encodings; k++)
				{
					bool		found = false;

					for (int j = 0; j < jenc->n; j++)
						found |= strcmp(jenc->items[j].str, parquet_encoding_name(cc->encodings[k])) == 0;
					CHECK(found, "%s: column %d lists unexpected encoding %s", name, c,
						  parquet_encoding_name(cc->encodings[k]));
				}
				for (int j = 0; j < jenc->n; j++)
				{
					bool		found = false;

					for (int k = 0; k < cc->num_encodings; k++)
						found |= strcmp(jenc->items[j].str, parquet_encoding_name(cc->encodings[k])) == 0;
					CHECK(found || rg->num_rows == 0, "%s: column %d lacks encoding %s", name, c, jenc->items[j].str);
				}
			}
		}

		/* projection: the odd columns, last first, must decode the same */
		{
			int			sel[64];
			int			nsel = 0;
			ParquetRowGroupBatch proj;

			for (int c = ncols - 1; c >= 0 && nsel < 64; c--)
				if (c % 2 == 1)
					sel[nsel++] = c;
			st = parquet_read_row_group(reader, g, sel, nsel, &proj, err, sizeof(err));
			if (CHECK(st == PARQUET_OK, "%s: projected read: %s", name, err))
			{
				for (int i = 0; i < nsel; i++)
					CHECK(proj.columns[i].column == sel[i] &&
						  same_values(&proj.columns[i], &batch.columns[sel[i]]),
						  "%s: projected column %d differs", name, sel[i]);
				parquet_row_group_batch_free(&proj);
			}
		}
		parquet_row_group_batch_free(&batch);
	}

	for (int c = 0; c < ncols; c++)
	{
		const JVal *jc = &cols->items[c];
		char		hex[33];

		md5_final(&tally[c].md5, hex);
		CHECK(tally[c].count == j_num(jc, "count"), "%s (%s): column %s has %lld values, expected %lld",
			  name, how, j_str(jc, "name"), tally[c].count, j_num(jc, "count"));
		CHECK(tally[c].non_null == j_num(jc, "non_null"), "%s (%s): column %s has %lld non-null values, expected %lld",
			  name, how, j_str(jc, "name"), tally[c].non_null, j_num(jc, "non_null"));
		CHECK(strcmp(hex, j_str(jc, "md5")) == 0, "%s (%s): column %s (%s) md5 %s, expected %s",
			  name, how, j_str(jc, "name"), j_str(jc, "type"), hex, j_str(jc, "md5"));
		free(tally[c].text.data);
	}
	free(tally);
}

/* Expected status of an error fixture. */
static ParquetStatus
expected_status(const JVal *fx)
{
	const char *s = j_str(fx, "status");

	if (s != NULL && strcmp(s, "nested") == 0)
		return PARQUET_ERROR_NESTED;
	if (s != NULL && strcmp(s, "unsupported") == 0)
		return PARQUET_ERROR_UNSUPPORTED;
	return PARQUET_ERROR_CORRUPT;
}

/* Checks an error fixture: fails at open, or at reading some column. */
static void
check_error_fixture(const uint8_t *data, size_t len, const JVal *fx)
{
	const char *name = j_str(fx, "file");
	const char *stage = j_str(fx, "stage");
	const char *message = j_str(fx, "message");
	ParquetReader *reader;
	char		err[512];
	ParquetStatus st;

	st = parquet_reader_open_memory(data, len, NULL, &reader, err, sizeof(err));
	if (stage != NULL && strcmp(stage, "open") == 0)
	{
		CHECK(st == expected_status(fx) && reader == NULL, "%s: open gave status %d (%s)", name, st, err);
		CHECK(message != NULL && strstr(err, message) != NULL, "%s: message \"%s\", expected \"%s\"", name, err, message);
		parquet_reader_close(reader);
		return;
	}
	if (!CHECK(st == PARQUET_OK, "%s: open failed: %s", name, err))
		return;
	{
		const ParquetFileMeta *meta = parquet_reader_metadata(reader);
		bool		failed = false;

		for (int g = 0; g < meta->num_row_groups && !failed; g++)
		{
			ParquetRowGroupBatch batch;

			st = parquet_read_row_group(reader, g, NULL, 0, &batch, err, sizeof(err));
			if (st != PARQUET_OK)
			{
				failed = true;
				CHECK(st == expected_status(fx), "%s: read gave status %d (%s)", name, st, err);
				CHECK(message != NULL && strstr(err, message) != NULL, "%s: message \"%s\", expected \"%s\"",
					  name, err, message);
			}
			else
				parquet_row_group_batch_free(&batch);
		}
		CHECK(failed, "%s: reading did not fail", name);
	}
	parquet_reader_close(reader);
}

/* Runs every fixture of expected.json. */
static void
test_fixtures(const char *dir)
{
	char		path[4096];
	size_t		len;
	char	   *json;
	JParser		jp;
	JVal		root;
	const JVal *files;
	int			nok = 0;

	snprintf(path, sizeof(path), "%s/expected.json", dir);
	json = (char *) read_file(path, &len);
	if (!CHECK(json != NULL, "cannot read %s", path))
		return;
	jp.p = json;
	jp.end = json + len;
	jp.failed = false;
	j_value(&jp, &root);
	files = j_get(&root, "files");
	if (!CHECK(!jp.failed && files != NULL && files->type == J_ARR && files->n > 0, "bad %s", path))
	{
		j_free(&root);
		free(json);
		return;
	}
	for (int i = 0; i < files->n; i++)
	{
		const JVal *fx = &files->items[i];
		const char *name = j_str(fx, "file");
		uint8_t    *data;
		ParquetReader *reader;
		char		err[512];
		ParquetStatus st;

		snprintf(path, sizeof(path), "%s/%s", dir, name);
		data = read_file(path, &len);
		if (!CHECK(data != NULL, "cannot read %s", path))
			continue;
		CHECK((long long) len == j_num(fx, "size"), "%s: size %zu, expected %lld", name, len, j_num(fx, "size"));
		if (strcmp(j_str(fx, "expect"), "ok") == 0)
		{
			st = parquet_reader_open_memory(data, len, NULL, &reader, err, sizeof(err));
			if (CHECK(st == PARQUET_OK, "%s: open from memory: %s", name, err))
			{
				check_ok_fixture(reader, fx, "memory");
				parquet_reader_close(reader);
			}
			st = parquet_reader_open_file(path, NULL, &reader, err, sizeof(err));
			if (CHECK(st == PARQUET_OK, "%s: open from file: %s", name, err))
			{
				check_ok_fixture(reader, fx, "file");
				parquet_reader_close(reader);
			}
			nok++;
		}
		else
			check_error_fixture(data, len, fx);
		free(data);
	}
	printf("fixtures: %d files (%d readable), DuckDB %s\n", files->n, nok,
		   j_str(&root, "duckdb_version") ? j_str(&root, "duckdb_version") : "?");
	j_free(&root);
	free(json);
}

/* ----------------------------------------------------------------
 * Hand-built files: a thrift compact writer and page encoders
 * ----------------------------------------------------------------
 */
typedef struct Buf
{
	uint8_t    *d;
	size_t		len;
	size_t		cap;
} Buf;

/* Appends bytes to a growable byte buffer. */
static void
b_put(Buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap)
	{
		b->cap = (b->len + n) * 2 + 64;
		b->d = realloc(b->d, b->cap);
	}
	if (n > 0)
		memcpy(b->d + b->len, p, n);
	b->len += n;
}

/* Appends one byte. */
static void
b_byte(Buf *b, uint8_t v)
{
	b_put(b, &v, 1);
}

/* Appends a ULEB128 varint. */
static void
b_varint(Buf *b, uint64_t v)
{
	while (v >= 0x80)
	{
		b_byte(b, (uint8_t) (v | 0x80));
		v >>= 7;
	}
	b_byte(b, (uint8_t) v);
}

/* Appends a zigzag varint (thrift i16/i32/i64, delta encodings). */
static void
b_zigzag(Buf *b, int64_t v)
{
	b_varint(b, ((uint64_t) v << 1) ^ (uint64_t) (v >> 63));
}

/* Appends a little-endian 32-bit value. */
static void
b_le32(Buf *b, uint32_t v)
{
	uint8_t		x[4] = {(uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16), (uint8_t) (v >> 24)};

	b_put(b, x, 4);
}

/* Appends a little-endian 64-bit value. */
static void
b_le64(Buf *b, uint64_t v)
{
	b_le32(b, (uint32_t) v);
	b_le32(b, (uint32_t) (v >> 32));
}

/* Thrift struct writer state: the last field id, for delta headers. */
typedef struct TW
{
	Buf		   *b;
	int16_t		last[64];
	int			depth;
} TW;

/* Writes a field header, short form when the id delta allows. */
static void
tw_field(TW *tw, int16_t id, uint8_t type)
{
	int16_t    *last = &tw->last[tw->depth];

	if (id > *last && id - *last <= 15)
		b_byte(tw->b, (uint8_t) (((id - *last) << 4) | type));
	else
	{
		b_byte(tw->b, type);
		b_zigzag(tw->b, id);
	}
	*last = id;
}

/* Starts a struct (as a list element or the root). */
static void
tw_begin(TW *tw)
{
	tw->last[++tw->depth] = 0;
}

/* Ends a struct with the STOP byte. */
static void
tw_end(TW *tw)
{
	b_byte(tw->b, 0);
	tw->depth--;
}

/* Writes an i32 field. */
static void
tw_i32(TW *tw, int16_t id, int64_t v)
{
	tw_field(tw, id, 5);
	b_zigzag(tw->b, v);
}

/* Writes an i64 field. */
static void
tw_i64(TW *tw, int16_t id, int64_t v)
{
	tw_field(tw, id, 6);
	b_zigzag(tw->b, v);
}

/* Writes a bool field (the value is in the type nibble). */
static void
tw_bool(TW *tw, int16_t id, bool v)
{
	tw_field(tw, id, v ? 1 : 2);
}

/* Writes a binary field. */
static void
tw_bin(TW *tw, int16_t id, const void *p, size_t n)
{
	tw_field(tw, id, 8);
	b_varint(tw->b, n);
	b_put(tw->b, p, n);
}

/* Writes a string field. */
static void
tw_str(TW *tw, int16_t id, const char *s)
{
	tw_bin(tw, id, s, strlen(s));
}

/* Writes a list field header; the caller writes the n elements. */
static void
tw_list(TW *tw, int16_t id, uint8_t elem, size_t n)
{
	tw_field(tw, id, 9);
	if (n < 15)
		b_byte(tw->b, (uint8_t) ((n << 4) | elem));
	else
	{
		b_byte(tw->b, (uint8_t) (0xf0 | elem));
		b_varint(tw->b, n);
	}
}

/* Writes a struct field header and starts the struct. */
static void
tw_struct(TW *tw, int16_t id)
{
	tw_field(tw, id, 12);
	tw_begin(tw);
}

/*
 * Unknown fields of every thrift type (ids 100+, which no Parquet struct
 * uses), nested structs, lists, sets and maps included: the reader must
 * skip them all.
 */
static void
tw_unknown_fields(TW *tw)
{
	tw_bool(tw, 100, true);
	tw_bool(tw, 101, false);
	tw_field(tw, 102, 3);
	b_byte(tw->b, 0xfe);
	tw_field(tw, 103, 4);
	b_zigzag(tw->b, -300);
	tw_i32(tw, 104, 123456);
	tw_i64(tw, 105, -1234567890123LL);
	tw_field(tw, 106, 7);
	b_le64(tw->b, 0x400921fb54442d18ULL);
	tw_str(tw, 107, "unknown");
	tw_list(tw, 108, 5, 3);
	b_zigzag(tw->b, 1);
	b_zigzag(tw->b, 2);
	b_zigzag(tw->b, 3);
	tw_field(tw, 109, 10);		/* set<string> */
	b_byte(tw->b, (2 << 4) | 8);
	b_varint(tw->b, 1);
	b_byte(tw->b, 'a');
	b_varint(tw->b, 2);
	b_put(tw->b, "bc", 2);
	tw_field(tw, 110, 11);		/* map<string,i32> */
	b_varint(tw->b, 2);
	b_byte(tw->b, (8 << 4) | 5);
	b_varint(tw->b, 1);
	b_byte(tw->b, 'k');
	b_zigzag(tw->b, 7);
	b_varint(tw->b, 1);
	b_byte(tw->b, 'l');
	b_zigzag(tw->b, 8);
	tw_field(tw, 111, 11);		/* empty map */
	b_varint(tw->b, 0);
	tw_list(tw, 112, 1, 2);		/* list<bool> */
	b_byte(tw->b, 1);
	b_byte(tw->b, 2);
	tw_struct(tw, 113);			/* struct { struct { list<struct> } } */
	tw_struct(tw, 1);
	tw_list(tw, 3, 12, 2);
	tw->last[++tw->depth] = 0;
	tw_i32(tw, 1, 5);
	tw_end(tw);
	tw->last[++tw->depth] = 0;
	tw_end(tw);
	tw_end(tw);
	tw_str(tw, 20, "deep");
	tw_end(tw);
	tw_list(tw, 114, 9, 1);		/* list<list<i64>> */
	b_byte(tw->b, (2 << 4) | 6);
	b_zigzag(tw->b, 10);
	b_zigzag(tw->b, 11);
	tw_field(tw, 400, 6);		/* long-form field id */
	b_zigzag(tw->b, 99);
}

/*
 * Whether synth_page writes PageHeader.crc (the CRC-32 of the page body):
 * on, except where a test wants pages without one.
 */
static bool synth_page_crc = true;

/*
 * The CRC-32 of a page body as PageHeader.crc holds it: an i32 with the
 * same bits.
 */
static int32_t
page_crc(const uint8_t *p, size_t n)
{
	uint32_t	crc = (uint32_t) crc32(0L, p, (uInt) n);
	int32_t		as_i32;

	memcpy(&as_i32, &crc, sizeof(as_i32));
	return as_i32;
}

/* What synth_file writes in ColumnChunk.file_offset (deprecated). */
typedef enum SynthFileOffset
{
	SYNTH_FILE_OFFSET_CHUNK,	/* where the chunk starts */
	SYNTH_FILE_OFFSET_ZERO,		/* 0, as Arrow writes for chunks without pages */
	SYNTH_FILE_OFFSET_PAST_END	/* far past the end of the file */
} SynthFileOffset;

/* A column of a hand-built file: schema and the pages of its chunk. */
typedef struct SynthColumn
{
	const char *name;
	int			type;
	int			repetition;
	int			type_length;
	int			converted;		/* -1: none */
	int			logical;		/* 0: none; 10: INTEGER(16, signed); 15:
								 * FLOAT16; 99: unknown member */
	int			codec;
	Buf			pages;
	bool		stats;			/* write legacy min/max and null_count */
	int			num_encodings;
	int			encodings[4];
	bool		v2_values_uncompressed; /* is_compressed = false */
	int			list_form;		/* 0: the leaf alone; 2: an OPTIONAL LIST group
								 * of the (repeated) leaf; 3: an OPTIONAL LIST
								 * group of a repeated group "bag" of the
								 * leaf; 4: the same with "array" */
} SynthColumn;

/*
 * What synth_file_with writes in a column's chunk metadata beyond
 * synth_file's defaults (all off when zeroed).
 */
typedef struct SynthChunkOptions
{
	bool		key_values;		/* ColumnMetaData.key_value_metadata: "foo"
								 * = "bar", "thisiskeywithoutvalue" */
	SynthFileOffset file_offset;
	bool		zero_data_page_offset;	/* ColumnMetaData.data_page_offset 0 */
	uint32_t	value_stats_len;	/* if > 0, Statistics min_value/max_value */
	const uint8_t *min_value;
	const uint8_t *max_value;
	int64_t		num_values;		/* if > 0, ColumnMetaData.num_values (a list
								 * column's level entries), else num_rows */
} SynthChunkOptions;

/*
 * Appends a page (header with unknown fields and, if synth_page_crc, the
 * CRC-32 of the body; then the body).
 */
static void
synth_page(SynthColumn *col, int page_type, int num_values, int encoding,
		   const Buf *body, size_t uncompressed_len, int num_nulls, int def_len,
		   int def_encoding)
{
	Buf			h = {0};
	TW			tw = {&h, {0}, 0};

	tw_i32(&tw, 1, page_type);
	tw_i32(&tw, 2, (int64_t) uncompressed_len);
	tw_i32(&tw, 3, (int64_t) body->len);
	if (synth_page_crc)
		tw_i32(&tw, 4, page_crc(body->d, body->len));
	if (page_type == PQ_PAGE_DATA)
	{
		tw_struct(&tw, 5);
		tw_i32(&tw, 1, num_values);
		tw_i32(&tw, 2, encoding);
		tw_i32(&tw, 3, def_encoding);
		tw_i32(&tw, 4, PQ_ENC_RLE);
		tw_unknown_fields(&tw);
		tw_end(&tw);
	}
	else if (page_type == PQ_PAGE_DICTIONARY)
	{
		tw_struct(&tw, 7);
		tw_i32(&tw, 1, num_values);
		tw_i32(&tw, 2, encoding);
		tw_bool(&tw, 3, false);
		tw_end(&tw);
	}
	else
	{
		tw_struct(&tw, 8);
		tw_i32(&tw, 1, num_values);
		tw_i32(&tw, 2, num_nulls);
		tw_i32(&tw, 3, num_values);
		tw_i32(&tw, 4, encoding);
		tw_i32(&tw, 5, def_len);
		tw_i32(&tw, 6, 0);
		tw_bool(&tw, 7, col->codec != PQ_CODEC_UNCOMPRESSED && !col->v2_values_uncompressed);
		tw_end(&tw);
	}
	tw_unknown_fields(&tw);
	tw_end(&tw);
	b_put(&col->pages, h.d, h.len);
	b_put(&col->pages, body->d, body->len);
	free(h.d);
}

/*
 * Writes a file of the columns, one row group of num_rows; opts, if not
 * NULL, has the chunk options of each column.
 */
static void
synth_file_with(Buf *out, SynthColumn *cols, const SynthChunkOptions *opts, int ncols, int64_t num_rows)
{
	static const SynthChunkOptions defaults;
	Buf			meta = {0};
	TW			tw = {&meta, {0}, 0};
	int64_t		offsets[16];

	b_put(out, "PAR1", 4);
	for (int c = 0; c < ncols; c++)
	{
		offsets[c] = (int64_t) out->len;
		b_put(out, cols[c].pages.d, cols[c].pages.len);
	}

	{
		size_t		nelements = 1;

		for (int c = 0; c < ncols; c++)
			nelements += cols[c].list_form == 0 ? 1 : cols[c].list_form == 2 ? 2 : 3;
		tw_i32(&tw, 1, 2);
		tw_list(&tw, 2, 12, nelements);
	}
	tw_begin(&tw);
	tw_str(&tw, 4, "schema");
	tw_i32(&tw, 5, ncols);
	tw_unknown_fields(&tw);
	tw_end(&tw);
	for (int c = 0; c < ncols; c++)
	{
		if (cols[c].list_form != 0)
		{
			tw_begin(&tw);
			tw_i32(&tw, 3, PQ_OPTIONAL);
			tw_str(&tw, 4, cols[c].name);
			tw_i32(&tw, 5, 1);
			tw_i32(&tw, 6, PQ_CT_LIST);
			tw_end(&tw);
		}
		if (cols[c].list_form >= 3)
		{
			tw_begin(&tw);
			tw_i32(&tw, 3, PQ_REPEATED);
			tw_str(&tw, 4, cols[c].list_form == 3 ? "bag" : "array");
			tw_i32(&tw, 5, 1);
			tw_end(&tw);
		}
		tw_begin(&tw);
		tw_i32(&tw, 1, cols[c].type);
		if (cols[c].type == PQ_FIXED_LEN_BYTE_ARRAY)
			tw_i32(&tw, 2, cols[c].type_length);
		tw_i32(&tw, 3, cols[c].repetition);
		tw_str(&tw, 4, cols[c].list_form == 0 ? cols[c].name : "element");
		if (cols[c].converted >= 0)
			tw_i32(&tw, 6, cols[c].converted);
		if (cols[c].converted == PQ_CT_DECIMAL)
		{
			tw_i32(&tw, 7, 2);
			tw_i32(&tw, 8, 9);
		}
		tw_i32(&tw, 9, 1000 + c);
		if (cols[c].logical == PQ_LT_INTEGER)
		{
			tw_struct(&tw, 10);
			tw_struct(&tw, PQ_LT_INTEGER);
			tw_field(&tw, 1, 3);
			b_byte(tw.b, 16);
			tw_bool(&tw, 2, true);
			tw_end(&tw);
			tw_end(&tw);
		}
		else if (cols[c].logical == PQ_LT_FLOAT16)
		{
			tw_struct(&tw, 10);
			tw_struct(&tw, PQ_LT_FLOAT16);
			tw_end(&tw);
			tw_end(&tw);
		}
		else if (cols[c].logical == 99)
		{
			/* a future LogicalType member: skipped */
			tw_struct(&tw, 10);
			tw_struct(&tw, 99);
			tw_i32(&tw, 1, 1);
			tw_end(&tw);
			tw_end(&tw);
		}
		tw_unknown_fields(&tw);
		tw_end(&tw);
	}
	tw_i64(&tw, 3, num_rows);
	tw_list(&tw, 4, 12, 1);
	tw_begin(&tw);
	tw_list(&tw, 1, 12, (size_t) ncols);
	for (int c = 0; c < ncols; c++)
	{
		const SynthChunkOptions *o = opts != NULL ? &opts[c] : &defaults;

		tw_begin(&tw);
		if (o->file_offset == SYNTH_FILE_OFFSET_ZERO)
			tw_i64(&tw, 2, 0);
		else if (o->file_offset == SYNTH_FILE_OFFSET_PAST_END)
			tw_i64(&tw, 2, INT64_C(1) << 40);
		else
			tw_i64(&tw, 2, offsets[c]);
		tw_struct(&tw, 3);
		tw_i32(&tw, 1, cols[c].type);
		tw_list(&tw, 2, 5, (size_t) cols[c].num_encodings);
		for (int k = 0; k < cols[c].num_encodings; k++)
			b_zigzag(tw.b, cols[c].encodings[k]);
		tw_list(&tw, 3, 8, 1);
		b_varint(tw.b, strlen(cols[c].name));
		b_put(tw.b, cols[c].name, strlen(cols[c].name));
		tw_i32(&tw, 4, cols[c].codec);
		tw_i64(&tw, 5, o->num_values > 0 ? o->num_values : num_rows);
		tw_i64(&tw, 6, (int64_t) cols[c].pages.len);
		tw_i64(&tw, 7, (int64_t) cols[c].pages.len);
		if (o->key_values)
		{
			tw_list(&tw, 8, 12, 2);
			tw_begin(&tw);
			tw_str(&tw, 1, "foo");
			tw_str(&tw, 2, "bar");
			tw_end(&tw);
			tw_begin(&tw);
			tw_str(&tw, 1, "thisiskeywithoutvalue");
			tw_end(&tw);
		}
		tw_i64(&tw, 9, o->zero_data_page_offset ? 0 : offsets[c]);
		if (o->value_stats_len > 0)
		{
			tw_struct(&tw, 12);
			tw_i64(&tw, 3, 1);
			tw_bin(&tw, 5, o->max_value, o->value_stats_len);
			tw_bin(&tw, 6, o->min_value, o->value_stats_len);
			tw_end(&tw);
		}
		else if (cols[c].stats)
		{
			tw_struct(&tw, 12);
			tw_bin(&tw, 1, "\x09\x00\x00\x00", 4);
			tw_bin(&tw, 2, "\xfe\xff\xff\xff", 4);
			tw_i64(&tw, 3, 1);
			tw_i64(&tw, 4, 3);
			tw_unknown_fields(&tw);
			tw_end(&tw);
		}
		tw_unknown_fields(&tw);
		tw_end(&tw);
		tw_unknown_fields(&tw);
		tw_end(&tw);
	}
	tw_i64(&tw, 2, 1000);
	tw_i64(&tw, 3, num_rows);
	tw_unknown_fields(&tw);
	tw_end(&tw);
	tw_list(&tw, 5, 12, 2);
	tw_begin(&tw);
	tw_str(&tw, 1, "spillpool.test");
	tw_bin(&tw, 2, "a\0b", 3);
	tw_end(&tw);
	tw_begin(&tw);
	tw_str(&tw, 1, "novalue");
	tw_end(&tw);
	tw_str(&tw, 6, "reader_test synth");
	tw_unknown_fields(&tw);
	tw_end(&tw);

	b_put(out, meta.d, meta.len);
	b_le32(out, (uint32_t) meta.len);
	b_put(out, "PAR1", 4);
	free(meta.d);
}

/* Writes a file of the columns with synth_file_with's default chunks. */
static void
synth_file(Buf *out, SynthColumn *cols, int ncols, int64_t num_rows)
{
	synth_file_with(out, cols, NULL, ncols, num_rows);
}

/* An RLE run of count copies of value in width_bytes bytes. */
static void
rle_run(Buf *b, uint32_t count, uint64_t value, int width_bytes)
{
	b_varint(b, (uint64_t) count << 1);
	for (int i = 0; i < width_bytes; i++)
		b_byte(b, (uint8_t) (value >> (8 * i)));
}

/* A bit-packed run of n (a multiple of 8) values of bit_width bits. */
static void
bitpacked_run(Buf *b, const uint32_t *values, int n, int bit_width)
{
	uint64_t	acc = 0;
	int			bits = 0;

	b_varint(b, ((uint64_t) (n / 8) << 1) | 1);
	for (int i = 0; i < n; i++)
	{
		acc |= (uint64_t) values[i] << bits;
		bits += bit_width;
		while (bits >= 8)
		{
			b_byte(b, (uint8_t) acc);
			acc >>= 8;
			bits -= 8;
		}
	}
	if (bits > 0)
		b_byte(b, (uint8_t) acc);
}

/* DELTA_BINARY_PACKED: blocks of 128 in 4 miniblocks of 32. */
static void
delta_encode(Buf *b, const int64_t *v, int n)
{
	b_varint(b, 128);
	b_varint(b, 4);
	b_varint(b, (uint64_t) n);
	b_zigzag(b, n > 0 ? v[0] : 0);
	for (int start = 1; start < n; start += 128)
	{
		int			m = n - start < 128 ? n - start : 128;
		int64_t		deltas[128];
		int64_t		min = INT64_MAX;
		uint8_t		widths[4] = {0};

		for (int i = 0; i < m; i++)
		{
			deltas[i] = (int64_t) ((uint64_t) v[start + i] - (uint64_t) v[start + i - 1]);
			if (deltas[i] < min)
				min = deltas[i];
		}
		b_zigzag(b, min);
		for (int mb = 0; mb < 4; mb++)
			for (int i = mb * 32; i < m && i < mb * 32 + 32; i++)
			{
				uint64_t	d = (uint64_t) deltas[i] - (uint64_t) min;
				int			w = 0;

				while (w < 64 && (d >> w) != 0)
					w++;
				if (w > widths[mb])
					widths[mb] = (uint8_t) w;
			}
		b_put(b, widths, 4);
		for (int mb = 0; mb < 4 && mb * 32 < m; mb++)
		{
			uint8_t		packed[32 * 8] = {0};

			for (int i = 0; i < 32; i++)
			{
				uint64_t	d = (mb * 32 + i < m) ? (uint64_t) deltas[mb * 32 + i] - (uint64_t) min : 0;

				for (int k = 0; k < widths[mb]; k++)
					if ((d >> k) & 1)
						packed[(i * widths[mb] + k) / 8] |= (uint8_t) (1 << ((i * widths[mb] + k) % 8));
			}
			b_put(b, packed, (size_t) widths[mb] * 4);
		}
	}
}

/* Fetches column c of row group 0, expecting success. */
static bool
synth_read(ParquetReader *r, int c, ParquetColumnValues *cv)
{
	char		err[512];
	ParquetStatus st = parquet_read_column_chunk(r, 0, c, cv, err, sizeof(err));

	return CHECK(st == PARQUET_OK, "synthetic column %d: %s", c, err);
}

/* The edge-feature file: every column exercises something DuckDB lacks. */
static void
test_synthetic_features(void)
{
	SynthColumn cols[9];
	Buf			file = {0};
	Buf			body = {0};
	ParquetReader *reader;
	char		err[512];
	ParquetStatus st;
	const ParquetFileMeta *meta;
	ParquetColumnValues cv;
	const int	nrows = 20;

	memset(cols, 0, sizeof(cols));

	/* 0: REQUIRED INT32 with INTEGER(16, signed), PLAIN in two v1 pages */
	cols[0] = (SynthColumn) {"req_i16", PQ_INT32, PQ_REQUIRED, 0, -1, PQ_LT_INTEGER, PQ_CODEC_UNCOMPRESSED, {0}, true, 1, {PQ_ENC_PLAIN}, false, 0};
	for (int i = 0; i < 12; i++)
		b_le32(&body, (uint32_t) (i * 3 - 10));
	synth_page(&cols[0], PQ_PAGE_DATA, 12, PQ_ENC_PLAIN, &body, body.len, 0, 0, PQ_ENC_RLE);
	body.len = 0;
	for (int i = 12; i < nrows; i++)
		b_le32(&body, (uint32_t) (i * 3 - 10));
	synth_page(&cols[0], PQ_PAGE_DATA, 8, PQ_ENC_PLAIN, &body, body.len, 0, 0, PQ_ENC_RLE);

	/* 1: OPTIONAL BOOLEAN, v2 page, RLE values, nulls at i % 4 == 0 */
	{
		Buf			levels = {0};
		uint32_t	defs[24];
		uint32_t	vals[24];
		int			nv = 0;
		Buf			vbody = {0};

		cols[1] = (SynthColumn) {"opt_bool_rle", PQ_BOOLEAN, PQ_OPTIONAL, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_RLE}, false, 0};
		for (int i = 0; i < 24; i++)
			defs[i] = (i < nrows && i % 4 != 0);
		bitpacked_run(&levels, defs, 24, 1);
		for (int i = 0; i < nrows; i++)
			if (i % 4 != 0)
				vals[nv++] = (i % 3 == 0);
		while (nv % 8 != 0)
			vals[nv++] = 0;
		{
			Buf			rle = {0};

			bitpacked_run(&rle, vals, 16, 1);
			b_le32(&vbody, (uint32_t) rle.len);
			b_put(&vbody, rle.d, rle.len);
			free(rle.d);
		}
		body.len = 0;
		b_put(&body, levels.d, levels.len);
		b_put(&body, vbody.d, vbody.len);
		synth_page(&cols[1], PQ_PAGE_DATA_V2, nrows, PQ_ENC_RLE, &body, body.len, 5, (int) levels.len, 0);
		free(levels.d);
		free(vbody.d);
	}

	/* 2: OPTIONAL INT96, v1 page with BIT_PACKED levels; null at i % 5 == 2 */
	{
		uint8_t		lv[3] = {0};

		cols[2] = (SynthColumn) {"int96", PQ_INT96, PQ_OPTIONAL, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 2, {PQ_ENC_PLAIN, PQ_ENC_BIT_PACKED}, false, 0};
		body.len = 0;
		for (int i = 0; i < nrows; i++)
			if (i % 5 != 2)
				lv[i / 8] |= (uint8_t) (0x80 >> (i % 8));
		b_put(&body, lv, 3);
		for (int i = 0; i < nrows; i++)
			if (i % 5 != 2)
			{
				/* 2000-01-01 (Julian 2451545) + i days, i hours + 1 us 500 ns */
				b_le64(&body, (uint64_t) i * 3600000000000ULL + 1500);
				b_le32(&body, (uint32_t) (2451545 + i));
			}
		synth_page(&cols[2], PQ_PAGE_DATA, nrows, PQ_ENC_PLAIN, &body, body.len, 0, 0, PQ_ENC_BIT_PACKED);
	}

	/* 3: REQUIRED FIXED_LEN_BYTE_ARRAY(4) DELTA_BYTE_ARRAY in a v2 page, LZ4 raw block under codec LZ4 */
	{
		int64_t		prefix[20];
		int64_t		suffix[20];
		Buf			raw = {0};
		char		vals[20][5];
		int			clen;
		char		cbuf[4096];

		cols[3] = (SynthColumn) {"flba_dba", PQ_FIXED_LEN_BYTE_ARRAY, PQ_REQUIRED, 4, -1, 0, PQ_CODEC_LZ4, {0}, false, 1, {PQ_ENC_DELTA_BYTE_ARRAY}, false, 0};
		for (int i = 0; i < nrows; i++)
		{
			snprintf(vals[i], sizeof(vals[i]), "k%03d", i / 2);
			prefix[i] = (i == 0) ? 0 : (i % 2 == 1 ? 4 : 2);
			suffix[i] = 4 - prefix[i];
		}
		delta_encode(&raw, prefix, nrows);
		delta_encode(&raw, suffix, nrows);
		for (int i = 0; i < nrows; i++)
			b_put(&raw, vals[i] + prefix[i], (size_t) suffix[i]);
		clen = LZ4_compress_default((const char *) raw.d, cbuf, (int) raw.len, (int) sizeof(cbuf));
		body.len = 0;
		b_put(&body, cbuf, (size_t) clen);
		synth_page(&cols[3], PQ_PAGE_DATA_V2, nrows, PQ_ENC_DELTA_BYTE_ARRAY, &body, raw.len, 0, 0, 0);
		free(raw.d);
	}

	/* 4: REQUIRED FLOAT, BYTE_STREAM_SPLIT, snappy literal-only + copy */
	{
		Buf			raw = {0};
		float		f[20];

		cols[4] = (SynthColumn) {"float_bss", PQ_FLOAT, PQ_REQUIRED, 0, -1, 99, PQ_CODEC_SNAPPY, {0}, false, 1, {PQ_ENC_BYTE_STREAM_SPLIT}, false, 0};
		for (int i = 0; i < nrows; i++)
			f[i] = (float) i * 0.5f - 3.0f;
		for (int k = 0; k < 4; k++)
			for (int i = 0; i < nrows; i++)
				b_byte(&raw, ((uint8_t *) &f[i])[k]);
		body.len = 0;
		b_varint(&body, raw.len);
		/* literals of 50 and raw.len - 54 bytes, then a copy if the last 4 repeat */
		b_byte(&body, (uint8_t) ((50 - 1) << 2));
		b_put(&body, raw.d, 50);
		b_byte(&body, (uint8_t) (60 << 2));
		b_byte(&body, (uint8_t) (raw.len - 54 - 1));
		b_put(&body, raw.d + 50, raw.len - 54);
		if (memcmp(raw.d + raw.len - 4, raw.d + raw.len - 8, 4) == 0)
		{
			b_byte(&body, (uint8_t) (((4 - 4) << 2) | 1));
			b_byte(&body, 4);
		}
		else
		{
			b_byte(&body, (uint8_t) (3 << 2));
			b_put(&body, raw.d + raw.len - 4, 4);
		}
		synth_page(&cols[4], PQ_PAGE_DATA, nrows, PQ_ENC_BYTE_STREAM_SPLIT, &body, raw.len, 0, 0, PQ_ENC_RLE);
		free(raw.d);
	}

	/* 5: OPTIONAL BYTE_ARRAY (UTF8): dictionary page, a dictionary page of 8 rows, a PLAIN page, a DELTA_BYTE_ARRAY page */
	{
		const char *dict[3] = {"apple", "banana", ""};
		uint32_t	idx[8];
		Buf			lv = {0};

		cols[5] = (SynthColumn) {"text_mixed", PQ_BYTE_ARRAY, PQ_OPTIONAL, 0, PQ_CT_UTF8, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 4,
		{PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, PQ_ENC_DELTA_BYTE_ARRAY, PQ_ENC_RLE}, false, 0};
		body.len = 0;
		for (int i = 0; i < 3; i++)
		{
			b_le32(&body, (uint32_t) strlen(dict[i]));
			b_put(&body, dict[i], strlen(dict[i]));
		}
		synth_page(&cols[5], PQ_PAGE_DICTIONARY, 3, PQ_ENC_PLAIN, &body, body.len, 0, 0, 0);
		/* rows 0..7: null at 0, then indices i % 3 */
		body.len = 0;
		rle_run(&lv, 1, 0, 1);
		rle_run(&lv, 7, 1, 1);
		b_le32(&body, (uint32_t) lv.len);
		b_put(&body, lv.d, lv.len);
		b_byte(&body, 2);
		for (int i = 0; i < 8; i++)
			idx[i] = (uint32_t) ((i + 1) % 3);
		bitpacked_run(&body, idx, 8, 2);
		synth_page(&cols[5], PQ_PAGE_DATA, 8, PQ_ENC_RLE_DICTIONARY, &body, body.len, 0, 0, PQ_ENC_RLE);
		/* rows 8..13 PLAIN, no nulls */
		body.len = 0;
		lv.len = 0;
		rle_run(&lv, 6, 1, 1);
		b_le32(&body, (uint32_t) lv.len);
		b_put(&body, lv.d, lv.len);
		for (int i = 8; i < 14; i++)
		{
			char		s[16];

			snprintf(s, sizeof(s), "plain-%d", i);
			b_le32(&body, (uint32_t) strlen(s));
			b_put(&body, s, strlen(s));
		}
		synth_page(&cols[5], PQ_PAGE_DATA, 6, PQ_ENC_PLAIN, &body, body.len, 0, 0, PQ_ENC_RLE);
		/* rows 14..19 DELTA_BYTE_ARRAY: "zebra", null, "zebu", "zero", null, "zeros" */
		{
			int64_t		prefix[4] = {0, 3, 2, 4};
			int64_t		suffix[4] = {5, 1, 2, 1};
			const char *sfx = "zebrauros";
			uint32_t	defs[8] = {1, 0, 1, 1, 0, 1, 0, 0};

			body.len = 0;
			lv.len = 0;
			bitpacked_run(&lv, defs, 8, 1);
			b_le32(&body, (uint32_t) lv.len);
			b_put(&body, lv.d, lv.len);
			delta_encode(&body, prefix, 4);
			delta_encode(&body, suffix, 4);
			b_put(&body, sfx, strlen(sfx));
			synth_page(&cols[5], PQ_PAGE_DATA, 6, PQ_ENC_DELTA_BYTE_ARRAY, &body, body.len, 0, 0, PQ_ENC_RLE);
		}
		free(lv.d);
	}

	/* 6: OPTIONAL INT64 DELTA_BINARY_PACKED with extreme deltas (wrapping), v2 page of a ZSTD chunk with is_compressed = false */
	{
		int64_t		v[19];
		Buf			levels = {0};
		uint32_t	defs[24] = {0};

		cols[6] = (SynthColumn) {"delta_i64", PQ_INT64, PQ_OPTIONAL, 0, -1, 0, PQ_CODEC_ZSTD, {0}, false, 1, {PQ_ENC_DELTA_BINARY_PACKED}, true, 0};
		for (int i = 0; i < 19; i++)
			v[i] = (i % 2 == 0) ? INT64_MAX - i : INT64_MIN + i;
		for (int i = 0; i < nrows; i++)
			defs[i] = (i != 7);
		bitpacked_run(&levels, defs, 24, 1);
		body.len = 0;
		b_put(&body, levels.d, levels.len);
		delta_encode(&body, v, 19);
		synth_page(&cols[6], PQ_PAGE_DATA_V2, nrows, PQ_ENC_DELTA_BINARY_PACKED, &body, body.len, 1, (int) levels.len, 0);
		free(levels.d);
	}

	/* 7: REQUIRED INT32 DECIMAL(9,2) via converted type only, dictionary with bit width 0 (one value) */
	{
		cols[7] = (SynthColumn) {"dec_conv", PQ_INT32, PQ_REQUIRED, 0, PQ_CT_DECIMAL, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_PLAIN_DICTIONARY}, false, 0};
		body.len = 0;
		b_le32(&body, (uint32_t) -12345);
		synth_page(&cols[7], PQ_PAGE_DICTIONARY, 1, PQ_ENC_PLAIN_DICTIONARY, &body, body.len, 0, 0, 0);
		body.len = 0;
		b_byte(&body, 0);
		rle_run(&body, (uint32_t) nrows, 0, 0);
		synth_page(&cols[7], PQ_PAGE_DATA, nrows, PQ_ENC_PLAIN_DICTIONARY, &body, body.len, 0, 0, PQ_ENC_RLE);
	}

	/* 8: REQUIRED DOUBLE PLAIN, codec LZ4 holding an LZ4 frame (old writers) */
	{
		Buf			raw = {0};
		size_t		bound;
		uint8_t    *frame;
		size_t		flen;

		cols[8] = (SynthColumn) {"lz4_frame", PQ_DOUBLE, PQ_REQUIRED, 0, -1, 0, PQ_CODEC_LZ4, {0}, false, 1, {PQ_ENC_PLAIN}, false, 0};
		for (int i = 0; i < nrows; i++)
		{
			double		d = i / 4.0;
			uint64_t	u;

			memcpy(&u, &d, 8);
			b_le64(&raw, u);
		}
		bound = LZ4F_compressFrameBound(raw.len, NULL);
		frame = malloc(bound);
		flen = LZ4F_compressFrame(frame, bound, raw.d, raw.len, NULL);
		CHECK(!LZ4F_isError(flen), "LZ4F_compressFrame");
		body.len = 0;
		b_put(&body, frame, flen);
		synth_page(&cols[8], PQ_PAGE_DATA, nrows, PQ_ENC_PLAIN, &body, raw.len, 0, 0, PQ_ENC_RLE);
		free(frame);
		free(raw.d);
	}

	synth_file(&file, cols, 9, nrows);
	st = parquet_reader_open_memory(file.d, file.len, NULL, &reader, err, sizeof(err));
	if (!CHECK(st == PARQUET_OK, "synthetic file: open: %s", err))
		goto done;
	meta = parquet_reader_metadata(reader);
	CHECK(meta->num_columns == 9 && meta->num_rows == nrows && meta->num_row_groups == 1, "synthetic shape");
	CHECK(strcmp(meta->root_name, "schema") == 0 && strcmp(meta->created_by, "reader_test synth") == 0,
		  "synthetic root/created_by");
	CHECK(meta->num_key_values == 2 && strcmp(meta->key_values[0].key, "spillpool.test") == 0 &&
		  meta->key_values[0].value_len == 3 && memcmp(meta->key_values[0].value, "a\0b", 3) == 0 &&
		  meta->key_values[1].value == NULL, "synthetic key/value metadata");
	CHECK(meta->columns[0].repetition == PQ_REQUIRED && meta->columns[0].max_definition_level == 0 &&
		  meta->columns[0].logical_type == PQ_LT_INTEGER && meta->columns[0].int_bit_width == 16 &&
		  meta->columns[0].int_is_signed && meta->columns[0].has_field_id && meta->columns[0].field_id == 1000,
		  "synthetic INTEGER annotation");
	CHECK(meta->columns[3].type_length == 4 && meta->columns[2].type_length == 12, "synthetic type lengths");
	CHECK(meta->columns[4].logical_type == PQ_LT_NONE, "unknown logical type member is skipped");
	CHECK(meta->columns[5].converted_type == PQ_CT_UTF8, "UTF8 converted type");
	CHECK(meta->columns[7].decimal_scale == 2 && meta->columns[7].decimal_precision == 9 &&
		  meta->columns[7].logical_type == PQ_LT_NONE, "DECIMAL from converted type");
	{
		const ParquetStatistics *s = &meta->row_groups[0].columns[0].statistics;

		CHECK(meta->row_groups[0].columns[0].has_statistics && s->has_max && s->has_min &&
			  !s->has_min_value && !s->has_max_value && s->has_null_count && s->null_count == 1 &&
			  s->has_distinct_count && s->distinct_count == 3 && s->min.len == 4 && s->min.ptr[0] == 0xfe,
			  "legacy statistics");
		CHECK(meta->row_groups[0].columns[5].num_encodings == 4 &&
			  meta->row_groups[0].columns[3].codec == PQ_CODEC_LZ4, "chunk encodings/codec");
	}

	if (synth_read(reader, 0, &cv))
	{
		bool		ok = cv.num_values == nrows && cv.num_nulls == 0;

		for (int i = 0; ok && i < nrows; i++)
			ok = !cv.is_null[i] && cv.values[i].int32 == i * 3 - 10;
		CHECK(ok, "REQUIRED INT32 PLAIN values");
		parquet_column_values_free(&cv);
	}
	if (synth_read(reader, 1, &cv))
	{
		bool		ok = cv.num_values == nrows && cv.num_nulls == 5;

		for (int i = 0; ok && i < nrows; i++)
			ok = (cv.is_null[i] == (i % 4 == 0)) && (cv.is_null[i] || cv.values[i].boolean == (i % 3 == 0));
		CHECK(ok, "RLE booleans in a v2 page");
		parquet_column_values_free(&cv);
	}
	if (synth_read(reader, 2, &cv))
	{
		bool		ok = cv.num_values == nrows && cv.num_nulls == 4 && cv.kind == PQ_VALUE_INT64;

		for (int i = 0; ok && i < nrows; i++)
			ok = (cv.is_null[i] == (i % 5 == 2)) &&
				(cv.is_null[i] || cv.values[i].int64 == INT64_C(946684800000000) + i * INT64_C(86400000000) +
				 i * INT64_C(3600000000) + 1);
		CHECK(ok, "INT96 with BIT_PACKED levels");
		parquet_column_values_free(&cv);
	}
	if (synth_read(reader, 3, &cv))
	{
		bool		ok = cv.num_values == nrows;

		for (int i = 0; ok && i < nrows; i++)
		{
			char		s[8];

			snprintf(s, sizeof(s), "k%03d", i / 2);
			ok = cv.values[i].bytes.len == 4 && memcmp(cv.values[i].bytes.ptr, s, 4) == 0;
		}
		CHECK(ok, "FIXED_LEN_BYTE_ARRAY DELTA_BYTE_ARRAY under raw-block LZ4");
		parquet_column_values_free(&cv);
	}
	if (synth_read(reader, 4, &cv))
	{
		bool		ok = cv.num_values == nrows;

		for (int i = 0; ok && i < nrows; i++)
			ok = cv.values[i].float4 == (float) i * 0.5f - 3.0f;
		CHECK(ok, "BYTE_STREAM_SPLIT floats under snappy");
		parquet_column_values_free(&cv);
	}
	if (synth_read(reader, 5, &cv))
	{
		const char *want[20] = {NULL, "banana", "", "apple", "banana", "", "apple", "banana",
			"plain-8", "plain-9", "plain-10", "plain-11", "plain-12", "plain-13",
		"zebra", NULL, "zebu", "zero", NULL, "zeros"};
		bool		ok = cv.num_values == nrows && cv.num_nulls == 3;

		for (int i = 0; ok && i < nrows; i++)
		{
			if (want[i] == NULL)
				ok = cv.is_null[i];
			else
				ok = !cv.is_null[i] && cv.values[i].bytes.len == strlen(want[i]) &&
					memcmp(cv.values[i].bytes.ptr, want[i], strlen(want[i])) == 0;
			if (!ok)
				fprintf(stderr, "text_mixed row %d\n", i);
		}
		CHECK(ok, "dictionary, PLAIN and DELTA_BYTE_ARRAY pages in one chunk");
		CHECK(cv.dict_index == NULL && cv.dict == NULL,
			  "a chunk with PLAIN and DELTA pages has no dictionary index");
		parquet_column_values_free(&cv);
	}
	if (synth_read(reader, 6, &cv))
	{
		bool		ok = cv.num_values == nrows && cv.num_nulls == 1;
		int			k = 0;

		for (int i = 0; ok && i < nrows; i++)
		{
			if (i == 7)
				ok = cv.is_null[i];
			else
			{
				ok = cv.values[i].int64 == ((k % 2 == 0) ? INT64_MAX - k : INT64_MIN + k);
				k++;
			}
		}
		CHECK(ok, "DELTA_BINARY_PACKED with wrapping deltas");
		parquet_column_values_free(&cv);
	}
	if (synth_read(reader, 7, &cv))
	{
		bool		ok = cv.num_values == nrows;

		for (int i = 0; ok && i < nrows; i++)
			ok = cv.values[i].int32 == -12345;
		CHECK(ok, "dictionary of one value with bit width 0");
		ok = cv.dict_index != NULL && cv.dict_count == 1 && cv.dict[0].int32 == -12345;
		for (int i = 0; ok && i < nrows; i++)
			ok = cv.dict_index[i] == 0;
		CHECK(ok, "a dictionary-only chunk exposes its dictionary index");
		parquet_column_values_free(&cv);
	}
	if (synth_read(reader, 8, &cv))
	{
		bool		ok = cv.num_values == nrows;

		for (int i = 0; ok && i < nrows; i++)
			ok = cv.values[i].float8 == i / 4.0;
		CHECK(ok, "LZ4 frame under codec LZ4");
		parquet_column_values_free(&cv);
	}

	/* every prefix and every single-byte corruption of this file: no crash */
	{
		int			failures = 0;

		for (size_t cut = 0; cut < file.len; cut++)
		{
			ParquetReader *r2;

			if (parquet_reader_open_memory(file.d, cut, NULL, &r2, err, sizeof(err)) != PARQUET_OK)
				failures++;
			parquet_reader_close(r2);
		}
		CHECK(failures == (int) file.len, "every prefix of the synthetic file fails to open");
	}
	parquet_reader_close(reader);
done:
	for (int c = 0; c < 9; c++)
		free(cols[c].pages.d);
	free(body.d);
	free(file.d);
}

/* Opens a buffer and decodes everything; returns the first failure status. */
static ParquetStatus
open_and_read_all(const uint8_t *data, size_t len, const ParquetReaderOptions *opts, char *err, size_t errlen)
{
	ParquetReader *reader;
	ParquetStatus st = parquet_reader_open_memory(data, len, opts, &reader, err, errlen);

	if (st != PARQUET_OK)
		return st;
	for (int g = 0; g < parquet_reader_metadata(reader)->num_row_groups && st == PARQUET_OK; g++)
	{
		ParquetRowGroupBatch batch;

		st = parquet_read_row_group(reader, g, NULL, 0, &batch, err, errlen);
		if (st == PARQUET_OK)
			parquet_row_group_batch_free(&batch);
	}
	parquet_reader_close(reader);
	return st;
}

/*
 * A minimal file with one REQUIRED INT32 column whose single v1 page body,
 * page header fields and footer the malformed-input tests vary.
 */
static void
make_small_file(Buf *out, const Buf *page_body, int num_values, int encoding, int64_t num_rows, int type)
{
	SynthColumn col;

	memset(&col, 0, sizeof(col));
	col = (SynthColumn) {"x", type, PQ_OPTIONAL, 4, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {encoding}, false, 0};
	synth_page(&col, PQ_PAGE_DATA, num_values, encoding, page_body, page_body->len, 0, 0, PQ_ENC_RLE);
	synth_file(out, &col, 1, num_rows);
	free(col.pages.d);
}

/* Hand-made malformed metadata and pages: each must fail cleanly. */
static void
test_malformed(void)
{
	char		err[512];
	Buf			f = {0};
	Buf			body = {0};
	ParquetStatus st;

	/* a dictionary-encoded page without a dictionary page */
	b_le32(&body, 2);
	rle_run(&body, 3, 1, 1);
	b_byte(&body, 1);
	rle_run(&body, 3, 0, 1);
	make_small_file(&f, &body, 3, PQ_ENC_RLE_DICTIONARY, 3, PQ_INT32);
	st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
	CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "without a dictionary page"), "no dictionary: %s", err);

	/* more values in the page than rows in the row group */
	f.len = 0;
	body.len = 0;
	b_le32(&body, 2);
	rle_run(&body, 5, 1, 1);
	for (int i = 0; i < 5; i++)
		b_le32(&body, (uint32_t) i);
	make_small_file(&f, &body, 5, PQ_ENC_PLAIN, 3, PQ_INT32);
	st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
	CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "more than the row group"), "too many values: %s", err);

	/* fewer values than rows */
	f.len = 0;
	make_small_file(&f, &body, 5, PQ_ENC_PLAIN, 9, PQ_INT32);
	st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
	CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "ends after 5 of 9 rows"), "too few values: %s", err);

	/* PLAIN data shorter than the values it claims */
	f.len = 0;
	body.len = 0;
	b_le32(&body, 2);
	rle_run(&body, 5, 1, 1);
	b_le32(&body, 1);
	make_small_file(&f, &body, 5, PQ_ENC_PLAIN, 5, PQ_INT32);
	st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
	CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "cannot hold"), "short PLAIN: %s", err);

	/* a huge RLE run of definition levels in a tiny page stays bounded */
	f.len = 0;
	body.len = 0;
	b_le32(&body, 6);
	rle_run(&body, 0x7fffffff, 0, 1);
	make_small_file(&f, &body, 0x7fffffff, PQ_ENC_PLAIN, 0x7fffffff, PQ_INT32);
	st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
	CHECK(st == PARQUET_ERROR_LIMIT, "huge row group hits the row limit: %s", err);

	/* definition level above the maximum */
	f.len = 0;
	body.len = 0;
	b_le32(&body, 2);
	rle_run(&body, 3, 2, 1);
	make_small_file(&f, &body, 3, PQ_ENC_PLAIN, 3, PQ_INT32);
	st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
	CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "exceeds bit width"), "level 2: %s", err);

	/* dictionary index bit width 33 */
	{
		SynthColumn col;
		Buf			d = {0};

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"x", PQ_INT32, PQ_REQUIRED, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_RLE_DICTIONARY}, false, 0};
		b_le32(&d, 7);
		synth_page(&col, PQ_PAGE_DICTIONARY, 1, PQ_ENC_PLAIN, &d, d.len, 0, 0, 0);
		body.len = 0;
		b_byte(&body, 33);
		rle_run(&body, 3, 0, 5);
		synth_page(&col, PQ_PAGE_DATA, 3, PQ_ENC_RLE_DICTIONARY, &body, body.len, 0, 0, PQ_ENC_RLE);
		f.len = 0;
		synth_file(&f, &col, 1, 3);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "bit width 33"), "bit width 33: %s", err);

		/* index out of range */
		free(col.pages.d);
		memset(&col.pages, 0, sizeof(col.pages));
		synth_page(&col, PQ_PAGE_DICTIONARY, 1, PQ_ENC_PLAIN, &d, d.len, 0, 0, 0);
		body.len = 0;
		b_byte(&body, 2);
		rle_run(&body, 3, 1, 1);
		synth_page(&col, PQ_PAGE_DATA, 3, PQ_ENC_RLE_DICTIONARY, &body, body.len, 0, 0, PQ_ENC_RLE);
		f.len = 0;
		synth_file(&f, &col, 1, 3);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "out of range"), "index out of range: %s", err);
		CHECK(strstr(err, "row group 0, column \"x\"") != NULL, "error names the chunk: %s", err);
		free(col.pages.d);
		free(d.d);
	}

	/* DELTA_BINARY_PACKED with bit width 65 */
	{
		SynthColumn col;

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"x", PQ_INT64, PQ_REQUIRED, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_DELTA_BINARY_PACKED}, false, 0};
		body.len = 0;
		b_varint(&body, 128);
		b_varint(&body, 4);
		b_varint(&body, 3);
		b_zigzag(&body, 1);
		b_zigzag(&body, 0);
		b_byte(&body, 65);
		b_byte(&body, 0);
		b_byte(&body, 0);
		b_byte(&body, 0);
		for (int i = 0; i < 300; i++)
			b_byte(&body, 0xff);
		synth_page(&col, PQ_PAGE_DATA, 3, PQ_ENC_DELTA_BINARY_PACKED, &body, body.len, 0, 0, PQ_ENC_RLE);
		f.len = 0;
		synth_file(&f, &col, 1, 3);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "bit width 65"), "delta bit width 65: %s", err);
		free(col.pages.d);
	}

	/* unsupported codec and encoding */
	{
		SynthColumn col;

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"x", PQ_INT32, PQ_REQUIRED, 0, -1, 0, PQ_CODEC_LZO, {0}, false, 1, {PQ_ENC_PLAIN}, false, 0};
		body.len = 0;
		b_le32(&body, 1);
		synth_page(&col, PQ_PAGE_DATA, 1, PQ_ENC_PLAIN, &body, body.len, 0, 0, PQ_ENC_RLE);
		f.len = 0;
		synth_file(&f, &col, 1, 1);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_UNSUPPORTED && strstr(err, "unsupported Parquet compression codec LZO"),
			  "lzo: %s", err);
		free(col.pages.d);
		memset(&col.pages, 0, sizeof(col.pages));
		col.codec = PQ_CODEC_UNCOMPRESSED;
		synth_page(&col, PQ_PAGE_DATA, 1, 42, &body, body.len, 0, 0, PQ_ENC_RLE);
		f.len = 0;
		synth_file(&f, &col, 1, 1);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_UNSUPPORTED && strstr(err, "unsupported Parquet encoding"), "encoding 42: %s", err);
		free(col.pages.d);
	}

	/* footers: nesting bomb, huge list, bad magic, bad length, encrypted */
	{
		Buf			m = {0};

		b_put(&f, "", 0);
		f.len = 0;
		b_put(&f, "PAR1", 4);
		b_byte(&m, 0xfc);		/* field 15 (unknown), struct */
		for (int i = 0; i < 5000; i++)
			b_byte(&m, 0x1c);
		b_put(&f, m.d, m.len);
		b_le32(&f, (uint32_t) m.len);
		b_put(&f, "PAR1", 4);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "levels deep"), "nesting bomb: %s", err);

		m.len = 0;
		f.len = 0;
		b_put(&f, "PAR1", 4);
		b_byte(&m, 0x29);		/* field 2 (schema), list */
		b_byte(&m, 0xfc);		/* count follows, structs */
		b_varint(&m, (uint64_t) 1 << 40);
		b_put(&f, m.d, m.len);
		b_le32(&f, (uint32_t) m.len);
		b_put(&f, "PAR1", 4);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "exceeds the metadata"), "huge list: %s", err);

		memcpy(f.d + f.len - 4, "PARE", 4);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_UNSUPPORTED && strstr(err, "encrypted"), "encrypted: %s", err);
		/* an encrypted footer: "PARE" at both ends */
		memcpy(f.d, "PARE", 4);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_UNSUPPORTED && strstr(err, "encrypted"), "encrypted footer: %s", err);
		memcpy(f.d, "PAR1", 4);
		memcpy(f.d + f.len - 4, "PAR2", 4);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "magic"), "bad magic: %s", err);
		memcpy(f.d + f.len - 4, "PAR1", 4);
		f.d[f.len - 8] = 0xff;
		f.d[f.len - 5] = 0x7f;
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "exceeds the file size"), "bad length: %s", err);
		free(m.d);
	}

	/* limits are honoured */
	{
		ParquetReaderOptions opts;

		f.len = 0;
		body.len = 0;
		b_le32(&body, 2);
		rle_run(&body, 3, 1, 1);
		for (int i = 0; i < 3; i++)
			b_le32(&body, (uint32_t) i);
		make_small_file(&f, &body, 3, PQ_ENC_PLAIN, 3, PQ_INT32);
		CHECK(open_and_read_all(f.d, f.len, NULL, err, sizeof(err)) == PARQUET_OK, "small file reads: %s", err);
		parquet_reader_default_options(&opts);
		opts.max_metadata_bytes = 16;
		st = open_and_read_all(f.d, f.len, &opts, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_LIMIT, "metadata limit: %s", err);
		parquet_reader_default_options(&opts);
		opts.max_row_group_rows = 2;
		st = open_and_read_all(f.d, f.len, &opts, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_LIMIT, "row limit: %s", err);
		CHECK(parquet_reader_open_file("/nonexistent/x.parquet", NULL, NULL, err, sizeof(err)) == PARQUET_ERROR_IO,
			  "missing file");
	}

	/* snappy: copy out of range, bad length */
	{
		SynthColumn col;

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"x", PQ_INT32, PQ_REQUIRED, 0, -1, 0, PQ_CODEC_SNAPPY, {0}, false, 1, {PQ_ENC_PLAIN}, false, 0};
		body.len = 0;
		b_varint(&body, 8);
		b_byte(&body, 3 << 2);
		b_put(&body, "\1\0\0\0", 4);
		b_byte(&body, ((4 - 4) << 2) | 1);
		b_byte(&body, 9);		/* offset 9 > 4 bytes produced */
		synth_page(&col, PQ_PAGE_DATA, 2, PQ_ENC_PLAIN, &body, 8, 0, 0, PQ_ENC_RLE);
		f.len = 0;
		synth_file(&f, &col, 1, 2);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "snappy"), "snappy copy: %s", err);
		free(col.pages.d);
	}

	/* a REPEATED primitive: a list (see test_list_forms), here of no rows */
	{
		SynthColumn col;

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"rep", PQ_INT32, PQ_REPEATED, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_PLAIN}, false, 0};
		body.len = 0;
		synth_page(&col, PQ_PAGE_DATA, 0, PQ_ENC_PLAIN, &body, 0, 0, 0, PQ_ENC_RLE);
		f.len = 0;
		synth_file(&f, &col, 1, 0);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_OK, "a repeated primitive of no rows is an empty list column: %s", err);
		free(col.pages.d);
	}
	free(f.d);
	free(body.d);
}

/* ----------------------------------------------------------------
 * Truncation and corruption of real fixtures
 * ----------------------------------------------------------------
 */

/* A deterministic PRNG (xorshift64*), so failures reproduce. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* Next pseudo-random number. */
static uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/* ----------------------------------------------------------------
 * Files of other writers (cases of apache/parquet-testing): column chunk
 * key/value metadata and zero offsets, empty v2 pages, INT96 beyond any
 * range, FLOAT16
 * ----------------------------------------------------------------
 */

/*
 * Saves a hand-built file into the directory READER_TEST_SEED_DIR names,
 * if set, so that "make fuzz" starts from the cases these tests build.
 */
static void
save_seed(const char *name, const Buf *f)
{
	const char *dir = getenv("READER_TEST_SEED_DIR");
	char		path[4096];
	FILE	   *out;

	if (dir == NULL || dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/seed_%s.parquet", dir, name);
	out = fopen(path, "wb");
	if (!CHECK(out != NULL, "seed %s: cannot create", path))
		return;
	CHECK(fwrite(f->d, 1, f->len, out) == f->len, "seed %s: short write", path);
	fclose(out);
}

/* Opens a hand-built file from memory, expecting success. */
static ParquetReader *
open_synth(const Buf *f, const char *what)
{
	ParquetReader *reader = NULL;
	char		err[512];
	ParquetStatus st = parquet_reader_open_memory(f->d, f->len, NULL, &reader, err, sizeof(err));

	CHECK(st == PARQUET_OK, "%s: open: %s", what, err);
	return st == PARQUET_OK ? reader : NULL;
}

/*
 * Reads a hand-built file through a file descriptor (the path that reads
 * each chunk with pread) and decodes every row group; returns the status.
 */
static ParquetStatus
read_all_from_file(const Buf *f, char *err, size_t errlen)
{
	char		path[] = "/tmp/parquet_rt_XXXXXX";
	int			fd = mkstemp(path);
	ParquetReader *reader;
	ParquetStatus st;

	if (!CHECK(fd >= 0, "mkstemp"))
		return PARQUET_ERROR_IO;
	CHECK(write(fd, f->d, f->len) == (ssize_t) f->len, "write %s", path);
	close(fd);
	st = parquet_reader_open_file(path, NULL, &reader, err, errlen);
	unlink(path);
	if (st != PARQUET_OK)
		return st;
	for (int g = 0; g < parquet_reader_metadata(reader)->num_row_groups && st == PARQUET_OK; g++)
	{
		ParquetRowGroupBatch batch;

		st = parquet_read_row_group(reader, g, NULL, 0, &batch, err, errlen);
		if (st == PARQUET_OK)
			parquet_row_group_batch_free(&batch);
	}
	parquet_reader_close(reader);
	return st;
}

/* Whether a column chunk's key/value metadata is synth_file's two entries. */
static bool
has_synth_chunk_key_values(const ParquetColumnChunk *cc)
{
	return cc->num_key_values == 2 && cc->key_values != NULL &&
		strcmp(cc->key_values[0].key, "foo") == 0 && cc->key_values[0].value != NULL &&
		strcmp(cc->key_values[0].value, "bar") == 0 && cc->key_values[0].value_len == 3 &&
		strcmp(cc->key_values[1].key, "thisiskeywithoutvalue") == 0 &&
		cc->key_values[1].value == NULL && cc->key_values[1].value_len == 0;
}

/*
 * column_chunk_key_value_metadata.parquet (Arrow C++): a row group of 0
 * rows whose two OPTIONAL INT32 chunks have no pages, so that Arrow writes
 * 0 for their file_offset, data_page_offset and sizes, and the first chunk
 * has key/value metadata, one key without a value.  Then the same
 * metadata on chunks with rows, whose deprecated file_offset is 0 or past
 * the end of the file: the chunks are found by data_page_offset.
 */
static void
test_column_chunk_key_values(void)
{
	SynthColumn cols[2];
	SynthChunkOptions opts[2];
	Buf			f = {0};
	Buf			body = {0};
	ParquetReader *reader;
	ParquetRowGroupBatch batch;
	char		err[512];
	ParquetStatus st;

	memset(cols, 0, sizeof(cols));
	memset(opts, 0, sizeof(opts));
	cols[0] = (SynthColumn) {"column1", PQ_INT32, PQ_OPTIONAL, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 0, {0}, false, 0};
	cols[1] = cols[0];
	cols[1].name = "column2";
	opts[0].key_values = true;
	for (int c = 0; c < 2; c++)
	{
		opts[c].file_offset = SYNTH_FILE_OFFSET_ZERO;
		opts[c].zero_data_page_offset = true;
	}
	synth_file_with(&f, cols, opts, 2, 0);
	save_seed("column_chunk_key_values_empty", &f);
	reader = open_synth(&f, "0-row file with column chunk key/value metadata");
	if (reader != NULL)
	{
		const ParquetFileMeta *meta = parquet_reader_metadata(reader);
		const ParquetColumnChunk *cc = meta->row_groups[0].columns;

		CHECK(meta->num_rows == 0 && meta->num_row_groups == 1 && meta->row_groups[0].num_rows == 0 &&
			  meta->num_columns == 2, "0-row file: shape");
		CHECK(has_synth_chunk_key_values(&cc[0]), "0-row file: the first chunk's key/value metadata");
		CHECK(cc[1].num_key_values == 0 && cc[1].key_values == NULL,
			  "0-row file: the second chunk has no key/value metadata");
		CHECK(cc[0].file_offset == 0 && cc[0].data_page_offset == 0 && cc[0].total_compressed_size == 0,
			  "0-row file: the chunks' offsets are 0, as Arrow writes them");
		st = parquet_read_row_group(reader, 0, NULL, 0, &batch, err, sizeof(err));
		CHECK(st == PARQUET_OK && batch.num_rows == 0 && batch.num_columns == 2 &&
			  batch.columns[0].num_values == 0 && batch.columns[1].num_values == 0,
			  "0-row file: the row group reads as empty: %s", err);
		if (st == PARQUET_OK)
			parquet_row_group_batch_free(&batch);
		parquet_reader_close(reader);
	}
	st = read_all_from_file(&f, err, sizeof(err));
	CHECK(st == PARQUET_OK, "0-row file read through a file descriptor: %s", err);

	/* chunks with rows: file_offset 0 and far past the end are ignored */
	for (int c = 0; c < 2; c++)
	{
		free(cols[c].pages.d);
		cols[c].pages = (Buf) {0};
		cols[c].num_encodings = 1;
		cols[c].encodings[0] = PQ_ENC_PLAIN;
		opts[c].zero_data_page_offset = false;
		opts[c].key_values = true;
		body.len = 0;
		b_le32(&body, 2);
		rle_run(&body, 5, 1, 1);
		for (int i = 0; i < 5; i++)
			b_le32(&body, (uint32_t) (100 * c + i));
		synth_page(&cols[c], PQ_PAGE_DATA, 5, PQ_ENC_PLAIN, &body, body.len, 0, 0, PQ_ENC_RLE);
	}
	opts[1].file_offset = SYNTH_FILE_OFFSET_PAST_END;
	f.len = 0;
	synth_file_with(&f, cols, opts, 2, 5);
	save_seed("column_chunk_key_values", &f);
	reader = open_synth(&f, "file with column chunk key/value metadata and bad file_offset");
	if (reader != NULL)
	{
		const ParquetColumnChunk *cc = parquet_reader_metadata(reader)->row_groups[0].columns;

		CHECK(has_synth_chunk_key_values(&cc[0]) && has_synth_chunk_key_values(&cc[1]),
			  "both chunks' key/value metadata");
		CHECK(cc[0].file_offset == 0 && cc[1].file_offset == INT64_C(1) << 40,
			  "file_offset is kept as stored");
		st = parquet_read_row_group(reader, 0, NULL, 0, &batch, err, sizeof(err));
		if (CHECK(st == PARQUET_OK, "chunks with file_offset 0 and past the end read: %s", err))
		{
			bool		ok = batch.num_rows == 5;

			for (int c = 0; ok && c < 2; c++)
				for (int i = 0; ok && i < 5; i++)
					ok = !batch.columns[c].is_null[i] && batch.columns[c].values[i].int32 == 100 * c + i;
			CHECK(ok, "chunks found by data_page_offset have their values");
			parquet_row_group_batch_free(&batch);
		}
		parquet_reader_close(reader);
	}
	st = read_all_from_file(&f, err, sizeof(err));
	CHECK(st == PARQUET_OK, "bad file_offset read through a file descriptor: %s", err);

	/* a chunk with rows still must lie inside the file */
	opts[1].zero_data_page_offset = true;
	f.len = 0;
	synth_file_with(&f, cols, opts, 2, 5);
	st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
	CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "column \"column2\"") != NULL &&
		  strstr(err, "lies outside the data of the file") != NULL,
		  "a chunk with rows at data_page_offset 0 fails: %s", err);

	for (int c = 0; c < 2; c++)
		free(cols[c].pages.d);
	free(body.d);
	free(f.d);
}

/* Overwrites 4 bytes at offset at with a little-endian 32-bit value. */
static void
b_patch_le32(Buf *b, size_t at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->d[at + i] = (uint8_t) (v >> (8 * i));
}

/* Appends bytes (at most 60) as one Snappy block of a single literal. */
static void
snappy_literal(Buf *out, const void *p, size_t n)
{
	b_varint(out, n);
	if (n == 0)
		return;
	b_byte(out, (uint8_t) ((n - 1) << 2));
	b_put(out, p, n);
}

/*
 * datapage_v2_empty_datapage.snappy.parquet (Spark through parquet-java):
 * a v2 page of only nulls whose values section is 0 bytes although the
 * page is compressed.  For every codec (LZO too, which the reader cannot
 * decompress, and unknown ones) such a page reads as its nulls without
 * calling the codec.  In a Snappy chunk with a dictionary, pages of only
 * nulls (v2 with an empty section, v1 PLAIN with nothing after the
 * levels) sit between dictionary-encoded pages, and the chunk still
 * exposes its dictionary index; a values section of Snappy's own
 * encoding of nothing (one 0 byte) decodes through the codec; an empty
 * section that claims bytes is corrupt.
 */
static void
test_empty_v2_pages(void)
{
	static const int codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_LZO,
		PQ_CODEC_BROTLI, PQ_CODEC_LZ4, PQ_CODEC_ZSTD, PQ_CODEC_LZ4_RAW, 42};
	SynthColumn col;
	Buf			f = {0};
	Buf			body = {0};
	Buf			raw = {0};
	char		err[512];
	ParquetStatus st;
	ParquetReader *reader;
	ParquetColumnValues cv;

	for (size_t k = 0; k < sizeof(codecs) / sizeof(codecs[0]); k++)
	{
		/* Spark's file: optional float "value", 1 row, null */
		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"value", PQ_FLOAT, PQ_OPTIONAL, 0, -1, 0, codecs[k], {0}, false, 1, {PQ_ENC_PLAIN}, false, 0};
		body.len = 0;
		rle_run(&body, 1, 0, 1);	/* the levels: one null */
		synth_page(&col, PQ_PAGE_DATA_V2, 1, PQ_ENC_PLAIN, &body, body.len, 1, (int) body.len, 0);
		f.len = 0;
		synth_file(&f, &col, 1, 1);
		if (codecs[k] == PQ_CODEC_SNAPPY)
			save_seed("datapage_v2_empty_datapage", &f);
		reader = open_synth(&f, "empty v2 page");
		if (reader != NULL)
		{
			st = parquet_read_column_chunk(reader, 0, 0, &cv, err, sizeof(err));
			if (CHECK(st == PARQUET_OK, "%s: a v2 page of one null with an empty values section: %s",
					  parquet_codec_name(codecs[k]), err))
			{
				CHECK(cv.num_values == 1 && cv.num_nulls == 1 && cv.is_null[0],
					  "%s: the page's row is null", parquet_codec_name(codecs[k]));
				parquet_column_values_free(&cv);
			}
			parquet_reader_close(reader);
		}
		free(col.pages.d);
	}

	/*
	 * A Snappy INT32 chunk: dictionary (10, 20, 30); rows 0-3 null in a v2
	 * page with an empty values section; rows 4-7 indices 0 1 2 1 in a v2
	 * page; rows 8-11 null in a v1 PLAIN page with nothing after the
	 * levels; rows 12-15 null in a v2 page whose values section is
	 * Snappy's encoding of nothing; rows 16-19 indices 2 2 null 0.
	 */
	{
		static const int32_t want[20] = {0, 0, 0, 0, 10, 20, 30, 20, 0, 0, 0, 0, 0, 0, 0, 0, 30, 30, 0, 10};
		static const uint32_t want_index[20] = {0, 0, 0, 0, 0, 1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0};
		uint32_t	idx[8] = {0, 1, 2, 1, 0, 0, 0, 0};
		uint32_t	defs[8] = {1, 1, 0, 1, 0, 0, 0, 0};
		Buf			levels = {0};

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"x", PQ_INT32, PQ_OPTIONAL, 0, -1, 0, PQ_CODEC_SNAPPY, {0}, false, 3,
		{PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, PQ_ENC_RLE}, false, 0};
		raw.len = 0;
		for (int i = 1; i <= 3; i++)
			b_le32(&raw, (uint32_t) (10 * i));
		body.len = 0;
		snappy_literal(&body, raw.d, raw.len);
		synth_page(&col, PQ_PAGE_DICTIONARY, 3, PQ_ENC_PLAIN, &body, raw.len, 0, 0, 0);

		body.len = 0;
		rle_run(&body, 4, 0, 1);
		synth_page(&col, PQ_PAGE_DATA_V2, 4, PQ_ENC_RLE_DICTIONARY, &body, body.len, 4, (int) body.len, 0);

		levels.len = 0;
		rle_run(&levels, 4, 1, 1);
		raw.len = 0;
		b_byte(&raw, 2);
		bitpacked_run(&raw, idx, 8, 2);
		body.len = 0;
		b_put(&body, levels.d, levels.len);
		snappy_literal(&body, raw.d, raw.len);
		synth_page(&col, PQ_PAGE_DATA_V2, 4, PQ_ENC_RLE_DICTIONARY, &body, levels.len + raw.len, 0,
				   (int) levels.len, 0);

		raw.len = 0;
		b_le32(&raw, 2);
		rle_run(&raw, 4, 0, 1);
		body.len = 0;
		snappy_literal(&body, raw.d, raw.len);
		synth_page(&col, PQ_PAGE_DATA, 4, PQ_ENC_PLAIN, &body, raw.len, 0, 0, PQ_ENC_RLE);

		body.len = 0;
		rle_run(&body, 4, 0, 1);
		levels.len = body.len;
		snappy_literal(&body, NULL, 0);
		synth_page(&col, PQ_PAGE_DATA_V2, 4, PQ_ENC_RLE_DICTIONARY, &body, levels.len, 4, (int) levels.len, 0);

		levels.len = 0;
		bitpacked_run(&levels, defs, 8, 1);
		idx[0] = 2;
		idx[1] = 2;
		idx[2] = 0;
		raw.len = 0;
		b_byte(&raw, 2);
		bitpacked_run(&raw, idx, 8, 2);
		body.len = 0;
		b_put(&body, levels.d, levels.len);
		snappy_literal(&body, raw.d, raw.len);
		synth_page(&col, PQ_PAGE_DATA_V2, 4, PQ_ENC_RLE_DICTIONARY, &body, levels.len + raw.len, 1,
				   (int) levels.len, 0);

		f.len = 0;
		synth_file(&f, &col, 1, 20);
		save_seed("empty_pages_in_dictionary_chunk", &f);
		reader = open_synth(&f, "pages of only nulls in a dictionary chunk");
		if (reader != NULL)
		{
			st = parquet_read_column_chunk(reader, 0, 0, &cv, err, sizeof(err));
			if (CHECK(st == PARQUET_OK, "pages of only nulls in a Snappy dictionary chunk: %s", err))
			{
				bool		ok = cv.num_values == 20 && cv.num_nulls == 13;

				for (int i = 0; ok && i < 20; i++)
					ok = cv.is_null[i] == (want[i] == 0) && (cv.is_null[i] || cv.values[i].int32 == want[i]);
				CHECK(ok, "pages of only nulls between dictionary pages: values");
				ok = cv.dict_index != NULL && cv.dict_count == 3;
				for (int i = 0; ok && i < 20; i++)
					ok = cv.dict_index[i] == want_index[i];
				CHECK(ok, "pages of only nulls keep the chunk's dictionary index");
				parquet_column_values_free(&cv);
			}
			parquet_reader_close(reader);
		}
		st = read_all_from_file(&f, err, sizeof(err));
		CHECK(st == PARQUET_OK, "pages of only nulls through a file descriptor: %s", err);
		free(col.pages.d);
		free(levels.d);
	}

	/* an empty values section that says it holds 4 bytes */
	memset(&col, 0, sizeof(col));
	col = (SynthColumn) {"value", PQ_FLOAT, PQ_OPTIONAL, 0, -1, 0, PQ_CODEC_SNAPPY, {0}, false, 1, {PQ_ENC_PLAIN}, false, 0};
	body.len = 0;
	rle_run(&body, 1, 1, 1);
	synth_page(&col, PQ_PAGE_DATA_V2, 1, PQ_ENC_PLAIN, &body, body.len + 4, 0, (int) body.len, 0);
	f.len = 0;
	synth_file(&f, &col, 1, 1);
	st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
	CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "empty compressed page section says it holds 4 bytes") != NULL,
		  "an empty values section claiming 4 bytes: %s", err);
	free(col.pages.d);

	free(raw.d);
	free(body.d);
	free(f.d);
}

/* One INT96 value of test_int96_range: its parts and the decoded value. */
typedef struct Int96Case
{
	const char *what;
	int32_t		julian_day;
	int64_t		nanos;			/* of the day */
	int64_t		micros;			/* since 1970, as the reader decodes it */
} Int96Case;

/*
 * int96_from_spark.parquet: INT96 timestamps beyond every range (Spark
 * overflowed its own arithmetic writing 290000-12-31) must decode, not
 * fail.  Values decode to microseconds since 1970 with the nanoseconds
 * truncated (as DuckDB does); what int64 cannot hold saturates to
 * INT64_MIN or INT64_MAX.  The comments say what read_parquet makes of
 * each (see parquet_int96_to_pg): PostgreSQL's earliest timestamp is
 * Julian day 0, 4714-11-24 00:00:00 BC; INT64_MAX is infinity.
 */
static void
test_int96_range(void)
{
	static const Int96Case cases[] = {
		/* Spark's values: 2024-01-01 20:34:56.123456 (789 ns dropped), 9999-12-31 03:00 */
		{"2024-01-01 20:34:56.123456789", 2460311, INT64_C(74096123456789), INT64_C(1704141296123456)},
		{"9999-12-31 03:00:00", 5373484, INT64_C(10800000000000), INT64_C(253402225200000000)},
		/* PostgreSQL's earliest timestamp, and with 999 ns more (truncated) */
		{"4714-11-24 00:00:00 BC", 0, 0, -INT64_C(210866803200000000)},
		{"4714-11-24 00:00:00.000000999 BC", 0, 999, -INT64_C(210866803200000000)},
		/* one microsecond earlier: -infinity */
		{"4714-11-23 23:59:59.999999 BC", -1, INT64_C(86399999999999), -INT64_C(210866803200000001)},
		/* the latest finite value, then INT64_MAX exactly and beyond: infinity */
		{"294247-01-10 04:00:54.775806", 109192579, INT64_C(14454775806000), INT64_MAX - 1},
		{"294247-01-10 04:00:54.775807999", 109192579, INT64_C(14454775807999), INT64_MAX},
		{"294247-01-10 04:00:54.775808", 109192579, INT64_C(14454775808000), INT64_MAX},
		{"Julian day 2^31 - 1", INT32_MAX, 0, INT64_MAX},
		/* far in the past: -infinity */
		{"Julian day -2^31", INT32_MIN, INT64_C(86399999999999), INT64_MIN},
		{"Spark's overflowed 290000-12-31", -105862232, -INT64_C(32509551616000), INT64_MIN},
		{"the earliest int64 microsecond's day, 1 us before it", -104311403, -INT64_C(14454775809000), INT64_MIN},
		{"the earliest int64 microsecond", -104311403, -INT64_C(14454775808000), INT64_MIN},
		/* negative nanoseconds (not valid) truncate toward zero, as in DuckDB */
		{"1970-01-01 minus 1500 ns", 2440588, -1500, -1},
	};
	const int	ncases = (int) (sizeof(cases) / sizeof(cases[0]));
	const int	nrows = ncases + 1;	/* the last row is null */
	SynthColumn col;
	Buf			f = {0};
	Buf			body = {0};
	uint32_t	defs[24] = {0};
	ParquetReader *reader;
	ParquetColumnValues cv;
	char		err[512];
	ParquetStatus st;

	memset(&col, 0, sizeof(col));
	col = (SynthColumn) {"a", PQ_INT96, PQ_OPTIONAL, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 2,
	{PQ_ENC_PLAIN, PQ_ENC_RLE}, false, 0};
	for (int i = 0; i < ncases; i++)
		defs[i] = 1;
	b_le32(&body, 0);			/* the levels' length, filled in below */
	bitpacked_run(&body, defs, 16, 1);
	b_patch_le32(&body, 0, (uint32_t) (body.len - 4));
	for (int i = 0; i < ncases; i++)
	{
		b_le64(&body, (uint64_t) cases[i].nanos);
		b_le32(&body, (uint32_t) cases[i].julian_day);
	}
	synth_page(&col, PQ_PAGE_DATA, nrows, PQ_ENC_PLAIN, &body, body.len, 0, 0, PQ_ENC_RLE);
	synth_file(&f, &col, 1, nrows);
	save_seed("int96_range", &f);
	reader = open_synth(&f, "INT96 range");
	if (reader != NULL)
	{
		st = parquet_read_column_chunk(reader, 0, 0, &cv, err, sizeof(err));
		if (CHECK(st == PARQUET_OK, "INT96 values beyond every range decode: %s", err))
		{
			CHECK(cv.kind == PQ_VALUE_INT64 && cv.num_values == nrows && cv.num_nulls == 1 &&
				  cv.is_null[nrows - 1], "INT96 range: shape and the null");
			for (int i = 0; i < ncases && i < cv.num_values; i++)
				CHECK(!cv.is_null[i] && cv.values[i].int64 == cases[i].micros,
					  "INT96 %s (day %d, %lld ns): %lld us, expected %lld", cases[i].what,
					  (int) cases[i].julian_day, (long long) cases[i].nanos,
					  (long long) cv.values[i].int64, (long long) cases[i].micros);
			parquet_column_values_free(&cv);
		}
		parquet_reader_close(reader);
	}
	free(col.pages.d);
	free(body.d);
	free(f.d);
}

/*
 * The value of a half (bits h) computed independently of the reader's
 * conversion, from the definition of binary16, in double; NaN for NaNs.
 */
static double
half_reference(uint16_t h)
{
	int			sign = h >> 15;
	int			exponent = (h >> 10) & 0x1f;
	int			mantissa = h & 0x3ff;
	double		magnitude;

	if (exponent == 0x1f)
		magnitude = mantissa == 0 ? INFINITY : NAN;
	else if (exponent == 0)
		magnitude = ldexp(mantissa, -24);
	else
		magnitude = ldexp(1024 + mantissa, exponent - 25);
	return sign ? -magnitude : magnitude;
}

/*
 * FLOAT16 (FIXED_LEN_BYTE_ARRAY(2), LogicalType FLOAT16, as in
 * parquet-testing's float16_*.parquet): parquet_float16_to_float agrees
 * with the definition of binary16 on all 65536 values (signed zeros and
 * NaNs included); a file of the issue's values, PLAIN and
 * BYTE_STREAM_SPLIT, reads with its statistics; FLOAT16 on anything but
 * FIXED_LEN_BYTE_ARRAY(2) is corrupt.
 */
static void
test_float16(void)
{
	static const uint16_t plain_values[9] = {0x0000, 0x8000, 0x3c00, 0xc100, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x7e00};
	static const uint16_t split_values[3] = {0x03ff, 0x0400, 0x3555};
	const float expect[13] = {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 0x1p-24f, INFINITY, -INFINITY, NAN, 0.0f,
	0x3ffp-24f, 0x1p-14f, 0x555p-12f};
	const uint8_t stat_min[2] = {0x00, 0xfc};	/* -infinity */
	const uint8_t stat_max[2] = {0x00, 0x7c};	/* infinity */
	int			mismatches = 0;
	SynthColumn col;
	SynthChunkOptions opts;
	Buf			f = {0};
	Buf			body = {0};
	uint32_t	defs[16] = {0};
	ParquetReader *reader;
	ParquetColumnValues cv;
	char		err[512];
	ParquetStatus st;

	for (uint32_t h = 0; h <= 0xffff; h++)
	{
		uint8_t		le[2] = {(uint8_t) h, (uint8_t) (h >> 8)};
		float		got = parquet_float16_to_float(le);
		double		want = half_reference((uint16_t) h);

		/* signbit() is only nonzero for a negative, not 1 */
		if (isnan(want) ? !isnan(got) || !signbit(got) != !signbit(want) :
			(double) got != want || !signbit(got) != !signbit(want))
			mismatches++;
	}
	CHECK(mismatches == 0, "parquet_float16_to_float differs from binary16 on %d of 65536 values", mismatches);

	/* rows 0-8 PLAIN, row 9 null (v1 page); rows 10-12 BYTE_STREAM_SPLIT (v2 page) */
	memset(&col, 0, sizeof(col));
	col = (SynthColumn) {"h", PQ_FIXED_LEN_BYTE_ARRAY, PQ_OPTIONAL, 2, -1, PQ_LT_FLOAT16, PQ_CODEC_UNCOMPRESSED, {0}, false, 3,
	{PQ_ENC_PLAIN, PQ_ENC_BYTE_STREAM_SPLIT, PQ_ENC_RLE}, false, 0};
	memset(&opts, 0, sizeof(opts));
	opts.value_stats_len = 2;
	opts.min_value = stat_min;
	opts.max_value = stat_max;
	for (int i = 0; i < 9; i++)
		defs[i] = 1;
	b_le32(&body, 0);			/* the levels' length, filled in below */
	bitpacked_run(&body, defs, 16, 1);
	b_patch_le32(&body, 0, (uint32_t) (body.len - 4));
	for (int i = 0; i < 9; i++)
	{
		b_byte(&body, (uint8_t) plain_values[i]);
		b_byte(&body, (uint8_t) (plain_values[i] >> 8));
	}
	synth_page(&col, PQ_PAGE_DATA, 10, PQ_ENC_PLAIN, &body, body.len, 0, 0, PQ_ENC_RLE);
	body.len = 0;
	rle_run(&body, 3, 1, 1);
	{
		size_t		levels_len = body.len;

		for (int k = 0; k < 2; k++)
			for (int i = 0; i < 3; i++)
				b_byte(&body, (uint8_t) (split_values[i] >> (8 * k)));
		synth_page(&col, PQ_PAGE_DATA_V2, 3, PQ_ENC_BYTE_STREAM_SPLIT, &body, body.len, 0, (int) levels_len, 0);
	}
	synth_file_with(&f, &col, &opts, 1, 13);
	save_seed("float16", &f);
	reader = open_synth(&f, "FLOAT16");
	if (reader != NULL)
	{
		const ParquetFileMeta *meta = parquet_reader_metadata(reader);
		const ParquetColumnChunk *cc = &meta->row_groups[0].columns[0];

		CHECK(meta->columns[0].logical_type == PQ_LT_FLOAT16 && meta->columns[0].type_length == 2 &&
			  parquet_value_kind(meta->columns[0].physical_type) == PQ_VALUE_BYTES,
			  "FLOAT16: the schema");
		CHECK(cc->has_statistics && cc->statistics.has_min_value && cc->statistics.has_max_value &&
			  cc->statistics.min_value.len == 2 && cc->statistics.max_value.len == 2 &&
			  parquet_float16_to_float(cc->statistics.min_value.ptr) == -INFINITY &&
			  parquet_float16_to_float(cc->statistics.max_value.ptr) == INFINITY,
			  "FLOAT16: the statistics decode");
		st = parquet_read_column_chunk(reader, 0, 0, &cv, err, sizeof(err));
		if (CHECK(st == PARQUET_OK, "FLOAT16: read: %s", err))
		{
			bool		ok = cv.num_values == 13 && cv.num_nulls == 1 && cv.is_null[9];

			for (int i = 0; ok && i < 13; i++)
			{
				float		v;

				if (i == 9)
					continue;
				ok = !cv.is_null[i] && cv.values[i].bytes.len == 2;
				if (!ok)
					break;
				v = parquet_float16_to_float(cv.values[i].bytes.ptr);
				ok = isnan(expect[i]) ? isnan(v) : (v == expect[i] && !signbit(v) == !signbit(expect[i]));
				if (!ok)
					fprintf(stderr, "FLOAT16 row %d: %a, expected %a\n", i, v, expect[i]);
			}
			CHECK(ok, "FLOAT16: 0, -0, 1, -2.5, 65504, 2^-24, infinity, -infinity, NaN, null, "
				  "and by BYTE_STREAM_SPLIT the largest subnormal, the smallest normal and 0x3555 (1365/4096)");
			parquet_column_values_free(&cv);
		}
		parquet_reader_close(reader);
	}
	free(col.pages.d);

	/* FLOAT16 on another physical type or length */
	for (int k = 0; k < 2; k++)
	{
		memset(&col, 0, sizeof(col));
		if (k == 0)
			col = (SynthColumn) {"h", PQ_INT32, PQ_REQUIRED, 0, -1, PQ_LT_FLOAT16, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_PLAIN}, false, 0};
		else
			col = (SynthColumn) {"h", PQ_FIXED_LEN_BYTE_ARRAY, PQ_REQUIRED, 4, -1, PQ_LT_FLOAT16, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_PLAIN}, false, 0};
		body.len = 0;
		b_le32(&body, 0x3c00);
		synth_page(&col, PQ_PAGE_DATA, 1, PQ_ENC_PLAIN, &body, body.len, 0, 0, PQ_ENC_RLE);
		f.len = 0;
		synth_file(&f, &col, 1, 1);
		st = parquet_reader_open_memory(f.d, f.len, NULL, &reader, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "column \"h\" is FLOAT16 but") != NULL &&
			  strstr(err, k == 0 ? "but INT32," : "but FIXED_LEN_BYTE_ARRAY(4),") != NULL,
			  "FLOAT16 on %s is corrupt: %s", k == 0 ? "INT32" : "FIXED_LEN_BYTE_ARRAY(4)", err);
		parquet_reader_close(reader);
		free(col.pages.d);
	}
	free(body.d);
	free(f.d);
}

/* ----------------------------------------------------------------
 * Page checksums, GZIP and Brotli pages
 * ----------------------------------------------------------------
 */

/* Where one page of a hand-built chunk lies in the file. */
typedef struct SynthPageSpan
{
	size_t		start;			/* file offset of the page header */
	size_t		body;			/* file offset of the page body */
	size_t		end;			/* file offset after the body */
} SynthPageSpan;

/*
 * Appends a page with synth_page and records where it will lie in a file
 * whose only column chunk starts at offset 4, as synth_file places it.
 */
static void
synth_page_at(SynthColumn *col, SynthPageSpan *span, int page_type, int num_values, int encoding,
			  const Buf *body, size_t uncompressed_len, int def_len, int def_encoding)
{
	span->start = 4 + col->pages.len;
	synth_page(col, page_type, num_values, encoding, body, uncompressed_len, 0, def_len, def_encoding);
	span->end = 4 + col->pages.len;
	span->body = span->end - body->len;
}

/*
 * The file of the checksum tests: one OPTIONAL INT32 column "x" of 12
 * rows without nulls in three uncompressed pages, a dictionary page (10,
 * 20, 30), a v1 page of 8 dictionary indices and a v2 page of 4 PLAIN
 * values (100 to 103); spans[0..2] say where the pages lie.  The pages
 * carry CRCs if synth_page_crc is set.
 */
static void
checksum_file(Buf *f, SynthPageSpan *spans)
{
	SynthColumn col;
	Buf			body = {0};
	uint32_t	idx[8];

	memset(&col, 0, sizeof(col));
	col = (SynthColumn) {"x", PQ_INT32, PQ_OPTIONAL, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 3,
	{PQ_ENC_PLAIN, PQ_ENC_RLE_DICTIONARY, PQ_ENC_RLE}, false, 0};
	for (int i = 1; i <= 3; i++)
		b_le32(&body, (uint32_t) (10 * i));
	synth_page_at(&col, &spans[0], PQ_PAGE_DICTIONARY, 3, PQ_ENC_PLAIN, &body, body.len, 0, 0);
	body.len = 0;
	b_le32(&body, 2);
	rle_run(&body, 8, 1, 1);
	b_byte(&body, 2);
	for (int i = 0; i < 8; i++)
		idx[i] = (uint32_t) (i % 3);
	bitpacked_run(&body, idx, 8, 2);
	synth_page_at(&col, &spans[1], PQ_PAGE_DATA, 8, PQ_ENC_RLE_DICTIONARY, &body, body.len, 0, PQ_ENC_RLE);
	body.len = 0;
	rle_run(&body, 4, 1, 1);	/* v2 levels: no length prefix */
	for (int i = 0; i < 4; i++)
		b_le32(&body, (uint32_t) (100 + i));
	synth_page_at(&col, &spans[2], PQ_PAGE_DATA_V2, 4, PQ_ENC_PLAIN, &body, body.len, 2, 0);
	f->len = 0;
	synth_file(f, &col, 1, 12);
	free(col.pages.d);
	free(body.d);
}

/* Whether a checksum_file reads back with its 12 values. */
static bool
checksum_file_reads(const Buf *f, char *err, size_t errlen)
{
	ParquetReader *reader;
	ParquetColumnValues cv;
	bool		ok;

	if (parquet_reader_open_memory(f->d, f->len, NULL, &reader, err, errlen) != PARQUET_OK)
		return false;
	ok = parquet_read_column_chunk(reader, 0, 0, &cv, err, errlen) == PARQUET_OK;
	if (ok)
	{
		ok = cv.num_values == 12 && cv.num_nulls == 0;
		for (int i = 0; ok && i < 12; i++)
			ok = cv.values[i].int32 == (i < 8 ? 10 * (i % 3 + 1) : 100 + i - 8);
		if (!ok)
			snprintf(err, errlen, "wrong values");
		parquet_column_values_free(&cv);
	}
	parquet_reader_close(reader);
	return ok;
}

/*
 * PageHeader.crc on hand-built pages: pages with CRCs read; a flip of any
 * byte of a dictionary, v1 or v2 page body (v2: the uncompressed levels
 * too) fails with PARQUET_ERROR_CORRUPT and a message that names the
 * column and where the page starts; pages without a crc are not checked.
 */
static void
test_page_checksums(void)
{
	static const char *const page_names[3] = {"dictionary page", "v1 data page", "v2 data page"};
	SynthPageSpan spans[3];
	Buf			f = {0};
	uint8_t    *copy;
	char		err[512];
	ParquetStatus st;

	synth_page_crc = true;
	checksum_file(&f, spans);
	CHECK(checksum_file_reads(&f, err, sizeof(err)), "pages with CRCs read: %s", err);

	copy = malloc(f.len);
	for (int k = 0; k < 3; k++)
	{
		char		expect[128];
		int			caught = 0;
		int			flipped = 0;
		bool		named = true;

		snprintf(expect, sizeof(expect), "row group 0, column \"x\": page checksum mismatch at offset %zu ",
				 spans[k].start);
		for (size_t pos = spans[k].body; pos < spans[k].end; pos++)
		{
			memcpy(copy, f.d, f.len);
			copy[pos] ^= 0x20;
			flipped++;
			err[0] = '\0';
			st = open_and_read_all(copy, f.len, NULL, err, sizeof(err));
			if (st == PARQUET_ERROR_CORRUPT && strstr(err, "checksum") != NULL)
				caught++;
			named &= strncmp(err, expect, strlen(expect)) == 0;
		}
		CHECK(flipped > 0 && caught == flipped, "%s: %d of %d flipped body bytes fail the checksum",
			  page_names[k], caught, flipped);
		CHECK(named, "%s: the message names the column and the page's offset: %s", page_names[k], err);
	}
	free(copy);

	/* pages without a crc read, and are not checked */
	synth_page_crc = false;
	checksum_file(&f, spans);
	CHECK(checksum_file_reads(&f, err, sizeof(err)), "pages without CRCs read: %s", err);
	f.d[spans[2].end - 4] ^= 0x01;	/* the last value: 103 becomes 102 */
	st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
	CHECK(st == PARQUET_OK, "a flipped byte of a page without a crc goes unnoticed: %s", err);
	synth_page_crc = true;
	free(f.d);
}

/*
 * Files of spillpool's writer carry page CRCs: they read, and a flipped
 * byte at the end of a (ZSTD-compressed) dictionary page or of a chunk's
 * last data page fails the checksum before ZSTD sees it.
 */
static void
test_writer_checksums(void)
{
	char		path[] = "/tmp/parquet_crc_XXXXXX";
	char		err[512];
	ParquetColumnSpec cols[2];
	ParquetWriterOptions opts;
	ParquetWriteResult res;
	ParquetWriter *w;
	ParquetReader *reader;
	uint8_t    *data;
	size_t		len;
	size_t		flips[3];
	const char *flip_names[3] = {"end of the dictionary page of \"label\"",
		"end of the last data page of \"label\"", "end of the last data page of \"id\""};
	int			fd = mkstemp(path);

	if (!CHECK(fd >= 0, "mkstemp"))
		return;
	parquet_column_init(&cols[0], "id", PQ_INT64, false);
	parquet_column_init(&cols[1], "label", PQ_BYTE_ARRAY, true);
	cols[1].logical = PQ_LT_STRING;
	parquet_writer_options_init(&opts);
	opts.codec = PQ_CODEC_ZSTD;
	w = parquet_writer_create(fd, cols, 2, &opts, err, sizeof(err));
	if (!CHECK(w != NULL, "writer: %s", err))
	{
		close(fd);
		unlink(path);
		return;
	}
	for (int id = 0; id < 3000; id++)
	{
		ParquetRowValue v[2];
		char		label[32];

		memset(v, 0, sizeof(v));
		v[0].v.int64 = id;
		snprintf(label, sizeof(label), "label-%d", id % 10);
		v[1].isnull = id % 7 == 0;
		v[1].v.bytes.ptr = (const uint8_t *) label;
		v[1].v.bytes.len = (uint32_t) strlen(label);
		if (parquet_writer_add_row(w, v) != PARQUET_OK)
		{
			CHECK(false, "add_row %d: %s", id, parquet_writer_error(w));
			break;
		}
	}
	CHECK(parquet_writer_finish(w, &res, err, sizeof(err)) == PARQUET_OK, "finish: %s", err);
	parquet_writer_free(w);
	close(fd);
	data = read_file(path, &len);
	unlink(path);
	if (!CHECK(data != NULL, "read back %s", path))
		return;
	if (!CHECK(parquet_reader_open_memory(data, len, NULL, &reader, err, sizeof(err)) == PARQUET_OK,
			   "open: %s", err))
	{
		free(data);
		return;
	}
	{
		const ParquetColumnChunk *id = &parquet_reader_metadata(reader)->row_groups[0].columns[0];
		const ParquetColumnChunk *label = &parquet_reader_metadata(reader)->row_groups[0].columns[1];

		CHECK(label->has_dictionary_page_offset && label->codec == PQ_CODEC_ZSTD,
			  "the writer's label chunk has a ZSTD dictionary page");
		flips[0] = (size_t) label->data_page_offset - 1;
		flips[1] = (size_t) (label->dictionary_page_offset + label->total_compressed_size) - 1;
		flips[2] = (size_t) (id->data_page_offset + id->total_compressed_size) - 1;
	}
	parquet_reader_close(reader);
	CHECK(open_and_read_all(data, len, NULL, err, sizeof(err)) == PARQUET_OK, "a writer file with CRCs reads: %s",
		  err);
	for (int k = 0; k < 3; k++)
	{
		ParquetStatus st;

		data[flips[k]] ^= 0x01;
		st = open_and_read_all(data, len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, "page checksum mismatch") != NULL,
			  "writer file, a flipped byte at the %s: %s", flip_names[k], err);
		data[flips[k]] ^= 0x01;
	}
	free(data);
}

/* Makes room for n more bytes in a buffer and returns where they go. */
static uint8_t *
b_reserve(Buf *b, size_t n)
{
	if (b->len + n > b->cap)
	{
		b->cap = (b->len + n) * 2 + 64;
		b->d = realloc(b->d, b->cap);
	}
	return b->d + b->len;
}

/* How a codec test compresses a page body (appending to out). */
typedef void (*CompressFn) (Buf *out, const uint8_t *p, size_t n);

/* One gzip member of the bytes, made with deflate (windowBits 15 + 16). */
static void
compress_gzip(Buf *out, const uint8_t *p, size_t n)
{
	z_stream	zs;
	uLong		bound;

	memset(&zs, 0, sizeof(zs));
	if (!CHECK(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2"))
		return;
	bound = deflateBound(&zs, (uLong) n);
	zs.next_in = (Bytef *) p;
	zs.avail_in = (uInt) n;
	zs.next_out = b_reserve(out, bound);
	zs.avail_out = (uInt) bound;
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END, "deflate to gzip");
	out->len += zs.total_out;
	deflateEnd(&zs);
}

/* A zlib stream of the bytes (zlib header), made with compress2. */
static void
compress_zlib(Buf *out, const uint8_t *p, size_t n)
{
	uLongf		len = compressBound((uLong) n);

	CHECK(compress2(b_reserve(out, len), &len, p, (uLong) n, 6) == Z_OK, "compress2");
	out->len += len;
}

/* Two concatenated gzip members, as some writers make them. */
static void
compress_gzip_members(Buf *out, const uint8_t *p, size_t n)
{
	compress_gzip(out, p, n / 3);
	compress_gzip(out, p + n / 3, n - n / 3);
}

/* A Brotli stream of the bytes, made with libbrotlienc. */
static void
compress_brotli(Buf *out, const uint8_t *p, size_t n)
{
	size_t		len = BrotliEncoderMaxCompressedSize(n);

	CHECK(BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC,
								n, p, &len, b_reserve(out, len)) == BROTLI_TRUE, "BrotliEncoderCompress");
	out->len += len;
}

#define CODEC_ROWS 1000			/* a multiple of 8, for bitpacked_run */

/* The value of row i of the codec test files (50 distinct values). */
static int32_t
codec_value(int i)
{
	return (i % 50) * 7 - 100;
}

/* The page layouts of the codec test files. */
typedef enum CodecLayout
{
	CODEC_V1,					/* PLAIN values in a v1 page */
	CODEC_V2,					/* PLAIN values in a v2 page */
	CODEC_DICT					/* a dictionary page and a v1 index page */
} CodecLayout;

/*
 * A file of one REQUIRED INT32 column "v" of CODEC_ROWS rows whose page
 * bodies are compressed with compress under codec.  The (last) data page
 * can be mangled: cut bytes removed from the end of its compressed body,
 * size_delta added to the uncompressed size its header states.
 */
static void
codec_file(Buf *f, int codec, CompressFn compress, CodecLayout layout, size_t cut, int size_delta)
{
	SynthColumn col;
	Buf			raw = {0};
	Buf			z = {0};
	int			encoding = layout == CODEC_DICT ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN;

	memset(&col, 0, sizeof(col));
	col = (SynthColumn) {"v", PQ_INT32, PQ_REQUIRED, 0, -1, 0, codec, {0}, false, 1, {encoding}, false, 0};
	if (layout == CODEC_DICT)
	{
		uint32_t	idx[CODEC_ROWS];

		for (int k = 0; k < 50; k++)
			b_le32(&raw, (uint32_t) codec_value(k));
		compress(&z, raw.d, raw.len);
		synth_page(&col, PQ_PAGE_DICTIONARY, 50, PQ_ENC_PLAIN, &z, raw.len, 0, 0, 0);
		raw.len = 0;
		z.len = 0;
		b_byte(&raw, 6);
		for (int i = 0; i < CODEC_ROWS; i++)
			idx[i] = (uint32_t) (i % 50);
		bitpacked_run(&raw, idx, CODEC_ROWS, 6);
	}
	else
	{
		for (int i = 0; i < CODEC_ROWS; i++)
			b_le32(&raw, (uint32_t) codec_value(i));
	}
	compress(&z, raw.d, raw.len);
	z.len -= cut < z.len ? cut : z.len;
	synth_page(&col, layout == CODEC_V2 ? PQ_PAGE_DATA_V2 : PQ_PAGE_DATA, CODEC_ROWS, encoding, &z,
			   (size_t) ((int64_t) raw.len + size_delta), 0, 0, PQ_ENC_RLE);
	f->len = 0;
	synth_file(f, &col, 1, CODEC_ROWS);
	free(col.pages.d);
	free(raw.d);
	free(z.d);
}

/* Reads a codec test file; on success, whether its values are right. */
static ParquetStatus
codec_read(const Buf *f, const ParquetReaderOptions *opts, bool *values_ok, char *err, size_t errlen)
{
	ParquetReader *reader;
	ParquetColumnValues cv;
	ParquetStatus st;

	*values_ok = false;
	st = parquet_reader_open_memory(f->d, f->len, opts, &reader, err, errlen);
	if (st != PARQUET_OK)
		return st;
	st = parquet_read_column_chunk(reader, 0, 0, &cv, err, errlen);
	if (st == PARQUET_OK)
	{
		bool		ok = cv.num_values == CODEC_ROWS && cv.num_nulls == 0;

		for (int i = 0; ok && i < CODEC_ROWS; i++)
			ok = cv.values[i].int32 == codec_value(i);
		*values_ok = ok;
		parquet_column_values_free(&cv);
	}
	parquet_reader_close(reader);
	return st;
}

/*
 * GZIP (gzip and zlib streams, concatenated gzip members) and Brotli pages
 * decode in v1, v2 and dictionary pages; truncated streams, streams that
 * decompress to more or fewer bytes than the header states and garbage
 * fail with PARQUET_ERROR_CORRUPT, pages over max_page_bytes with
 * PARQUET_ERROR_LIMIT, and random byte flips (in pages without a crc, so
 * that they reach the decompressor) fail cleanly.
 */
static void
test_gzip_brotli(void)
{
	static const struct
	{
		const char *name;
		int			codec;
		CompressFn	compress;
		const char *in_message;
	}			variants[] = {
		{"GZIP (gzip member)", PQ_CODEC_GZIP, compress_gzip, "GZIP"},
		{"GZIP (zlib stream)", PQ_CODEC_GZIP, compress_zlib, "GZIP"},
		{"GZIP (two gzip members)", PQ_CODEC_GZIP, compress_gzip_members, "GZIP"},
		{"BROTLI", PQ_CODEC_BROTLI, compress_brotli, "Brotli"},
	};
	static const char *const layout_names[] = {"v1 page", "v2 page", "dictionary and v1 page"};
	Buf			f = {0};
	char		err[512];
	bool		values_ok;
	ParquetStatus st;
	ParquetReaderOptions opts;

	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++)
	{
		const char *name = variants[v].name;
		int			codec = variants[v].codec;
		CompressFn	compress = variants[v].compress;
		int			flip_failures = 0;
		int			bad_failures = 0;

		for (int layout = CODEC_V1; layout <= CODEC_DICT; layout++)
		{
			codec_file(&f, codec, compress, (CodecLayout) layout, 0, 0);
			st = codec_read(&f, NULL, &values_ok, err, sizeof(err));
			CHECK(st == PARQUET_OK && values_ok, "%s, %s: decodes: %s", name, layout_names[layout],
				  st == PARQUET_OK ? "wrong values" : err);
		}

		/* cut 7 bytes: into the gzip trailer or the zlib stream's data */
		codec_file(&f, codec, compress, CODEC_V1, 7, 0);
		st = codec_read(&f, NULL, &values_ok, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, variants[v].in_message) != NULL &&
			  strstr(err, "truncated") != NULL, "%s: a truncated stream: %s", name, err);
		codec_file(&f, codec, compress, CODEC_DICT, 3, 0);
		st = codec_read(&f, NULL, &values_ok, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, variants[v].in_message) != NULL &&
			  strstr(err, "truncated") != NULL, "%s: a truncated stream after a dictionary page: %s", name, err);
		codec_file(&f, codec, compress, CODEC_V1, 0, -4);
		st = codec_read(&f, NULL, &values_ok, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, variants[v].in_message) != NULL &&
			  strstr(err, "more than the 3996 bytes") != NULL,
			  "%s: a stream of more bytes than the header says: %s", name, err);
		codec_file(&f, codec, compress, CODEC_V1, 0, 4);
		st = codec_read(&f, NULL, &values_ok, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, variants[v].in_message) != NULL &&
			  strstr(err, "4000 bytes decompressed, expected 4004") != NULL,
			  "%s: a stream of fewer bytes than the header says: %s", name, err);
		codec_file(&f, codec, compress, CODEC_V2, 0, 4);
		st = codec_read(&f, NULL, &values_ok, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, variants[v].in_message) != NULL &&
			  strstr(err, "4000 bytes decompressed, expected 4004") != NULL,
			  "%s: a v2 page of fewer bytes than the header says: %s", name, err);

		parquet_reader_default_options(&opts);
		opts.max_page_bytes = CODEC_ROWS * 4 - 1;
		codec_file(&f, codec, compress, CODEC_V1, 0, 0);
		st = codec_read(&f, &opts, &values_ok, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_LIMIT, "%s: a page over max_page_bytes: %s", name, err);

		/* random flips that reach the decompressor */
		synth_page_crc = false;
		codec_file(&f, codec, compress, CODEC_DICT, 0, 0);
		synth_page_crc = true;
		for (int i = 0; i < 400; i++)
		{
			uint8_t    *copy = malloc(f.len);
			uint32_t	meta_len = (uint32_t) f.d[f.len - 8] | (uint32_t) f.d[f.len - 7] << 8 |
				(uint32_t) f.d[f.len - 6] << 16 | (uint32_t) f.d[f.len - 5] << 24;
			size_t		data_len = f.len - 8 - meta_len - 4;

			memcpy(copy, f.d, f.len);
			for (int k = 0; k < 1 + i % 3; k++)
				copy[4 + rng() % data_len] ^= (uint8_t) (1 + rng() % 255);
			err[0] = '\0';
			st = open_and_read_all(copy, f.len, NULL, err, sizeof(err));
			if (st != PARQUET_OK)
			{
				flip_failures++;
				if (st > PARQUET_ERROR_INVALID || err[0] == '\0')
					bad_failures++;
			}
			free(copy);
		}
		CHECK(flip_failures > 0 && bad_failures == 0, "%s: %d of 400 flipped files fail, %d without a message",
			  name, flip_failures, bad_failures);
	}

	/* garbage is not a stream of either codec */
	for (int k = 0; k < 2; k++)
	{
		int			codec = k == 0 ? PQ_CODEC_GZIP : PQ_CODEC_BROTLI;
		SynthColumn col;
		Buf			body = {0};

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"v", PQ_INT32, PQ_REQUIRED, 0, -1, 0, codec, {0}, false, 1, {PQ_ENC_PLAIN}, false, 0};
		for (int i = 0; i < 64; i++)
			b_byte(&body, (uint8_t) (rng() | 0x80));
		synth_page(&col, PQ_PAGE_DATA, 16, PQ_ENC_PLAIN, &body, 64, 0, 0, PQ_ENC_RLE);
		f.len = 0;
		synth_file(&f, &col, 1, 16);
		st = open_and_read_all(f.d, f.len, NULL, err, sizeof(err));
		CHECK(st == PARQUET_ERROR_CORRUPT, "%s: garbage: %s", parquet_codec_name(codec), err);
		free(col.pages.d);
		free(body.d);
	}
	free(f.d);
}

/*
 * Truncates and corrupts one fixture in many ways: prefixes and cut data
 * areas must fail, random byte flips and zeroed stretches must not crash
 * (or fail without a message).
 */
static void
test_corruption(const char *dir, const char *name, int flips, bool every_prefix)
{
	char		path[4096];
	size_t		len;
	uint8_t    *data;
	uint8_t    *copy;
	char		err[512];
	int			prefix_errors = 0;
	int			prefix_tests = 0;
	int			cut_errors = 0;
	int			cut_tests = 0;
	int			flip_errors = 0;
	int			bad_status = 0;
	uint32_t	meta_len;
	size_t		data_end;
	ParquetReaderOptions opts;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	data = read_file(path, &len);
	if (!CHECK(data != NULL && len > 12, "cannot read %s", path))
		return;
	copy = malloc(len);
	parquet_reader_default_options(&opts);
	opts.max_row_group_rows = 1 << 20;
	opts.max_page_bytes = 64 << 20;

	/* every prefix (or a stride of them) must fail: the tail magic is gone */
	for (size_t cut = 0; cut < len; cut += every_prefix ? 1 : 1 + len / 2000)
	{
		memcpy(copy, data, cut);
		prefix_tests++;
		if (open_and_read_all(copy, cut, &opts, err, sizeof(err)) != PARQUET_OK)
			prefix_errors++;
	}
	CHECK(prefix_errors == prefix_tests, "%s: %d of %d prefixes failed", name, prefix_errors, prefix_tests);

	/* data cut short but the footer kept: column chunks run into the footer */
	meta_len = (uint32_t) data[len - 8] | (uint32_t) data[len - 7] << 8 |
		(uint32_t) data[len - 6] << 16 | (uint32_t) data[len - 5] << 24;
	data_end = 4;
	{
		/* the end of the last column chunk (bloom filters may follow) */
		ParquetReader *r;

		if (CHECK(parquet_reader_open_memory(data, len, NULL, &r, err, sizeof(err)) == PARQUET_OK,
				  "%s: %s", name, err))
		{
			const ParquetFileMeta *m = parquet_reader_metadata(r);

			for (int g = 0; g < m->num_row_groups; g++)
				for (int c = 0; c < m->num_columns; c++)
				{
					const ParquetColumnChunk *cc = &m->row_groups[g].columns[c];
					int64_t		start = cc->data_page_offset;

					if (cc->has_dictionary_page_offset && cc->dictionary_page_offset > 0 &&
						cc->dictionary_page_offset < start)
						start = cc->dictionary_page_offset;
					if ((size_t) (start + cc->total_compressed_size) > data_end)
						data_end = (size_t) (start + cc->total_compressed_size);
				}
			parquet_reader_close(r);
		}
	}
	CHECK(data_end <= len - 8 - meta_len, "%s: chunks end inside the data area", name);
	for (size_t cut = 4; cut < data_end; cut += 1 + data_end / 1000)
	{
		size_t		footer_start = len - 8 - meta_len;

		memcpy(copy, data, cut);
		memcpy(copy + cut, data + footer_start, len - footer_start);
		cut_tests++;
		if (open_and_read_all(copy, cut + len - footer_start, &opts, err, sizeof(err)) != PARQUET_OK)
			cut_errors++;
	}
	CHECK(cut_errors == cut_tests, "%s: %d of %d truncated data areas failed", name, cut_errors, cut_tests);

	/* random byte flips and zeroed stretches: any outcome but a crash */
	for (int i = 0; i < flips; i++)
	{
		ParquetStatus st;
		int			nflips = 1 + (int) (rng() % 4);

		memcpy(copy, data, len);
		for (int k = 0; k < nflips; k++)
		{
			size_t		pos = (size_t) (rng() % len);

			if (k == 0 && i % 8 == 7)
			{
				size_t		n = (size_t) (rng() % 64);

				memset(copy + pos, (i % 16 == 7) ? 0 : 0xff, n < len - pos ? n : len - pos);
			}
			else
				copy[pos] ^= (uint8_t) (1 + rng() % 255);
		}
		err[0] = '\0';
		st = open_and_read_all(copy, len, &opts, err, sizeof(err));
		if (st != PARQUET_OK)
		{
			flip_errors++;
			if (st > PARQUET_ERROR_INVALID || err[0] == '\0')
				bad_status++;
		}
	}
	CHECK(bad_status == 0, "%s: %d corrupted variants failed without a message", name, bad_status);
	printf("corruption %s: %d prefixes, %d cut data areas, %d flipped variants (%d rejected)\n",
		   name, prefix_tests, cut_tests, flips, flip_errors);
	free(copy);
	free(data);
}

/*
 * Decoded columns outlive their reader: byte arrays of a file descriptor
 * reader point into buffers the column owns (here the uncompressed chunk
 * itself).
 */
static void
test_values_outlive_reader(const char *dir)
{
	char		path[4096];
	char		err[512];
	ParquetReader *reader;
	ParquetColumnValues from_file;
	ParquetColumnValues from_memory;
	uint8_t    *data;
	size_t		len;
	int			col;
	int			fd;

	snprintf(path, sizeof(path), "%s/types_uncompressed.parquet", dir);
	data = read_file(path, &len);
	if (!CHECK(data != NULL, "cannot read %s", path))
		return;
	fd = open(path, O_RDONLY);
	if (CHECK(fd >= 0 && parquet_reader_open_fd(fd, NULL, &reader, err, sizeof(err)) == PARQUET_OK, "open: %s", err))
	{
		col = parquet_reader_find_column(reader, "s");
		CHECK(parquet_reader_find_column(reader, "no such column") == -1, "find_column of a missing name");
		CHECK(col >= 0 && parquet_read_column_chunk(reader, 0, col, &from_file, err, sizeof(err)) == PARQUET_OK,
			  "read s: %s", err);
		parquet_reader_close(reader);
		close(fd);				/* the caller owns it */
		if (CHECK(parquet_reader_open_memory(data, len, NULL, &reader, err, sizeof(err)) == PARQUET_OK, "open: %s", err))
		{
			CHECK(parquet_read_column_chunk(reader, 0, col, &from_memory, err, sizeof(err)) == PARQUET_OK,
				  "read s: %s", err);
			parquet_reader_close(reader);
			CHECK(same_values(&from_file, &from_memory) && from_file.num_values == 200,
				  "values of a closed file reader stay valid");
			parquet_column_values_free(&from_memory);
			parquet_column_values_free(&from_memory);	/* idempotent */
		}
		parquet_column_values_free(&from_file);
	}
	free(data);
}

/*
 * Row groups decoded into the buffers of the row groups before them
 * (parquet_row_group_batch_recycle) equal a fresh decoding, also when the
 * row groups differ in size and the string column switches between
 * dictionary and PLAIN encoding: a file of four row groups (50,000 rows
 * but the last, 20,000) written by the writer, read twice through one
 * reader that recycles and compared, column by column, with a new
 * reader's decoding of each row group.
 */
static void
test_recycled_batches(void)
{
	char		path[] = "/tmp/parquet_recycle_XXXXXX";
	char		err[512];
	ParquetColumnSpec cols[3];
	ParquetWriterOptions opts;
	ParquetWriter *w;
	ParquetWriteResult res;
	ParquetReader *reader = NULL;
	int			fd = mkstemp(path);
	bool		all_same = true;
	int			dict_groups = 0;

	if (!CHECK(fd >= 0, "mkstemp"))
		return;
	parquet_column_init(&cols[0], "id", PQ_INT64, false);
	parquet_column_init(&cols[1], "label", PQ_BYTE_ARRAY, true);
	cols[1].logical = PQ_LT_STRING;
	parquet_column_init(&cols[2], "x", PQ_DOUBLE, true);
	parquet_writer_options_init(&opts);
	opts.codec = PQ_CODEC_ZSTD;
	opts.row_group_rows = 50000;
	opts.dictionary_bytes = 64 * 1024;
	w = parquet_writer_create(fd, cols, 3, &opts, err, sizeof(err));
	if (!CHECK(w != NULL, "writer: %s", err))
	{
		close(fd);
		unlink(path);
		return;
	}
	for (int id = 0; id < 170000; id++)
	{
		ParquetRowValue v[3];
		char		label[32];
		int			g = id / 50000;

		memset(v, 0, sizeof(v));
		v[0].v.int64 = id;
		/* row groups 0 and 2: 100 labels (dictionary); 1 and 3: distinct */
		snprintf(label, sizeof(label), "label-%d", g % 2 == 0 ? id % 100 : id);
		v[1].isnull = id % 7 == 0;
		v[1].v.bytes.ptr = (const uint8_t *) label;
		v[1].v.bytes.len = (uint32_t) strlen(label);
		v[2].isnull = id % 5 == 0;
		v[2].v.float8 = id * 0.25;
		if (parquet_writer_add_row(w, v) != PARQUET_OK)
		{
			CHECK(false, "add_row %d: %s", id, parquet_writer_error(w));
			break;
		}
	}
	CHECK(parquet_writer_finish(w, &res, err, sizeof(err)) == PARQUET_OK && res.row_groups == 4,
		  "finish: %s (%d row groups)", err, (int) res.row_groups);
	parquet_writer_free(w);
	close(fd);

	if (CHECK(parquet_reader_open_file(path, NULL, &reader, err, sizeof(err)) == PARQUET_OK, "open: %s", err))
	{
		const ParquetFileMeta *meta = parquet_reader_metadata(reader);

		for (int pass = 0; pass < 2; pass++)
		{
			for (int g = 0; g < meta->num_row_groups; g++)
			{
				ParquetRowGroupBatch batch;
				ParquetRowGroupBatch fresh;
				ParquetReader *other = NULL;

				if (!CHECK(parquet_read_row_group(reader, g, NULL, 0, &batch, err, sizeof(err)) == PARQUET_OK,
						   "row group %d: %s", g, err))
					continue;
				if (CHECK(parquet_reader_open_file(path, NULL, &other, err, sizeof(err)) == PARQUET_OK &&
						  parquet_read_row_group(other, g, NULL, 0, &fresh, err, sizeof(err)) == PARQUET_OK,
						  "fresh row group %d: %s", g, err))
				{
					for (int c = 0; c < 3; c++)
						all_same &= same_values(&batch.columns[c], &fresh.columns[c]);
					dict_groups += batch.columns[1].dict_index != NULL;
					parquet_row_group_batch_free(&fresh);
				}
				parquet_reader_close(other);
				parquet_row_group_batch_recycle(reader, &batch);
			}
		}
		parquet_reader_close(reader);
	}
	/* a pool that outlives its readers: two readers, one after the other */
	{
		ParquetBufferPool *pool = parquet_buffer_pool_create(8 * 1024 * 1024);
		ParquetReaderOptions popts;
		bool		pool_same = true;

		parquet_reader_default_options(&popts);
		popts.buffer_pool = pool;
		for (int round = 0; pool != NULL && round < 2; round++)
		{
			ParquetReader *pr = NULL;

			if (!CHECK(parquet_reader_open_file(path, &popts, &pr, err, sizeof(err)) == PARQUET_OK,
					   "open with a pool: %s", err))
				break;
			for (int g = 0; g < parquet_reader_metadata(pr)->num_row_groups; g++)
			{
				ParquetRowGroupBatch batch;
				ParquetRowGroupBatch fresh;
				ParquetReader *other = NULL;

				if (parquet_read_row_group(pr, g, NULL, 0, &batch, err, sizeof(err)) != PARQUET_OK)
				{
					pool_same = false;
					continue;
				}
				if (parquet_reader_open_file(path, NULL, &other, err, sizeof(err)) == PARQUET_OK &&
					parquet_read_row_group(other, g, NULL, 0, &fresh, err, sizeof(err)) == PARQUET_OK)
				{
					for (int c = 0; c < 3; c++)
						pool_same &= same_values(&batch.columns[c], &fresh.columns[c]);
					parquet_row_group_batch_free(&fresh);
				}
				else
					pool_same = false;
				parquet_reader_close(other);
				parquet_row_group_batch_recycle(pr, &batch);
			}
			parquet_reader_close(pr);
		}
		CHECK(pool != NULL && pool_same,
			  "readers sharing a buffer pool one after another decode as fresh readers do");
		parquet_buffer_pool_free(pool);
	}
	CHECK(all_same, "row groups decoded into recycled buffers equal fresh decodings");
	CHECK(dict_groups == 4, "the 100-label row groups (2 of 4, read twice) expose a dictionary index, the others not (%d)",
		  dict_groups);
	unlink(path);
}

/* Self-test of the helpers the fixture checks rely on. */
static void
test_helpers(void)
{
	char		hex[33];
	StrBuf		sb = {0};

	md5_hex("", hex);
	CHECK(strcmp(hex, "d41d8cd98f00b204e9800998ecf8427e") == 0, "md5(\"\") = %s", hex);
	md5_hex("The quick brown fox jumps over the lazy dog", hex);
	CHECK(strcmp(hex, "9e107d9d372bb6826bd81d3542a419d6") == 0, "md5(fox) = %s", hex);
	put_decimal(&sb, -5, 2);
	sb_put(&sb, " ", 1);
	put_decimal(&sb, 12345, 2);
	sb_put(&sb, " ", 1);
	put_decimal(&sb, 7, 0);
	CHECK(strcmp(sb.data, "-0.05 123.45 7") == 0, "decimal text \"%s\"", sb.data);
	free(sb.data);
}

/* Runs every test group and prints the closing "N passed, N failed" line. */
/* ----------------------------------------------------------------
 * LIST columns
 * ----------------------------------------------------------------
 */

/*
 * Appends a v1 level stream: a 4-byte length, then n levels (n <= 16) as
 * bit-packed runs of 8 at the bit width, padded with zeros.
 */
static void
list_levels_v1(Buf *b, const uint32_t *levels, int n, int bit_width)
{
	uint32_t	padded[16] = {0};
	size_t		lenpos = b->len;

	memcpy(padded, levels, sizeof(uint32_t) * (size_t) n);
	b_le32(b, 0);
	bitpacked_run(b, padded, n <= 8 ? 8 : 16, bit_width);
	b_patch_le32(b, lenpos, (uint32_t) (b->len - lenpos - 4));
}

/* A v1 data page of a list column: levels, then PLAIN INT32 values. */
static void
list_page_v1(SynthColumn *col, const uint32_t *rep, const uint32_t *def, int n,
			 int def_width, const int32_t *vals, int nvals)
{
	Buf			body = {0};

	list_levels_v1(&body, rep, n, 1);
	list_levels_v1(&body, def, n, def_width);
	for (int i = 0; i < nvals; i++)
		b_le32(&body, (uint32_t) vals[i]);
	synth_page(col, PQ_PAGE_DATA, n, PQ_ENC_PLAIN, &body, body.len, 0, 0, PQ_ENC_RLE);
	free(body.d);
}

/*
 * Decodes column 0 of a one-column synthetic list file and renders its
 * rows as "[1,2];NULL;[];[\N]" into out; returns the status.
 */
static ParquetStatus
list_render(const Buf *f, const ParquetReaderOptions *opts, char *out, size_t outlen,
			char *err, size_t errlen)
{
	ParquetReader *reader;
	ParquetColumnValues cv;
	ParquetStatus st;
	size_t		pos = 0;

	out[0] = '\0';
	st = parquet_reader_open_memory(f->d, f->len, opts, &reader, err, errlen);
	if (st != PARQUET_OK)
		return st;
	st = parquet_read_column_chunk(reader, 0, 0, &cv, err, errlen);
	if (st == PARQUET_OK)
	{
		for (int64_t r = 0; r < cv.num_values && pos < outlen; r++)
		{
			pos += (size_t) snprintf(out + pos, outlen - pos, "%s", r > 0 ? ";" : "");
			if (cv.is_null[r])
			{
				pos += (size_t) snprintf(out + pos, outlen - pos, "NULL");
				continue;
			}
			pos += (size_t) snprintf(out + pos, outlen - pos, "[");
			for (int64_t k = cv.list_offsets[r]; k < cv.list_offsets[r + 1] && pos < outlen; k++)
			{
				if (cv.element_is_null[k])
					pos += (size_t) snprintf(out + pos, outlen - pos, "%s\\N", k > cv.list_offsets[r] ? "," : "");
				else
					pos += (size_t) snprintf(out + pos, outlen - pos, "%s%d", k > cv.list_offsets[r] ? "," : "",
											 (int) cv.elements[k].int32);
			}
			if (pos < outlen)
				pos += (size_t) snprintf(out + pos, outlen - pos, "]");
		}
		parquet_column_values_free(&cv);
	}
	parquet_reader_close(reader);
	return st;
}

/*
 * The list forms of LogicalTypes.md's backward-compatibility rules, built
 * by hand (DuckDB writes only the standard three levels), and hostile
 * levels: each file is saved as a fuzzer seed.
 */
static void
test_list_forms(void)
{
	Buf			f = {0};
	char		err[512];
	char		rows[512];
	ParquetStatus st;
	SynthColumn col;
	SynthChunkOptions opts;

	/* ColumnMetaData.num_values counts the level entries, as DuckDB expects */
	memset(&opts, 0, sizeof(opts));

	/* a repeated primitive: rows [1,2], [], [3] */
	{
		uint32_t	rep[] = {0, 1, 0, 0};
		uint32_t	def[] = {1, 1, 0, 1};
		int32_t		vals[] = {1, 2, 3};
		ParquetReader *reader;

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"rep", PQ_INT32, PQ_REPEATED, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_PLAIN}, false, 0};
		list_page_v1(&col, rep, def, 4, 1, vals, 3);
		f.len = 0;
		opts.num_values = 4;
		synth_file_with(&f, &col, &opts, 1, 3);
		save_seed("list_repeated_primitive", &f);
		st = list_render(&f, NULL, rows, sizeof(rows), err, sizeof(err));
		CHECK(st == PARQUET_OK && strcmp(rows, "[1,2];[];[3]") == 0,
			  "a repeated primitive is a required list of required elements: %s %s", rows, err);
		if (parquet_reader_open_memory(f.d, f.len, NULL, &reader, err, sizeof(err)) == PARQUET_OK)
		{
			const ParquetColumnSchema *c = &parquet_reader_metadata(reader)->columns[0];

			CHECK(c->is_list && c->repetition == PQ_REQUIRED && c->element_required &&
				  c->max_definition_level == 1 && c->list_definition_level == 0 &&
				  strcmp(c->name, "rep") == 0, "repeated primitive schema");
			parquet_reader_close(reader);
		}
		free(col.pages.d);
	}

	/* two levels: <name> (LIST) { repeated int32 }: NULL, [], [7,8] */
	{
		uint32_t	rep[] = {0, 0, 0, 1};
		uint32_t	def[] = {0, 1, 2, 2};
		int32_t		vals[] = {7, 8};

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"two", PQ_INT32, PQ_REPEATED, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_PLAIN}, false, 2};
		list_page_v1(&col, rep, def, 4, 2, vals, 2);
		f.len = 0;
		opts.num_values = 4;
		synth_file_with(&f, &col, &opts, 1, 3);
		save_seed("list_two_levels", &f);
		st = list_render(&f, NULL, rows, sizeof(rows), err, sizeof(err));
		CHECK(st == PARQUET_OK && strcmp(rows, "NULL;[];[7,8]") == 0, "two-level list: %s %s", rows, err);
		free(col.pages.d);
	}

	/* three levels, required elements, a repeated group not named "list" */
	{
		uint32_t	rep[] = {0, 0, 1, 0};
		uint32_t	def[] = {2, 2, 2, 0};
		int32_t		vals[] = {5, 6, 7};

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"three", PQ_INT32, PQ_REQUIRED, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_PLAIN}, false, 3};
		list_page_v1(&col, rep, def, 4, 2, vals, 3);
		f.len = 0;
		opts.num_values = 4;
		synth_file_with(&f, &col, &opts, 1, 3);
		save_seed("list_three_levels_required", &f);
		st = list_render(&f, NULL, rows, sizeof(rows), err, sizeof(err));
		CHECK(st == PARQUET_OK && strcmp(rows, "[5];[6,7];NULL") == 0, "three-level list: %s %s", rows, err);
		free(col.pages.d);

		/* named "array": the element is a struct of one field */
		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"arr", PQ_INT32, PQ_REQUIRED, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_PLAIN}, false, 4};
		list_page_v1(&col, rep, def, 4, 2, vals, 3);
		f.len = 0;
		opts.num_values = 4;
		synth_file_with(&f, &col, &opts, 1, 3);
		st = list_render(&f, NULL, rows, sizeof(rows), err, sizeof(err));
		CHECK(st == PARQUET_ERROR_NESTED && strcmp(err, "nested Parquet types are not supported: column arr") == 0,
			  "a repeated group named array: %s", err);
		free(col.pages.d);
	}

	/* a row's list going on in the next page: [1,2,3], [4] */
	{
		uint32_t	rep1[] = {0, 1};
		uint32_t	rep2[] = {1, 0};
		uint32_t	def[] = {2, 2};
		int32_t		vals1[] = {1, 2};
		int32_t		vals2[] = {3, 4};

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"span", PQ_INT32, PQ_REPEATED, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_PLAIN}, false, 2};
		list_page_v1(&col, rep1, def, 2, 2, vals1, 2);
		list_page_v1(&col, rep2, def, 2, 2, vals2, 2);
		f.len = 0;
		opts.num_values = 4;
		synth_file_with(&f, &col, &opts, 1, 2);
		save_seed("list_spans_pages", &f);
		st = list_render(&f, NULL, rows, sizeof(rows), err, sizeof(err));
		CHECK(st == PARQUET_OK && strcmp(rows, "[1,2,3];[4]") == 0, "a list across pages: %s %s", rows, err);
		free(col.pages.d);
	}

	/* hostile levels */
	{
		static const struct
		{
			uint32_t	rep[4];
			uint32_t	def[4];
			const char *message;
		}			bad[] = {
			{{1, 0, 0, 0}, {2, 2, 2, 2}, "continues a row that no level started"},
			{{0, 0, 0, 0}, {2, 3, 2, 2}, "definition level 3 exceeds the column's maximum 2"},
			{{0, 1, 0, 0}, {2, 1, 2, 2}, "a NULL or empty list inside a list"},
			{{0, 0, 0, 0}, {2, 2, 2, 2}, "pages hold more than the row group's 3 rows"},
		};

		for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		{
			int32_t		vals[] = {1, 2, 3, 4};
			char		seed[32];

			memset(&col, 0, sizeof(col));
			col = (SynthColumn) {"bad", PQ_INT32, PQ_REPEATED, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_PLAIN}, false, 2};
			list_page_v1(&col, bad[k].rep, bad[k].def, 4, 2, vals, 4);
			f.len = 0;
			opts.num_values = 4;
			synth_file_with(&f, &col, &opts, 1, 3);
			snprintf(seed, sizeof(seed), "list_bad_%zu", k);
			save_seed(seed, &f);
			st = list_render(&f, NULL, rows, sizeof(rows), err, sizeof(err));
			CHECK(st == PARQUET_ERROR_CORRUPT && strstr(err, bad[k].message) != NULL,
				  "hostile list levels %zu: %d %s", k, (int) st, err);
			free(col.pages.d);
		}
	}

	/* a page claiming 2^30 entries in a few bytes of RLE: a limit, not a huge allocation */
	{
		Buf			body = {0};
		ParquetReaderOptions opts;

		memset(&col, 0, sizeof(col));
		col = (SynthColumn) {"huge", PQ_INT32, PQ_REPEATED, 0, -1, 0, PQ_CODEC_UNCOMPRESSED, {0}, false, 1, {PQ_ENC_PLAIN}, false, 2};
		b_le32(&body, 6);
		rle_run(&body, 1u << 30, 0, 1);
		b_le32(&body, 6);
		rle_run(&body, 1u << 30, 1, 1);
		synth_page(&col, PQ_PAGE_DATA, 1 << 30, PQ_ENC_PLAIN, &body, body.len, 0, 0, PQ_ENC_RLE);
		f.len = 0;
		synth_file(&f, &col, 1, 3);
		save_seed("list_huge_levels", &f);
		parquet_reader_default_options(&opts);
		opts.max_list_elements = 1000;
		st = list_render(&f, &opts, rows, sizeof(rows), err, sizeof(err));
		CHECK(st == PARQUET_ERROR_LIMIT && strstr(err, "list entries") != NULL, "huge list page: %s", err);
		free(body.d);
		free(col.pages.d);
	}
	free(f.d);
}

/* What list_writer_value gives element k of row r of column c. */
static bool
list_element_null(int c, int r, int k)
{
	return (r * 7 + k * 3 + c) % 11 == 0;
}

/*
 * Writes LIST columns of every physical type with the library's writer
 * (NULL lists, empty lists, NULL elements, lists of up to 40 elements,
 * small pages and row groups so that lists meet page and row group ends),
 * reads the file back and compares every row; the file is a fuzzer seed.
 */
static void
test_list_roundtrip(void)
{
	enum
	{
		NCOLS = 9, NROWS = 3000
	};
	char		path[] = "/tmp/parquet_lists_XXXXXX";
	char		err[512];
	ParquetColumnSpec cols[NCOLS];
	ParquetWriterOptions opts;
	ParquetWriter *w;
	ParquetReader *reader;
	uint8_t    *data;
	size_t		len;
	int			fd = mkstemp(path);
	int64_t		checked = 0;
	bool		ok = true;
	static const uint8_t uuid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

	if (!CHECK(fd >= 0, "mkstemp"))
		return;
	parquet_column_init(&cols[0], "id", PQ_INT32, false);
	parquet_column_init(&cols[1], "li32", PQ_INT32, true);
	parquet_column_init(&cols[2], "li64", PQ_INT64, true);
	parquet_column_init(&cols[3], "lf4", PQ_FLOAT, true);
	parquet_column_init(&cols[4], "lf8", PQ_DOUBLE, false);	/* a REQUIRED list */
	parquet_column_init(&cols[5], "lb", PQ_BOOLEAN, true);
	parquet_column_init(&cols[6], "ls", PQ_BYTE_ARRAY, true);
	cols[6].logical = PQ_LT_STRING;
	parquet_column_init(&cols[7], "lu", PQ_FIXED_LEN_BYTE_ARRAY, true);
	cols[7].type_length = 16;
	cols[7].logical = PQ_LT_UUID;
	parquet_column_init(&cols[8], "ld", PQ_FIXED_LEN_BYTE_ARRAY, true);
	cols[8].type_length = parquet_decimal_flba_length(30);
	cols[8].logical = PQ_LT_DECIMAL;
	cols[8].precision = 30;
	cols[8].scale = 2;
	for (int c = 1; c < NCOLS; c++)
	{
		cols[c].list = true;
		cols[c].field_id = c + 1;
		cols[c].element_field_id = 1000 + c;
	}
	parquet_writer_options_init(&opts);
	opts.codec = PQ_CODEC_ZSTD;
	opts.page_bytes = 300;
	opts.row_group_rows = 700;
	w = parquet_writer_create(fd, cols, NCOLS, &opts, err, sizeof(err));
	if (!CHECK(w != NULL, "list writer: %s", err))
	{
		close(fd);
		unlink(path);
		return;
	}
	for (int r = 0; r < NROWS && ok; r++)
	{
		ParquetRowValue v[NCOLS];
		ParquetRowValue el[NCOLS][40];
		char		strs[40][16];
		uint8_t		dec[40][16];

		memset(v, 0, sizeof(v));
		memset(el, 0, sizeof(el));
		v[0].v.int32 = r;
		for (int c = 1; c < NCOLS; c++)
		{
			int			n = (r * 13 + c) % 41;

			v[c].isnull = cols[c].nullable && (r + c) % 9 == 0;
			if (r % 10 == 3)
				n = 0;			/* empty lists */
			v[c].nelements = (uint32_t) n;
			v[c].elements = el[c];
			for (int k = 0; k < n; k++)
			{
				ParquetRowValue *e = &el[c][k];

				e->isnull = list_element_null(c, r, k);
				switch (c)
				{
					case 1:
						e->v.int32 = r * 100 + k;
						break;
					case 2:
						e->v.int64 = (int64_t) r * 1000000007 - k;
						break;
					case 3:
						e->v.float4 = (float) r / (float) (k + 1);
						break;
					case 4:
						e->isnull = false;
						e->v.float8 = r * 0.5 + k;
						break;
					case 5:
						e->v.boolean = (r + k) % 3 == 0;
						break;
					case 6:
						snprintf(strs[k], sizeof(strs[k]), "s%d-%d", r % 17, k);
						e->v.bytes.ptr = (const uint8_t *) strs[k];
						e->v.bytes.len = (uint32_t) strlen(strs[k]);
						break;
					case 7:
						e->v.bytes.ptr = uuid;
						e->v.bytes.len = 16;
						break;
					case 8:
						memset(dec[k], 0, sizeof(dec[k]));
						dec[k][cols[8].type_length - 1] = (uint8_t) (r + k);
						e->v.bytes.ptr = dec[k];
						e->v.bytes.len = (uint32_t) cols[8].type_length;
						break;
				}
			}
		}
		if (parquet_writer_add_row(w, v) != PARQUET_OK)
			ok = CHECK(false, "list add_row %d: %s", r, parquet_writer_error(w));
	}
	CHECK(parquet_writer_finish(w, NULL, err, sizeof(err)) == PARQUET_OK, "list finish: %s", err);
	parquet_writer_free(w);
	close(fd);
	data = read_file(path, &len);
	unlink(path);
	if (!CHECK(data != NULL, "read back %s", path))
		return;
	{
		Buf			seed = {data, len, len};

		save_seed("list_writer", &seed);
	}
	if (!CHECK(parquet_reader_open_memory(data, len, NULL, &reader, err, sizeof(err)) == PARQUET_OK,
			   "open the writer's lists: %s", err))
	{
		free(data);
		return;
	}
	{
		const ParquetFileMeta *meta = parquet_reader_metadata(reader);
		int64_t		row0 = 0;

		CHECK(meta->num_columns == NCOLS && meta->num_row_groups == (NROWS + 699) / 700,
			  "the writer's list file has %d columns, %d row groups", meta->num_columns, meta->num_row_groups);
		for (int c = 1; c < NCOLS; c++)
		{
			const ParquetColumnSchema *s = &meta->columns[c];

			CHECK(s->is_list && !s->element_required && s->max_repetition_level == 1 &&
				  s->max_definition_level == (cols[c].nullable ? 3 : 2) &&
				  s->list_definition_level == (cols[c].nullable ? 1 : 0) &&
				  s->has_field_id && s->field_id == c + 1 &&
				  s->has_element_field_id && s->element_field_id == 1000 + c &&
				  strcmp(s->name, cols[c].name) == 0 && s->physical_type == cols[c].type,
				  "list column %s: schema", cols[c].name);
			CHECK(!meta->row_groups[0].columns[c].has_statistics,
				  "list column %s: no statistics", cols[c].name);
			CHECK(meta->row_groups[0].columns[c].num_values > meta->row_groups[0].num_rows,
				  "list column %s: num_values counts the entries", cols[c].name);
		}
		for (int g = 0; g < meta->num_row_groups && ok; g++)
		{
			ParquetRowGroupBatch batch;

			if (!CHECK(parquet_read_row_group(reader, g, NULL, 0, &batch, err, sizeof(err)) == PARQUET_OK,
					   "read the writer's lists, row group %d: %s", g, err))
				break;
			for (int64_t i = 0; i < batch.num_rows && ok; i++)
			{
				int			r = (int) (row0 + i);

				ok = CHECK(batch.columns[0].values[i].int32 == r, "list file row %d id", r);
				for (int c = 1; c < NCOLS && ok; c++)
				{
					const ParquetColumnValues *cv = &batch.columns[c];
					int			n = r % 10 == 3 ? 0 : (r * 13 + c) % 41;
					bool		isnull = cols[c].nullable && (r + c) % 9 == 0;
					int64_t		off = cv->list_offsets[i];

					if (cv->is_null[i] != isnull ||
						(!isnull && cv->list_offsets[i + 1] - off != n))
						ok = CHECK(false, "list %s row %d: null %d, %lld elements, expected %d", cols[c].name, r,
								   (int) cv->is_null[i], (long long) (cv->list_offsets[i + 1] - off), n);
					for (int k = 0; ok && !isnull && k < n; k++)
					{
						const ParquetValue *e = &cv->elements[off + k];
						bool		enull = c != 4 && list_element_null(c, r, k);
						bool		same = cv->element_is_null[off + k] == enull;

						if (same && !enull)
						{
							switch (c)
							{
								case 1:
									same = e->int32 == r * 100 + k;
									break;
								case 2:
									same = e->int64 == (int64_t) r * 1000000007 - k;
									break;
								case 3:
									same = e->float4 == (float) r / (float) (k + 1);
									break;
								case 4:
									same = e->float8 == r * 0.5 + k;
									break;
								case 5:
									same = e->boolean == ((r + k) % 3 == 0);
									break;
								case 6:
									{
										char		expect[16];

										snprintf(expect, sizeof(expect), "s%d-%d", r % 17, k);
										same = e->bytes.len == strlen(expect) &&
											memcmp(e->bytes.ptr, expect, e->bytes.len) == 0;
										break;
									}
								case 7:
									same = e->bytes.len == 16 && memcmp(e->bytes.ptr, uuid, 16) == 0;
									break;
								case 8:
									same = e->bytes.len == (uint32_t) cols[8].type_length &&
										e->bytes.ptr[cols[8].type_length - 1] == (uint8_t) (r + k);
									break;
							}
						}
						if (!same)
							ok = CHECK(false, "list %s row %d element %d differs", cols[c].name, r, k);
						checked++;
					}
				}
			}
			row0 += batch.num_rows;
			parquet_row_group_batch_free(&batch);
		}
		CHECK(ok && row0 == NROWS, "the writer's %d rows of lists read back exactly (%lld elements)",
			  NROWS, (long long) checked);
	}
	parquet_reader_close(reader);
	CHECK(open_and_read_all(data, len, NULL, err, sizeof(err)) == PARQUET_OK, "list file reads through a file: %s", err);
	free(data);
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "test/parquet/reader_corpus";

	test_helpers();
	test_fixtures(dir);
	CHECK(dict_index_chunks > 0, "the fixtures' dictionary chunks expose dictionary indexes (%d)",
		  dict_index_chunks);
	test_synthetic_features();
	test_values_outlive_reader(dir);
	test_recycled_batches();
	test_malformed();
	test_page_checksums();
	test_writer_checksums();
	test_gzip_brotli();
	test_column_chunk_key_values();
	test_empty_v2_pages();
	test_int96_range();
	test_float16();
	test_list_forms();
	test_list_roundtrip();
	test_corruption(dir, "tiny.parquet", 3000, true);
	test_corruption(dir, "gzip.parquet", 1000, true);
	test_corruption(dir, "lz4_rawblock.parquet", 2000, true);
	test_corruption(dir, "types_v2_zstd.parquet", 1500, true);
	test_corruption(dir, "types_snappy.parquet", 1000, false);
	test_corruption(dir, "lz4_hadoop.parquet", 1000, false);
	test_corruption(dir, "narrow_v2_snappy.parquet", 500, false);
	test_corruption(dir, "types_uncompressed.parquet", 500, false);
	test_corruption(dir, "lists_snappy.parquet", 1000, false);
	test_corruption(dir, "lists_v2_zstd.parquet", 1000, false);
	printf("%d passed, %d failed\n", tests_passed, tests_failed);
	return tests_failed == 0 ? 0 : 1;
}
