#!/usr/bin/env bash
# v46g_device.sh — one device call (NOTES v46g): code blocks by the copy
# engine into a ring of code stages at M <= 64 (WZ_WG_TMACODE, a) against the
# decoders' register loads (b). gpu_test (bitmap4, verbose, under a timeout)
# on a first; two rounds at M = 1, 16, 64 of the wgmma path.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
make -j8 BUILD=build-a build-a/gpu_bench build-a/gpu_test > "$L/build-a.log" 2>&1 &
make -j8 BUILD=build-b NVEXTRA=-DWZ_WG_TMACODE=0 build-b/gpu_bench > "$L/build-b.log" 2>&1 &
wait
grep -hE " error|C75" "$L"/build-*.log
WZ_GPU_TEST_ONLY=bitmap4 WZ_GPU_TEST_VERBOSE=1 timeout 200 ./build-a/gpu_test > "$L/gpu-test-a.log" 2>&1; echo "gpu_test rc=$?"; tail -2 "$L/gpu-test-a.log"; grep -i fail "$L/gpu-test-a.log" | head
for r in 1 2; do for v in a b; do
  timeout 150 ./build-$v/gpu_bench --quick --reps 7 --ms ${WZ_MS:-1,16,64} --json "$OUT/ab-$v$r.json" > "$L/ab-$v$r.log" 2>&1 || echo "bench $v$r failed"
done; done
python3 harness/ab_summary.py --key bitmap4_wgmma_us a1="$OUT/ab-a1.json" b1="$OUT/ab-b1.json" a2="$OUT/ab-a2.json" b2="$OUT/ab-b2.json" | grep -v decode
tar czf "$OUT/logs.tgz" -C "$L" .
