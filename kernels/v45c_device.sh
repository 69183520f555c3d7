#!/usr/bin/env bash
# v45c_device.sh — one device call (NOTES v45): the wgmma GEMM at M <= 64
# with 16 decoding warps (default) against the v43 shape (WZ_WG_NP16=0),
# then ncu (source-level stalls) on the 16-decoder kernel, gate_up M = 64.
# Logs go into one tarball (the device tool returns few files).
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
make -j8 BUILD=build-a build-a/gpu_bench build-a/gpu_test > "$L/build-a.log" 2>&1 &
make -j8 BUILD=build-b NVEXTRA=-DWZ_WG_NP16=0 build-b/gpu_bench > "$L/build-b.log" 2>&1
wait
grep -hE " error|C75" "$L"/build-*.log
WZ_GPU_TEST_ONLY=bitmap4 timeout 150 ./build-a/gpu_test > "$L/gpu-test.log" 2>&1; tail -3 "$L/gpu-test.log"
for i in 1 2; do for v in a b; do
  timeout 150 ./build-$v/gpu_bench --quick --reps 5 --ms ${WZ_MS:-1,16,64} --json "$OUT/ab-$v$i.json" > "$L/ab-$v$i.log" 2>&1 || echo "bench $v$i failed"
done; done
python3 harness/ab_summary.py --key bitmap4_wgmma_us a1="$OUT/ab-a1.json" b1="$OUT/ab-b1.json" a2="$OUT/ab-a2.json" b2="$OUT/ab-b2.json" | grep -v "layer"
python3 harness/ab_summary.py --key bitmap4_us a1="$OUT/ab-a1.json" a2="$OUT/ab-a2.json" | grep layer
K="--kernel-name regex:bm4_wg_kernel --launch-skip 3 --launch-count 1"
timeout 100 ncu $K --section SpeedOfLight --section SchedulerStats --section WarpStateStats \
  ./build-a/gpu_bench --quick --ms 64 --only gate_up --json /tmp/p.json > "$L/ncu-wg16-m64-gate_up.txt" 2>&1
grep -E "Duration|DRAM Throughput|Issued Warp|Eligible Warps|Active Warps" "$L/ncu-wg16-m64-gate_up.txt" | head
timeout 150 ncu $K --section WarpStateStats --section SourceCounters --page source --print-source sass --csv \
  ./build-a/gpu_bench --quick --ms 64 --only gate_up --json /tmp/p.json > "$L/src-wg16-m64-gate_up.csv" 2>&1
tar czf "$OUT/logs.tgz" -C "$L" .
