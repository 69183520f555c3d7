# int4-granularity.gp — int4 entropy vs scale granularity.
set terminal ARG2 size 800,420
set output ARG1
set termoption noenhanced
set style data histograms
set style fill solid 0.8 border -1
set ylabel "bits per weight"
set yrange [0:4.2]
set grid ytics
set key top left
set title "int4: finer scales spread codes over the range (paper: 0.6-1.0 bits)"
plot "plots/data/int4-granularity.tsv" using 2:xtic(1) title "synthetic (mean)", "" using 3 title "stories260K (real)"
