#!/usr/bin/env bash
# profile_frag_device.sh — ncu on the MMA-order fused kernel (v30) at M=1:
# stall reasons, issue rate, instruction count, shared-memory wavefronts,
# DRAM throughput, and per-SASS-instruction stall samples (source page,
# csv). WZ_KERNEL picks the kernel (default tile-ans's ta_mma_kernel;
# bm4_mma_kernel is bitmap4's at M <= 8), WZ_SHAPES and WZ_M the runs.
# Device only.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
make -j16 build/gpu_bench 2>&1 | grep -E " error|warning"
P=$(mktemp -d); trap 'rm -rf "$P"' EXIT
awk 'BEGIN{OFS="\t"} /^#/{print; next} NF==7{print $1,$2,$3,$4,$5,"mma",$6,($6>8?"fused-mma":$7); next} {$6="mma"; print}' kernels/plan-h100.tsv > "$P/mma.tsv"
B=$PWD/build/gpu_bench
K=${WZ_KERNEL:-ta_mma_kernel}
TA=$([ "${K#ta_}" != "$K" ] && echo --ta-only)
for sh in ${WZ_SHAPES:-o gate_up}; do
  ncu --kernel-name "regex:$K" --launch-skip 2 --launch-count 1 --section SpeedOfLight --section WarpStateStats --section SchedulerStats --section InstructionStats \
      --section MemoryWorkloadAnalysis_Tables --section LaunchStats --section Occupancy $B $TA --reps 3 --ms ${WZ_M:-1} --only $sh --plan "$P/mma.tsv" --json "$P/p.json" > "$OUT/ncu-frag-$sh.txt" 2>&1
  grep -E 'DRAM Throughput|Memory Throughput|Issued Warp|Active Warps Per|Eligible Warps|Cycles Per Issued|Executed Instructions  |Stall|Shared.*(Wavefront|Conflict)|Registers|Achieved Occ' "$OUT/ncu-frag-$sh.txt" | head -40
done
ncu --kernel-name "regex:$K" --launch-skip 2 --launch-count 1 --section WarpStateStats --section SourceCounters --page source --print-source sass --csv \
    $B $TA --reps 3 --ms ${WZ_M:-1} --only o --plan "$P/mma.tsv" --json "$P/p.json" > "$OUT/src-frag-o.csv" 2>&1
wc -l "$OUT/src-frag-o.csv"
