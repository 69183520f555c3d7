#!/usr/bin/env bash
# v45h_device.sh — one device call (NOTES v45h): the mended stage hand-back
# (7dc0e57) run for the first time. Builds the default (WZ_WG_STREAMK=0),
# the hybrid (1) and stream-K everywhere (2); runs gpu_test on each (bitmap4
# cases verbose, under a timeout: a hang shows as the last case printed),
# then times a against b at M = 64, 256, 1024 (two rounds).
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
FL=("" "-DWZ_WG_STREAMK=1" "-DWZ_WG_STREAMK=2")
for i in 0 1 2; do v=abc; v=${v:$i:1}
  make -j6 BUILD=build-$v NVEXTRA="${FL[$i]}" build-$v/gpu_bench build-$v/gpu_test > "$L/build-$v.log" 2>&1 &
done
wait
grep -hE " error|C75" "$L"/build-*.log
( WZ_GPU_TEST_VERBOSE=1 timeout 300 ./build-a/gpu_test > "$L/gpu-test-a.log" 2>&1; echo "a rc=$?" >> "$L/rc" ) &
( WZ_GPU_TEST_ONLY=bitmap4 WZ_GPU_TEST_VERBOSE=1 timeout 300 ./build-b/gpu_test > "$L/gpu-test-b.log" 2>&1; echo "b rc=$?" >> "$L/rc" ) &
( WZ_GPU_TEST_ONLY=bitmap4 WZ_GPU_TEST_VERBOSE=1 timeout 300 ./build-c/gpu_test > "$L/gpu-test-c.log" 2>&1; echo "c rc=$?" >> "$L/rc" ) &
wait
cat "$L/rc"; for v in a b c; do echo "== $v"; tail -3 "$L/gpu-test-$v.log"; done
for r in 1 2; do for v in a b; do
  timeout 150 ./build-$v/gpu_bench --quick --reps 7 --ms ${WZ_MS:-64,256,1024} --json "$OUT/ab-$v$r.json" > "$L/ab-$v$r.log" 2>&1 || echo "bench $v$r failed"
done; done
python3 harness/ab_summary.py a1="$OUT/ab-a1.json" b1="$OUT/ab-b1.json" a2="$OUT/ab-a2.json" b2="$OUT/ab-b2.json"
tar czf "$OUT/logs.tgz" -C "$L" .
