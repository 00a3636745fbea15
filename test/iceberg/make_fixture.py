#!/usr/bin/python3
"""make_fixture.py - build a small Iceberg v2 table by hand, without spillpool.

    /usr/bin/python3 test/iceberg/make_fixture.py TABLE_DIR [--location URL]
                     [--corrupt KIND]...

It documents, in code, what an Iceberg v2 table on a file system consists of,
written from the table spec (apache/iceberg format/spec.md): "Manifests",
"Manifest Lists", "Snapshots", "Table Metadata", Appendix A (Avro field ids)
and Appendix C (JSON).  The readers in this directory are checked against it:

  TABLE_DIR/data/00000-a.parquet ...     Parquet data files written by DuckDB
                                          (make_fixture_data.mjs), with the
                                          Iceberg field ids as Parquet field_ids
  TABLE_DIR/metadata/m<N>-<uuid>.avro    manifests (Avro, deflate)
  TABLE_DIR/metadata/snap-<id>-1-<uuid>.avro  manifest lists (Avro, no codec)
  TABLE_DIR/metadata/v<N>.metadata.json  table metadata, one per commit
  TABLE_DIR/metadata/version-hint.text   the newest N, as icebird and
                                          Hadoop-style catalogs look for it

History (sequence numbers 1..3):
  v1  table created, no snapshot
  v2  snapshot S1 "append":    00000-a (3 rows)                  -> manifest m1
  v3  snapshot S2 "append":    + 00001-b (2 rows)                -> m2, m1
  v4  snapshot S3 "overwrite": - 00001-b, + 00002-c (3 rows)     -> m3, m1
      (m3 has b as DELETED with its sequence numbers written out, and c as
       ADDED with null sequence numbers, inherited from the manifest list)
S1 and S2 are above 2**53, so a reader that parses them as doubles shows up.

--location is the table location written into the metadata, from which every
path (manifest-list, manifest_path, file_path) is built; default
file://<absolute TABLE_DIR>.

--corrupt KIND writes one deliberate mistake, for checking check_avro.py:
  field-id        data_file.record_count gets field-id 999 instead of 103
  map-key-id      the key of value_counts gets field-id 1119 instead of 119
  added-count     m1's added_files_count says 2 in every manifest list
  manifest-length m3's manifest_length is one byte short
  record-count    00001-b's record_count is 0
  missing-file    00002-c's file_path names a file that does not exist
  metadata-key    m2 is written without the "partition-spec-id" key
  seq-number      S3's manifest list says sequence-number 7 in its metadata

Prints the snapshot ids as JSON on the last line of stdout.
"""
import argparse
import io
import json
import os
import subprocess
import sys
import uuid
import warnings

sys.path.append('/usr/lib/python3/dist-packages')  # Debian's python3-avro
import avro.datafile  # noqa: E402
import avro.errors  # noqa: E402
import avro.io  # noqa: E402
import avro.schema  # noqa: E402

warnings.filterwarnings('ignore', category=avro.errors.IgnoredLogicalType)

HERE = os.path.dirname(os.path.abspath(__file__))

S1, S2, S3 = 5734839201938475121, 8000000000000000001, 42
TABLE_UUID = '9c12d441-03fe-4693-9a96-a0705ddf69c1'
T0 = 1733000000000  # ms

# ---- table schema (Appendix C), ids as in make_fixture_data.mjs ------------
SCHEMA = {
    'type': 'struct',
    'schema-id': 0,
    'fields': [
        {'id': 1, 'name': 'id', 'required': True, 'type': 'long'},
        {'id': 2, 'name': 'i', 'required': False, 'type': 'int'},
        {'id': 3, 'name': 's', 'required': False, 'type': 'int'},
        {'id': 4, 'name': 'd', 'required': False, 'type': 'double'},
        {'id': 5, 'name': 'r', 'required': False, 'type': 'float'},
        {'id': 6, 'name': 'n', 'required': False, 'type': 'decimal(10, 2)'},
        {'id': 7, 'name': 'nb', 'required': False, 'type': 'decimal(20, 4)'},
        {'id': 8, 'name': 't', 'required': False, 'type': 'string'},
        {'id': 9, 'name': 'b', 'required': False, 'type': 'boolean'},
        {'id': 10, 'name': 'dt', 'required': False, 'type': 'date'},
        {'id': 11, 'name': 'ts', 'required': False, 'type': 'timestamp'},
        {'id': 12, 'name': 'tstz', 'required': False, 'type': 'timestamptz'},
        {'id': 13, 'name': 'u', 'required': False, 'type': 'uuid'},
        {'id': 14, 'name': 'bin', 'required': False, 'type': 'binary'},
        {'id': 15, 'name': 'tm', 'required': False, 'type': 'time'},
    ],
}
PARTITION_SPEC = {'spec-id': 0, 'fields': []}
SORT_ORDER = {'order-id': 0, 'fields': []}


# ---- Avro schemas of manifests and manifest lists (spec "Manifests",
# "Manifest Lists", Appendix A "Field IDs") ---------------------------------
def opt(t):
    """An optional field's type: a union with null first, default null."""
    return ['null', t]


def int_map(name, key_id, value_id, value_type, corrupt_key=False):
    """map<int, T> as Appendix A wants it: an array of key/value records with
    logicalType map, the ids on the record's key and value fields."""
    return {
        'type': 'array',
        'logicalType': 'map',
        'items': {
            'type': 'record',
            'name': name,
            'fields': [
                {'name': 'key', 'type': 'int', 'field-id': 1000 + key_id if corrupt_key else key_id},
                {'name': 'value', 'type': value_type, 'field-id': value_id},
            ],
        },
    }


def manifest_entry_schema(corrupt):
    data_file = {
        'type': 'record',
        'name': 'r2',
        'fields': [
            {'name': 'content', 'type': 'int', 'field-id': 134},
            {'name': 'file_path', 'type': 'string', 'field-id': 100},
            {'name': 'file_format', 'type': 'string', 'field-id': 101},
            # unpartitioned: the partition tuple is an empty struct
            {'name': 'partition', 'type': {'type': 'record', 'name': 'r102', 'fields': []}, 'field-id': 102},
            {'name': 'record_count', 'type': 'long', 'field-id': 999 if 'field-id' in corrupt else 103},
            {'name': 'file_size_in_bytes', 'type': 'long', 'field-id': 104},
            {'name': 'column_sizes', 'type': opt(int_map('k117_v118', 117, 118, 'long')), 'default': None, 'field-id': 108},
            {'name': 'value_counts', 'type': opt(int_map('k119_v120', 119, 120, 'long', 'map-key-id' in corrupt)), 'default': None, 'field-id': 109},
            {'name': 'null_value_counts', 'type': opt(int_map('k121_v122', 121, 122, 'long')), 'default': None, 'field-id': 110},
            {'name': 'nan_value_counts', 'type': opt(int_map('k138_v139', 138, 139, 'long')), 'default': None, 'field-id': 137},
            {'name': 'lower_bounds', 'type': opt(int_map('k126_v127', 126, 127, 'bytes')), 'default': None, 'field-id': 125},
            {'name': 'upper_bounds', 'type': opt(int_map('k129_v130', 129, 130, 'bytes')), 'default': None, 'field-id': 128},
            {'name': 'key_metadata', 'type': opt('bytes'), 'default': None, 'field-id': 131},
            {'name': 'split_offsets', 'type': opt({'type': 'array', 'items': 'long', 'element-id': 133}), 'default': None, 'field-id': 132},
            {'name': 'equality_ids', 'type': opt({'type': 'array', 'items': 'int', 'element-id': 136}), 'default': None, 'field-id': 135},
            {'name': 'sort_order_id', 'type': opt('int'), 'default': None, 'field-id': 140},
            {'name': 'referenced_data_file', 'type': opt('string'), 'default': None, 'field-id': 143},
        ],
    }
    return {
        'type': 'record',
        'name': 'manifest_entry',
        'fields': [
            {'name': 'status', 'type': 'int', 'field-id': 0},
            {'name': 'snapshot_id', 'type': opt('long'), 'default': None, 'field-id': 1},
            {'name': 'sequence_number', 'type': opt('long'), 'default': None, 'field-id': 3},
            {'name': 'file_sequence_number', 'type': opt('long'), 'default': None, 'field-id': 4},
            {'name': 'data_file', 'type': data_file, 'field-id': 2},
        ],
    }


MANIFEST_FILE_SCHEMA = {
    'type': 'record',
    'name': 'manifest_file',
    'fields': [
        {'name': 'manifest_path', 'type': 'string', 'field-id': 500},
        {'name': 'manifest_length', 'type': 'long', 'field-id': 501},
        {'name': 'partition_spec_id', 'type': 'int', 'field-id': 502},
        {'name': 'content', 'type': 'int', 'field-id': 517},
        {'name': 'sequence_number', 'type': 'long', 'field-id': 515},
        {'name': 'min_sequence_number', 'type': 'long', 'field-id': 516},
        {'name': 'added_snapshot_id', 'type': 'long', 'field-id': 503},
        {'name': 'added_files_count', 'type': 'int', 'field-id': 504},
        {'name': 'existing_files_count', 'type': 'int', 'field-id': 505},
        {'name': 'deleted_files_count', 'type': 'int', 'field-id': 506},
        {'name': 'added_rows_count', 'type': 'long', 'field-id': 512},
        {'name': 'existing_rows_count', 'type': 'long', 'field-id': 513},
        {'name': 'deleted_rows_count', 'type': 'long', 'field-id': 514},
        {'name': 'partitions', 'type': opt({
            'type': 'array',
            'element-id': 508,
            'items': {
                'type': 'record',
                'name': 'r508',
                'fields': [
                    {'name': 'contains_null', 'type': 'boolean', 'field-id': 509},
                    {'name': 'contains_nan', 'type': opt('boolean'), 'default': None, 'field-id': 518},
                    {'name': 'lower_bound', 'type': opt('bytes'), 'default': None, 'field-id': 510},
                    {'name': 'upper_bound', 'type': opt('bytes'), 'default': None, 'field-id': 511},
                ],
            },
        }), 'default': None, 'field-id': 507},
        {'name': 'key_metadata', 'type': opt('bytes'), 'default': None, 'field-id': 519},
    ],
}


def write_avro(path, schema_json, records, meta, codec):
    schema = avro.schema.parse(json.dumps(schema_json))
    with open(path, 'wb') as f:
        writer = avro.datafile.DataFileWriter(f, avro.io.DatumWriter(), schema, codec=codec)
        for k, v in meta.items():
            writer.set_meta(k, v.encode() if isinstance(v, str) else v)
        for r in records:
            writer.append(r)
        writer.flush()
        writer.close()
    return os.path.getsize(path)


def long_le(v):
    return int(v).to_bytes(8, 'little', signed=True)


def data_file(location, name, stats, file_size, corrupt):
    path = f'{location}/data/{name}'
    if 'missing-file' in corrupt and name == '00002-c.parquet':
        path = f'{location}/data/no-such-file.parquet'
    return {
        'content': 0,
        'file_path': path,
        'file_format': 'PARQUET',
        'partition': {},
        'record_count': 0 if ('record-count' in corrupt and name == '00001-b.parquet') else stats['record_count'],
        'file_size_in_bytes': file_size,
        'column_sizes': None,
        'value_counts': [{'key': int(k), 'value': v} for k, v in stats['value_counts'].items()],
        'null_value_counts': [{'key': int(k), 'value': v} for k, v in stats['null_value_counts'].items()],
        'nan_value_counts': [{'key': int(k), 'value': v} for k, v in stats['nan_value_counts'].items()],
        # bounds only for the id column (field 1, long: 8 bytes little-endian,
        # Appendix D); bounds are optional per column
        'lower_bounds': [{'key': 1, 'value': long_le(stats['id_min'])}],
        'upper_bounds': [{'key': 1, 'value': long_le(stats['id_max'])}],
        'key_metadata': None,
        'split_offsets': [4],
        'equality_ids': None,
        'sort_order_id': 0,
        'referenced_data_file': None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('table_dir')
    ap.add_argument('--location')
    ap.add_argument('--corrupt', action='append', default=[],
                    choices=['field-id', 'map-key-id', 'added-count', 'manifest-length', 'record-count',
                             'missing-file', 'metadata-key', 'seq-number'])
    args = ap.parse_args()
    corrupt = set(args.corrupt)

    table = os.path.abspath(args.table_dir)
    location = (args.location or 'file://' + table).rstrip('/')
    meta_dir = os.path.join(table, 'metadata')
    data_dir = os.path.join(table, 'data')
    os.makedirs(meta_dir, exist_ok=True)

    out = subprocess.run(['node', os.path.join(HERE, 'make_fixture_data.mjs'), data_dir],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    stats = json.loads(out.strip().splitlines()[-1])
    size = {n: os.path.getsize(os.path.join(data_dir, n)) for n in stats}
    df = {n: data_file(location, n, stats[n], size[n], corrupt) for n in stats}

    entry_schema = manifest_entry_schema(corrupt)
    schema_json = json.dumps(SCHEMA)

    def manifest(name, entries, drop_key=None):
        meta = {
            'schema': schema_json,
            'schema-id': str(SCHEMA['schema-id']),
            'partition-spec': json.dumps(PARTITION_SPEC['fields']),
            'partition-spec-id': str(PARTITION_SPEC['spec-id']),
            'format-version': '2',
            'content': 'data',
        }
        if drop_key:
            del meta[drop_key]
        path = os.path.join(meta_dir, name)
        length = write_avro(path, entry_schema, entries, meta, 'deflate')
        return f'{location}/metadata/{name}', length

    # m1: 00000-a added by S1; snapshot id written, sequence numbers inherited
    m1 = manifest(f'm1-{uuid.UUID(int=1)}.avro', [
        {'status': 1, 'snapshot_id': S1, 'sequence_number': None, 'file_sequence_number': None,
         'data_file': df['00000-a.parquet']}])
    # m2: 00001-b added by S2; snapshot id inherited too
    m2 = manifest(f'm2-{uuid.UUID(int=2)}.avro', [
        {'status': 1, 'snapshot_id': None, 'sequence_number': None, 'file_sequence_number': None,
         'data_file': df['00001-b.parquet']}],
        drop_key='partition-spec-id' if 'metadata-key' in corrupt else None)
    # m3: S3 deletes 00001-b (sequence numbers written out, as the spec
    # requires for DELETED entries) and adds 00002-c
    m3 = manifest(f'm3-{uuid.UUID(int=3)}.avro', [
        {'status': 2, 'snapshot_id': S3, 'sequence_number': 2, 'file_sequence_number': 2,
         'data_file': df['00001-b.parquet']},
        {'status': 1, 'snapshot_id': S3, 'sequence_number': None, 'file_sequence_number': None,
         'data_file': df['00002-c.parquet']}])

    def mf(m, seq, min_seq, added_by, added, existing, deleted, arows, erows, drows):
        path, length = m
        return {
            'manifest_path': path, 'manifest_length': length, 'partition_spec_id': 0, 'content': 0,
            'sequence_number': seq, 'min_sequence_number': min_seq, 'added_snapshot_id': added_by,
            'added_files_count': added, 'existing_files_count': existing, 'deleted_files_count': deleted,
            'added_rows_count': arows, 'existing_rows_count': erows, 'deleted_rows_count': drows,
            'partitions': [], 'key_metadata': None,
        }

    m1_added = 2 if 'added-count' in corrupt else 1
    m1_entry = mf(m1, 1, 1, S1, m1_added, 0, 0, 3, 0, 0)
    m2_entry = mf(m2, 2, 2, S2, 1, 0, 0, 2, 0, 0)
    m3_entry = mf(m3, 3, 3, S3, 1, 0, 1, 3, 0, 2)
    if 'manifest-length' in corrupt:
        m3_entry['manifest_length'] -= 1

    def manifest_list(snap, parent, seq, manifests):
        name = f'snap-{snap}-1-{uuid.UUID(int=snap % (1 << 64))}.avro'
        meta = {
            'snapshot-id': str(snap),
            'parent-snapshot-id': str(parent) if parent is not None else 'null',
            'sequence-number': str(7 if ('seq-number' in corrupt and snap == S3) else seq),
            'format-version': '2',
        }
        write_avro(os.path.join(meta_dir, name), MANIFEST_FILE_SCHEMA, manifests, meta, 'null')
        return f'{location}/metadata/{name}'

    snapshots = [
        {'snapshot-id': S1, 'sequence-number': 1, 'timestamp-ms': T0 + 1000,
         'manifest-list': manifest_list(S1, None, 1, [m1_entry]),
         'summary': {'operation': 'append', 'added-data-files': '1', 'added-records': '3',
                     'total-data-files': '1', 'total-records': '3'},
         'schema-id': 0},
        {'snapshot-id': S2, 'parent-snapshot-id': S1, 'sequence-number': 2, 'timestamp-ms': T0 + 2000,
         'manifest-list': manifest_list(S2, S1, 2, [m2_entry, m1_entry]),
         'summary': {'operation': 'append', 'added-data-files': '1', 'added-records': '2',
                     'total-data-files': '2', 'total-records': '5'},
         'schema-id': 0},
        {'snapshot-id': S3, 'parent-snapshot-id': S2, 'sequence-number': 3, 'timestamp-ms': T0 + 3000,
         'manifest-list': manifest_list(S3, S2, 3, [m3_entry, m1_entry]),
         'summary': {'operation': 'overwrite', 'added-data-files': '1', 'deleted-data-files': '1',
                     'added-records': '3', 'deleted-records': '2',
                     'total-data-files': '2', 'total-records': '6'},
         'schema-id': 0},
    ]

    # v1 .. v4: metadata after each commit (spec "Table Metadata", Appendix C)
    for version in range(1, 5):
        snaps = snapshots[:version - 1]
        md = {
            'format-version': 2,
            'table-uuid': TABLE_UUID,
            'location': location,
            'last-sequence-number': len(snaps),
            'last-updated-ms': T0 + 1000 * (version - 1) + 1,
            'last-column-id': 15,
            'current-schema-id': 0,
            'schemas': [SCHEMA],
            'default-spec-id': 0,
            'partition-specs': [PARTITION_SPEC],
            'last-partition-id': 999,
            'default-sort-order-id': 0,
            'sort-orders': [SORT_ORDER],
            'properties': {'write.format.default': 'parquet', 'written-by': 'make_fixture.py'},
            'current-snapshot-id': snaps[-1]['snapshot-id'] if snaps else -1,
            'refs': {'main': {'snapshot-id': snaps[-1]['snapshot-id'], 'type': 'branch'}} if snaps else {},
            'snapshots': snaps,
            'snapshot-log': [{'timestamp-ms': s['timestamp-ms'], 'snapshot-id': s['snapshot-id']} for s in snaps],
            'metadata-log': [{'timestamp-ms': T0 + 1000 * (v - 1) + 1,
                              'metadata-file': f'{location}/metadata/v{v}.metadata.json'}
                             for v in range(1, version)],
        }
        with open(os.path.join(meta_dir, f'v{version}.metadata.json'), 'w') as f:
            json.dump(md, f, indent=2)
            f.write('\n')
    with open(os.path.join(meta_dir, 'version-hint.text'), 'w') as f:
        f.write('4\n')

    print(json.dumps({'S1': str(S1), 'S2': str(S2), 'S3': str(S3), 'location': location}))


if __name__ == '__main__':
    main()
