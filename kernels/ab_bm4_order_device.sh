#!/usr/bin/env bash
# ab_bm4_order_device.sh — on the GPU machine: build, GPU tests, then the
# bitmap4 codec in the ROWS element order against the MMA order (v32),
# alternating rows, mma, rows, mma so drift shows; tile-ans runs the
# committed plan in every run (a control). JSON in $OUT as bm4-{rows,mma}{1,2}.json.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/nvidia-smi.txt"
make -j16 build/gpu_bench build/gpu_test 2>&1 | grep -E " error|warning"
[ "${WZ_SKIP_TEST:-0}" = 1 ] || ./build/gpu_test 2>&1 | tee "$OUT/gpu-test.log" | tail -3
for i in ${WZ_ROUNDS:-1 2}; do
  for o in rows mma; do
    timeout 300 ./build/gpu_bench --reps ${WZ_REPS:-10} --ms ${WZ_MS:-1,4,8,16,32,64} --plan kernels/plan-h100.tsv --bm4-order $o \
      --json "$OUT/bm4-$o$i.json" > "$OUT/bm4-$o$i.log" 2>&1 || echo "bench $o$i failed"
  done
done
args=(); for f in "$OUT"/bm4-*.json; do args+=("$(basename "$f" .json)=$f"); done
python3 harness/ab_summary.py --key bitmap4_us "${args[@]}" | tee "$OUT/ab-summary.txt"
python3 harness/ab_summary.py "${args[@]}" | tail -8 | tee -a "$OUT/ab-summary.txt"
