# gpu-decode.gp — standalone decode throughput per codec and shape (GB/s of bf16 written).
set terminal ARG2 size 900,420
set output ARG1
set termoption noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "GB/s of bf16 written (H100)"
set grid ytics
set key outside right
set title "Standalone GPU decoders (results/gpu-bench.json); copy roofline about 1500 GB/s of output"
plot "plots/data/gpu-decode.tsv" using 2:xtic(1) title "tile-ans", "" using 3 title "bitmap", "" using 4 title "bitmap4", "" using 5 title "dfloat11 format", "" using 6 title "neuzip layout"
