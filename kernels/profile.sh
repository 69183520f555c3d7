#!/usr/bin/env bash
# profile.sh — per-instruction stall sampling of one kernel with ncu (device only).
# usage: kernels/profile.sh KERNEL_REGEX OUTFILE [gpu_bench args]
k=$1; o=$2; shift 2
ncu --kernel-name "regex:$k" --launch-skip 3 --launch-count 1 --section WarpStateStats --section SourceCounters \
    --page source --print-source sass --csv ./build/gpu_bench --quick --json /tmp/p.json "$@" > "$o" 2>&1
