/*-------------------------------------------------------------------------
 *
 * convert.c
 *	  Conversions between PostgreSQL values and Parquet values that both
 *	  the shard reader and spillpool.read_parquet use.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/numeric.h"

#include "shard/convert.h"

/*
 * A DECIMAL's unscaled integer (given as a signed 128-bit value) and scale,
 * as a numeric datum.
 */
Datum
parquet_decimal_to_numeric(int128 unscaled, int scale)
{
	char		digits[64];
	char		out[80];
	int			n = 0;
	bool		neg = unscaled < 0;
	uint128		u = neg ? (uint128) (-(unscaled + 1)) + 1 : (uint128) unscaled;
	int			pos = 0;
	int			i;

	do
	{
		digits[n++] = '0' + (int) (u % 10);
		u /= 10;
	} while (u != 0);
	while (n <= scale)
		digits[n++] = '0';
	if (neg)
		out[pos++] = '-';
	for (i = n - 1; i >= 0; i--)
	{
		out[pos++] = digits[i];
		if (i == scale && scale > 0)
			out[pos++] = '.';
	}
	out[pos] = '\0';
	return DirectFunctionCall3(numeric_in, CStringGetDatum(out),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/* Big-endian two's-complement bytes (at most 16) as a 128-bit integer. */
pg_noinline int128
parquet_be_bytes_to_int128(const uint8 *p, uint32 len, const char *colname)
{
	int128		v;
	uint32		i;

	if (len == 0 || len > 16)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Parquet decimal column \"%s\" has a %u-byte value", colname, len),
				 errdetail("Decimals of up to 16 bytes (precision 38) are supported.")));
	v = (p[0] & 0x80) ? -1 : 0;
	for (i = 0; i < len; i++)
		v = (int128) (((uint128) v << 8) | p[i]);
	return v;
}
