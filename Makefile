# spillpool: PGXS build
EXTENSION = spillpool
MODULE_big = spillpool
DATA = sql/spillpool--0.1.sql sql/spillpool--0.1--0.2.sql sql/spillpool--0.2--0.3.sql sql/spillpool--0.3--0.4.sql sql/spillpool--0.4--0.5.sql sql/spillpool--0.5--0.6.sql
PGFILEDESC = "spillpool - spill-backed append-only tables"

OBJS = \
	src/spillpool.o \
	src/parquet/parquet_encoding.o \
	src/parquet/parquet_error.o \
	src/parquet/parquet_read.o \
	src/parquet/parquet_read_chunk.o \
	src/parquet/parquet_read_codec.o \
	src/parquet/parquet_read_footer.o \
	src/parquet/parquet_read_values.o \
	src/parquet/parquet_thrift.o \
	src/parquet/parquet_write.o \
	src/parquet/parquet_write_chunk.o \
	src/parquet/parquet_write_values.o \
	src/tier/compress.o \
	src/tier/fault.o \
	src/tier/manifest.o \
	src/tier/memtable.o \
	src/tier/options.o \
	src/tier/pending.o \
	src/tier/position.o \
	src/tier/segment.o \
	src/tier/storage.o \
	src/tier/visibility.o \
	src/shard/compact.o \
	src/shard/convert.o \
	src/shard/expire.o \
	src/shard/flush.o \
	src/shard/retention.o \
	src/shard/shard_read.o \
	src/shard/shard_write.o \
	src/am/aggplan.o \
	src/am/aggscan.o \
	src/am/arrayqual.o \
	src/am/consumer.o \
	src/am/customscan.o \
	src/am/functions.o \
	src/am/hooks.o \
	src/am/read_parquet.o \
	src/am/repair.o \
	src/am/scan.o \
	src/am/tail.o \
	src/am/tableam.o \
	src/am/xact.o \
	src/iceberg/iceberg.o \
	src/iceberg/iceberg_avro.o \
	src/vector/distance.o \
	src/vector/hnsw.o \
	src/vector/knn.o \
	src/vector/shard_index.o \
	src/worker/bgworker.o

REGRESS = setup types append_only functions limits privileges cleanup read_parquet flush compressed_values aggregates parallel tail compact lifecycle vectors parquet_lists knn
REGRESS_OPTS = --temp-config=$(srcdir)/test/spillpool.conf --temp-instance=./tmp_check
ISOLATION = visibility savepoint repeatable_read commit_order serializable flush aggregate parallel tail consume
ISOLATION_OPTS = --inputdir=$(srcdir)/test/isolation --temp-config=$(srcdir)/test/spillpool.conf --temp-instance=./tmp_check_iso
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

PG_CPPFLAGS += -I$(srcdir)/src
SHLIB_LINK += -llz4 -lzstd -lz -lbrotlidec -lavro
PG_CFLAGS += -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -Wno-cast-function-type

EXTRA_CLEAN = tmp_check tmp_check_iso output_iso results regression.diffs regression.out log

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every object depends on the headers (a few dozen lines each)
$(OBJS): $(wildcard $(srcdir)/src/*.h $(srcdir)/src/*/*.h)
