/* spillpool--0.5--0.6.sql: from 0.5 to 0.6 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION spillpool UPDATE TO '0.6'" to load this file. \quit

-- Distances between vectors stored as real[], spelled as pgvector spells
-- them: <-> (Euclidean), <=> (cosine distance), <#> (negative inner
-- product).  A vector is a one-dimensional real[] without NULL elements,
-- NaN or infinities; both sides must have the same dimension.
CREATE FUNCTION spillpool.l2_distance(real[], real[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'spillpool_l2_distance'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION spillpool.cosine_distance(real[], real[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'spillpool_cosine_distance'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION spillpool.negative_inner_product(real[], real[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'spillpool_negative_inner_product'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR spillpool.<-> (
	LEFTARG = real[], RIGHTARG = real[], FUNCTION = spillpool.l2_distance,
	COMMUTATOR = OPERATOR(spillpool.<->));
CREATE OPERATOR spillpool.<=> (
	LEFTARG = real[], RIGHTARG = real[], FUNCTION = spillpool.cosine_distance,
	COMMUTATOR = OPERATOR(spillpool.<=>));
CREATE OPERATOR spillpool.<#> (
	LEFTARG = real[], RIGHTARG = real[], FUNCTION = spillpool.negative_inner_product,
	COMMUTATOR = OPERATOR(spillpool.<#>));
