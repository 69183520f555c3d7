#!/usr/bin/env bash
# v46h_device.sh — one device call (NOTES v46h): consumers that hand their
# own stage back after waiting for its wgmmas (WZ_WG_WAIT0), with the code
# ring (a) and without (b), against the default (c). gpu_test (bitmap4,
# verbose, under a timeout) on a and b; two rounds at M = 16, 64, 256.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
FL=("-DWZ_WG_WAIT0=1 -DWZ_WG_TMACODE=1" "-DWZ_WG_WAIT0=1" "")
for i in 0 1 2; do v=abc; v=${v:$i:1}
  make -j6 BUILD=build-$v NVEXTRA="${FL[$i]}" build-$v/gpu_bench $([ $v != c ] && echo build-$v/gpu_test) > "$L/build-$v.log" 2>&1 &
done
wait
grep -hE " error|C75" "$L"/build-*.log
for v in a b; do
  WZ_GPU_TEST_ONLY=bitmap4 WZ_GPU_TEST_VERBOSE=1 timeout 150 ./build-$v/gpu_test > "$L/gpu-test-$v.log" 2>&1; echo "gpu_test $v rc=$?"; tail -1 "$L/gpu-test-$v.log"; grep -i fail "$L/gpu-test-$v.log" | head -3
done
for r in 1 2; do for v in a b c; do
  timeout 150 ./build-$v/gpu_bench --quick --reps 7 --ms ${WZ_MS:-16,64,256} --json "$OUT/ab-$v$r.json" > "$L/ab-$v$r.log" 2>&1 || echo "bench $v$r failed"
done; done
python3 harness/ab_summary.py --key bitmap4_wgmma_us a1="$OUT/ab-a1.json" b1="$OUT/ab-b1.json" c1="$OUT/ab-c1.json" a2="$OUT/ab-a2.json" b2="$OUT/ab-b2.json" c2="$OUT/ab-c2.json" | grep -v decode
tar czf "$OUT/logs.tgz" -C "$L" .
