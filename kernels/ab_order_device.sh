#!/usr/bin/env bash
# ab_order_device.sh — on the GPU machine: build, GPU tests, then the
# committed plan's layouts in the ROWS element order against the same
# layouts in the MMA order (v30), alternating rows, mma, rows, mma so drift
# shows. Every M <= 64 runs fused (the plan copies say fused-mma where M > 8;
# decode + cuBLAS is still timed and recorded beside it).
# JSON in $OUT as ab-{rows,mma}{1,2}.json.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/nvidia-smi.txt"
make -j16 build/gpu_bench build/gpu_test 2>&1 | grep -E " error|warning"
./build/gpu_test 2>&1 | tee "$OUT/gpu-test.log" | tail -3
P=$(mktemp -d); trap 'rm -rf "$P"' EXIT
PLAN=${WZ_PLAN:-kernels/plan-h100.tsv}
awk 'BEGIN{OFS="\t"} /^#/{print; next} NF==7{print $1,$2,$3,$4,$5,"rows",$6,($6>8?"fused-mma":$7); next} {$6="rows"; if ($7>8) $8="fused-mma"; print}' "$PLAN" > "$P/rows.tsv"
sed 's/\trows\t/\tmma\t/' "$P/rows.tsv" > "$P/mma.tsv"
for i in 1 2; do
  for o in rows mma; do
    ./build/gpu_bench --ta-only --reps ${WZ_REPS:-15} --ms ${WZ_MS:-1,4,8,16,32,64} --plan "$P/$o.tsv" --json "$OUT/ab-$o$i.json" > "$OUT/ab-$o$i.log" 2>&1 || echo "bench $o$i failed"
  done
done
# Optional third run: the MMA order built with WZ_NVEXTRA_C (e.g. -DFRAG_NT2_BLOCKS=1).
extra=()
if [ -n "${WZ_NVEXTRA_C:-}" ]; then
  make -j16 BUILD=build-c NVEXTRA="$WZ_NVEXTRA_C" build-c/gpu_bench 2>&1 | grep -E " error|warning"
  ./build-c/gpu_bench --ta-only --reps ${WZ_REPS:-15} --ms ${WZ_MS:-1,4,8,16,32,64} --plan "$P/mma.tsv" --json "$OUT/ab-mmac.json" > "$OUT/ab-mmac.log" 2>&1 || echo "bench c failed"
  extra=(mmac="$OUT/ab-mmac.json")
fi
python3 harness/ab_summary.py rows1="$OUT/ab-rows1.json" mma1="$OUT/ab-mma1.json" rows2="$OUT/ab-rows2.json" mma2="$OUT/ab-mma2.json" "${extra[@]}" | tee "$OUT/ab-summary.txt"
