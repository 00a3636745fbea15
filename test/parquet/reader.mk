# reader.mk
#	Standalone build and tests of the Parquet reader (src/parquet/parquet_read.c),
#	without PostgreSQL.  Works from the repository root or test/parquet:
#
#	make -f test/parquet/reader.mk            # build and run reader_test
#	make -f test/parquet/reader.mk check-asan # the same under ASan/UBSan
#	make -f test/parquet/reader.mk fuzz FUZZ_TIME=600 FUZZ_JOBS=2
#	make -f test/parquet/reader.mk coverage   # line coverage of parquet_read.c
#	make -f test/parquet/reader.mk clean
#
# Binaries go to test/parquet/reader_build/, which ignores itself in git.

HERE := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
SRC := $(abspath $(HERE)/../../src/parquet)
BUILD := $(HERE)/reader_build
CORPUS := $(HERE)/reader_corpus

CC ?= cc
CLANG ?= clang
CFLAGS_READER := -std=c11 -Wall -Wextra -Werror -O2 -I$(SRC)
CFLAGS_SAN := -std=c11 -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all -I$(SRC)
LIBS := -llz4 -lzstd

FUZZ_TIME ?= 600
FUZZ_JOBS ?= 2
FUZZ_RSS_MB ?= 2048

READER_SRC := $(SRC)/parquet_read.c
READER_DEPS := $(READER_SRC) $(SRC)/parquet_read.h $(SRC)/parquet_format.h

LLVM_PROFDATA ?= llvm-profdata
LLVM_COV ?= llvm-cov

.PHONY: all check check-asan fuzz fuzz-build lz4-tool coverage clean

all: check

$(BUILD)/.dir:
	mkdir -p $(BUILD)
	echo '*' > $(BUILD)/.gitignore
	touch $@

$(BUILD)/reader_test: $(HERE)/reader_test.c $(HERE)/test_md5.h $(READER_DEPS) $(BUILD)/.dir
	$(CC) $(CFLAGS_READER) -o $@ $(HERE)/reader_test.c $(READER_SRC) $(LIBS) -lm

$(BUILD)/reader_test_asan: $(HERE)/reader_test.c $(HERE)/test_md5.h $(READER_DEPS) $(BUILD)/.dir
	$(CLANG) $(CFLAGS_SAN) -o $@ $(HERE)/reader_test.c $(READER_SRC) $(LIBS) -lm

$(BUILD)/fuzz_reader: $(HERE)/fuzz_reader.c $(READER_DEPS) $(BUILD)/.dir
	$(CLANG) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -I$(SRC) -o $@ $(HERE)/fuzz_reader.c $(READER_SRC) $(LIBS)

$(BUILD)/reader_lz4_hadoop: $(HERE)/reader_lz4_hadoop.c $(BUILD)/.dir
	$(CC) -std=c11 -Wall -Wextra -Werror -O2 -o $@ $< -llz4

lz4-tool: $(BUILD)/reader_lz4_hadoop

check: $(BUILD)/reader_test
	$(BUILD)/reader_test $(CORPUS)

check-asan: $(BUILD)/reader_test_asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(BUILD)/reader_test_asan $(CORPUS)

fuzz-build: $(BUILD)/fuzz_reader

# The seed corpus is copied so that libFuzzer's additions stay out of git;
# crashes land in $(BUILD)/fuzz_artifacts/.
fuzz: $(BUILD)/fuzz_reader
	mkdir -p $(BUILD)/fuzz_corpus $(BUILD)/fuzz_artifacts
	cp $(CORPUS)/*.parquet $(BUILD)/fuzz_corpus/
	if [ -d $(CORPUS)/fuzz_regressions ]; then cp $(CORPUS)/fuzz_regressions/* $(BUILD)/fuzz_corpus/; fi
	cd $(BUILD) && ./fuzz_reader -max_total_time=$(FUZZ_TIME) -rss_limit_mb=$(FUZZ_RSS_MB) \
		-timeout=10 -jobs=$(FUZZ_JOBS) -workers=$(FUZZ_JOBS) -print_final_stats=1 \
		-artifact_prefix=$(BUILD)/fuzz_artifacts/ $(BUILD)/fuzz_corpus

# Line coverage of the reader by reader_test plus the fuzz corpus (the
# fixtures, and whatever an earlier "make fuzz" added).
coverage: $(BUILD)/.dir
	$(CLANG) -std=c11 -O1 -fprofile-instr-generate -fcoverage-mapping -I$(SRC) \
		-o $(BUILD)/reader_test_cov $(HERE)/reader_test.c $(READER_SRC) $(LIBS) -lm
	$(CLANG) -std=c11 -O1 -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping -I$(SRC) \
		-o $(BUILD)/fuzz_reader_cov $(HERE)/fuzz_reader.c $(READER_SRC) $(LIBS)
	rm -f $(BUILD)/cov-*.profraw
	LLVM_PROFILE_FILE=$(BUILD)/cov-test.profraw $(BUILD)/reader_test_cov $(CORPUS) > /dev/null
	mkdir -p $(BUILD)/fuzz_corpus
	LLVM_PROFILE_FILE=$(BUILD)/cov-fuzz.profraw $(BUILD)/fuzz_reader_cov -runs=0 \
		$(BUILD)/fuzz_corpus $(CORPUS) 2> /dev/null
	$(LLVM_PROFDATA) merge -sparse -o $(BUILD)/cov.profdata $(BUILD)/cov-*.profraw
	$(LLVM_COV) report $(BUILD)/reader_test_cov -object $(BUILD)/fuzz_reader_cov \
		-instr-profile=$(BUILD)/cov.profdata $(READER_SRC)

clean:
	rm -rf $(BUILD)
