# gnuplot -e "dir='bench/plot/'; datafile='depth.dat'; outfile='throughput_vs_depth.png'; subtitle='...'" throughput_vs_depth.gp
# datafile: lines "<queued jobs> <jobs/s> \"<label>\"".
load dir . "common.gp"
set title "jobq (memory store): throughput against queue depth\n{/*0.8 " . subtitle . "}"
set xlabel "jobs already queued (log scale)"
set ylabel "jobs/s"
set logscale x 10
stats datafile using 1 nooutput
set xrange [STATS_min / 2 : STATS_max * 2]
set xtics ("10" 10, "100" 100, "1,000" 1000, "10,000" 10000, "100,000" 100000, \
           "1,000,000" 1000000, "10,000,000" 10000000)
plot datafile using 1:2 with linespoints linestyle 1, \
     datafile using 1:2:3 with labels offset 0,1.2 font ",10"
