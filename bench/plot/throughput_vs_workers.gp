# gnuplot -e "dir='bench/plot/'; datafile='workers.dat'; outfile='throughput_vs_workers.png'; subtitle='...'" throughput_vs_workers.gp
# datafile: lines "<worker processes> <jobs/s> \"<label>\"".
load dir . "common.gp"
set title "jobq (memory store): throughput against worker processes\n{/*0.8 " . subtitle . "}"
set xlabel "worker processes"
set ylabel "jobs/s"
stats datafile using 1 nooutput
set xrange [0:STATS_max + 1]
set xtics 1
plot datafile using 1:2 with linespoints linestyle 1, \
     datafile using 1:2:3 with labels offset 0,1.2 font ",10"
