# gpu-speedup.gp — one Qwen2.5-14B layer's linear ops vs tokens M (log-log).
set terminal ARG2 size 800,480
set output ARG1
set termoption noenhanced
set logscale xy
set xlabel "tokens M"
set ylabel "time (us), 4 linear ops"
set grid
set key top left font ",10" spacing 0.9
# Short titles: a key wider than the plot is not drawn. The paths behind
# each line are in paper-repro.md (tile-ans: fused GEMV M<=8, then the
# faster of tensor-core GEMM and decode+cuBLAS; bitmap, bitmap4 the same).
set title "H100: fused decode vs cuBLAS bf16 (results/gpu-bench.json)"
plot "plots/data/gpu-speedup.tsv" using 1:2 with linespoints lw 2 title "cuBLAS bf16", \
     "" using 1:3 with linespoints lw 2 title "tile-ans, best path", \
     "" using 1:4 with linespoints lw 2 title "bitmap, best path", \
     "" using 1:6 with linespoints lw 2 title "bitmap4, best path", \
     "" using 1:5 with lines dt 2 lw 2 title "tile-ans memory floor", \
     "plots/data/gpu-wgmma.tsv" using 1:3 with linespoints lw 2 dt 3 title "bitmap4 in a wgmma GEMM (v43)"
