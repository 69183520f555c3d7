#!/usr/bin/env bash
# ab3_device.sh — same-machine comparison of up to three builds (device only).
# usage: kernels/ab3_device.sh "NVEXTRA a" "NVEXTRA b" ["NVEXTRA c"] [gpu_bench args]
# (a third argument that starts with "-" and is not "-D..." begins the
# gpu_bench args; give "" for a third build equal to the default.)
# Builds in parallel; runs gpu_test on the builds named in WZ_TEST (default
# all: "a b c"; "none": no tests) under a timeout, WZ_GPU_TEST_ONLY / WZ_GPU_TEST_VERBOSE passed
# through (a hang shows as the last case printed); then WZ_ROUNDS (1) rounds
# of gpu_bench with the args on every build, and ab_summary.py per key of
# WZ_KEYS (its default key if unset). Logs in $OUT/logs.tgz.
# NOTES v45h ran it as: WZ_GPU_TEST_ONLY=bitmap4 WZ_GPU_TEST_VERBOSE=1
# WZ_ROUNDS=2 WZ_KEYS=bitmap4_us kernels/ab3_device.sh "" -DWZ_WG_STREAMK=1
# -DWZ_WG_STREAMK=2 --quick --reps 7 --ms 64,256,1024 (the stream-K default
# was 0 then); v46 as: WZ_TEST=a WZ_GPU_TEST_ONLY=bitmap4 WZ_ROUNDS=2
# WZ_KEYS="bitmap4_us bitmap4_wgmma_us" kernels/ab3_device.sh ""
# -DWZ_WG_SOL=1 -DWZ_WG_SOL=2 --quick --reps 7 --ms 16,64,256.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
FL=("$1" "$2"); shift 2
if [ $# -gt 0 ] && { [ -z "$1" ] || [[ "$1" == -D* ]]; }; then FL+=("$1"); shift; fi
V=(a b c); V=("${V[@]:0:${#FL[@]}}")
for i in "${!FL[@]}"; do v=${V[$i]}
  make -j6 BUILD=build-$v NVEXTRA="${FL[$i]}" build-$v/gpu_bench build-$v/gpu_test > "$L/build-$v.log" 2>&1 &
done
wait
grep -hE " error|C75" "$L"/build-*.log
for v in ${WZ_TEST:-${V[*]}}; do [ -x ./build-$v/gpu_test ] || continue   # WZ_TEST=none: no tests
  timeout ${WZ_TEST_TIMEOUT:-300} ./build-$v/gpu_test > "$L/gpu-test-$v.log" 2>&1; echo "gpu_test $v rc=$?"; tail -2 "$L/gpu-test-$v.log"
done
args=()
for r in $(seq 1 ${WZ_ROUNDS:-1}); do for v in "${V[@]}"; do
  timeout 150 ./build-$v/gpu_bench --json "$OUT/ab-$v$r.json" "$@" > "$L/ab-$v$r.log" 2>&1 || echo "bench $v$r failed"
  args+=("$v$r=$OUT/ab-$v$r.json")
done; done
if [ -n "${WZ_KEYS:-}" ]; then for k in $WZ_KEYS; do python3 harness/ab_summary.py --key "$k" "${args[@]}"; done
else python3 harness/ab_summary.py "${args[@]}"; fi
tar czf "$OUT/logs.tgz" -C "$L" .
