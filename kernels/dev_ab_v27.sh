# v27 A/B on one machine: lane states 1 vs 2 (same build, same run).
make -j16 build/gpu_bench build/gpu_test > $OUT/build.log 2>&1
grep -E " error" $OUT/build.log
./build/gpu_test 2>&1 | tail -2
Q="--quick --ms ${MS:-1,4,16,64}"
for i in 1 2; do
  ./build/gpu_bench $Q --lane-states 1 --json $OUT/ilp1-$i.json > $OUT/ilp1-$i.log 2>&1 || echo ilp1 fail
  ./build/gpu_bench $Q --lane-states 2 --json $OUT/ilp2-$i.json > $OUT/ilp2-$i.log 2>&1 || echo ilp2 fail
done
python3 harness/ab_summary.py ilp1=$OUT/ilp1-1.json ilp2=$OUT/ilp2-1.json ilp1b=$OUT/ilp1-2.json ilp2b=$OUT/ilp2-2.json
