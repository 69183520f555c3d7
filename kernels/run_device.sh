#!/usr/bin/env bash
# run_device.sh — one call on the GPU machine: build, GPU tests, benchmark.
# Results land in $OUT (fetched back by the device tool) for results/.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/nvidia-smi.txt"
make -j16 build/gpu_bench build/gpu_test 2>&1 | grep -E "error|warning" ; true
[ "${WZ_SKIP_TEST:-0}" = 1 ] || ./build/gpu_test 2>&1 | tee "$OUT/gpu-test.log" || echo "GPU TESTS FAILED"
D=$(mktemp -d); trap 'rm -rf "$D"' EXIT
[ "${WZ_SKIP_BENCH:-0}" = 1 ] || ./build/gpu_bench --json "$OUT/gpu-bench.json" --dump "$D" "$@" 2>&1 | tee "$OUT/gpu-bench.log"
# The real DFloat11 kernel on the same tensors (make vendor fetched its wheel).
if [ -e .vendor/dfloat11-pkg/dfloat11/decode.ptx ] && [ -e "$D/qkv.df11" ]; then
  python3 harness/dfloat11_real.py "$D" .vendor/dfloat11-pkg/dfloat11 "$OUT/dfloat11-real.json" 2>&1 | tee "$OUT/dfloat11-real.log"
fi
# The previous tile-ans symbol model in the same session, for the comparison.
[ "${WZ_SPLIT16:-0}" = 1 ] && ./build/gpu_bench --quick --ta-model split16 --json "$OUT/gpu-bench-split16.json" 2>&1 | tee "$OUT/gpu-bench-split16.log"
if [ "${WZ_PROFILE:-0}" = 1 ]; then
  bash kernels/profile.sh "${WZ_PROFILE_KERNEL:-bm4_gemv}" "$OUT/src-profile.csv" --only "${WZ_PROFILE_SHAPE:-gate_up}"
fi
