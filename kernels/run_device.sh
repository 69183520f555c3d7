#!/usr/bin/env bash
# run_device.sh — one call on the GPU machine: build, GPU tests, benchmark.
# Results land in $OUT (fetched back by the device tool) for results/.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/nvidia-smi.txt"
make -j16 build/gpu_bench build/gpu_test 2>&1 | grep -E "error|warning" ; true
./build/gpu_test 2>&1 | tee "$OUT/gpu-test.log" || echo "GPU TESTS FAILED"
[ "${WZ_SKIP_BENCH:-0}" = 1 ] || ./build/gpu_bench --json "$OUT/gpu-bench.json" "$@" 2>&1 | tee "$OUT/gpu-bench.log"
# The previous tile-ans symbol model in the same session, for the comparison.
[ "${WZ_SPLIT16:-0}" = 1 ] && ./build/gpu_bench --quick --ta-model split16 --json "$OUT/gpu-bench-split16.json" 2>&1 | tee "$OUT/gpu-bench-split16.log"
if [ "${WZ_PROFILE:-0}" = 1 ]; then
  bash kernels/profile.sh "${WZ_PROFILE_KERNEL:-bm4_gemv}" "$OUT/src-profile.csv" --only "${WZ_PROFILE_SHAPE:-gate_up}"
fi
