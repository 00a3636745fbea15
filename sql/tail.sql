--
-- tail: row positions and reading a table by position (spillpool.tail),
-- consumers with stored offsets (consume, reset_consumer, drop_consumer,
-- the consumers view), their errors and privileges.
--
-- Positions are compared with a heap copy of the same rows: every row
-- comes back once, with the values it was inserted with, in position order,
-- whatever tier it is in (memtable, segment blocks, an adopted private
-- file, shards) and however it arrived (INSERT VALUES, INSERT ... SELECT
-- from heap, COPY).
--
SET client_min_messages = warning;
CREATE SCHEMA sp_tail;
SET search_path = sp_tail, public;
RESET client_min_messages;

-- runs one statement; returns its SQLSTATE and message ('ok' if none)
CREATE FUNCTION err(stmt text, OUT code text, OUT message text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE stmt;
	code := 'ok';
EXCEPTION WHEN OTHERS THEN
	code := SQLSTATE;
	message := SQLERRM;
END
$$;

CREATE TABLE ev (id int, tx int, payload text) USING spillpool;
-- the heap copy: the same rows, n = order of insertion
CREATE TABLE ref (n serial, id int, tx int, payload text);
CREATE TABLE src (id int, payload text);
INSERT INTO src SELECT g, repeat(md5(g::text), 100) FROM generate_series(1, 500) g;

-- tx 1: INSERT VALUES; tx 2: INSERT ... SELECT from heap (values arrive
-- compressed); tx 3: COPY
INSERT INTO ev VALUES (1, 1, 'one'), (2, 1, NULL), (3, 1, 'three');
INSERT INTO ref (id, tx, payload) VALUES (1, 1, 'one'), (2, 1, NULL), (3, 1, 'three');
INSERT INTO ev SELECT id, 2, payload FROM src ORDER BY id;
INSERT INTO ref (id, tx, payload) SELECT id, 2, payload FROM src ORDER BY id;
COPY ev FROM stdin;
10	3	copied a
11	3	copied b
\.
INSERT INTO ref (id, tx, payload) VALUES (10, 3, 'copied a'), (11, 3, 'copied b');

-- rolled back, whole or to a savepoint: never seen, never positioned
BEGIN;
INSERT INTO ev VALUES (-1, -1, 'rolled back');
ROLLBACK;
BEGIN;
INSERT INTO ev VALUES (4, 4, 'kept');
SAVEPOINT s;
INSERT INTO ev VALUES (-2, -2, 'rolled back to savepoint');
ROLLBACK TO SAVEPOINT s;
INSERT INTO ev VALUES (5, 4, 'kept too');
COMMIT;
INSERT INTO ref (id, tx, payload) VALUES (4, 4, 'kept'), (5, 4, 'kept too');

-- compares tail from 0 with the heap copy: same rows, same order, positions
-- strictly increasing
CREATE FUNCTION tail_matches(label text) RETURNS text
LANGUAGE sql AS $$
	WITH t AS (
		SELECT row_number() OVER (ORDER BY t.position) AS n, t.position,
			lag(t.position) OVER (ORDER BY t.position) AS prev,
			(t.row).id, (t.row).tx, (t.row).payload
		FROM spillpool.tail(NULL::sp_tail.ev, 0, 100000) t)
	SELECT label || ': ' || count(*) || ' rows, ' ||
		CASE WHEN bool_and(t.n = r.n AND t.id = r.id AND t.tx = r.tx AND
				t.payload IS NOT DISTINCT FROM r.payload)
			AND count(*) = (SELECT count(*) FROM sp_tail.ref)
			AND count(*) FILTER (WHERE t.prev >= t.position) = 0
		THEN 'same as heap, in order' ELSE 'DIFFERENT' END
	FROM t FULL JOIN sp_tail.ref r ON r.n = t.n
$$;

SELECT tail_matches('memtable');
-- the rows of one transaction have consecutive positions, in insertion order
SELECT tx, count(*), max(position) - min(position) + 1 AS span
FROM (SELECT t.position, (t.row).tx FROM spillpool.tail(NULL::ev, 0, 100000) t) s
GROUP BY tx ORDER BY min(position);

-- keep the positions of every row, to check that they never change
CREATE TABLE pos0 AS
SELECT t.position, (t.row).id FROM spillpool.tail(NULL::ev, 0, 100000) t;

-- a large transaction spills to a private file, adopted at commit: its
-- rows take their positions then
SELECT spillpool.alter_table('ev', memory_limit => '1MB');
INSERT INTO ev SELECT 1000 + g, 5, repeat('x', 200) FROM generate_series(1, 20000) g;
INSERT INTO ref (id, tx, payload) SELECT 1000 + g, 5, repeat('x', 200) FROM generate_series(1, 20000) g;
SELECT spilled_rows > 0 AS in_segments FROM spillpool.stats('ev');
SELECT tail_matches('memtable and segments');
INSERT INTO pos0
SELECT t.position, (t.row).id FROM spillpool.tail(NULL::ev, (SELECT max(position) FROM pos0), 100000) t;

-- paging with small max_rows returns every row once
CREATE FUNCTION page_through(after bigint, page int) RETURNS TABLE (pages int, rows bigint, distinct_positions bigint, ordered boolean)
LANGUAGE plpgsql AS $$
DECLARE
	got bigint[] := '{}';
	p bigint := after;
	n int := 0;
	r record;
	last bigint;
BEGIN
	LOOP
		last := NULL;
		FOR r IN SELECT t.position FROM spillpool.tail(NULL::sp_tail.ev, p, page) t LOOP
			got := got || r.position;
			last := r.position;
		END LOOP;
		EXIT WHEN last IS NULL;
		p := last;
		n := n + 1;
	END LOOP;
	RETURN QUERY SELECT n, count(*), count(DISTINCT x),
		bool_and(x > coalesce(prev, 0))
	FROM (SELECT x, lag(x) OVER (ORDER BY o) AS prev FROM unnest(got) WITH ORDINALITY AS u(x, o)) s;
END
$$;
SELECT * FROM page_through(0, 997);
SELECT * FROM page_through(0, 1);

-- positions stay with their rows through a flush into shards
SELECT spillpool.flush('ev') > 0 AS flushed;
SELECT shard_rows = (SELECT count(*) FROM ref) AS all_in_shards FROM spillpool.stats('ev');
SELECT tail_matches('shards');
SELECT count(*) AS rows, count(*) FILTER (WHERE p.position IS DISTINCT FROM t.position) AS moved
FROM pos0 p FULL JOIN (SELECT t.position, (t.row).id FROM spillpool.tail(NULL::ev, 0, 100000) t) t
	ON t.position = p.position;
-- each shard shows the first and last position of its rows
SELECT first_position = (SELECT min(position) FROM pos0) AS first_ok,
	last_position = (SELECT max(position) FROM pos0) AS last_ok
FROM spillpool.shards('ev');
-- a page that starts inside the shard
SELECT count(*), min(t.position) = (SELECT position FROM pos0 ORDER BY position OFFSET 100 LIMIT 1) AS starts_after
FROM spillpool.tail(NULL::ev, (SELECT position FROM pos0 ORDER BY position OFFSET 99 LIMIT 1), 50) t;

-- rows after the shard come from memory; tail mixes tiers in order
INSERT INTO ev VALUES (7, 6, 'after the flush');
INSERT INTO ref (id, tx, payload) VALUES (7, 6, 'after the flush');
SELECT tail_matches('shards and memtable');
SELECT * FROM page_through(0, 4999);

-- nothing after the last position: an empty result, at once or after the wait
SELECT count(*) FROM spillpool.tail(NULL::ev, (SELECT max(t.position) FROM spillpool.tail(NULL::ev, 0, 100000) t));
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM spillpool.tail(NULL::ev, 9223372036854775807, 10, '200ms');
SELECT clock_timestamp() - :'t0'::timestamptz >= '200ms' AS waited;

-- TRUNCATE: positions go on growing, never reused
CREATE TABLE before_truncate AS SELECT max(t.position) AS p FROM spillpool.tail(NULL::ev, 0, 100000) t;
TRUNCATE ev;
SELECT count(*) FROM spillpool.tail(NULL::ev);
INSERT INTO ev VALUES (8, 7, 'after truncate');
SELECT t.position > (SELECT p FROM before_truncate) AS grows, (t.row).payload
FROM spillpool.tail(NULL::ev) t;
-- TRUNCATE rolled back keeps the rows and their positions
CREATE TABLE before_rollback AS SELECT t.position FROM spillpool.tail(NULL::ev) t;
BEGIN;
TRUNCATE ev;
ROLLBACK;
SELECT t.position = (SELECT position FROM before_rollback) AS same, (t.row).payload
FROM spillpool.tail(NULL::ev) t;

-- two TRUNCATEs in one transaction (the second empties the new files in
-- place): positions still go on growing
CREATE TABLE before_truncate2 AS SELECT max(t.position) AS p FROM spillpool.tail(NULL::ev) t;
BEGIN;
TRUNCATE ev;
INSERT INTO ev VALUES (-3, -3, 'truncated again');
TRUNCATE ev;
INSERT INTO ev VALUES (9, 8, 'after two truncates');
COMMIT;
SELECT t.position > (SELECT p FROM before_truncate2) AS grows, (t.row).payload
FROM spillpool.tail(NULL::ev) t;

-- a rewrite (ALTER TABLE ... TYPE) writes the rows again after every
-- position the table had
CREATE TABLE before_rewrite AS SELECT max(t.position) AS p FROM spillpool.tail(NULL::ev) t;
ALTER TABLE ev ALTER COLUMN tx TYPE bigint;
INSERT INTO ev VALUES (10, 9, 'after the rewrite');
SELECT bool_and(t.position > (SELECT p FROM before_rewrite)) AS all_after, count(*),
	string_agg((t.row).payload, ', ' ORDER BY t.position) AS payloads
FROM spillpool.tail(NULL::ev) t;
ALTER TABLE ev ALTER COLUMN tx TYPE int;
DROP TABLE before_truncate2, before_rewrite;

--
-- consumers
--
TRUNCATE ev;
INSERT INTO ev SELECT g, 10, 'c' || g FROM generate_series(1, 10) g;
SELECT (t.row).id FROM spillpool.consume(NULL::ev, 'app', 4) t;
SELECT (t.row).id FROM spillpool.consume(NULL::ev, 'app', 4) t;
-- rolled back: the same rows again
BEGIN;
SELECT (t.row).id FROM spillpool.consume(NULL::ev, 'app', 2) t;
ROLLBACK;
SELECT (t.row).id FROM spillpool.consume(NULL::ev, 'app', 2) t;
-- a second consumer starts from the beginning
SELECT count(*) FROM spillpool.consume(NULL::ev, 'other', 100) t;
SELECT rel, consumer, owner, position = (SELECT max(t.position) FROM spillpool.tail(NULL::ev) t) AS at_end,
	lag_rows, lag_time = '0' AS no_lag_time
FROM spillpool.consumers ORDER BY consumer;
-- nothing left: an empty result, the offset stays
SELECT count(*) FROM spillpool.consume(NULL::ev, 'other', 100) t;
-- new rows: both consumers lag by them, and have not moved for a while
INSERT INTO ev SELECT g, 11, 'c' || g FROM generate_series(11, 13) g;
SELECT pg_sleep(0.05);
SELECT consumer, lag_rows, lag_time > '0' AS lagging
FROM spillpool.consumers ORDER BY consumer;
SELECT count(*) FROM spillpool.consume(NULL::ev, 'app') t;
SELECT count(*) FROM spillpool.consume(NULL::ev, 'other') t;
-- reset: read again from a position
SELECT spillpool.reset_consumer('ev', 'other', (SELECT min(t.position) + 7 FROM spillpool.tail(NULL::ev) t));
SELECT (t.row).id FROM spillpool.consume(NULL::ev, 'other') t;
SELECT spillpool.reset_consumer('ev', 'new one');
SELECT consumer, lag_rows FROM spillpool.consumers WHERE consumer = 'new one';
SELECT spillpool.drop_consumer('ev', 'new one'), spillpool.drop_consumer('ev', 'new one');
-- the offsets are a catalog of the extension, dumped with it
SELECT extconfig @> ARRAY['spillpool.consumer_offsets'::regclass::oid] AS dumped
FROM pg_extension WHERE extname = 'spillpool';
-- consumers of a dropped table go with it
CREATE TABLE ev2 (id int) USING spillpool;
SELECT spillpool.reset_consumer('ev2', 'x');
DROP TABLE ev2;
SELECT count(*) FROM spillpool.consumer_offsets WHERE consumer = 'x';

--
-- errors
--
\set VERBOSITY terse
SELECT * FROM err($$SELECT * FROM spillpool.tail(NULL::sp_tail.ev, -1)$$);
SELECT * FROM err($$SELECT * FROM spillpool.tail(NULL::sp_tail.ev, 0, 0)$$);
SELECT * FROM err($$SELECT * FROM spillpool.tail(NULL::sp_tail.ev, 0, 10, '-1s')$$);
SELECT * FROM err($$SELECT * FROM spillpool.tail(NULL::sp_tail.ev, 0, 10, '1 day')$$);
SELECT * FROM err($$SELECT * FROM spillpool.tail(NULL::sp_tail.ref)$$);
SELECT * FROM err($$SELECT * FROM spillpool.tail(1)$$);
SELECT * FROM err($$SELECT * FROM spillpool.consume(NULL::sp_tail.ev, NULL)$$);
SELECT * FROM err($$SELECT * FROM spillpool.consume(NULL::sp_tail.ev, '')$$);
SELECT * FROM err($$SELECT spillpool.reset_consumer('sp_tail.ev', 'app', -5)$$);
SELECT * FROM err($$SELECT spillpool.reset_consumer('sp_tail.ref', 'app')$$);
-- a long wait is cancelled by statement_timeout
SET statement_timeout = '100ms';
SELECT * FROM spillpool.tail(NULL::ev, 9223372036854775807, 10, '1 hour');
RESET statement_timeout;
\set VERBOSITY default

--
-- privileges: tail and consume need SELECT; another role's consumer is
-- used or moved only by its members and the table's owner
--
CREATE ROLE regress_tail_reader;
CREATE ROLE regress_tail_other;
-- says what it sees; cheap, so the planner would run it first if it could
CREATE FUNCTION leak(text) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
	RAISE NOTICE 'leak: %', $1;
	RETURN true;
END
$$;
GRANT EXECUTE ON FUNCTION leak(text) TO PUBLIC;
GRANT USAGE ON SCHEMA sp_tail TO regress_tail_reader, regress_tail_other;
GRANT EXECUTE ON FUNCTION err(text) TO regress_tail_reader, regress_tail_other;
SET ROLE regress_tail_reader;
\set VERBOSITY terse
SELECT * FROM err($$SELECT * FROM spillpool.tail(NULL::sp_tail.ev)$$);
SELECT * FROM err($$SELECT * FROM spillpool.consume(NULL::sp_tail.ev, 'mine')$$);
SELECT * FROM err($$SELECT spillpool.reset_consumer('sp_tail.ev', 'mine')$$);
-- the catalog and the view show nothing of a table the role cannot read
SELECT count(*) FROM spillpool.consumer_offsets;
SELECT count(*) FROM spillpool.consumers;
-- nor can the role write the catalog around the functions
SELECT * FROM err($$UPDATE spillpool.consumer_offsets SET position = 0$$);
-- nor see hidden consumers through a function of its own in the view's
-- WHERE clause (the view runs with the caller's rights, under the
-- catalog's row-level security)
SELECT count(*) FROM spillpool.consumers WHERE sp_tail.leak(consumer);
SELECT spillpool.position_lag('sp_tail.ev', 0) AS lag_of_unreadable_table;
RESET ROLE;
GRANT SELECT ON ev TO regress_tail_reader, regress_tail_other;
SET ROLE regress_tail_reader;
SELECT count(*) FROM spillpool.consume(NULL::sp_tail.ev, 'mine', 3) t;
SELECT consumer, owner FROM spillpool.consumers ORDER BY consumer;
SELECT * FROM err($$SELECT * FROM spillpool.consume(NULL::sp_tail.ev, 'app')$$);
SELECT * FROM err($$SELECT spillpool.reset_consumer('sp_tail.ev', 'app', 0)$$);
SELECT * FROM err($$SELECT spillpool.drop_consumer('sp_tail.ev', 'app')$$);
SET ROLE regress_tail_other;
SELECT * FROM err($$SELECT * FROM spillpool.consume(NULL::sp_tail.ev, 'mine')$$);
RESET ROLE;
\set VERBOSITY default
-- the table's owner may move any consumer of it
SELECT spillpool.reset_consumer('ev', 'mine', 0);
SELECT consumer, owner, position FROM spillpool.consumers WHERE consumer = 'mine';
-- row-level security: a reader by position would bypass the policies, and
-- the lag would count rows they hide
ALTER TABLE ev ENABLE ROW LEVEL SECURITY;
SET ROLE regress_tail_reader;
\set VERBOSITY terse
SELECT * FROM err($$SELECT * FROM spillpool.tail(NULL::sp_tail.ev)$$);
SELECT spillpool.position_lag('sp_tail.ev', 0) AS lag_under_rls;
RESET ROLE;
\set VERBOSITY default
ALTER TABLE ev DISABLE ROW LEVEL SECURITY;

DROP TABLE ev, ref, src, pos0, before_truncate, before_rollback;
DROP FUNCTION tail_matches(text), page_through(bigint, int), err(text), leak(text);
DROP SCHEMA sp_tail;
DROP ROLE regress_tail_reader, regress_tail_other;
