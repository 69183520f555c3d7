#!/usr/bin/env bash
# v47f_device.sh — one device call (NOTES v47f): what the wgmma GEMM's
# skeleton waits on. Builds the default (a) and the no-decode, no-activation
# diagnostic (b: WZ_WG_SOL=2 WZ_WG_NOX=1), and for gate_up at M = 256 runs
# ncu's throughput sections (SM and memory speed of light, pipes, shared
# memory, warp states, scheduler) and the per-instruction stall samples
# (SASS source page, CSV) of each. Text and CSV in $OUT/logs.tgz.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
make -j8 BUILD=build-a build-a/gpu_bench > "$L/build-a.log" 2>&1 &
make -j8 BUILD=build-b NVEXTRA="-DWZ_WG_SOL=2 -DWZ_WG_NOX=1" build-b/gpu_bench > "$L/build-b.log" 2>&1 &
wait
grep -hE " error|C75" "$L"/build-*.log
M=${WZ_M:-256}
for v in a b; do
  timeout 150 ncu --kernel-name regex:bm4_wg_kernel --launch-skip 2 --launch-count 1 --section SpeedOfLight --section ComputeWorkloadAnalysis \
    --section MemoryWorkloadAnalysis --section MemoryWorkloadAnalysis_Tables --section WarpStateStats --section SchedulerStats --section LaunchStats --section Occupancy \
    ./build-$v/gpu_bench --quick --reps 3 --ms $M --only gate_up --json /tmp/p.json > "$L/ncu-$v-m$M.txt" 2>&1
  echo "== $v M=$M"; grep -E "Duration|Throughput|Pipe|Busy|Shared|Bank|Issue|Eligible|Active Warps|No Eligible|Stall" "$L/ncu-$v-m$M.txt" | head -40
  timeout 150 ncu --kernel-name regex:bm4_wg_kernel --launch-skip 2 --launch-count 1 --section WarpStateStats --section SourceCounters \
    --page source --print-source sass --csv ./build-$v/gpu_bench --quick --reps 3 --ms $M --only gate_up --json /tmp/p.json > "$L/src-$v-m$M.csv" 2>&1
done
tar czf "$OUT/logs.tgz" -C "$L" .
