#!/usr/bin/env bash
# plan_bm4_device.sh — on the GPU machine: build, every GPU test, then
# WZ_PLAN_RUNS (2) full gpu_bench runs with the tile-ans plan (each times
# every bitmap4 path at every M) and harness/autotune.py --bitmap4 over them.
# $OUT gets the runs, plan-bm4.tsv and the logs; commit the plan as
# kernels/plan-bm4-<card>.tsv (gpu_bench --bm4-plan).
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
make -j16 build/gpu_bench build/gpu_test > "$L/build.log" 2>&1; grep -E " error|C75" "$L/build.log"
timeout 240 ./build/gpu_test > "$L/gpu-test.log" 2>&1; echo "gpu_test rc=$?"; tail -1 "$L/gpu-test.log"; grep -i fail "$L/gpu-test.log" | head
runs=()
for r in $(seq 1 ${WZ_PLAN_RUNS:-2}); do
  f="$OUT/plan-run$r.json"
  timeout 200 ./build/gpu_bench --reps ${WZ_TUNE_REPS:-15} ${WZ_PLAN:---plan kernels/plan-h100.tsv} --json "$f" > "$L/plan-run$r.log" 2>&1 && runs+=("$f") || echo "run $r failed"
done
python3 harness/autotune.py --bitmap4 "$OUT/plan-bm4.tsv" "${runs[@]}"
tar czf "$OUT/logs.tgz" -C "$L" .
