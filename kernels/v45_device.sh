#!/usr/bin/env bash
# v45_device.sh — one device call (NOTES v45): the wgmma GEMM's split-K
# sums by float2 reductions and the wave-aware split, against the default
# (same machine, one bench each), then ncu on the wgmma kernel at M = 64
# (gate_up), where it is producer-bound (time flat in M).
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem --format=csv | tee "$OUT/nvidia-smi.txt"
FL=("" "-DWZ_WG_RED2=1" "-DWZ_WG_RED2=1 -DWZ_WG_WAVES=1")
for i in 0 1 2; do v=abc; v=${v:$i:1}
  make -j5 BUILD=build-$v NVEXTRA="${FL[$i]}" build-$v/gpu_bench build-$v/gpu_test > "$OUT/build-$v.log" 2>&1 &
done
wait
grep -hE " error|C75" "$OUT"/build-*.log
for v in b c; do WZ_GPU_TEST_ONLY=bitmap4 timeout 120 ./build-$v/gpu_test 2>&1 | tail -1; done
for v in a b c; do timeout 150 ./build-$v/gpu_bench --quick --reps 5 --ms ${WZ_MS:-48,64,256,1024} --json "$OUT/ab-$v.json" > "$OUT/ab-$v.log" 2>&1 || echo "bench $v failed"; done
python3 harness/ab_summary.py --key bitmap4_us a="$OUT/ab-a.json" b="$OUT/ab-b.json" c="$OUT/ab-c.json"
python3 harness/ab_summary.py --key bitmap4_wgmma_us a="$OUT/ab-a.json" b="$OUT/ab-b.json" | grep -v "layer\|nan"
K="--kernel-name regex:bm4_wg_kernel --launch-skip 3 --launch-count 1"
timeout 120 ncu $K --section SpeedOfLight --section MemoryWorkloadAnalysis --section SchedulerStats --section WarpStateStats --section Occupancy \
  ./build-a/gpu_bench --quick --ms 64 --only gate_up --json /tmp/p.json > "$OUT/ncu-wg-m64-gate_up.txt" 2>&1
grep -E "Duration|Throughput|Issued Warp|Eligible|Active Warps|Stall|Hit Rate|L1/TEX" "$OUT/ncu-wg-m64-gate_up.txt" | head -40
timeout 150 ncu $K --section WarpStateStats --section SourceCounters --page source --print-source sass --csv \
  ./build-a/gpu_bench --quick --ms 64 --only gate_up --json /tmp/p.json > "$OUT/src-wg-m64-gate_up.csv" 2>&1
wc -l "$OUT/src-wg-m64-gate_up.csv"
