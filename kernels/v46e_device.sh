#!/usr/bin/env bash
# v46e_device.sh — one device call (NOTES v46e): the decoders' blocks in NB
# register buffers without copies (a: NB = 3, default; b: NB = 2) against
# the k = n1, n1 = n2 pipeline of v45 (c: kernels/.ab/, the previous commit's
# kernels, if present). gpu_test on a first; two rounds at M = 16, 64, 256.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"; L=$(mktemp -d)
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
make -j6 BUILD=build-a build-a/gpu_bench build-a/gpu_test > "$L/build-a.log" 2>&1 &
make -j6 BUILD=build-b NVEXTRA=-DWZ_WG_NBUF=2 build-b/gpu_bench > "$L/build-b.log" 2>&1 &
V=c
if [ -d kernels/.ab ]; then
  C=$(mktemp -d); cp -r . "$C/"; cp kernels/.ab/* "$C/kernels/"
  make -C "$C" -j6 BUILD=build-c build-c/gpu_bench > "$L/build-c.log" 2>&1 && cp "$C/build-c/gpu_bench" /tmp/gpu_bench_c &
else V=""; fi
wait
grep -hE " error|C75" "$L"/build-*.log
WZ_GPU_TEST_ONLY=bitmap4 timeout 200 ./build-a/gpu_test > "$L/gpu-test-a.log" 2>&1; echo "gpu_test rc=$?"; tail -1 "$L/gpu-test-a.log"; grep -i fail "$L/gpu-test-a.log" | head
bin() { [ $1 = c ] && echo /tmp/gpu_bench_c || echo ./build-$1/gpu_bench; }
for r in 1 2; do for v in a b $V; do
  timeout 150 $(bin $v) --quick --reps 7 --ms ${WZ_MS:-16,64,256} --json "$OUT/ab-$v$r.json" > "$L/ab-$v$r.log" 2>&1 || echo "bench $v$r failed"
done; done
args=(); for r in 1 2; do for v in a b $V; do args+=("$v$r=$OUT/ab-$v$r.json"); done; done
python3 harness/ab_summary.py --key bitmap4_wgmma_us "${args[@]}" | grep -v decode
python3 harness/ab_summary.py --key bitmap4_us "${args[@]}" | grep layer
tar czf "$OUT/logs.tgz" -C "$L" .
