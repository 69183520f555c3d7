#!/usr/bin/env bash
# bits_study.sh — `wzip bits --codec all` on the real files, converted
# formats of stories260K, and one synthetic Qwen2.5-14B layer; plus the
# tile-size sweep behind Table III. Writes results/bits-*.json.
set -euo pipefail
W=${WZIP:-build/wzip}
R=${RESULTS:-results}
REAL=${WZ_SHARED:-../shared}/datasets/real
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
run() { echo "== bits $1" >&2; "$W" bits "${@:2}" --json "$R/bits-$1.json" >&2; }
if [ -e "$REAL/stories260K.bin" ]; then
  # `wzip scan` JSON of the real files (issue 2's contract), for the record.
  "$W" scan "$REAL/stories260K.bin" --as bf16 --quiet --json "$R/scan-stories260K-bf16.json"
  "$W" scan "$REAL/isnet-fp16.safetensors" --quiet --json "$R/scan-isnet-fp16.json"
  run stories260K-bf16 "$REAL/stories260K.bin" --as bf16 --min-numel 2048
  for f in fp8-e4m3 int8 int4; do
    "$W" convert "$REAL/stories260K.bin" -o "$T/s.safetensors" --to $f --granularity channel > /dev/null
    run "stories260K-$f" "$T/s.safetensors" --min-numel 2048
  done
  run isnet-fp16 "$REAL/isnet-fp16.safetensors"
  run isnet-u8 "$REAL/isnet-u8.safetensors"
fi
CACHE=${CACHE:-datasets/cache}
if [ -e "$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf" ]; then # real LLM codes (make datasets-real)
  run smollm2-135m-q4_1 "$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf"
  run gemma3-270m-q4_k_m "$CACHE/gemma-3-270m-q4_k_m.gguf"
  run minilm-l6-bf16 "$CACHE/minilm/model.safetensors" --as bf16
  "$W" groups "$CACHE/minilm/model.safetensors" --as bf16 --json "$R/groups-minilm-l6-bf16.json" > /dev/null
fi
"$W" synth --model qwen2.5-14b --layers 1 --seed 1 -o "$T/q" > /dev/null
"$W" scan "$T/q" --quiet --tile 0 --min-numel 4096 --json "$R/scan-qwen2.5-14b-synth.json"
run qwen2.5-14b-synth-bf16 "$T/q"
for tile in 32x128 32x256 64x256 128x256; do
  run "qwen2.5-14b-synth-bf16-tile$tile" "$T/q" --codec tile-ans --tile $tile
done
# Two rANS states per lane (v4) against the default one: what the GPU's
# second chain costs in bits, at the default tile and at the H100 plan's
# 32x256 (kernels/plan-h100.tsv).
run qwen2.5-14b-synth-bf16-ls2 "$T/q" --codec tile-ans --lane-states 2
run qwen2.5-14b-synth-bf16-tile32x256-ls2 "$T/q" --codec tile-ans --tile 32x256 --lane-states 2
# More exponents per rANS symbol: what a multi-exponent GPU decoder would cost in bits.
"$W" groups "$T/q" --json "$R/groups-qwen2.5-14b-synth.json" > /dev/null
if [ -e "$REAL/stories260K.bin" ]; then
  "$W" convert "$REAL/stories260K.bin" -o "$T/s16.safetensors" --to bf16 > /dev/null
  "$W" groups "$T/s16.safetensors" --min-numel 2048 --json "$R/groups-stories260K-bf16.json" > /dev/null
fi
# The bf16 symbol-model alternative: one exponent per rANS step (SPLIT16).
run qwen2.5-14b-synth-bf16-split16 "$T/q" --codec tile-ans --ta-model split16
"$W" convert "$T/q" -o "$T/q8.safetensors" --to int8 --granularity channel > /dev/null
run qwen2.5-14b-synth-int8 "$T/q8.safetensors"
# The other code formats at LLM scale (the <= 0.01 bit target is about these).
"$W" convert "$T/q" -o "$T/qf8.safetensors" --to fp8-e4m3 > /dev/null
run qwen2.5-14b-synth-fp8-e4m3 "$T/qf8.safetensors"
"$W" convert "$T/q" -o "$T/q4.safetensors" --to int4 --granularity group:128 > /dev/null
run qwen2.5-14b-synth-int4-g128 "$T/q4.safetensors"
