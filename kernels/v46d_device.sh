#!/usr/bin/env bash
# v46d_device.sh — one device call (NOTES v46d): escapes prepared a stage ahead
# (WZ_WG_ESCPIPE, default a) against the v39 patch in the decode (b) and no escape
# patching at all (c, WZ_WG_SOL=1: wrong products, the bound); gpu_test on
# a first; two rounds at M = 16, 64, 256.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
FL=("" "-DWZ_WG_ESCPIPE=0" "-DWZ_WG_SOL=1")
for i in 0 1 2; do v=abc; v=${v:$i:1}
  make -j6 BUILD=build-$v NVEXTRA="${FL[$i]}" build-$v/gpu_bench $([ $v = a ] && echo build-a/gpu_test) > "$L/build-$v.log" 2>&1 &
done
wait
grep -hE " error|C75" "$L"/build-*.log
WZ_GPU_TEST_ONLY=bitmap4 timeout 200 ./build-a/gpu_test > "$L/gpu-test-a.log" 2>&1; echo "gpu_test rc=$?"; tail -1 "$L/gpu-test-a.log"; grep -i fail "$L/gpu-test-a.log" | head
for r in 1 2; do for v in a b c; do
  timeout 150 ./build-$v/gpu_bench --quick --reps 7 --ms ${WZ_MS:-16,64,256} --json "$OUT/ab-$v$r.json" > "$L/ab-$v$r.log" 2>&1 || echo "bench $v$r failed"
done; done
python3 harness/ab_summary.py --key bitmap4_wgmma_us a1="$OUT/ab-a1.json" b1="$OUT/ab-b1.json" c1="$OUT/ab-c1.json" a2="$OUT/ab-a2.json" b2="$OUT/ab-b2.json" c2="$OUT/ab-c2.json" | grep -v decode
tar czf "$OUT/logs.tgz" -C "$L" .
