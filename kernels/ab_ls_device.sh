#!/usr/bin/env bash
# ab_ls_device.sh — on the GPU machine: build, GPU tests, then the
# committed plan's layouts with 2 rANS states per lane against the same
# layouts with 4 (v33), alternating so drift shows; WZ_VARIANTS="name:NVEXTRA
# flags;..." adds both state counts under other builds (build-<name>).
# JSON in $OUT/bundle.tgz (the device tool returns 8 files), summary beside it.
set -uo pipefail
OUT=${OUT:-/tmp/wzout}; mkdir -p "$OUT"
export WZ_COMMIT=${WZ_COMMIT:-$(cat .commit 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,temperature.gpu --format=csv | tee "$OUT/nvidia-smi.txt"
make -j16 build/gpu_bench build/gpu_test 2>&1 | grep -E " error|warning"
IFS=';' read -ra VARS <<< "${WZ_VARIANTS:-}"
for v in "${VARS[@]}"; do
  [ -n "$v" ] && make -j16 BUILD="build-${v%%:*}" NVEXTRA="${v#*:}" "build-${v%%:*}/gpu_bench" 2>&1 | grep -E " error|warning"
done
[ "${WZ_SKIP_TEST:-0}" = 1 ] || ./build/gpu_test 2>&1 | tee "$OUT/gpu-test.log" | tail -3
P=$(mktemp -d); trap 'rm -rf "$P"' EXIT
PLAN=${WZ_PLAN:-kernels/plan-h100.tsv}
for s in 2 4; do awk -v s=$s 'BEGIN{OFS="\t"} /^#/{print; next} {$5=s; print}' "$PLAN" > "$P/ls$s.tsv"; done
bench() { # name binary states round
  timeout 300 "$2" --ta-only --reps ${WZ_REPS:-15} --ms ${WZ_MS:-1,4,16} --plan "$P/ls$3.tsv" \
    --json "$OUT/ls-$1$3-$4.json" > "$OUT/ls-$1$3-$4.log" 2>&1 || echo "bench $1$3-$4 failed"
}
for i in ${WZ_ROUNDS:-1 2}; do
  for s in 2 4; do
    bench d ./build/gpu_bench $s $i
    for v in "${VARS[@]}"; do [ -n "$v" ] && bench "${v%%:*}" "./build-${v%%:*}/gpu_bench" $s $i; done
  done
done
args=(); for f in "$OUT"/ls-*.json; do args+=("$(basename "$f" .json)=$f"); done
python3 harness/ab_summary.py "${args[@]}" | tee "$OUT/ab-summary.txt"
(cd "$OUT" && tar czf bundle.tgz --exclude bundle.tgz --exclude ab-summary.txt . && find . -type f ! -name bundle.tgz ! -name ab-summary.txt -delete)
