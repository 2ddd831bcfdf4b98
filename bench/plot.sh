#!/bin/bash
# plot.sh [BUILD_DIR] - draws bench/results/heap.csv (written by bench/heap.sh):
#   heap_pause.png   pause against heap size, log-log, one panel per shape: the node type
#                    gains a field on 1 and 2 threads, identical update, root change;
#   heap_shapes.png  pause against heap size for the shapes of issue 12 (interior,
#                    ptrarray, hashx, redis: the object type gains a field, 1 thread);
#   heap_phases.png  where the time of one update goes (request, quiesce, load,
#                    migrate, resume, retire from `kitsune update --json`): the run with
#                    the median pause of the 1M list whose node gains a field.
# Medians over the runs.  Prints nothing on stdout (bench/run.sh also runs it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
results=$here/results
csv=$results/heap.csv
command -v gnuplot >/dev/null || { echo "plot.sh: gnuplot not found; no plots" >&2; exit 0; }
[ -s "$csv" ] || { echo "plot.sh: no $csv (run bench/heap.sh)" >&2; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# series SHAPE KIND THREADS: "size median" lines, sizes ascending
series() {
    awk -F, -v s="$1" -v k="$2" -v t="$3" 'NR > 1 && $1 == s && $2 == k && $4 == t && $6 != "nan" {
        print $3, $6 }' "$csv" | sort -k1,1n -k2,2g |
        awk '{ n[$1]++; v[$1, n[$1]] = $2 } END {
            for (s in n) print s, v[s, int((n[s] + 1) / 2)] }' | sort -n
}

for shape in list tree hash graph; do
    series "$shape" change 1 >"$tmp/$shape.change1"
    series "$shape" change 2 >"$tmp/$shape.change2"
    series "$shape" same 1 >"$tmp/$shape.same1"
    series "$shape" root 1 >"$tmp/$shape.root1"
done

plots=""
for shape in list tree hash graph; do
    p=""
    for s in "change1:node gains a field, 1 thread:1:1" "change2:node gains a field, 2 threads:1:2" \
        "same1:identical update:2:1" "root1:only the root struct changes:3:1"; do
        IFS=: read -r file title color dash <<<"$s"
        [ -s "$tmp/$shape.$file" ] || continue
        p="$p${p:+, }'$tmp/$shape.$file' using 1:2 with linespoints lw 2 pt 7 lc $color dt $dash title '$title'"
    done
    [ -n "$p" ] && plots="$plots
set title '$shape'
plot $p"
done

gnuplot <<EOF
set terminal pngcairo size 1400,1000 font 'sans,11'
set output '$results/heap_pause.png'
set multiplot layout 2,2 title 'Update pause against heap size (median of runs; bench/heap.sh)'
set logscale xy
set xlabel 'objects in the heap'
set ylabel 'pause (ms)'
set format x '10^{%L}'
set grid
set key top left
$plots
unset multiplot
EOF

# The phases of the median 1M-list update.
awk -F, 'NR > 1 && $1 == "list" && $2 == "change" && $3 == 1000000 && $4 == 1 && $6 != "nan"' "$csv" |
    sort -t, -k6,6g >"$tmp/runs"
n=$(wc -l <"$tmp/runs")
if [ "$n" -gt 0 ] && [ "$(head -1 "$tmp/runs" | awk -F, '{ print NF }')" -ge 14 ]; then
    sed -n "$(((n + 1) / 2))p" "$tmp/runs" | awk -F, '{
        split("request quiesce load migrate resume retire", name, " ")
        for (i = 1; i <= 6; i++) printf "%s %s\n", name[i], $(8 + i) }' >"$tmp/phases"
    pause=$(sed -n "$(((n + 1) / 2))p" "$tmp/runs" | cut -d, -f6)
    gnuplot <<EOF
set terminal pngcairo size 1000,600 font 'sans,11'
set output '$results/heap_phases.png'
set title "One update, 1M-node list whose node gains a field, 1 thread (pause $pause ms)\nretire and request are outside the pause"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set logscale y
set yrange [0.001:*]
set ylabel 'ms (log scale)'
set grid ytics
unset key
plot '$tmp/phases' using 2:xtic(1) lc 3, '' using 0:2:(sprintf('%.3f', \$2)) with labels offset 0,1
EOF
fi

# The shapes that needed the general engine before issue 12.
p=""
color=1
for shape in interior ptrarray hashx redis; do
    series "$shape" change 1 >"$tmp/$shape.shape1"
    [ -s "$tmp/$shape.shape1" ] &&
        p="$p${p:+, }'$tmp/$shape.shape1' using 1:2 with linespoints lw 2 pt 7 lc $color title '$shape'"
    color=$((color + 1))
done
if [ -n "$p" ]; then
    gnuplot <<EOF
set terminal pngcairo size 900,600 font 'sans,11'
set output '$results/heap_shapes.png'
set title 'Shapes of real programs, object type gains a field, 1 thread (median of runs; bench/heap.sh)'
set logscale xy
set xlabel 'objects (redis: keys)'
set ylabel 'pause (ms)'
set format x '10^{%L}'
set grid
set key top left
plot $p
EOF
fi
