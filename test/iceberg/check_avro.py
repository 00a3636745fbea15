#!/usr/bin/python3
"""check_avro.py - check an Iceberg v2 table's metadata against the spec.

    /usr/bin/python3 test/iceberg/check_avro.py TABLE_DIR [--prefix P]...
        [--metadata FILE] [--all-versions] [--allow-schemeless]

Reads TABLE_DIR/metadata/version-hint.text (a number N), then
TABLE_DIR/metadata/vN.metadata.json (or --metadata FILE), checks the metadata
JSON, and for EVERY snapshot in it reads the manifest list and every manifest
it names with python3-avro (Debian's python3-avro: an Avro implementation
that is neither spillpool's nor icebird's) and checks them.  The rules are
written from the Iceberg table spec (apache/iceberg format/spec.md: "Table
Metadata", "Snapshots", "Manifest Lists", "Manifests", "Sequence Number
Inheritance", Appendix A "Avro", Appendix C "JSON serialization", Appendix D
"Binary single-value serialization", Appendix E "Version 2"), not from any
implementation.

Paths in the metadata (manifest-list, manifest_path, file_path) are mapped
to files under TABLE_DIR: a path that starts with the metadata's "location"
or with a --prefix P (a URL such as file:///x/t or http://h:1/t, or a plain
path /x/t) has that prefix replaced by TABLE_DIR; other file: URIs are used
as local paths; anything else is a failure.

--all-versions also checks every v1..vN.metadata.json and that they form one
history (same table-uuid, non-decreasing last-sequence-number and
last-updated-ms, each metadata-log naming the previous file).
--allow-schemeless accepts paths without a URI scheme (the spec wants
"Full URI for the file with FS scheme" before v4).

Output: one line per failed check, "<file>: <where>: <what>", then
"ok: N manifests, M entries" (N distinct manifests read, M entries in them)
and exit 0, or "FAILED: K problems (N manifests, M entries)" and exit 1.
A table that cannot be read at all (no version hint, bad JSON) exits 1 too.
"""
import argparse
import json
import math
import os
import re
import struct
import sys
import urllib.parse
import uuid
import warnings

sys.path.append('/usr/lib/python3/dist-packages')  # Debian's python3-avro
import avro.datafile  # noqa: E402
import avro.errors  # noqa: E402
import avro.io  # noqa: E402
import avro.schema  # noqa: E402

# python3-avro does not know Iceberg's array-with-logicalType-map; harmless.
warnings.filterwarnings('ignore', category=avro.errors.IgnoredLogicalType)

PRIMITIVES = {'null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string'}
OPERATIONS = {'append', 'replace', 'overwrite', 'delete'}
FILE_FORMATS = {'avro', 'orc', 'parquet', 'puffin'}


# ---- the spec's Avro structures --------------------------------------------
# F(field id, name, type, required in v2).  Types: a primitive name,
# ('map', key id, value id, key type, value type)  map<K: int, V: T> as an
# array of key/value records with logicalType "map" (Appendix A),
# ('list', element id, element type), ('record', [F...]), ('partition',).
class F:
    def __init__(self, fid, name, typ, required):
        self.id, self.name, self.type, self.required = fid, name, typ, required


DATA_FILE_FIELDS = [
    F(134, 'content', 'int', True),
    F(100, 'file_path', 'string', True),
    F(101, 'file_format', 'string', True),
    F(102, 'partition', ('partition',), True),
    F(103, 'record_count', 'long', True),
    F(104, 'file_size_in_bytes', 'long', True),
    F(108, 'column_sizes', ('map', 117, 118, 'int', 'long'), False),
    F(109, 'value_counts', ('map', 119, 120, 'int', 'long'), False),
    F(110, 'null_value_counts', ('map', 121, 122, 'int', 'long'), False),
    F(137, 'nan_value_counts', ('map', 138, 139, 'int', 'long'), False),
    F(111, 'distinct_counts', ('map', 123, 124, 'int', 'long'), False),
    F(125, 'lower_bounds', ('map', 126, 127, 'int', 'bytes'), False),
    F(128, 'upper_bounds', ('map', 129, 130, 'int', 'bytes'), False),
    F(131, 'key_metadata', 'bytes', False),
    F(132, 'split_offsets', ('list', 133, 'long'), False),
    F(135, 'equality_ids', ('list', 136, 'int'), False),
    F(140, 'sort_order_id', 'int', False),
    F(143, 'referenced_data_file', 'string', False),
]
# v1 fields a v2 writer must not write (spec: "Do not write in v2")
DATA_FILE_FORBIDDEN = {105: 'block_size_in_bytes', 106: 'file_ordinal', 107: 'sort_columns'}

MANIFEST_ENTRY_FIELDS = [
    F(0, 'status', 'int', True),
    F(1, 'snapshot_id', 'long', False),
    F(3, 'sequence_number', 'long', False),
    F(4, 'file_sequence_number', 'long', False),
    F(2, 'data_file', ('record', DATA_FILE_FIELDS), True),
]

FIELD_SUMMARY_FIELDS = [
    F(509, 'contains_null', 'boolean', True),
    F(518, 'contains_nan', 'boolean', False),
    F(510, 'lower_bound', 'bytes', False),
    F(511, 'upper_bound', 'bytes', False),
]

MANIFEST_FILE_FIELDS = [
    F(500, 'manifest_path', 'string', True),
    F(501, 'manifest_length', 'long', True),
    F(502, 'partition_spec_id', 'int', True),
    F(517, 'content', 'int', True),
    F(515, 'sequence_number', 'long', True),
    F(516, 'min_sequence_number', 'long', True),
    F(503, 'added_snapshot_id', 'long', True),
    F(504, 'added_files_count', 'int', True),
    F(505, 'existing_files_count', 'int', True),
    F(506, 'deleted_files_count', 'int', True),
    F(512, 'added_rows_count', 'long', True),
    F(513, 'existing_rows_count', 'long', True),
    F(514, 'deleted_rows_count', 'long', True),
    F(507, 'partitions', ('list', 508, ('record', FIELD_SUMMARY_FIELDS)), False),
    F(519, 'key_metadata', 'bytes', False),
]

# Appendix D: sizes of the fixed-width single-value serializations, and how
# to decode them for the lower <= upper check.
BOUND_FORMATS = {
    'boolean': (1, None), 'int': (4, '<i'), 'date': (4, '<i'), 'long': (8, '<q'),
    'time': (8, '<q'), 'timestamp': (8, '<q'), 'timestamptz': (8, '<q'),
    'timestamp_ns': (8, '<q'), 'timestamptz_ns': (8, '<q'),
    'float': (4, '<f'), 'double': (8, '<d'), 'uuid': (16, None),
}


class Checker:
    def __init__(self, table_dir, prefixes, allow_schemeless):
        self.table_dir = os.path.abspath(table_dir)
        self.prefixes = []
        for p in prefixes:
            self.add_prefix(p)
        self.allow_schemeless = allow_schemeless
        self.failures = 0
        self.manifests_read = {}  # local path -> list of entries (or None if unreadable)
        self.entries = 0

    # -- reporting ---------------------------------------------------------
    def rel(self, path):
        try:
            r = os.path.relpath(path, self.table_dir)
            return path if r.startswith('..') else r
        except ValueError:
            return path

    def fail(self, where, msg):
        self.failures += 1
        print(f'{where}: {msg}', flush=True)

    # -- paths ---------------------------------------------------------------
    def add_prefix(self, p):
        p = p.rstrip('/')
        if not p:
            return
        variants = [(p, has_scheme(p))]
        if p.startswith('/'):
            variants += [('file://' + p, True), ('file:' + p, True)]
        elif p.startswith('file:///'):
            variants.append((p[len('file://'):], False))
        for v in variants:
            if v not in self.prefixes:
                self.prefixes.append(v)
        self.prefixes.sort(key=lambda x: -len(x[0]))

    def local(self, path, where):
        """Local file for a path in the metadata, or None (after a failure)."""
        if not isinstance(path, str) or not path:
            self.fail(where, f'path is {path!r}, not a non-empty string')
            return None
        if not has_scheme(path) and not self.allow_schemeless:
            self.fail(where, f'{path}: no URI scheme (the spec wants a full URI with FS scheme, e.g. file:///...)')
        for prefix, is_uri in self.prefixes:
            if path == prefix or path.startswith(prefix + '/'):
                rest = path[len(prefix):]
                if is_uri:
                    rest = urllib.parse.unquote(rest)
                return self.table_dir + rest
        if path.startswith('file:'):
            return urllib.parse.unquote(urllib.parse.urlparse(path).path)
        self.fail(where, f'{path}: not under the table location or a --prefix '
                         f'({", ".join(p for p, _ in self.prefixes)})')
        return None

    def existing(self, path, where, what):
        lp = self.local(path, where)
        if lp is None:
            return None
        if not os.path.isfile(lp):
            self.fail(where, f'{what} {path} does not exist (looked for {lp})')
            return None
        return lp

    # -- metadata JSON ---------------------------------------------------------
    def check_metadata(self, md, where):
        def need(key, types, cond=None, desc=''):
            if key not in md:
                self.fail(where, f'"{key}" missing (required in v2)')
                return None
            v = md[key]
            if not isinstance(v, types) or isinstance(v, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
                self.fail(where, f'"{key}" is {v!r}, not {desc or types}')
                return None
            if cond is not None and not cond(v):
                self.fail(where, f'"{key}" is {v!r}: {desc}')
                return None
            return v

        fv = md.get('format-version')
        if fv != 2:
            self.fail(where, f'"format-version" is {fv!r}, not 2')
        tu = need('table-uuid', str, desc='a UUID string')
        if tu is not None:
            try:
                uuid.UUID(tu)
            except ValueError:
                self.fail(where, f'"table-uuid" {tu!r} is not a UUID')
        loc = need('location', str, lambda v: v != '', 'must be a non-empty string')
        if loc:
            self.add_prefix(loc)
        lsn = need('last-sequence-number', int, lambda v: v >= 0, 'must be >= 0')
        lum = need('last-updated-ms', int, lambda v: v > 0, 'must be > 0')
        lci = need('last-column-id', int, lambda v: v >= 0, 'must be >= 0')

        # schemas
        schemas = need('schemas', list, lambda v: len(v) > 0, 'must be a non-empty list') or []
        self.schemas = {}
        max_id = 0
        for i, s in enumerate(schemas):
            sw = f'{where}: schemas[{i}]'
            if not isinstance(s, dict):
                self.fail(sw, 'not an object')
                continue
            sid = s.get('schema-id')
            if not isinstance(sid, int) or isinstance(sid, bool):
                self.fail(sw, f'"schema-id" is {sid!r}, not an int')
            elif sid in self.schemas:
                self.fail(sw, f'"schema-id" {sid} appears twice')
            if s.get('type') != 'struct':
                self.fail(sw, f'"type" is {s.get("type")!r}, not "struct"')
            ids = {}
            self.check_struct_json(s, sw, ids)
            if ids:
                max_id = max(max_id, max(ids))
            for fid in s.get('identifier-field-ids', []) or []:
                if fid not in ids:
                    self.fail(sw, f'identifier-field-ids names {fid}, not a field id of the schema')
            self.schemas[sid] = (s, ids)
        if lci is not None and max_id > lci:
            self.fail(where, f'"last-column-id" {lci} is below the highest field id {max_id}')
        csi = need('current-schema-id', int)
        if csi is not None and csi not in self.schemas:
            self.fail(where, f'"current-schema-id" {csi} is not the schema-id of any entry of "schemas"')

        # partition specs
        specs = need('partition-specs', list, lambda v: len(v) > 0, 'must be a non-empty list') or []
        self.specs = {}
        max_pid = None
        for i, sp in enumerate(specs):
            pw = f'{where}: partition-specs[{i}]'
            if not isinstance(sp, dict) or not isinstance(sp.get('spec-id'), int) or not isinstance(sp.get('fields'), list):
                self.fail(pw, 'needs an int "spec-id" and a "fields" list')
                continue
            for j, pf in enumerate(sp['fields']):
                for k, t in (('source-id', int), ('field-id', int), ('name', str), ('transform', str)):
                    if not isinstance(pf.get(k), t):
                        self.fail(f'{pw}: fields[{j}]', f'"{k}" is {pf.get(k)!r}')
                if isinstance(pf.get('field-id'), int):
                    max_pid = pf['field-id'] if max_pid is None else max(max_pid, pf['field-id'])
            self.specs[sp['spec-id']] = sp
        dsi = need('default-spec-id', int)
        if dsi is not None and dsi not in self.specs:
            self.fail(where, f'"default-spec-id" {dsi} is not a spec-id of "partition-specs"')
        lpi = need('last-partition-id', int)
        if lpi is not None and max_pid is not None and max_pid > lpi:
            self.fail(where, f'"last-partition-id" {lpi} is below the highest partition field id {max_pid}')

        # sort orders
        orders = need('sort-orders', list, lambda v: len(v) > 0, 'must be a non-empty list') or []
        order_ids = set()
        for i, so in enumerate(orders):
            if not isinstance(so, dict) or not isinstance(so.get('order-id'), int) or not isinstance(so.get('fields'), list):
                self.fail(f'{where}: sort-orders[{i}]', 'needs an int "order-id" and a "fields" list')
                continue
            order_ids.add(so['order-id'])
        self.order_ids = order_ids
        dso = need('default-sort-order-id', int)
        if dso is not None and dso not in order_ids:
            self.fail(where, f'"default-sort-order-id" {dso} is not an order-id of "sort-orders"')

        # snapshots
        snaps = md.get('snapshots', [])
        if not isinstance(snaps, list):
            self.fail(where, '"snapshots" is not a list')
            snaps = []
        self.snapshots = {}
        for i, s in enumerate(snaps):
            sw = f'{where}: snapshots[{i}]'
            if not isinstance(s, dict):
                self.fail(sw, 'not an object')
                continue
            sid = s.get('snapshot-id')
            if not isinstance(sid, int) or isinstance(sid, bool):
                self.fail(sw, f'"snapshot-id" is {sid!r}, not a long')
                continue
            sw = f'{where}: snapshot {sid}'
            if sid in self.snapshots:
                self.fail(sw, 'snapshot-id appears twice')
            seq = s.get('sequence-number')
            if not isinstance(seq, int) or seq < 1:
                self.fail(sw, f'"sequence-number" is {seq!r}, not a long >= 1 (required in v2)')
            elif lsn is not None and seq > lsn:
                self.fail(sw, f'"sequence-number" {seq} is above "last-sequence-number" {lsn}')
            ts = s.get('timestamp-ms')
            if not isinstance(ts, int) or ts <= 0:
                self.fail(sw, f'"timestamp-ms" is {ts!r}')
            elif lum is not None and ts > lum:
                self.fail(sw, f'"timestamp-ms" {ts} is after the table\'s "last-updated-ms" {lum}')
            if not isinstance(s.get('manifest-list'), str):
                self.fail(sw, f'"manifest-list" is {s.get("manifest-list")!r} (required in v2)')
            if 'manifests' in s:
                self.fail(sw, '"manifests" must be omitted in v2 (use "manifest-list")')
            summ = s.get('summary')
            if not isinstance(summ, dict) or summ.get('operation') not in OPERATIONS:
                self.fail(sw, f'"summary.operation" is {summ.get("operation") if isinstance(summ, dict) else summ!r}, '
                              f'not one of {sorted(OPERATIONS)}')
            if 'schema-id' in s and s['schema-id'] not in self.schemas:
                self.fail(sw, f'"schema-id" {s["schema-id"]} is not in "schemas"')
            self.snapshots[sid] = s
        for sid, s in self.snapshots.items():
            parent = s.get('parent-snapshot-id')
            if parent is not None and parent in self.snapshots:
                pseq, seq = self.snapshots[parent].get('sequence-number'), s.get('sequence-number')
                if isinstance(pseq, int) and isinstance(seq, int) and seq <= pseq:
                    self.fail(f'{where}: snapshot {sid}', f'"sequence-number" {seq} is not above its parent\'s {pseq}')

        cur = md.get('current-snapshot-id')
        if cur in (None, -1):
            if self.snapshots:
                self.fail(where, f'"current-snapshot-id" is {cur!r} though there are snapshots')
            cur = None
        elif cur not in self.snapshots:
            self.fail(where, f'"current-snapshot-id" {cur} is not in "snapshots"')
        self.current = cur

        refs = md.get('refs')
        if cur is not None:
            main = refs.get('main') if isinstance(refs, dict) else None
            if not isinstance(main, dict):
                self.fail(where, '"refs.main" missing (the main branch must point at current-snapshot-id)')
            else:
                if main.get('snapshot-id') != cur:
                    self.fail(where, f'"refs.main.snapshot-id" {main.get("snapshot-id")!r} != "current-snapshot-id" {cur}')
                if main.get('type') != 'branch':
                    self.fail(where, f'"refs.main.type" is {main.get("type")!r}, not "branch"')
        if isinstance(refs, dict):
            for name, r in refs.items():
                if not isinstance(r, dict) or r.get('snapshot-id') not in self.snapshots:
                    self.fail(where, f'ref "{name}" points at {r.get("snapshot-id") if isinstance(r, dict) else r!r}, not a snapshot')
                elif r.get('type') not in ('branch', 'tag'):
                    self.fail(where, f'ref "{name}" has type {r.get("type")!r}')
        elif refs is not None:
            self.fail(where, '"refs" is not an object')

        log = md.get('snapshot-log')
        if self.snapshots or log is not None:
            if not isinstance(log, list):
                self.fail(where, '"snapshot-log" missing or not a list')
            else:
                for i, e in enumerate(log):
                    if not isinstance(e, dict) or not isinstance(e.get('snapshot-id'), int) or not isinstance(e.get('timestamp-ms'), int):
                        self.fail(f'{where}: snapshot-log[{i}]', 'needs "snapshot-id" and "timestamp-ms"')
                if cur is not None and (not log or not isinstance(log[-1], dict) or log[-1].get('snapshot-id') != cur):
                    self.fail(where, f'the last "snapshot-log" entry is not the current snapshot {cur}')
        mlog = md.get('metadata-log')
        if mlog is not None:
            if not isinstance(mlog, list):
                self.fail(where, '"metadata-log" is not a list')
            else:
                for i, e in enumerate(mlog):
                    if not isinstance(e, dict) or not isinstance(e.get('metadata-file'), str) or not isinstance(e.get('timestamp-ms'), int):
                        self.fail(f'{where}: metadata-log[{i}]', 'needs "metadata-file" and "timestamp-ms"')
        props = md.get('properties')
        if props is not None and (not isinstance(props, dict) or not all(isinstance(v, str) for v in props.values())):
            self.fail(where, '"properties" must be a string-to-string map')

    def check_struct_json(self, struct_type, where, ids):
        fields = struct_type.get('fields')
        if not isinstance(fields, list):
            self.fail(where, 'struct without a "fields" list')
            return
        for f in fields:
            if not isinstance(f, dict):
                self.fail(where, f'field {f!r} is not an object')
                continue
            fw = f'{where}: field {f.get("name")!r}'
            fid = f.get('id')
            if not isinstance(fid, int) or isinstance(fid, bool):
                self.fail(fw, f'"id" is {fid!r}, not an int')
            elif fid in ids:
                self.fail(fw, f'field id {fid} is used twice in the schema')
            else:
                ids[fid] = f.get('type')
            if not isinstance(f.get('name'), str):
                self.fail(fw, '"name" is not a string')
            if not isinstance(f.get('required'), bool):
                self.fail(fw, f'"required" is {f.get("required")!r}, not a boolean')
            self.check_type_json(f.get('type'), fw, ids)

    def check_type_json(self, t, where, ids):
        if isinstance(t, str):
            if not (t in ('boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz',
                          'string', 'uuid', 'binary')
                    or re.fullmatch(r'fixed\[\d+\]', t) or re.fullmatch(r'decimal\(\s*\d+\s*,\s*\d+\s*\)', t)):
                self.fail(where, f'type {t!r} is not an Iceberg v2 type')
            m = re.fullmatch(r'decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)', t)
            if m and not (1 <= int(m.group(1)) <= 38 and int(m.group(2)) <= int(m.group(1))):
                self.fail(where, f'{t}: precision must be 1..38 and scale <= precision')
            return
        if not isinstance(t, dict):
            self.fail(where, f'type {t!r} is neither a string nor an object')
            return
        kind = t.get('type')
        if kind == 'struct':
            self.check_struct_json(t, where, ids)
        elif kind == 'list':
            for k, typ in (('element-id', int), ('element-required', bool)):
                if not isinstance(t.get(k), typ):
                    self.fail(where, f'list "{k}" is {t.get(k)!r}')
            eid = t.get('element-id')
            if isinstance(eid, int):
                if eid in ids:
                    self.fail(where, f'element-id {eid} is used twice in the schema')
                ids[eid] = t.get('element')
            self.check_type_json(t.get('element'), where + '.element', ids)
        elif kind == 'map':
            for k, typ in (('key-id', int), ('value-id', int), ('value-required', bool)):
                if not isinstance(t.get(k), typ):
                    self.fail(where, f'map "{k}" is {t.get(k)!r}')
            for k, sub in (('key-id', 'key'), ('value-id', 'value')):
                if isinstance(t.get(k), int):
                    if t[k] in ids:
                        self.fail(where, f'{k} {t[k]} is used twice in the schema')
                    ids[t[k]] = t.get(sub)
                self.check_type_json(t.get(sub), f'{where}.{sub}', ids)
        else:
            self.fail(where, f'nested type {kind!r} is not struct, list or map')

    # -- Avro schema checks ----------------------------------------------------
    def check_avro_record(self, avro_type, spec_fields, where, names, partition_fields=None):
        """avro_type: the raw JSON of a record schema.  spec_fields: [F]."""
        rec = self.resolve(avro_type, names)
        if not isinstance(rec, dict) or rec.get('type') != 'record':
            self.fail(where, f'is {type_str(avro_type)}, not a record')
            return
        self.register(rec, names)
        by_name = {}
        for f in rec.get('fields', []):
            by_name[f.get('name')] = f
        by_id = {}
        for f in rec.get('fields', []):
            fid = f.get('field-id')
            if fid is None:
                self.fail(f'{where}.{f.get("name")}', 'no "field-id" attribute')
            elif fid in by_id:
                self.fail(f'{where}.{f.get("name")}', f'field-id {fid} also on {by_id[fid].get("name")}')
            else:
                by_id[fid] = f
        for fid, name in (DATA_FILE_FORBIDDEN.items() if spec_fields is DATA_FILE_FIELDS else []):
            if name in by_name or fid in by_id:
                self.fail(f'{where}.{name}', f'field {fid} {name} must not be written in v2')
        for sf in spec_fields:
            fw = f'{where}.{sf.name}'
            f = by_name.get(sf.name)
            if f is None:
                if sf.id in by_id:
                    self.fail(fw, f'missing; field-id {sf.id} is on a field named {by_id[sf.id].get("name")!r}')
                elif sf.required:
                    self.fail(fw, f'missing (field {sf.id} is required in v2)')
                continue
            if f.get('field-id') != sf.id:
                self.fail(fw, f'field-id is {f.get("field-id")!r}, the spec says {sf.id}')
            t = self.resolve(f.get('type'), names)
            if isinstance(t, list):
                if sf.required:
                    self.fail(fw, f'is optional ({type_str(t)}) but required in v2')
                if len(t) != 2 or t[0] != 'null':
                    self.fail(fw, f'optional field must be a union ["null", T], is {type_str(t)}')
                    inner = next((x for x in t if x != 'null'), None)
                else:
                    inner = t[1]
                if 'default' not in f or f['default'] is not None:
                    self.fail(fw, 'optional field must have "default": null')
            else:
                inner = t
            if inner is not None:
                self.check_avro_type(inner, sf, fw, names, partition_fields)

    def check_avro_type(self, t, sf, where, names, partition_fields):
        t = self.resolve(t, names)
        kind = sf.type
        if isinstance(kind, str):
            got = prim(t)
            if got != kind:
                self.fail(where, f'type is {type_str(t)}, the spec says {kind}')
            return
        if kind[0] == 'record':
            self.check_avro_record(t, kind[1], where, names, partition_fields)
        elif kind[0] == 'partition':
            rec = t
            if not isinstance(rec, dict) or rec.get('type') != 'record':
                self.fail(where, f'is {type_str(t)}, not a record')
                return
            self.register(rec, names)
            got = [(f.get('name'), f.get('field-id')) for f in rec.get('fields', [])]
            if partition_fields is not None:
                want = [(pf.get('name'), pf.get('field-id')) for pf in partition_fields]
                if [g[1] for g in got] != [w[1] for w in want]:
                    self.fail(where, f'partition struct field ids {[g[1] for g in got]} != partition spec field ids {[w[1] for w in want]}')
            for f in rec.get('fields', []):
                ft = self.resolve(f.get('type'), names)
                if not (isinstance(ft, list) and 'null' in ft):
                    self.fail(f'{where}.{f.get("name")}', 'partition fields must be optional')
        elif kind[0] == 'map':
            _, kid, vid, ktype, vtype = kind
            if isinstance(t, dict) and t.get('type') == 'map':
                self.fail(where, 'uses Avro map; int-keyed maps must be an array of key/value records with logicalType "map"')
                return
            if not isinstance(t, dict) or t.get('type') != 'array':
                self.fail(where, f'is {type_str(t)}, not an array of key/value records')
                return
            if t.get('logicalType') != 'map':
                self.fail(where, f'map array has logicalType {t.get("logicalType")!r}, not "map"')
            items = self.resolve(t.get('items'), names)
            if not isinstance(items, dict) or items.get('type') != 'record' or len(items.get('fields', [])) != 2:
                self.fail(where, f'map items are {type_str(items)}, not a 2-field key/value record')
                return
            self.register(items, names)
            k, v = items['fields']
            for f, want_id, want_type, role in ((k, kid, ktype, 'key'), (v, vid, vtype, 'value')):
                if f.get('name') != role:
                    self.fail(where, f'map {role} field is named {f.get("name")!r}, not {role!r}')
                if f.get('field-id') != want_id:
                    self.fail(f'{where}.{role}', f'field-id is {f.get("field-id")!r}, the spec says {want_id}')
                ft = self.resolve(f.get('type'), names)
                if role == 'value' and isinstance(ft, list) and len(ft) == 2 and ft[0] == 'null':
                    ft = ft[1]  # map values may be optional
                if prim(ft) != want_type:
                    self.fail(f'{where}.{role}', f'type is {type_str(ft)}, the spec says {want_type}')
        elif kind[0] == 'list':
            _, eid, etype = kind
            if not isinstance(t, dict) or t.get('type') != 'array':
                self.fail(where, f'is {type_str(t)}, not an array')
                return
            if t.get('element-id') != eid:
                self.fail(where, f'element-id is {t.get("element-id")!r}, the spec says {eid}')
            items = self.resolve(t.get('items'), names)
            if isinstance(etype, tuple):
                self.check_avro_record(items, etype[1], where + '[]', names)
            elif prim(items) != etype:
                self.fail(where + '[]', f'element type is {type_str(items)}, the spec says {etype}')

    def register(self, t, names):
        if isinstance(t, dict) and t.get('type') in ('record', 'fixed', 'enum') and 'name' in t:
            names[t['name']] = t
            if t.get('namespace'):
                names[f'{t["namespace"]}.{t["name"]}'] = t

    def resolve(self, t, names):
        if isinstance(t, str) and t not in PRIMITIVES and t in names:
            return names[t]
        return t

    # -- Avro files --------------------------------------------------------------
    def open_avro(self, lp, where):
        try:
            f = open(lp, 'rb')
            reader = avro.datafile.DataFileReader(f, avro.io.DatumReader())
        except Exception as e:  # noqa: BLE001 - any decoding problem is a failure
            self.fail(where, f'cannot read as an Avro data file: {e}')
            return None, None, None
        meta = {k: v.decode('utf-8', 'replace') for k, v in reader.meta.items()}
        try:
            raw_schema = json.loads(meta.get('avro.schema', ''))
        except ValueError as e:
            self.fail(where, f'avro.schema metadata is not JSON: {e}')
            raw_schema = None
        return reader, meta, raw_schema

    def check_manifest_list(self, snap):
        sid = snap['snapshot-id']
        path = snap.get('manifest-list')
        where0 = f'snapshot {sid}'
        if not isinstance(path, str):
            return
        lp = self.existing(path, where0, 'manifest list')
        if lp is None:
            return
        where = self.rel(lp)
        reader, meta, raw = self.open_avro(lp, where)
        if reader is None:
            return
        # key-value metadata: Java's convention (ManifestListWriter), which
        # other readers rely on to identify the list.
        parent = snap.get('parent-snapshot-id')
        want = {
            'snapshot-id': str(sid),
            'parent-snapshot-id': str(parent) if parent is not None else 'null',
            'sequence-number': str(snap.get('sequence-number')),
            'format-version': '2',
        }
        for k, v in want.items():
            if k not in meta:
                self.fail(where, f'file metadata key "{k}" missing (want {v!r})')
            elif meta[k] != v and not (k == 'parent-snapshot-id' and parent is None and meta[k] in ('', 'null')):
                self.fail(where, f'file metadata "{k}" is {meta[k]!r}, want {v!r}')
        if raw is not None:
            self.check_avro_record(raw, MANIFEST_FILE_FIELDS, f'{where}: schema: manifest_file', {})
        try:
            records = list(reader)
        except Exception as e:  # noqa: BLE001
            self.fail(where, f'cannot decode records: {e}')
            return
        finally:
            reader.close()
        seen = set()
        live = {}
        seq = snap.get('sequence-number')
        for i, mf in enumerate(records):
            mw = f'{where}: manifest_file[{i}]'
            mpath = mf.get('manifest_path')
            if mpath in seen:
                self.fail(mw, f'{mpath} is listed twice')
            seen.add(mpath)
            for sf in MANIFEST_FILE_FIELDS:
                if sf.required and mf.get(sf.name) is None:
                    self.fail(mw, f'{sf.name} is null (required in v2)')
            spec_id = mf.get('partition_spec_id')
            if spec_id is not None and spec_id not in self.specs:
                self.fail(mw, f'partition_spec_id {spec_id} is not in "partition-specs"')
            content = mf.get('content')
            if content not in (0, 1):
                self.fail(mw, f'content is {content!r}, not 0 (data) or 1 (deletes)')
            mseq = mf.get('sequence_number')
            if isinstance(mseq, int) and isinstance(seq, int):
                if mseq > seq:
                    self.fail(mw, f'sequence_number {mseq} is above the snapshot\'s {seq}')
                if mf.get('added_snapshot_id') == sid and mseq != seq:
                    self.fail(mw, f'added by this snapshot but sequence_number {mseq} != snapshot sequence-number {seq}')
            if isinstance(mf.get('min_sequence_number'), int) and isinstance(mseq, int) and mf['min_sequence_number'] > mseq:
                self.fail(mw, f'min_sequence_number {mf["min_sequence_number"]} > sequence_number {mseq}')
            # a manifest of an expired snapshot stays listed while its files
            # are live (expire_snapshots keeps it): its sequence number is
            # then below every snapshot the metadata still has
            added_by = mf.get('added_snapshot_id')
            kept_seqs = [x.get('sequence-number') for x in self.snapshots.values()
                         if isinstance(x.get('sequence-number'), int)]
            if added_by is not None and added_by not in self.snapshots and \
                    not (isinstance(mseq, int) and kept_seqs and mseq < min(kept_seqs)):
                self.fail(mw, f'added_snapshot_id {added_by} is not a snapshot in the metadata '
                              f'(nor an expired one, older than every snapshot kept)')
            if mf.get('partitions') is not None and spec_id in self.specs and \
                    len(mf['partitions']) != len(self.specs[spec_id]['fields']):
                self.fail(mw, f'{len(mf["partitions"])} partition field summaries for a spec with '
                              f'{len(self.specs[spec_id]["fields"])} fields')
            mlp = self.existing(mpath, mw, 'manifest')
            if mlp is None:
                continue
            size = os.path.getsize(mlp)
            if mf.get('manifest_length') != size:
                self.fail(mw, f'manifest_length {mf.get("manifest_length")} != size of {self.rel(mlp)} on disk ({size})')
            entries = self.read_manifest(mlp, mf)
            if entries is None:
                continue
            self.check_counts(mf, entries, mw)
            for e in entries:
                # sequence-number inheritance for ADDED entries (spec)
                eseq = e.get('sequence_number')
                if eseq is None and e.get('status') == 1:
                    eseq = mseq
                df = e.get('data_file') or {}
                if isinstance(eseq, int) and isinstance(mseq, int) and eseq > mseq:
                    self.fail(f'{self.rel(mlp)}: {df.get("file_path")}',
                              f'data sequence number {eseq} is above the manifest\'s {mseq}')
                if e.get('status') in (0, 1):
                    fp = df.get('file_path')
                    if fp in live:
                        self.fail(where, f'{fp} is live in two entries ({live[fp]} and {self.rel(mlp)})')
                    live[fp] = self.rel(mlp)
            live_seqs = [(e.get('sequence_number') if e.get('sequence_number') is not None else mseq)
                         for e in entries if e.get('status') in (0, 1)]
            live_seqs = [s for s in live_seqs if isinstance(s, int)]
            if live_seqs and isinstance(mf.get('min_sequence_number'), int) and mf['min_sequence_number'] != min(live_seqs):
                self.fail(mw, f'min_sequence_number {mf["min_sequence_number"]} != lowest data sequence number '
                              f'of its live files ({min(live_seqs)})')
        self.check_summary(snap, records, where)

    def check_counts(self, mf, entries, mw):
        by_status = {0: [], 1: [], 2: []}
        for e in entries:
            if e.get('status') in by_status:
                by_status[e['status']].append(e)
        for status, files_key, rows_key in ((1, 'added_files_count', 'added_rows_count'),
                                            (0, 'existing_files_count', 'existing_rows_count'),
                                            (2, 'deleted_files_count', 'deleted_rows_count')):
            n = len(by_status[status])
            rows = sum((e.get('data_file') or {}).get('record_count') or 0 for e in by_status[status])
            if mf.get(files_key) is not None and mf[files_key] != n:
                self.fail(mw, f'{files_key} {mf[files_key]} != {n} entries with status {status} in the manifest')
            if mf.get(rows_key) is not None and mf[rows_key] != rows:
                self.fail(mw, f'{rows_key} {mf[rows_key]} != {rows} records in entries with status {status}')

    def check_summary(self, snap, records, where):
        """Optional summary metrics (Appendix F): when present they must match."""
        summ = snap.get('summary') or {}
        sid = snap['snapshot-id']
        total_files = total_records = added_files = added_records = deleted_files = deleted_records = 0
        for mf in records:
            lp = self.local_quiet(mf.get('manifest_path'))
            entries = self.manifests_read.get(lp)
            if not entries or mf.get('content') != 0:
                continue
            for e in entries:
                df = e.get('data_file') or {}
                rc = df.get('record_count') or 0
                esid = e.get('snapshot_id') if e.get('snapshot_id') is not None else mf.get('added_snapshot_id')
                if e.get('status') in (0, 1):
                    total_files += 1
                    total_records += rc
                if e.get('status') == 1 and esid == sid:
                    added_files += 1
                    added_records += rc
                if e.get('status') == 2 and esid == sid:
                    deleted_files += 1
                    deleted_records += rc
        # the oldest snapshot kept may have deleted files of expired
        # snapshots: manifests written again since (a new location) no
        # longer list them, while its summary still says what it did
        seqs = [x.get('sequence-number') for x in self.snapshots.values()
                if isinstance(x.get('sequence-number'), int)]
        oldest = seqs and snap.get('sequence-number') == min(seqs)
        for key, val in (('total-data-files', total_files), ('total-records', total_records),
                         ('added-data-files', added_files), ('added-records', added_records),
                         ('deleted-data-files', deleted_files), ('deleted-records', deleted_records)):
            if key.startswith('deleted-') and oldest and key in summ and int(summ[key]) >= val:
                continue
            if key in summ and str(summ[key]) != str(val):
                self.fail(f'{where}', f'snapshot {sid} summary "{key}" is {summ[key]!r}, the manifests say {val}')

    def local_quiet(self, path):
        if not isinstance(path, str):
            return None
        for prefix, is_uri in self.prefixes:
            if path == prefix or path.startswith(prefix + '/'):
                rest = path[len(prefix):]
                return self.table_dir + (urllib.parse.unquote(rest) if is_uri else rest)
        if path.startswith('file:'):
            return urllib.parse.unquote(urllib.parse.urlparse(path).path)
        return None

    def read_manifest(self, lp, mf):
        if lp in self.manifests_read:
            return self.manifests_read[lp]
        self.manifests_read[lp] = None
        where = self.rel(lp)
        reader, meta, raw = self.open_avro(lp, where)
        if reader is None:
            return None
        # key-value metadata (spec "Manifests")
        for k in ('schema', 'schema-id', 'partition-spec', 'partition-spec-id', 'format-version', 'content'):
            if k not in meta:
                self.fail(where, f'file metadata key "{k}" missing (required in v2)')
        if 'format-version' in meta and meta['format-version'] != '2':
            self.fail(where, f'file metadata "format-version" is {meta["format-version"]!r}, not "2"')
        want_content = {0: 'data', 1: 'deletes'}.get(mf.get('content'))
        if 'content' in meta and meta['content'] != want_content:
            self.fail(where, f'file metadata "content" is {meta["content"]!r}, the manifest list says {want_content!r}')
        if 'schema-id' in meta:
            try:
                msid = int(meta['schema-id'])
                if msid not in self.schemas:
                    self.fail(where, f'file metadata "schema-id" {msid} is not in the table\'s "schemas"')
            except ValueError:
                self.fail(where, f'file metadata "schema-id" {meta["schema-id"]!r} is not an integer')
                msid = None
        else:
            msid = None
        schema_ids = {}
        if 'schema' in meta:
            try:
                ms = json.loads(meta['schema'])
                if not isinstance(ms, dict) or ms.get('type') != 'struct':
                    self.fail(where, 'file metadata "schema" is not a struct schema')
                else:
                    self.check_struct_json(ms, f'{where}: "schema"', schema_ids)
                    if msid in self.schemas and ms.get('fields') != self.schemas[msid][0].get('fields'):
                        self.fail(where, f'file metadata "schema" differs from the table\'s schema {msid}')
                    if 'schema-id' in ms and msid is not None and ms['schema-id'] != msid:
                        self.fail(where, f'"schema" says schema-id {ms["schema-id"]}, "schema-id" says {msid}')
            except ValueError as e:
                self.fail(where, f'file metadata "schema" is not JSON: {e}')
        if not schema_ids and msid in self.schemas:
            schema_ids = self.schemas[msid][1]
        pspec_fields = None
        if 'partition-spec-id' in meta:
            try:
                psid = int(meta['partition-spec-id'])
                if psid != mf.get('partition_spec_id'):
                    self.fail(where, f'file metadata "partition-spec-id" {psid} != manifest list partition_spec_id {mf.get("partition_spec_id")}')
                if psid in self.specs:
                    pspec_fields = self.specs[psid]['fields']
                else:
                    self.fail(where, f'file metadata "partition-spec-id" {psid} is not in "partition-specs"')
            except ValueError:
                self.fail(where, f'file metadata "partition-spec-id" {meta["partition-spec-id"]!r} is not an integer')
        if 'partition-spec' in meta:
            try:
                ps = json.loads(meta['partition-spec'])
                if not isinstance(ps, list):
                    self.fail(where, 'file metadata "partition-spec" is not a JSON list of partition fields')
                elif pspec_fields is not None and ps != pspec_fields:
                    self.fail(where, f'file metadata "partition-spec" {meta["partition-spec"]} != the fields of spec {meta.get("partition-spec-id")}')
            except ValueError as e:
                self.fail(where, f'file metadata "partition-spec" is not JSON: {e}')
        if raw is not None:
            self.check_avro_record(raw, MANIFEST_ENTRY_FIELDS, f'{where}: schema: manifest_entry', {},
                                   partition_fields=pspec_fields)
        try:
            entries = list(reader)
        except Exception as e:  # noqa: BLE001
            self.fail(where, f'cannot decode records: {e}')
            return None
        finally:
            reader.close()
        self.entries += len(entries)
        for i, e in enumerate(entries):
            self.check_entry(e, f'{where}: entry[{i}]', mf, schema_ids)
        self.manifests_read[lp] = entries
        return entries

    def check_entry(self, e, where, mf, schema_ids):
        status = e.get('status')
        if status not in (0, 1, 2):
            self.fail(where, f'status is {status!r}, not 0, 1 or 2')
        if status in (0, 2):
            for k in ('sequence_number', 'file_sequence_number'):
                if e.get(k) is None:
                    self.fail(where, f'{k} is null in an entry with status {status} (only ADDED entries inherit)')
        df = e.get('data_file')
        if not isinstance(df, dict):
            self.fail(where, 'data_file missing')
            return
        fp = df.get('file_path')
        where = f'{where} ({fp})'
        content = df.get('content')
        if mf.get('content') == 0 and content != 0:
            self.fail(where, f'content {content!r} in a data manifest (must be 0)')
        if mf.get('content') == 1 and content not in (1, 2):
            self.fail(where, f'content {content!r} in a delete manifest (must be 1 or 2)')
        if content == 2 and not df.get('equality_ids'):
            self.fail(where, 'equality delete file without equality_ids')
        fmt = df.get('file_format')
        if not isinstance(fmt, str) or fmt.lower() not in FILE_FORMATS:
            self.fail(where, f'file_format {fmt!r} is not one of {sorted(FILE_FORMATS)}')
        rc = df.get('record_count')
        if not isinstance(rc, int) or rc <= 0:
            self.fail(where, f'record_count is {rc!r}, not a positive count')
        size = df.get('file_size_in_bytes')
        if not isinstance(size, int) or size <= 0:
            self.fail(where, f'file_size_in_bytes is {size!r}')
        lp = self.existing(fp, where, 'data file') if status in (0, 1) else None
        if lp is not None:
            disk = os.path.getsize(lp)
            if size != disk:
                self.fail(where, f'file_size_in_bytes {size} != size on disk {disk}')
            if isinstance(fmt, str) and fmt.lower() == 'parquet':
                with open(lp, 'rb') as f:
                    head = f.read(4)
                    f.seek(max(0, disk - 4))
                    tail = f.read(4)
                if head != b'PAR1' or tail != b'PAR1':
                    self.fail(where, 'not a Parquet file (no PAR1 magic at both ends)')
        ref = df.get('referenced_data_file')
        if ref is not None and status in (0, 1):
            self.existing(ref, where, 'referenced_data_file')
        self.check_metrics(df, where, schema_ids, rc)
        offs = df.get('split_offsets')
        if offs:
            if offs != sorted(offs):
                self.fail(where, f'split_offsets {offs} are not ascending')
            if isinstance(size, int) and any(o < 0 or o >= size for o in offs):
                self.fail(where, f'split_offsets {offs} are not inside the file (size {size})')
        so = df.get('sort_order_id')
        if so is not None and so not in self.order_ids:
            self.fail(where, f'sort_order_id {so} is not in "sort-orders"')

    def check_metrics(self, df, where, schema_ids, record_count):
        def as_dict(key):
            v = df.get(key)
            if v is None:
                return {}
            out = {}
            for kv in v:
                k = kv.get('key')
                if k in out:
                    self.fail(where, f'{key} has key {k} twice')
                out[k] = kv.get('value')
            return out

        # Top-level primitive columns have exactly one value per row.
        top = {}
        for sid, (s, ids) in self.schemas.items():
            for f in s.get('fields', []):
                if isinstance(f, dict) and isinstance(f.get('type'), str):
                    top[f.get('id')] = f['type']
        counts = {}
        for key in ('column_sizes', 'value_counts', 'null_value_counts', 'nan_value_counts', 'distinct_counts'):
            d = as_dict(key)
            counts[key] = d
            for k, v in d.items():
                if k not in schema_ids:
                    self.fail(where, f'{key} has key {k}, not a field id of the manifest\'s schema')
                if not isinstance(v, int) or v < 0:
                    self.fail(where, f'{key}[{k}] is {v!r}, not a count >= 0')
        off = [f'{k}: {v}' for k, v in counts['value_counts'].items()
               if k in top and isinstance(record_count, int) and isinstance(v, int) and v != record_count]
        if off:
            self.fail(where, f'value_counts of top-level columns differ from record_count {record_count} '
                             f'({", ".join(off)})')
        for k, v in counts['null_value_counts'].items():
            vc = counts['value_counts'].get(k)
            if isinstance(vc, int) and isinstance(v, int) and v > vc:
                self.fail(where, f'null_value_counts[{k}] {v} > value_counts[{k}] {vc}')
        for k in counts['nan_value_counts']:
            t = schema_ids.get(k)
            if k in schema_ids and t not in ('float', 'double'):
                self.fail(where, f'nan_value_counts has key {k}, a {t!r} column (only float and double have NaN)')
        lower, upper = as_dict('lower_bounds'), as_dict('upper_bounds')
        for key, d in (('lower_bounds', lower), ('upper_bounds', upper)):
            for k, v in d.items():
                if k not in schema_ids:
                    self.fail(where, f'{key} has key {k}, not a field id of the manifest\'s schema')
                    continue
                t = schema_ids[k]
                if not isinstance(t, str):
                    self.fail(where, f'{key} has key {k}, a nested column (bounds are for primitives)')
                    continue
                fmt = BOUND_FORMATS.get(t)
                if fmt and len(v) != fmt[0]:
                    self.fail(where, f'{key}[{k}] has {len(v)} bytes; a {t} bound is {fmt[0]} bytes (Appendix D)')
                if fmt and fmt[1] and fmt[1][1] in 'fd' and len(v) == fmt[0] and math.isnan(struct.unpack(fmt[1], v)[0]):
                    self.fail(where, f'{key}[{k}] is NaN (not allowed as a bound)')
        for k in set(lower) & set(upper):
            t = schema_ids.get(k)
            lo, hi = decode_bound(t, lower[k]), decode_bound(t, upper[k])
            if lo is not None and hi is not None and lo > hi:
                self.fail(where, f'lower_bounds[{k}] {lo!r} > upper_bounds[{k}] {hi!r}')


def decode_bound(t, b):
    if not isinstance(t, str) or not isinstance(b, bytes):
        return None
    fmt = BOUND_FORMATS.get(t)
    if fmt:
        if len(b) != fmt[0]:
            return None
        if fmt[1]:
            return struct.unpack(fmt[1], b)[0]
        return b  # boolean, uuid: unsigned byte order
    m = re.fullmatch(r'decimal\(\s*\d+\s*,\s*(\d+)\s*\)', t)
    if m:
        return int.from_bytes(b, 'big', signed=True) if b else None
    if t in ('string', 'binary') or t.startswith('fixed['):
        return b  # unsigned lexicographic order (also UTF-8 code point order)
    return None


def has_scheme(p):
    return bool(re.match(r'^[A-Za-z][A-Za-z0-9+.-]*:', p))


def prim(t):
    """The primitive name of an Avro type, or None."""
    if isinstance(t, str) and t in PRIMITIVES:
        return t
    if isinstance(t, dict) and t.get('type') in PRIMITIVES and 'logicalType' not in t:
        return t['type']
    return None


def type_str(t):
    return json.dumps(t, default=str)[:200]


def main():
    ap = argparse.ArgumentParser(description='Check an Iceberg v2 table against the spec.')
    ap.add_argument('table_dir')
    ap.add_argument('--prefix', action='append', default=[],
                    help='a path prefix in the metadata that stands for TABLE_DIR (repeatable)')
    ap.add_argument('--metadata', help='metadata file name under TABLE_DIR/metadata (default: from version-hint.text)')
    ap.add_argument('--all-versions', action='store_true', help='also check v1..vN.metadata.json as one history')
    ap.add_argument('--allow-schemeless', action='store_true', help='accept paths without a URI scheme')
    args = ap.parse_args()

    table = os.path.abspath(args.table_dir)
    meta_dir = os.path.join(table, 'metadata')
    ck = Checker(table, args.prefix, args.allow_schemeless)

    hint = None
    if args.metadata:
        name = args.metadata
    else:
        hp = os.path.join(meta_dir, 'version-hint.text')
        try:
            with open(hp) as f:
                text = f.read()
        except OSError as e:
            print(f'metadata/version-hint.text: cannot read: {e.strerror}')
            print('FAILED: table unreadable')
            return 1
        if not re.fullmatch(r'\s*\d+\s*', text):
            print(f'metadata/version-hint.text: {text!r} is not a version number')
            print('FAILED: table unreadable')
            return 1
        hint = int(text)
        name = f'v{hint}.metadata.json'
    mp = os.path.join(meta_dir, name)
    try:
        with open(mp) as f:
            md = json.load(f)
    except (OSError, ValueError) as e:
        print(f'metadata/{name}: cannot read as JSON: {e}')
        print('FAILED: table unreadable')
        return 1
    if not isinstance(md, dict):
        print(f'metadata/{name}: not a JSON object')
        print('FAILED: table unreadable')
        return 1

    if args.all_versions and hint is not None:
        check_history(ck, meta_dir, hint, table)

    ck.check_metadata(md, f'metadata/{name}')
    for sid, snap in ck.snapshots.items():
        ck.check_manifest_list(snap)

    n = len([v for v in ck.manifests_read.values() if v is not None])
    if ck.failures:
        print(f'FAILED: {ck.failures} problems ({n} manifests, {ck.entries} entries)')
        return 1
    print(f'ok: {n} manifests, {ck.entries} entries')
    return 0


def check_history(ck, meta_dir, last, table):
    """v1..v<last> as one linear history (spec "File System Tables")."""
    prev = None
    for v in range(1, last + 1):
        name = f'v{v}.metadata.json'
        where = f'metadata/{name}'
        try:
            with open(os.path.join(meta_dir, name)) as f:
                md = json.load(f)
        except (OSError, ValueError) as e:
            ck.fail(where, f'cannot read as JSON: {e}')
            prev = None
            continue
        if v < last:  # the newest one is checked by main()
            sub = Checker(table, [p for p, _ in ck.prefixes], ck.allow_schemeless)
            sub.fail = ck.fail  # report through the main checker
            sub.check_metadata(md, where)
        if prev is not None:
            pw = where
            if md.get('table-uuid') != prev.get('table-uuid'):
                ck.fail(pw, f'table-uuid {md.get("table-uuid")!r} differs from v{v - 1}\'s {prev.get("table-uuid")!r}')
            if isinstance(md.get('last-sequence-number'), int) and isinstance(prev.get('last-sequence-number'), int) \
                    and md['last-sequence-number'] < prev['last-sequence-number']:
                ck.fail(pw, f'last-sequence-number went down from {prev["last-sequence-number"]} to {md["last-sequence-number"]}')
            if isinstance(md.get('last-updated-ms'), int) and isinstance(prev.get('last-updated-ms'), int) \
                    and md['last-updated-ms'] < prev['last-updated-ms']:
                ck.fail(pw, 'last-updated-ms went down')
            logged = [e.get('metadata-file', '') for e in md.get('metadata-log', []) or [] if isinstance(e, dict)]
            if not any(isinstance(x, str) and x.endswith(f'/v{v - 1}.metadata.json') for x in logged):
                ck.fail(pw, f'metadata-log does not name v{v - 1}.metadata.json')
        prev = md


if __name__ == '__main__':
    sys.exit(main())
