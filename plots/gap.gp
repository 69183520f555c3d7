# gap.gp — gap-to-entropy terms per codec (synthetic Qwen2.5-14B bf16 layer).
set terminal ARG2 size 800,420
set output ARG1
set termoption noenhanced
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set ylabel "bits per weight above the 16-bit entropy"
set grid ytics
set key top left
set title "Where the bits go (results/bits-qwen2.5-14b-synth-bf16.json)"
plot "plots/data/gap.tsv" using 2:xtic(1) title "model", "" using 3 title "table", "" using 4 title "coder", "" using 5 title "framing"
