#!/usr/bin/env bash
# run_device.sh — one call on the GPU machine: build, GPU tests, benchmark.
# Results land in $OUT (fetched back by the device tool) for results/.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/nvidia-smi.txt"
make -j16 build/gpu_bench build/gpu_test 2>&1 | grep -E "error|warning" ; true
./build/gpu_test 2>&1 | tee "$OUT/gpu-test.log" || echo "GPU TESTS FAILED"
./build/gpu_bench --json "$OUT/gpu-bench.json" "$@" 2>&1 | tee "$OUT/gpu-bench.log"
if [ "${WZ_PROFILE:-0}" = 1 ]; then
  cuobjdump -sass build/kernels/tile_ans.o > "$OUT/tile_ans.sass" 2>/dev/null
  for ilp in 1 2; do
    ncu --kernel-name regex:ta_decode --launch-skip 3 --launch-count 1 --section WarpStateStats --section Occupancy --section SchedulerStats \
        --section ComputeWorkloadAnalysis ./build/gpu_bench --only qkv --quick --ilp $ilp --json /tmp/p.json > "$OUT/ncu-decode-ilp$ilp.txt" 2>&1
    tail -60 "$OUT/ncu-decode-ilp$ilp.txt"
  done
fi
