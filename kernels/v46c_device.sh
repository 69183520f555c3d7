#!/usr/bin/env bash
# v46c_device.sh — one device call (NOTES v46c): is the producers' proxy
# fence (MEMBAR.ALL.CTA) waiting for the code loads issued in the same
# iteration? a: default; b: no fence (racy: products may be wrong, times
# only); c: no fence and no escape patching. Two rounds at M = 64, 256.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
FL=("" "-DWZ_WG_NOFENCE=1" "-DWZ_WG_NOFENCE=1 -DWZ_WG_SOL=1")
for i in 0 1 2; do v=abc; v=${v:$i:1}
  make -j6 BUILD=build-$v NVEXTRA="${FL[$i]}" build-$v/gpu_bench > "$L/build-$v.log" 2>&1 &
done
wait
grep -hE " error|C75" "$L"/build-*.log
for r in 1 2; do for v in a b c; do
  timeout 150 ./build-$v/gpu_bench --quick --reps 7 --ms ${WZ_MS:-64,256} --json "$OUT/ab-$v$r.json" > "$L/ab-$v$r.log" 2>&1 || echo "bench $v$r failed"
done; done
python3 harness/ab_summary.py --key bitmap4_wgmma_us a1="$OUT/ab-a1.json" b1="$OUT/ab-b1.json" c1="$OUT/ab-c1.json" a2="$OUT/ab-a2.json" b2="$OUT/ab-b2.json" c2="$OUT/ab-c2.json" | grep -v decode
tar czf "$OUT/logs.tgz" -C "$L" .
