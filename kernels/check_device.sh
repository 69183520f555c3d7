make -j16 build/gpu_bench build/gpu_test 2>&1 | grep -E " error|warning"
./build/gpu_test 2>&1 | tail -2
B=$PWD/build/gpu_bench
ncu --kernel-name "regex:ta_pair_gemv" --launch-skip 2 --launch-count 1 --section WarpStateStats --section SchedulerStats --section InstructionStats $B --quick --ms 1 --only o --plan kernels/plan-h100.tsv --json /tmp/p.json > $OUT/ncu-v28-o.txt 2>&1
grep -E 'Issued Warp|Active Warps|Eligible Warps|Cycles Per Issued|Executed Instructions  ' $OUT/ncu-v28-o.txt
ncu --kernel-name "regex:ta_pair_gemv" --launch-skip 2 --launch-count 1 --section InstructionStats --section SchedulerStats $B --quick --ms 1 --only gate_up --plan kernels/plan-h100.tsv --json /tmp/p.json > $OUT/ncu-v28-gate_up.txt 2>&1
grep -E 'Issued Warp|Active Warps|Eligible Warps|Executed Instructions  ' $OUT/ncu-v28-gate_up.txt
