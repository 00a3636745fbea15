# spillpool: PGXS build
EXTENSION = spillpool
MODULE_big = spillpool
DATA = sql/spillpool--0.1.sql sql/spillpool--0.1--0.2.sql
PGFILEDESC = "spillpool - spill-backed append-only tables"

OBJS = \
	src/spillpool.o \
	src/options.o \
	src/compress.o \
	src/memtable.o \
	src/segment.o \
	src/pending.o \
	src/xact.o \
	src/tableam.o \
	src/storage.o \
	src/bgworker.o \
	src/functions.o \
	src/parquet_read.o \
	src/read_parquet.o \
	src/parquet_write.o \
	src/manifest.o \
	src/shard_write.o \
	src/shard_read.o \
	src/flush.o \
	src/customscan.o \
	src/repair.o

REGRESS = setup types append_only functions limits privileges cleanup read_parquet flush compressed_values
REGRESS_OPTS = --temp-config=$(srcdir)/test/spillpool.conf --temp-instance=./tmp_check
ISOLATION = visibility savepoint repeatable_read commit_order serializable flush
ISOLATION_OPTS = --inputdir=$(srcdir)/test/isolation --temp-config=$(srcdir)/test/spillpool.conf --temp-instance=./tmp_check_iso
TAP_TESTS = 1
PROVE_TESTS = test/t/*.pl

SHLIB_LINK += -llz4 -lzstd
PG_CFLAGS += -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare -Wno-cast-function-type

EXTRA_CLEAN = tmp_check tmp_check_iso output_iso results regression.diffs regression.out log

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# every object depends on the shared header
$(OBJS): src/spillpool.h
