--
-- lifecycle: the per-table lifecycle options, retention (drop_shards and
-- "delete" snapshots), snapshot expiry, and the Iceberg metadata every
-- snapshot also commits.
--
SET client_min_messages = warning;
CREATE SCHEMA sp_life;
SET search_path = sp_life, public;
RESET client_min_messages;

CREATE TABLE ev (id int, ts timestamptz, lts timestamp, v text, n numeric(12, 3),
	u uuid, j jsonb, f float8, b bool, d date) USING spillpool;
CREATE TABLE ev_ref (LIKE ev);

-- options: defaults, then set, then errors
SELECT compact_target_size, compact_min_shards, retention_column, retention, snapshot_retention
FROM spillpool.options WHERE table_name = 'ev'::regclass;
SELECT spillpool.alter_table('ev', compact_target_size => '1MB', compact_min_shards => 4,
	retention_column => 'ts', retention => '30 days', snapshot_retention => '2 hours');
SELECT compact_target_size, compact_min_shards, retention_column, retention, snapshot_retention
FROM spillpool.options WHERE table_name = 'ev'::regclass;
SELECT spillpool.alter_table('ev', retention_column => 'nope');
SELECT spillpool.alter_table('ev', retention_column => 'v');
SELECT spillpool.alter_table('ev', retention => '-1 day');
SELECT spillpool.alter_table('ev', snapshot_retention => '-1 second');
SELECT spillpool.alter_table('ev', compact_min_shards => -1);
SELECT spillpool.alter_table('ev', compact_target_size => '512 bytes');
CREATE TABLE noret (id int, ts timestamptz) USING spillpool;
SELECT spillpool.alter_table('noret', retention => '1 day');
SELECT spillpool.drop_shards('noret', now());
-- retention '0' turns retention off
SELECT spillpool.alter_table('noret', retention_column => 'ts', retention => '0');
SELECT retention_column, retention FROM spillpool.options WHERE table_name = 'noret'::regclass;
DROP TABLE noret;

-- four flushes of rows from four months (a timestamp column too), one
-- that straddles two of them, and rows never flushed
INSERT INTO ev SELECT g, '2026-01-01 00:00+00'::timestamptz + g * interval '1 minute',
	'2026-01-01'::timestamp + g * interval '1 minute', 'jan' || g, g / 7.0,
	md5(g::text)::uuid, jsonb_build_object('g', g), g / 3.0, g % 2 = 0, '2026-01-01'::date + g % 28
FROM generate_series(1, 100) g;
SELECT spillpool.flush('ev');
INSERT INTO ev SELECT g, '2026-02-01 00:00+00'::timestamptz + g * interval '1 minute',
	'2026-02-01'::timestamp + g * interval '1 minute', 'feb' || g, g / 7.0,
	md5(g::text)::uuid, NULL, 'NaN', NULL, NULL
FROM generate_series(101, 200) g;
SELECT spillpool.flush('ev');
INSERT INTO ev SELECT g, CASE WHEN g < 250 THEN '2026-02-20 00:00+00'::timestamptz ELSE '2026-04-01 00:00+00' END,
	'2026-03-01'::timestamp, 'straddle' || g, -g, NULL, NULL, -g, true, '2026-03-01'
FROM generate_series(201, 300) g;
SELECT spillpool.flush('ev');
INSERT INTO ev SELECT g, NULL, NULL, 'nots' || g FROM generate_series(301, 310) g;
SELECT spillpool.flush('ev');
INSERT INTO ev SELECT g, '2025-01-01 00:00+00', '2025-01-01', 'old but unflushed' || g FROM generate_series(311, 320) g;
INSERT INTO ev_ref SELECT * FROM ev;
SELECT snapshot_id, shards, rows, operation FROM spillpool.snapshots('ev') ORDER BY 1;

-- drop the shards whose rows are all before March: January and February
-- go; the straddling shard (February and April rows) stays whole, so does
-- the shard whose ts is all NULL, and the unflushed rows of 2025
SELECT spillpool.drop_shards('ev', '2026-03-01 00:00+00');
SELECT snapshot_id, shards, rows, operation FROM spillpool.snapshots('ev') ORDER BY 1;
SELECT count(*), min(id), max(id) FROM ev;
SELECT count(*) AS rows_differ FROM (
	(SELECT * FROM ev EXCEPT ALL SELECT * FROM ev_ref WHERE id > 200)
	UNION ALL
	(SELECT * FROM ev_ref WHERE id > 200 EXCEPT ALL SELECT * FROM ev)) x;
-- nothing more to drop: no new snapshot
SELECT spillpool.drop_shards('ev', '2026-03-01 00:00+00');
SELECT max(snapshot_id) FROM spillpool.snapshots('ev');
-- by a timestamp column, compared in the session's time zone
SET TimeZone = 'UTC';
SELECT spillpool.drop_shards('ev', '2026-03-02 00:00+00', 'lts');
RESET TimeZone;
SELECT count(*) FROM ev;
SELECT spillpool.drop_shards('ev', now(), 'v');
SELECT spillpool.drop_shards('ev', now(), 'missing');
-- time travel still reads the dropped shards
SELECT count(*), min(id), max(id) FROM spillpool.scan(NULL::ev, 4);
SELECT count(*) FROM spillpool.scan(NULL::ev, 1);

-- Iceberg: the view lists the table with its current and previous
-- metadata; the metadata says what the manifest says
SELECT table_namespace, table_name, metadata_location LIKE '%/metadata/v%.metadata.json' AS current,
	previous_metadata_location LIKE '%/metadata/v%.metadata.json' AS previous, iceberg_type
FROM spillpool.iceberg_tables WHERE table_namespace = 'sp_life';
SELECT namespace, property_key, property_value
FROM spillpool.iceberg_namespace_properties WHERE namespace = 'sp_life';
SELECT format('spillpool/%s/%s/metadata', d.oid, pg_relation_filenode('ev')) AS mdir
FROM pg_database d WHERE d.datname = current_database() \gset
SELECT pg_read_file(:'mdir' || '/version-hint.text')::int =
	substring((SELECT metadata_location FROM spillpool.iceberg_tables WHERE table_name = 'ev')
		FROM 'v(\d+)\.metadata\.json$')::int AS hint_matches;
CREATE TEMP TABLE meta AS
SELECT pg_read_file(:'mdir' || '/v' || pg_read_file(:'mdir' || '/version-hint.text') || '.metadata.json')::jsonb AS j;
SELECT j->'format-version' AS format_version, j->'current-snapshot-id' AS current_snapshot,
	j->'last-sequence-number' AS last_seq, j->'refs'->'main'->'snapshot-id' AS main,
	j->'last-column-id' AS last_column_id
FROM meta;
SELECT f->>'id' AS id, f->>'name' AS name, f->>'type' AS type, f->>'doc' AS doc
FROM meta, jsonb_array_elements(j->'schemas'->0->'fields') f;
SELECT s->>'snapshot-id' AS id, s->>'parent-snapshot-id' AS parent, s->'summary'->>'operation' AS op,
	s->'summary'->>'added-data-files' AS added_files, s->'summary'->>'deleted-data-files' AS deleted_files,
	s->'summary'->>'total-records' AS total_records
FROM meta, jsonb_array_elements(j->'snapshots') s ORDER BY (s->>'snapshot-id')::int;
SELECT (SELECT count(*) FROM meta, jsonb_array_elements(j->'snapshot-log')) AS log_entries,
	j->'properties'->>'schema.name-mapping.default' LIKE '[{"field-id": 1, "names": ["id"]}%' AS name_mapping
FROM meta;

-- snapshot expiry: keep only the current snapshot (a delete); the files of
-- the shards it removed stay until it expires too (its Iceberg manifest
-- names them)
SELECT count(*) AS shard_files_before FROM pg_ls_dir(replace(:'mdir', '/metadata', '/shards'));
SELECT spillpool.expire_snapshots('ev', now());
SELECT snapshot_id, operation FROM spillpool.snapshots('ev') ORDER BY 1;
SELECT count(*) AS shard_files_after FROM pg_ls_dir(replace(:'mdir', '/metadata', '/shards'));
SELECT count(*) = (SELECT count(*) FROM spillpool.shards('ev')) AS only_live_files
FROM pg_ls_dir(replace(:'mdir', '/metadata', '/shards'));
\set VERBOSITY terse
SELECT count(*) FROM spillpool.scan(NULL::ev, 4);
SELECT count(*) FROM spillpool.scan(NULL::ev, 0);
\set VERBOSITY default
SELECT count(*) FROM spillpool.scan(NULL::ev, (SELECT max(snapshot_id) FROM spillpool.snapshots('ev')));
SELECT count(*) FROM ev;
-- expiring again changes nothing
SELECT spillpool.expire_snapshots('ev', now());
-- the Iceberg metadata lists the kept snapshot only, and only its files remain
CREATE TEMP TABLE meta2 AS
SELECT pg_read_file(:'mdir' || '/v' || pg_read_file(:'mdir' || '/version-hint.text') || '.metadata.json')::jsonb AS j;
SELECT jsonb_array_length(j->'snapshots') AS snapshots, j->'current-snapshot-id' AS current FROM meta2;
SELECT d ~ '^(v\d+\.metadata\.json|version-hint\.text|snap-\d+-\d+\.avro|m-\d+-\d+\.avro)$' AS known, count(*)
FROM pg_ls_dir(:'mdir') d GROUP BY 1 ORDER BY 1;
SELECT count(*) AS manifest_lists FROM pg_ls_dir(:'mdir') d WHERE d LIKE 'snap-%';

-- the flushes after an expiry carry on, and compaction too
INSERT INTO ev SELECT g, '2026-05-01 00:00+00', NULL, 'may' || g FROM generate_series(321, 330) g;
SELECT spillpool.flush('ev') > 0 AS flushed;
SELECT spillpool.compact('ev') > 0 AS compacted;
SELECT count(*), min(id), max(id) FROM ev;
SELECT operation, count(*) FROM spillpool.snapshots('ev') GROUP BY 1 ORDER BY 1;
-- expiring now keeps the compaction's snapshot: the files left are the
-- shards the manifest lists (the live one and those it replaced)
SELECT spillpool.expire_snapshots('ev', now());
SELECT count(*) AS files, (SELECT count(*) FROM regexp_matches(
		pg_read_file(replace(:'mdir', '/metadata', '/manifest')), '^shard ', 'gn')) AS listed,
	(SELECT count(*) FROM spillpool.shards('ev')) AS live
FROM pg_ls_dir(replace(:'mdir', '/metadata', '/shards'));
SELECT count(*), min(id), max(id) FROM ev;

-- privileges: only the owner drops shards and expires snapshots
CREATE ROLE sp_life_reader;
GRANT USAGE ON SCHEMA sp_life TO sp_life_reader;
GRANT SELECT ON ev TO sp_life_reader;
SET ROLE sp_life_reader;
SELECT spillpool.drop_shards('ev', now());
SELECT spillpool.expire_snapshots('ev');
SELECT spillpool.alter_table('ev', retention => '1 day');
SELECT table_name FROM spillpool.iceberg_tables WHERE table_namespace = 'sp_life';
RESET ROLE;
REVOKE SELECT ON ev FROM sp_life_reader;
SET ROLE sp_life_reader;
SELECT count(*) FROM spillpool.iceberg_tables WHERE table_namespace = 'sp_life';
RESET ROLE;

SET client_min_messages = warning;
DROP SCHEMA sp_life CASCADE;
DROP ROLE sp_life_reader;
RESET client_min_messages;
