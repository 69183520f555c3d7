#!/usr/bin/env bash
# autotune_device.sh — on the GPU machine: build, GPU tests, then one
# gpu_bench --ta-only run per candidate tile-ans layout (tile x rANS states
# per lane x element order) and harness/autotune.py over them. $OUT gets the runs and
# plan.tsv; commit it as kernels/plan-<card>.tsv (gpu_bench --plan).
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/nvidia-smi.txt"
make -j16 build/gpu_bench build/gpu_test 2>&1 | grep -E " error|warning" ; true
./build/gpu_test 2>&1 | tee "$OUT/gpu-test.log" | tail -2 || echo "GPU TESTS FAILED"
runs=()
for tile in ${WZ_TILES:-64x256 32x256}; do
  for ls in ${WZ_LANE_STATES:-1 2}; do
    for ord in ${WZ_ORDERS:-rows mma}; do
      f="$OUT/tune-$tile-ls$ls-$ord.json"
      ./build/gpu_bench --ta-only --reps ${WZ_TUNE_REPS:-10} --tile $tile --lane-states $ls --order $ord --json "$f" > "${f%.json}.log" 2>&1 && runs+=("$f") || echo "tune $tile ls$ls $ord failed"
    done
  done
done
python3 harness/autotune.py "$OUT/plan.tsv" "${runs[@]}"
