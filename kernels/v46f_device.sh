#!/usr/bin/env bash
# v46f_device.sh — one device call (NOTES v46f): where the wgmma GEMM's warps
# stall, by ncu's per-reason stall counters (cycles a warp spends stalled per
# issued instruction, by reason), for the default kernel (a) and the
# no-decode diagnostic (b, WZ_WG_SOL=2), gate_up at M = 64 and 256.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
make -j8 BUILD=build-a build-a/gpu_bench > "$L/build-a.log" 2>&1 &
make -j8 BUILD=build-b NVEXTRA=-DWZ_WG_SOL=2 build-b/gpu_bench > "$L/build-b.log" 2>&1 &
wait
grep -hE " error|C75" "$L"/build-*.log
MET="regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio|smsp__inst_executed.sum|smsp__issue_active.avg.per_cycle_active|dram__throughput.avg.pct_of_peak_sustained_elapsed|gpu__time_duration.sum"
for v in a b; do for m in 64 256; do
  timeout 120 ncu --kernel-name regex:bm4_wg_kernel --launch-skip 2 --launch-count 1 --metrics "$MET" \
    ./build-$v/gpu_bench --quick --reps 3 --ms $m --only gate_up --json /tmp/p.json > "$L/ncu-$v-m$m.txt" 2>&1
  echo "== $v M=$m"; grep -E "stalled|inst_executed|issue_active|dram__|duration" "$L/ncu-$v-m$m.txt" | awk '$NF+0 > 0.05 || /inst|issue|dram|duration/' | sed 's/smsp__average_warps_issue_stalled_//; s/_per_issue_active.ratio//' | awk '{print $1, $(NF)}' | sort -k2 -g -r | head -14
done; done
tar czf "$OUT/logs.tgz" -C "$L" .
