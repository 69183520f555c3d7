#!/usr/bin/env bash
# ab_bm4_order_device.sh — on the GPU machine: build, GPU tests, then the
# bitmap4 codec in the ROWS element order against the MMA order (v32),
# alternating so drift shows; tile-ans runs the committed plan in every run
# (a control). WZ_VARIANTS="name:NVEXTRA flags;..." adds MMA-order runs of
# other builds (build-<name>); WZ_ORDERS picks the default build's runs
# ("rows mma"). JSON in $OUT as bm4-<order|name><round>.json.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/nvidia-smi.txt"
make -j16 build/gpu_bench build/gpu_test 2>&1 | grep -E " error|warning"
IFS=';' read -ra VARS <<< "${WZ_VARIANTS:-}"
# WZ_TEST_VARIANTS=1: each variant's GPU tests too (edge shapes, escapes,
# partial tiles), not only the benchmark's bit-exact checks on whole layers.
tv=${WZ_TEST_VARIANTS:-0}
for v in "${VARS[@]}"; do
  [ -n "$v" ] && make -j16 BUILD="build-${v%%:*}" NVEXTRA="${v#*:}" "build-${v%%:*}/gpu_bench" $([ "$tv" = 1 ] && echo "build-${v%%:*}/gpu_test") 2>&1 | grep -E " error|warning"
done
[ "${WZ_SKIP_TEST:-0}" = 1 ] || ./build/gpu_test 2>&1 | tee "$OUT/gpu-test.log" | tail -3
if [ "$tv" = 1 ]; then
  for v in "${VARS[@]}"; do [ -n "$v" ] && { echo "== gpu_test ${v%%:*}"; "./build-${v%%:*}/gpu_test" 2>&1 | tee "$OUT/gpu-test-${v%%:*}.log" | tail -2; }; done
fi
bench() { # name binary order round
  timeout 300 "$2" --reps ${WZ_REPS:-10} --ms ${WZ_MS:-1,4,8,16,32,64} --plan kernels/plan-h100.tsv --bm4-order "$3" \
    --json "$OUT/bm4-$1$4.json" > "$OUT/bm4-$1$4.log" 2>&1 || echo "bench $1$4 failed"
}
for i in ${WZ_ROUNDS:-1 2}; do
  for o in ${WZ_ORDERS:-rows mma}; do bench $o ./build/gpu_bench $o $i; done
  for v in "${VARS[@]}"; do [ -n "$v" ] && bench "${v%%:*}" "./build-${v%%:*}/gpu_bench" mma $i; done
done
args=(); for f in "$OUT"/bm4-*.json; do args+=("$(basename "$f" .json)=$f"); done
python3 harness/ab_summary.py --key bitmap4_us "${args[@]}" | tee "$OUT/ab-summary.txt"
python3 harness/ab_summary.py "${args[@]}" | tail -8 | tee -a "$OUT/ab-summary.txt"
# The device tool returns at most 8 files: everything but the summary in one archive.
# (Written outside $OUT first: tar reading the folder it writes into fails.)
T=$(mktemp -d) && (cd "$OUT" && tar czf "$T/bundle.tgz" --exclude ab-summary.txt . && find . -type f ! -name ab-summary.txt -delete) && mv "$T/bundle.tgz" "$OUT/"
