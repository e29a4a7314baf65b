# descent — hand-written Makefile (after redis's and Lua's).
#
#   make             build ./descent
#   make test        build and run the Criterion suites (unit and end to end)
#   make test-asan   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make test-slurm  (root, Debian) the README's cluster recipe on a single-node Slurm
#                    cluster set up by ../shared/tools/slurm-single-node.sh (tests/slurm/)
#   make demo        the main job on the bundled data
#   make fuzz        libFuzzer over parse + check + minimize, then over the data loaders,
#                    then over the checkpoint and safetensors readers
#                    (clang; FUZZ_SECONDS each, default 60)
#   make bench       benchmarks (bench/RESULTS.md holds the figures); BENCH_QUICK=1 make bench:
#                    the side-by-side table only, on a short setting
#   make examples    rerun every example and regenerate its pictures
#   make install     install the binary, man page, docs, examples and editor files under
#                    $(DESTDIR)$(PREFIX) (PREFIX=/usr/local by default); make uninstall
#   make clean
#
# Objects and generated lexer/parser files go to $(BUILD); SANITIZE=address adds ASan and
# UBSan; WERROR=1 (CI) turns warnings into errors.

CC       ?= cc
BUILD    ?= build
BIN      ?= descent
OPT      ?= -O3
SANITIZE ?=
WERROR   ?= 0
FLEX     ?= flex
BISON    ?= bison

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
        -Wcast-qual -Wwrite-strings -Wundef -Wformat=2 -Wvla -Wnull-dereference -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN += -Werror
endif

ifeq ($(SANITIZE),)
SAN :=
else ifeq ($(SANITIZE),address)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
else ifeq ($(SANITIZE),fuzzer)
SAN := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
else
$(error SANITIZE=$(SANITIZE) is unknown; use SANITIZE=address, SANITIZE=fuzzer or nothing)
endif

CPPFLAGS += -D_XOPEN_SOURCE=700 -Iinterp -Iruntime -Iruntime/kernels -I$(BUILD)/grammar
# -fno-math-errno: nothing reads errno after a math function, and sqrtf can then vectorize
CFLAGS   += -std=c11 -g $(OPT) $(SAN) -fopenmp -fno-math-errno -MMD -MP
LDFLAGS  += $(SAN) -fopenmp
LDLIBS   += -lz -lm

GEN_C   := $(BUILD)/grammar/parser.c $(BUILD)/grammar/lexer.c
GEN_H   := $(BUILD)/grammar/parser.h $(BUILD)/grammar/lexer.h
LIB_SRC := $(filter-out interp/cli.c,$(wildcard interp/*.c)) $(wildcard runtime/*.c) \
           $(wildcard runtime/kernels/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o) $(GEN_C:.c=.o)
CLI_OBJ := $(BUILD)/interp/cli.o
TEST_SRC := $(wildcard tests/*.c)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/%.o)
TEST_BIN := $(BUILD)/tests/test_descent
DEPS    := $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

.PHONY: all test test-asan test-slurm demo fuzz bench bench-rest examples clean deps install uninstall \
        editors-test-deps
.DELETE_ON_ERROR:

all: $(BIN)

$(BIN): $(CLI_OBJ) $(BUILD)/libdescent.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libdescent.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/grammar/parser.c $(BUILD)/grammar/parser.h &: grammar/parser.y | deps
	@mkdir -p $(@D)
	$(BISON) -Wall -Werror --header=$(BUILD)/grammar/parser.h -o $(BUILD)/grammar/parser.c $<

$(BUILD)/grammar/lexer.c $(BUILD)/grammar/lexer.h &: grammar/lexer.l | deps
	@mkdir -p $(@D)
	$(FLEX) --header-file=$(BUILD)/grammar/lexer.h -o $(BUILD)/grammar/lexer.c $<

# Generated code is not ours to tidy: the usual warnings, not the project's extra ones.
$(BUILD)/grammar/%.o: $(BUILD)/grammar/%.c $(GEN_H)
	$(CC) $(CPPFLAGS) $(CFLAGS) -Wall -Wno-unused-function -Wno-sign-compare -c -o $@ $<

$(BUILD)/%.o: %.c | $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

# The AVX2 kernels, and only they, are compiled for AVX2+FMA, the AVX-512 ones for
# AVX-512F; they run only where CPUID says the processor has it (runtime/kernels/isa.c).
$(BUILD)/runtime/kernels/%_avx2.o: runtime/kernels/%_avx2.c | $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -mavx2 -mfma -c -o $@ $<

$(BUILD)/runtime/kernels/%_avx512.o: runtime/kernels/%_avx512.c | $(GEN_H)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -mavx512f -c -o $@ $<

# Packages the build needs; named with the command that installs them when missing.
deps:
	@missing=""; \
	command -v $(FLEX) >/dev/null || missing="$$missing flex"; \
	command -v $(BISON) >/dev/null || missing="$$missing bison"; \
	test -f /usr/include/zlib.h || missing="$$missing zlib1g-dev"; \
	if [ -n "$$missing" ]; then \
		echo "descent needs:$$missing"; \
		echo "install with: sudo apt-get install$$missing"; exit 1; fi

$(TEST_BIN): $(TEST_OBJ) $(BUILD)/libdescent.a
	@test -f /usr/include/criterion/criterion.h || { \
		echo "the tests need Criterion; install with: sudo apt-get install libcriterion-dev"; \
		exit 1; }
	$(CC) $(LDFLAGS) -o $@ $^ -lcriterion $(LDLIBS)

# DESCENT_MAKE_ARGS lets tests/test_docs.c run `make install` on the binary under test.
test: $(BIN) $(TEST_BIN) editors-test-deps
	@command -v rsvg-convert >/dev/null || { \
		echo "the picture tests render SVGs with rsvg-convert; install with: sudo apt-get install librsvg2-bin"; \
		exit 1; }
	DESCENT=$(abspath $(BIN)) DESCENT_MAKE_ARGS="BUILD=$(BUILD) BIN=$(BIN)" \
		$(TEST_BIN) --jobs 2

# The TextMate grammar test (tests/editors/tokenize.js) runs on Node.js with these npm
# packages, pinned, installed once into build/editors-test (the stamp names the versions).
TEXTMATE_NPM   := vscode-textmate@9.3.2 vscode-oniguruma@2.0.1
EDITORS_TEST   := build/editors-test
EDITORS_STAMP  := $(EDITORS_TEST)/node_modules/.pinned-$(subst @,-,$(subst $(eval) ,_,$(TEXTMATE_NPM)))
editors-test-deps: $(EDITORS_STAMP)
$(EDITORS_STAMP):
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		echo "the editor tests need Node.js and npm; install with: sudo apt-get install nodejs npm"; \
		exit 1; }
	@mkdir -p $(EDITORS_TEST)
	@echo '{"private": true}' > $(EDITORS_TEST)/package.json
	cd $(EDITORS_TEST) && npm install --no-save --no-audit --no-fund $(TEXTMATE_NPM)
	@touch $@

test-asan:
	$(MAKE) BUILD=build-asan BIN=build-asan/descent SANITIZE=address OPT=-O1 test

# A sweep as a Slurm job array with a dependent summary job, a task cancelled and
# resubmitted; starts (and then stops) the cluster's daemons. Root, Debian 12.
test-slurm: $(BIN)
	tests/slurm/run.sh $(BIN)

# The main job on the bundled data: train the digits MLP (examples/digits.nn; its log,
# weights and picture go to examples/runs/), and draw a learning-rate schedule.
demo: $(BIN)
	./$(BIN) run examples/digits.nn
	@mkdir -p $(BUILD)
	./$(BIN) schedule 'warmup(1 epochs) then cosine_restart(T0 = 3 epochs, T_mult = 2)' \
		--lr 1e-3 --steps 4220 --steps-per-epoch 422 --plot $(BUILD)/demo-schedule.svg \
		> $(BUILD)/demo-schedule.csv
	@echo "wrote examples/runs/digits.{jsonl,safetensors,svg} and $(BUILD)/demo-schedule.svg"

FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build-fuzz
fuzz:
	@command -v clang >/dev/null || { echo "make fuzz needs clang (with its OpenMP runtime): sudo apt-get install clang libomp-dev"; exit 1; }
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang OPT=-O1 SANITIZE=fuzzer $(FUZZ_BUILD)/libdescent.a
	for target in fuzz_check fuzz_data fuzz_checkpoint; do \
		clang -g -O1 -fopenmp -fsanitize=fuzzer,address,undefined -Iinterp -Iruntime -Iruntime/kernels \
			-o $(FUZZ_BUILD)/$$target tests/fuzz/$$target.c $(FUZZ_BUILD)/libdescent.a -lz -lm \
			|| exit 1; done
	@mkdir -p $(FUZZ_BUILD)/corpus $(FUZZ_BUILD)/corpus-data
	$(FUZZ_BUILD)/fuzz_check -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-dict=tests/fuzz/nn.dict -artifact_prefix=$(FUZZ_BUILD)/ \
		$(FUZZ_BUILD)/corpus examples tests/check tests/errors tests/fuzz/regressions
	$(FUZZ_BUILD)/fuzz_data -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		-artifact_prefix=$(FUZZ_BUILD)/data- $(FUZZ_BUILD)/corpus-data tests/data/good tests/data/bad
	@mkdir -p $(FUZZ_BUILD)/corpus-checkpoint $(FUZZ_BUILD)/seed-checkpoint
	$(FUZZ_BUILD)/fuzz_checkpoint --write-seed $(FUZZ_BUILD)/seed-checkpoint
	$(FUZZ_BUILD)/fuzz_checkpoint -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-artifact_prefix=$(FUZZ_BUILD)/checkpoint- $(FUZZ_BUILD)/corpus-checkpoint \
		$(FUZZ_BUILD)/seed-checkpoint

# bench/side_by_side.sh first: the one table of issue #13 (descent at 1 and 2 threads and
# its default, PyTorch at 1 and 2, quiet and with a busy competitor, as ratios);
# BENCH_QUICK=1 make bench: that table only, on a short setting (a smoke run, not figures).
bench: $(BIN) $(BUILD)/bench/gemm $(BUILD)/bench/checkpoint $(BUILD)/bench/conv
	DESCENT=./$(BIN) bench/side_by_side.sh
	@if [ "$(BENCH_QUICK)" = 1 ]; then echo "BENCH_QUICK=1: the other benchmarks skipped"; \
	else $(MAKE) --no-print-directory bench-rest; fi

bench-rest: $(BIN) $(BUILD)/bench/gemm $(BUILD)/bench/checkpoint $(BUILD)/bench/conv
	bench/run.sh
	bench/cnn.sh
	$(BUILD)/bench/conv 1
	$(BUILD)/bench/conv 2
	$(BUILD)/bench/gemm
	$(BUILD)/bench/checkpoint bench/runs

$(BUILD)/bench/conv: bench/conv.c $(BUILD)/libdescent.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/checkpoint: bench/checkpoint.c $(BUILD)/libdescent.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $^ $(LDLIBS)

# OpenBLAS, when installed (libopenblas-dev), only as a comparison in the GEMM benchmark.
OPENBLAS := $(if $(wildcard /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h),\
	-DHAVE_OPENBLAS -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas)
$(BUILD)/bench/gemm: bench/gemm.c $(BUILD)/libdescent.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -o $@ $^ $(OPENBLAS) $(LDLIBS)

# Reruns every runnable example, rewriting the traces and pictures committed beside them
# (the Fashion-MNIST ones when Debian's dataset-fashion-mnist is installed).
examples: $(BIN)
	@for f in examples/teaching/*.nn examples/iris.nn examples/digits.nn \
	          examples/regularization/dropout.nn examples/regularization/l2_vs_wd.nn; do \
		echo "descent run $$f"; ./$(BIN) run --quiet $$f > /dev/null || exit 1; done
	@if [ -d /usr/share/datasets/fashion-mnist ]; then \
		for f in examples/fashion_mlp.nn examples/fashion_resumable.nn \
		         examples/regularization/batchnorm_placement.nn; do \
			echo "descent run $$f"; ./$(BIN) run --quiet $$f > /dev/null || exit 1; done; \
		echo "descent range examples/range_fashion.nn"; \
		./$(BIN) range examples/range_fashion.nn --min 1e-4 --steps 200 > /dev/null || exit 1; \
	else echo "skipped the Fashion-MNIST examples: sudo apt-get install dataset-fashion-mnist"; fi

# Installation: `make install PREFIX=/usr DESTDIR=/tmp/pkg` (DESTDIR for packagers).
# The editor files go where Vim finds system-wide add-ons (vimfiles) and, for VS Code,
# to share/descent/editors/vscode (copy or link that folder into ~/.vscode/extensions).
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR  := $(DESTDIR)$(PREFIX)/bin
MAN1DIR := $(DESTDIR)$(PREFIX)/share/man/man1
DOCDIR  := $(DESTDIR)$(PREFIX)/share/doc/descent
DATADIR := $(DESTDIR)$(PREFIX)/share/descent
VIMDIR  := $(DESTDIR)$(PREFIX)/share/vim/vimfiles
EXAMPLE_FILES := $(shell find examples -type f ! -path '*/runs/*' 2>/dev/null | LC_ALL=C sort)
VSCODE_FILES  := $(shell find editors/vscode -type f 2>/dev/null | LC_ALL=C sort)
DOC_FILES     := docs/language.md docs/trust.md README.md

install: $(BIN)
	install -d $(BINDIR) $(MAN1DIR) $(DOCDIR) $(VIMDIR)/syntax $(VIMDIR)/ftdetect
	install -m 755 $(BIN) $(BINDIR)/descent
	install -m 644 docs/descent.1 $(MAN1DIR)/descent.1
	install -m 644 $(DOC_FILES) $(DOCDIR)/
	install -m 644 editors/vim/syntax/nn.vim $(VIMDIR)/syntax/nn.vim
	install -m 644 editors/vim/ftdetect/nn.vim $(VIMDIR)/ftdetect/nn.vim
	@for f in $(EXAMPLE_FILES) $(VSCODE_FILES); do \
		install -d "$(DATADIR)/$$(dirname $$f)" && \
		install -m 644 "$$f" "$(DATADIR)/$$f" || exit 1; done
	@echo "installed descent under $(DESTDIR)$(PREFIX)"

# Removes exactly what install wrote, then the folders of descent's own that are empty.
uninstall:
	rm -f $(BINDIR)/descent $(MAN1DIR)/descent.1 $(VIMDIR)/syntax/nn.vim \
		$(VIMDIR)/ftdetect/nn.vim $(addprefix $(DOCDIR)/,$(notdir $(DOC_FILES)))
	rm -f $(addprefix $(DATADIR)/,$(EXAMPLE_FILES) $(VSCODE_FILES))
	find $(DATADIR) $(DOCDIR) -depth -type d -empty -delete 2>/dev/null || true
	@echo "removed descent from $(DESTDIR)$(PREFIX)"

clean:
	rm -rf build build-asan build-fuzz $(BIN)

-include $(DEPS)
