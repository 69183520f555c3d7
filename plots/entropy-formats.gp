# entropy-formats.gp — stored bits vs entropy per format (synthetic mean and stories260K).
# usage: gnuplot -c plots/entropy-formats.gp OUT TERM
set terminal ARG2 size 1000,480
set output ARG1
set termoption noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "bits per weight"
set xtics rotate by -35
set key top right
set grid ytics
set title "Entropy of the stored code per format (bars) vs stored bits"
plot "plots/data/entropy-formats.tsv" using 2:xtic(1) title "stored", "" using 3 title "entropy (synthetic, mean of 6 models)", "" using 4 title "entropy (stories260K, real)"
