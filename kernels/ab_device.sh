#!/usr/bin/env bash
# ab_device.sh — same-machine A/B of two builds of the kernels (device only).
# usage: kernels/ab_device.sh "NVEXTRA of A" "NVEXTRA of B" [gpu_bench args]
# Builds build-a/ and build-b/, runs gpu_test on B, then gpu_bench on A, B,
# A, B (alternating, so clock or thermal drift shows as A-A / B-B spread).
# JSON lands in $OUT as ab-{a,b}{1,2}.json.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
A=$1; B=$2; shift 2
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/nvidia-smi.txt"
make -j16 BUILD=build-a NVEXTRA="$A" build-a/gpu_bench > "$OUT/build-a.log" 2>&1 &
make -j16 BUILD=build-b NVEXTRA="$B" build-b/gpu_bench build-b/gpu_test > "$OUT/build-b.log" 2>&1
wait
grep -E "error|warning" "$OUT"/build-*.log
./build-b/gpu_test 2>&1 | tee "$OUT/gpu-test-b.log" || echo "GPU TESTS FAILED (B)"
for i in 1 2; do
  for v in a b; do
    ./build-$v/gpu_bench --json "$OUT/ab-$v$i.json" "$@" > "$OUT/ab-$v$i.log" 2>&1 || echo "bench $v$i failed"
  done
done
python3 harness/ab_summary.py a1="$OUT/ab-a1.json" b1="$OUT/ab-b1.json" a2="$OUT/ab-a2.json" b2="$OUT/ab-b2.json"
