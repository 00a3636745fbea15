/*-------------------------------------------------------------------------
 *
 * parquet_write_values.c
 *	  Buffering rows in the Parquet writer: parquet_writer_add_row(), the
 *	  per-column dictionary (hash table of PLAIN-encoded entries), PLAIN
 *	  buffering, and folding each value into the chunk's min/max.
 *
 * This is the writer's hot path: every value of every row passes through
 * here, so it all lives in one file where the compiler can inline it.
 * While a row group is being buffered, every value of a
 * dictionary-capable column is looked up in an open-addressing hash table
 * and only its 4-byte dictionary index is kept; the dictionary's entries
 * are stored in their PLAIN encoding, which is exactly the dictionary
 * page.  If the dictionary grows past the configured byte limit (or,
 * after PQ_DICT_PROBE_VALUES values, almost every value is distinct) the
 * indices are expanded into PLAIN bytes and the rest of the chunk is
 * buffered PLAIN.  A column whose dictionary was abandoned skips the
 * dictionary for an exponentially growing number of following chunks, so
 * that high-cardinality columns do not pay for hashing every row group.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parquet_write_internal.h"

/* ---------------------------------------------------------------------
 * Statistics
 * ---------------------------------------------------------------------
 */

/* Fold a signed integer into the chunk's min/max */
static inline void
pq_stats_int(PqColumn *c, int64_t x)
{
	if (!c->has_minmax)
	{
		c->min.i = c->max.i = x;
		c->has_minmax = true;
	}
	else if (x < c->min.i)
		c->min.i = x;
	else if (x > c->max.i)
		c->max.i = x;
}

/* Fold an unsigned integer into the chunk's min/max */
static inline void
pq_stats_uint(PqColumn *c, uint64_t x)
{
	if (!c->has_minmax)
	{
		c->min.u = c->max.u = x;
		c->has_minmax = true;
	}
	else if (x < c->min.u)
		c->min.u = x;
	else if (x > c->max.u)
		c->max.u = x;
}

/*
 * Fold a floating-point value into the chunk's min/max.  NaN is ignored as
 * the spec requires; the sign of zero is fixed when the stats are written.
 */
static inline void
pq_stats_double(PqColumn *c, double x)
{
	if (isnan(x))
		return;
	if (!c->has_minmax)
	{
		c->min.d = c->max.d = x;
		c->has_minmax = true;
	}
	else if (x < c->min.d)
		c->min.d = x;
	else if (x > c->max.d)
		c->max.d = x;
}

/* Unsigned lexicographic comparison, shorter prefix first */
static int
pq_cmp_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	size_t		n = na < nb ? na : nb;
	int			r = n > 0 ? memcmp(a, b, n) : 0;

	if (r != 0)
		return r;
	return na < nb ? -1 : (na > nb ? 1 : 0);
}

/*
 * Compare big-endian two's-complement integers of equal length (DECIMAL as
 * FIXED_LEN_BYTE_ARRAY): the first byte is signed, the rest unsigned.
 */
static int
pq_cmp_decimal_be(const uint8_t *a, const uint8_t *b, size_t n)
{
	if (n == 0)
		return 0;
	if ((int8_t) a[0] != (int8_t) b[0])
		return (int8_t) a[0] < (int8_t) b[0] ? -1 : 1;
	return memcmp(a + 1, b + 1, n - 1);
}

/* Compare two byte values in the column's sort order */
static inline int
pq_cmp_column_bytes(const PqColumn *c, const uint8_t *a, size_t na,
					const uint8_t *b, size_t nb)
{
	if (c->sort == PQ_SORT_DECIMAL_BE)
		return pq_cmp_decimal_be(a, b, na);
	return pq_cmp_bytes(a, na, b, nb);
}

/* Fold a byte value into the chunk's min/max (copies what it keeps) */
static void
pq_stats_bytes(PqColumn *c, const uint8_t *p, size_t n)
{
	if (!c->has_minmax)
	{
		pq_buf_set(&c->minb, p, n);
		pq_buf_set(&c->maxb, p, n);
		c->has_minmax = true;
	}
	else if (pq_cmp_column_bytes(c, p, n, c->minb.data, c->minb.len) < 0)
		pq_buf_set(&c->minb, p, n);
	else if (pq_cmp_column_bytes(c, p, n, c->maxb.data, c->maxb.len) > 0)
		pq_buf_set(&c->maxb, p, n);
}

/*
 * Fold one non-null value into the chunk's statistics.  Called for every
 * PLAIN-buffered value and once per new dictionary entry (every entry of
 * a chunk's dictionary is used by at least one of its values).
 */
static inline void
pq_stats_value(PqColumn *c, const ParquetRowValue *v)
{
	switch (c->spec.type)
	{
		case PQ_BOOLEAN:
			pq_stats_int(c, v->v.boolean ? 1 : 0);
			break;
		case PQ_INT32:
			if (c->sort == PQ_SORT_UINT)
				pq_stats_uint(c, (uint32_t) v->v.int32);
			else
				pq_stats_int(c, v->v.int32);
			break;
		case PQ_INT64:
			if (c->sort == PQ_SORT_UINT)
				pq_stats_uint(c, (uint64_t) v->v.int64);
			else
				pq_stats_int(c, v->v.int64);
			break;
		case PQ_FLOAT:
			pq_stats_double(c, (double) v->v.float4);
			break;
		case PQ_DOUBLE:
			pq_stats_double(c, v->v.float8);
			break;
		default:
			pq_stats_bytes(c, (const uint8_t *) v->v.bytes.ptr,
						   v->v.bytes.len);
			break;
	}
}

/*
 * Encode a numeric min or max the way Statistics stores it: the PLAIN
 * encoding of the value.  Writes up to 8 bytes to out, returns the length.
 */
/* ---------------------------------------------------------------------
 * Dictionary
 * ---------------------------------------------------------------------
 */

/* Hash of a fixed-width value's bits; the table uses the high bits */
static inline uint64_t
pq_hash_u64(uint64_t x)
{
	x ^= x >> 31;
	x *= UINT64_C(0x9E3779B97F4A7C15);
	x ^= x >> 29;
	return x * UINT64_C(0xBF58476D1CE4E5B9);
}

/* Hash of a byte string, 8 bytes per step */
static inline uint64_t
pq_hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t	h = UINT64_C(0x6A09E667F3BCC909) ^ ((uint64_t) n * UINT64_C(0x9E3779B97F4A7C15));
	uint64_t	k;

	while (n >= 8)
	{
		memcpy(&k, p, 8);
		h ^= k * UINT64_C(0xFF51AFD7ED558CCD);
		h = ((h << 27) | (h >> 37)) * UINT64_C(0xC4CEB9FE1A85EC53);
		p += 8;
		n -= 8;
	}
	if (n > 0)
	{
		k = 0;
		memcpy(&k, p, n);
		h ^= k * UINT64_C(0xFF51AFD7ED558CCD);
		h = ((h << 27) | (h >> 37)) * UINT64_C(0xC4CEB9FE1A85EC53);
	}
	return pq_hash_u64(h);
}

/* Bytes and length of dictionary entry i of a byte-valued column */
static inline const uint8_t *
pq_dict_entry(const PqColumn *c, uint32_t i, uint32_t *len)
{
	if (c->width == 0)
	{
		const uint8_t *p = c->dict.data + ((const uint32_t *) c->dict_off.data)[i];

		*len = pq_load_le32(p);
		return p + 4;
	}
	*len = (uint32_t) c->width;
	return c->dict.data + (size_t) i * c->width;
}

/*
 * Double the hash table (or create it) and reinsert every entry.  Fixed
 * width keys are the values themselves; byte keys are the stored hashes.
 */
static bool
pq_dict_grow(PqColumn *c)
{
	uint32_t	nslots = c->nslots ? c->nslots * 2 : PQ_DICT_INITIAL_SLOTS;
	PqSlot	   *slots = calloc(nslots, sizeof(PqSlot));
	int			shift = 64 - pq_bits_for(nslots - 1);
	bool		byte_keys = c->width == 0 || c->spec.type == PQ_FIXED_LEN_BYTE_ARRAY;
	uint32_t	i;

	if (slots == NULL)
		return false;
	for (i = 0; i < c->nslots; i++)
	{
		PqSlot	   *s = &c->slots[i];
		uint32_t	pos;

		if (s->idx1 == 0)
			continue;
		pos = (uint32_t) ((byte_keys ? s->key : pq_hash_u64(s->key)) >> shift);
		while (slots[pos].idx1 != 0)
			pos = (pos + 1) & (nslots - 1);
		slots[pos] = *s;
	}
	free(c->slots);
	c->slots = slots;
	c->nslots = nslots;
	c->slot_shift = shift;
	return true;
}

/*
 * Stop using the dictionary for the rest of this chunk: expand the indices
 * buffered so far into PLAIN bytes.  The statistics already cover every
 * entry, so they stay valid.
 */
static void
pq_dict_abandon(PqColumn *c)
{
	const uint32_t *idx = (const uint32_t *) c->idx.data;
	size_t		n = c->idx.len / 4;
	size_t		i;

	c->plain.len = 0;
	if (c->width != 0)
	{
		if (!pq_buf_reserve(&c->plain, n * (size_t) c->width))
			return;
		for (i = 0; i < n; i++)
		{
			memcpy(c->plain.data + c->plain.len,
				   c->dict.data + (size_t) idx[i] * c->width, c->width);
			c->plain.len += c->width;
		}
	}
	else
	{
		const uint32_t *off = (const uint32_t *) c->dict_off.data;

		for (i = 0; i < n; i++)
		{
			const uint8_t *p = c->dict.data + off[idx[i]];

			pq_buf_append(&c->plain, p, 4 + (size_t) pq_load_le32(p));
		}
	}
	c->use_dict = false;
	c->idx.len = 0;
}

/*
 * Look a value up in the chunk's dictionary, adding it if new, and buffer
 * its index.  'key' is the value's bits (fixed width) or its hash (byte
 * values, given in p/n).  Returns false if the dictionary must be given up
 * (too large, or almost all values distinct); the caller then buffers the
 * value PLAIN.  Allocation failures are left in the buffers' oom flags.
 */
static inline bool
pq_dict_add(ParquetWriter *w, PqColumn *c, uint64_t key, const uint8_t *p,
			size_t n, const ParquetRowValue *v)
{
	bool		byte_keys = c->width == 0 || c->spec.type == PQ_FIXED_LEN_BYTE_ARRAY;
	uint32_t	mask = c->nslots - 1;
	uint32_t	pos;
	uint32_t	index;
	size_t		entry_bytes;

	if (c->nslots == 0 && !pq_dict_grow(c))
	{
		c->idx.oom = true;
		return true;
	}
	mask = c->nslots - 1;
	pos = (uint32_t) ((byte_keys ? key : pq_hash_u64(key)) >> c->slot_shift);
	for (;;)
	{
		PqSlot	   *s = &c->slots[pos];

		if (s->idx1 == 0)
			break;
		if (s->key == key)
		{
			if (!byte_keys)
			{
				index = s->idx1 - 1;
				goto found;
			}
			else
			{
				uint32_t	len;
				const uint8_t *e = pq_dict_entry(c, s->idx1 - 1, &len);

				if (len == n && (n == 0 || memcmp(e, p, n) == 0))
				{
					index = s->idx1 - 1;
					goto found;
				}
			}
		}
		pos = (pos + 1) & mask;
	}

	/* a new entry: is the dictionary still worth it? */
	entry_bytes = c->width ? (size_t) c->width : 4 + n;
	if (c->dict.len + entry_bytes > w->dict_bytes)
		return false;
	if (c->nvalues >= PQ_DICT_PROBE_VALUES &&
		c->ndict >= c->nvalues - c->nvalues / 10)
		return false;

	index = c->ndict;
	if (c->width == 0)
	{
		if (!pq_buf_reserve(&c->dict_off, 4) || !pq_buf_reserve(&c->dict, 4 + n))
			return true;
		((uint32_t *) c->dict_off.data)[index] = (uint32_t) c->dict.len;
		c->dict_off.len += 4;
		pq_buf_put_u32le(&c->dict, (uint32_t) n);
		pq_buf_append(&c->dict, p, n);
	}
	else if (byte_keys)
		pq_buf_append(&c->dict, p, n);
	else if (c->width == 4)
		pq_buf_put_u32le(&c->dict, (uint32_t) key);
	else
		pq_buf_put_u64le(&c->dict, key);
	if (c->dict.oom || c->dict_off.oom)
		return true;
	c->slots[pos].key = key;
	c->slots[pos].idx1 = index + 1;
	c->ndict++;
	pq_stats_value(c, v);
	if ((uint64_t) c->ndict * 2 > c->nslots && !pq_dict_grow(c))
		c->dict.oom = true;

found:
	if (pq_buf_reserve(&c->idx, 4))
	{
		((uint32_t *) (c->idx.data + c->idx.len))[0] = index;
		c->idx.len += 4;
	}
	return true;
}

/* ---------------------------------------------------------------------
 * Buffering values
 * ---------------------------------------------------------------------
 */

/* Buffer a fixed-width value (bits in 'key') PLAIN */
static inline void
pq_plain_fixed(PqColumn *c, uint64_t key, const ParquetRowValue *v)
{
	if (c->width == 4)
		pq_buf_put_u32le(&c->plain, (uint32_t) key);
	else
		pq_buf_put_u64le(&c->plain, key);
	pq_stats_value(c, v);
}

/* Buffer a fixed-width (INT32, INT64, FLOAT, DOUBLE) value */
static inline void
pq_add_fixed(ParquetWriter *w, PqColumn *c, uint64_t key, const ParquetRowValue *v)
{
	if (c->use_dict)
	{
		if (pq_dict_add(w, c, key, NULL, 0, v))
			return;
		pq_dict_abandon(c);
	}
	pq_plain_fixed(c, key, v);
}

/* Buffer a BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY value */
static void
pq_add_bytes(ParquetWriter *w, PqColumn *c, const ParquetRowValue *v)
{
	const uint8_t *p = (const uint8_t *) v->v.bytes.ptr;
	uint32_t	n = v->v.bytes.len;

	if (c->use_dict)
	{
		if (c->width == 0)
			c->plain_bytes += 4 + (uint64_t) n;
		if (pq_dict_add(w, c, pq_hash_bytes(p, n), p, n, v))
			return;
		pq_dict_abandon(c);
	}
	if (c->width == 0)
	{
		if (pq_buf_reserve(&c->plain, 4 + (size_t) n))
		{
			pq_store_le32(c->plain.data + c->plain.len, n);
			if (n > 0)
				memcpy(c->plain.data + c->plain.len + 4, p, n);
			c->plain.len += 4 + (size_t) n;
		}
	}
	else
		pq_buf_append(&c->plain, p, n);
	pq_stats_bytes(c, p, n);
}

/* Buffer one non-null value of column c */
static inline void
pq_add_value(ParquetWriter *w, PqColumn *c, const ParquetRowValue *v)
{
	uint32_t	u32;
	uint64_t	u64;

	c->nvalues++;
	switch (c->spec.type)
	{
		case PQ_BOOLEAN:
			pq_buf_put_u8(&c->plain, v->v.boolean ? 1 : 0);
			pq_stats_int(c, v->v.boolean ? 1 : 0);
			break;
		case PQ_INT32:
			pq_add_fixed(w, c, (uint32_t) v->v.int32, v);
			break;
		case PQ_INT64:
			pq_add_fixed(w, c, (uint64_t) v->v.int64, v);
			break;
		case PQ_FLOAT:
			memcpy(&u32, &v->v.float4, 4);
			pq_add_fixed(w, c, u32, v);
			break;
		case PQ_DOUBLE:
			memcpy(&u64, &v->v.float8, 8);
			pq_add_fixed(w, c, u64, v);
			break;
		default:
			pq_add_bytes(w, c, v);
			break;
	}
}

/* Does any buffer of column c hold a failed allocation? */
bool
pq_column_oom(const PqColumn *c)
{
	return c->def.oom || c->rep.oom || c->plain.oom || c->idx.oom || c->dict.oom ||
		c->dict_off.oom || c->minb.oom || c->maxb.oom;
}

/*
 * Prepare column c for a new chunk: empty the buffers (keeping their
 * memory) and decide whether this chunk tries a dictionary.
 */
void
pq_column_reset(PqColumn *c)
{
	c->def.len = 0;
	c->rep.len = 0;
	c->nnull = 0;
	c->nvalues = 0;
	c->plain.len = 0;
	c->idx.len = 0;
	c->plain_bytes = 0;
	if (c->ndict > 0 && c->slots != NULL)
		memset(c->slots, 0, (size_t) c->nslots * sizeof(PqSlot));
	c->ndict = 0;
	c->dict.len = 0;
	c->dict_off.len = 0;
	c->has_minmax = false;
	c->minb.len = 0;
	c->maxb.len = 0;
	c->use_dict = false;
	if (c->dict_capable)
	{
		if (c->dict_skip > 0)
			c->dict_skip--;
		else
			c->use_dict = true;
	}
	c->dict_tried = c->use_dict;
}

/*
 * Checks one non-NULL value of column c (or one element of a LIST column)
 * before anything of its row is buffered: the rejections that leave the
 * writer usable.
 */
static ParquetStatus
pq_check_value(ParquetWriter *w, const PqColumn *c, const ParquetRowValue *v)
{
	if (c->spec.type != PQ_BYTE_ARRAY && c->spec.type != PQ_FIXED_LEN_BYTE_ARRAY)
		return PARQUET_OK;
	if (v->v.bytes.ptr == NULL && v->v.bytes.len > 0)
		return pq_writer_reject(w, "NULL pointer for a value of column \"%s\"", c->name);
	if (c->spec.type == PQ_FIXED_LEN_BYTE_ARRAY &&
		v->v.bytes.len != (uint32_t) c->spec.type_length)
		return pq_writer_reject(w, "value of %u bytes for FIXED_LEN_BYTE_ARRAY(%d) column \"%s\"",
								v->v.bytes.len, (int) c->spec.type_length, c->name);
	if (v->v.bytes.len > PARQUET_MAX_VALUE_BYTES)
		return pq_writer_reject(w, "value of %u bytes in column \"%s\" is too large",
								v->v.bytes.len, c->name);
	return PARQUET_OK;
}

/*
 * Buffers one row's value of a LIST column: its levels, one entry for a
 * NULL or empty list, else one per element, and the non-NULL elements'
 * values.  Definition levels: 0 NULL list (only when nullable), then L an
 * empty list, L + 1 a NULL element, L + 2 an element, where L is 1 for a
 * nullable list and 0 for a required one; repetition level 0 starts a
 * row, 1 continues its list.
 */
static void
pq_add_list(ParquetWriter *w, PqColumn *c, const ParquetRowValue *v)
{
	uint8_t		empty = (uint8_t) (c->max_def - 2);

	if (v->isnull || v->nelements == 0)
	{
		pq_buf_put_u8(&c->rep, 0);
		pq_buf_put_u8(&c->def, v->isnull ? 0 : empty);
		w->var_bytes += 2;
		c->nnull += v->isnull;
		return;
	}
	for (uint32_t k = 0; k < v->nelements; k++)
	{
		const ParquetRowValue *e = &v->elements[k];

		pq_buf_put_u8(&c->rep, k == 0 ? 0 : 1);
		pq_buf_put_u8(&c->def, (uint8_t) (e->isnull ? empty + 1 : empty + 2));
		w->var_bytes += 2;
		if (e->isnull)
			continue;
		w->var_bytes += c->width != 0 ? (uint64_t) c->width : 4 + (uint64_t) e->v.bytes.len;
		pq_add_value(w, c, e);
	}
}

/*
 * Append one row.  First a validation pass, so a bad value rejects the
 * row without buffering any part of it; then every value is buffered and
 * the row group is written when full (by rows, or by buffered bytes).
 */
ParquetStatus
parquet_writer_add_row(ParquetWriter *w, const ParquetRowValue *values)
{
	int			i;
	ParquetStatus rc;

	if (w == NULL)
		return PARQUET_ERROR_INVALID;
	if (w->err.status != PARQUET_OK)
		return w->err.status;
	if (w->finished)
	{
		pq_writer_reject(w, "the Parquet writer is already finished");
		return PARQUET_ERROR_STATE;
	}

	for (i = 0; i < w->ncols; i++)
	{
		const ParquetRowValue *v = &values[i];
		const PqColumn *c = &w->cols[i];

		if (v->isnull)
		{
			if (!c->spec.nullable)
				return pq_writer_reject(w, "NULL value in REQUIRED column \"%s\"", c->name);
			continue;
		}
		if (c->spec.list)
		{
			if (v->elements == NULL && v->nelements > 0)
				return pq_writer_reject(w, "NULL pointer for the elements of column \"%s\"", c->name);
			for (uint32_t k = 0; k < v->nelements; k++)
			{
				if (!v->elements[k].isnull &&
					(rc = pq_check_value(w, c, &v->elements[k])) != PARQUET_OK)
					return rc;
			}
			continue;
		}
		if ((rc = pq_check_value(w, c, v)) != PARQUET_OK)
			return rc;
	}

	for (i = 0; i < w->ncols; i++)
	{
		const ParquetRowValue *v = &values[i];
		PqColumn   *c = &w->cols[i];

		if (c->spec.list)
		{
			pq_add_list(w, c, v);
			continue;
		}
		if (c->spec.nullable)
		{
			pq_buf_put_u8(&c->def, v->isnull ? 0 : 1);
			if (v->isnull)
			{
				c->nnull++;
				continue;
			}
		}
		if (c->width == 0)
			w->var_bytes += 4 + (uint64_t) v->v.bytes.len;
		pq_add_value(w, c, v);
	}
	w->rg_nrows++;

	/*
	 * Write the row group when it has its rows, or when its PLAIN size (an
	 * upper bound of what is buffered, dictionaries aside) reaches
	 * row_group_bytes.
	 */
	if (w->rg_nrows >= w->rg_rows ||
		(uint64_t) w->rg_nrows * w->fixed_row_bytes + w->var_bytes >= w->rg_bytes)
		return pq_flush_row_group(w);
	if (w->rg_nrows % PQ_OOM_CHECK_ROWS == 0)
	{
		for (i = 0; i < w->ncols; i++)
		{
			if (pq_column_oom(&w->cols[i]))
				return pq_writer_fail(w, PARQUET_ERROR_NOMEM, "out of memory");
		}
	}
	return PARQUET_OK;
}

/* The file's size so far, buffered bytes included (for size caps) */
