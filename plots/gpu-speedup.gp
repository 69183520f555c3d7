# gpu-speedup.gp — one Qwen2.5-14B layer's four linear ops against tokens M:
# left, the times (log-log); right, the speed-up over cuBLAS bf16 (cuBLAS
# time / codec time) with the issue's goals (1.3x to M = 64, 1.0x beyond)
# and the ceiling a kernel that only streams tile-ans's bytes would reach.
set terminal ARG2 size 1200,480
set output ARG1
set termoption noenhanced
set multiplot layout 1,2 title "H100: fused decode vs cuBLAS bf16 (results/gpu-bench.json)"
set logscale x
set xlabel "tokens M"
set grid
set key font ",9" spacing 0.9
# Short titles: a key wider than the plot is not drawn. The paths behind
# each line are in paper-repro.md (tile-ans and bitmap4: the path their
# committed plans name for each shape and M; bitmap: the faster).
set logscale y
set ylabel "time (us), 4 linear ops"
set key top left
# One line type per codec in both panels: 1 cuBLAS, 2 tile-ans, 3 bitmap,
# 4 bitmap4, 5 the floor, 6 bitmap4's wgmma GEMM.
plot "plots/data/gpu-speedup.tsv" using 1:2 with linespoints lt 1 lw 2 title "cuBLAS bf16", \
     "" using 1:3 with linespoints lt 2 lw 2 title "tile-ans", \
     "" using 1:4 with linespoints lt 3 lw 2 title "bitmap", \
     "" using 1:6 with linespoints lt 4 lw 2 title "bitmap4", \
     "" using 1:5 with lines lt 5 dt 2 lw 2 title "tile-ans memory floor", \
     "plots/data/gpu-wgmma.tsv" using 1:3 with linespoints lt 6 lw 2 dt 3 title "bitmap4, wgmma GEMM"
unset logscale y
set ylabel "speed-up over cuBLAS bf16"
set yrange [0:2]
set key top right
plot "plots/data/gpu-speedup.tsv" using 1:($2/$2) with lines lt 1 lw 2 title "cuBLAS bf16", \
     "" using 1:($2/$3) with linespoints lt 2 lw 2 title "tile-ans", \
     "" using 1:($2/$4) with linespoints lt 3 lw 2 title "bitmap", \
     "" using 1:($2/$6) with linespoints lt 4 lw 2 title "bitmap4", \
     "" using 1:($2/$5) with lines lt 5 dt 2 lw 2 title "tile-ans floor (bytes only)", \
     "plots/data/gpu-wgmma.tsv" using 1:($2/$3) with linespoints lt 6 lw 2 dt 3 title "bitmap4, wgmma GEMM", \
     "plots/data/gpu-speedup.tsv" using 1:($1 <= 64 ? 1.3 : 1/0) with lines lc "red" lw 2 dt 4 title "goal 1.3x (M <= 64)", \
     "" using 1:($1 >= 256 ? 1.0 : 1/0) with lines lc "red" lw 3 dt 4 title "goal 1.0x (M >= 256)"
unset multiplot
