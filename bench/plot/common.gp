# Shared by the plots of bench/report.py: a PNG terminal (pngcairo when this
# gnuplot has it, as Debian's gnuplot-nox does; libgd's png otherwise).
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
  set terminal pngcairo size 900,560 enhanced font "Sans,11"
} else {
  set terminal png size 900,560 enhanced
}
set output outfile
set grid
set key off
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set format y "%.0s%c"
set style line 1 linecolor rgb "#1f6fb4" linewidth 2 pointtype 7 pointsize 1.3
