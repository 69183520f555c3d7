#!/usr/bin/env bash
# cli_errors.sh — the CLI prints one clear line and exits non-zero on bad input.
set -u
W=${1:-build/wzip}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
fail=0
check() { # name expected-substring command...
    local name=$1 want=$2; shift 2
    out=$("$@" 2>&1 >/dev/null); rc=$?
    if [ $rc -eq 0 ] || ! grep -q -- "$want" <<<"$out" || [ "$(wc -l <<<"$out")" -ne 1 ]; then
        echo "FAIL cli: $name (rc=$rc): $out"; fail=1
    else echo "ok   cli: $name -> $out"; fi
}
printf '\xff\xff\xff\x00\x00\x00\x00\x00{}' > "$d/bad.safetensors"
printf 'GGUF\x03\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\x0f\x00\x00\x00\x00\x00\x00\x00\x00' > "$d/bad.gguf"
head -c 1000 /dev/urandom > "$d/x.bin"
check "header past EOF" "bad.safetensors: header length" "$W" scan "$d/bad.safetensors"
check "gguf bogus count" "bogus" "$W" scan "$d/bad.gguf"
check "llama2c garbage" "x.bin" "$W" scan "$d/x.bin"
check "missing file" "No such file" "$W" scan "$d/nope.safetensors"
check "unknown command" "unknown command" "$W" frobnicate
check "compress bad order" "usage: wzip compress" "$W" compress "$d/x.bin" -o "$d/x.wz" --order cols
# wzip gpu-bench runs the GPU driver built beside it (without nvcc: says so).
if [ -x "$(dirname "$W")/gpu_bench" ]; then
    check "gpu-bench bad option" "gpu_bench: --lane-states takes 1 or 2" "$W" gpu-bench --lane-states 3
else
    check "gpu-bench not built" "is not built" "$W" gpu-bench --quick
fi
check "compress bad lane states" "usage: wzip compress" "$W" compress "$d/x.bin" -o "$d/x.wz" --lane-states 3
# A GPU plan's layout (MMA order, two states, 32x256) round-trips a real
# checkpoint byte for byte: stories260K as bf16 (the order applies to bf16).
REAL=${WZ_SHARED:-$(dirname "$0")/../../shared}/datasets/real
if [ -e "$REAL/stories260K.bin" ]; then
    if "$W" convert "$REAL/stories260K.bin" -o "$d/s.safetensors" --to bf16 > /dev/null &&
       "$W" compress "$d/s.safetensors" -o "$d/s.wz" --tile 32x256 --lane-states 2 --order mma > /dev/null &&
       "$W" decompress "$d/s.wz" -o "$d/s2.safetensors" > /dev/null && cmp -s "$d/s.safetensors" "$d/s2.safetensors"; then
        echo "ok   cli: compress --order mma --lane-states 2 round-trips stories260K (bf16) byte for byte"
    else echo "FAIL cli: compress --order mma round trip"; fail=1; fi
    if "$W" compress "$d/s.safetensors" -o "$d/b.wz" --codec bitmap4 --order mma > /dev/null &&
       "$W" decompress "$d/b.wz" -o "$d/b2.safetensors" > /dev/null && cmp -s "$d/s.safetensors" "$d/b2.safetensors"; then
        echo "ok   cli: compress --codec bitmap4 --order mma round-trips stories260K (bf16) byte for byte"
    else echo "FAIL cli: compress --codec bitmap4 --order mma round trip"; fail=1; fi
fi
# Inputs the fuzzers once crashed on: each must now fail with one clear line.
for f in "$(dirname "$0")"/fuzz/regressions/*.wz; do
    [ -e "$f" ] || continue
    check "fuzz regression $(basename "$f")" "container" "$W" decompress "$f" -o "$d/out"
done
exit $fail
