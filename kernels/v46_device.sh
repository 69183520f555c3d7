#!/usr/bin/env bash
# v46_device.sh — one device call (NOTES v46): what bounds the wgmma GEMM at
# M = 64 / 256. Builds the default (a) and the two diagnostics of
# WZ_WG_SOL (b: no escape patching; c: no decode at all — their products are
# wrong, so ab_summary flags them; only their times matter), runs gpu_test on
# the default, then times all three at M = 16, 64, 256 (two rounds; the
# default's runs also exercise gpu_bench's every-path bitmap4 timing).
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
FL=("" "-DWZ_WG_SOL=1" "-DWZ_WG_SOL=2")
for i in 0 1 2; do v=abc; v=${v:$i:1}
  make -j6 BUILD=build-$v NVEXTRA="${FL[$i]}" build-$v/gpu_bench $([ $v = a ] && echo build-a/gpu_test) > "$L/build-$v.log" 2>&1 &
done
wait
grep -hE " error|C75" "$L"/build-*.log
WZ_GPU_TEST_ONLY=bitmap4 timeout 200 ./build-a/gpu_test > "$L/gpu-test-a.log" 2>&1; echo "gpu_test rc=$?"; tail -1 "$L/gpu-test-a.log"
for r in 1 2; do for v in a b c; do
  timeout 150 ./build-$v/gpu_bench --quick --reps 7 --ms ${WZ_MS:-16,64,256} --json "$OUT/ab-$v$r.json" > "$L/ab-$v$r.log" 2>&1 || echo "bench $v$r failed"
done; done
for k in bitmap4_us bitmap4_wgmma_us; do
python3 harness/ab_summary.py --key $k a1="$OUT/ab-a1.json" b1="$OUT/ab-b1.json" c1="$OUT/ab-c1.json" a2="$OUT/ab-a2.json" b2="$OUT/ab-b2.json" c2="$OUT/ab-c2.json" | grep -v decode
done
grep -h "bitmap4 |" "$L/ab-a1.log" | head -12
tar czf "$OUT/logs.tgz" -C "$L" .
