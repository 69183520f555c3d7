#!/usr/bin/env bash
# ab3_device.sh — same-machine comparison of three builds (device only).
# usage: kernels/ab3_device.sh "NVEXTRA a" "NVEXTRA b" "NVEXTRA c" [gpu_bench args]
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
FL=("$1" "$2" "$3"); shift 3
for i in 0 1 2; do v=abc; v=${v:$i:1}
  make -j6 BUILD=build-$v NVEXTRA="${FL[$i]}" build-$v/gpu_bench build-$v/gpu_test > "$OUT/build-$v.log" 2>&1 &
done
wait
grep -hE " error" "$OUT"/build-*.log
for v in a b c; do ./build-$v/gpu_test 2>&1 | tail -1; done
for v in a b c; do ./build-$v/gpu_bench --json "$OUT/ab-$v.json" "$@" > "$OUT/ab-$v.log" 2>&1 || echo "bench $v failed"; done
python3 harness/ab_summary.py a="$OUT/ab-a.json" b="$OUT/ab-b.json" c="$OUT/ab-c.json"
