#!/usr/bin/env bash
# The benchmark as a user runs it: every way to get random bytes on this
# machine side by side (tests/bench/bench_getrandom.cpp), then a table with
# ratios to the kernel vDSO on the terminal, and on request the raw JSON, a
# CSV, a Markdown copy of the table and a log-log plot (SVG, gnuplot).
#
#   scripts/bench.sh [--json FILE] [--csv FILE] [--markdown FILE] [--plot FILE.svg]
#                    [--min-time SECONDS] [--filter REGEX] [--clock real|cpu]
#                    [--from RUN.json]      (re-render a saved run, measure nothing)
set -euo pipefail
cd "$(dirname "$0")/.."

json="" csv="" markdown="" plot="" min_time=0.2 filter="." clock=real from=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --json) json="$2"; shift 2 ;;
    --csv) csv="$2"; shift 2 ;;
    --markdown) markdown="$2"; shift 2 ;;
    --plot) plot="$2"; shift 2 ;;
    --min-time) min_time="$2"; shift 2 ;;
    --filter) filter="$2"; shift 2 ;;
    --clock) clock="$2"; shift 2 ;;
    --from) from="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [[ -n "$from" ]]; then
  run="$from"
else
  scripts/install-deps.sh build tests bench >&2
  cmake --preset default >/dev/null
  cmake --build --preset default --target bench_getrandom bench_time vdsoforge-getrandom >&2
  run="${json:-$work/run.json}"
  # Debian 12 compiles libbenchmark without NDEBUG, so Google Benchmark warns
  # "Library was built as DEBUG" on every run.  That concerns the library's
  # own bookkeeping between timed batches (its assertions stay on); the timed
  # loop is benchmark.h's inline code, compiled here with the project's
  # optimised flags.  Said once in those words instead of the warning.
  echo "bench.sh: Google Benchmark calls itself a DEBUG build (Debian 12 compiles it with" \
       "assertions on); that touches only its bookkeeping between timed batches: the timed" \
       "loops are compiled optimised here" >&2
  build/default/tests/bench_getrandom --benchmark_min_time="$min_time" \
    --benchmark_filter="$filter" --benchmark_out="$run" --benchmark_out_format=json 2>&1 |
    { grep -v 'Library was built as DEBUG' || true; } >&2
fi

report_args=("$run" --clock "$clock")
[[ -n "$csv" ]] && report_args+=(--csv "$csv")
[[ -n "$plot" ]] && report_args+=(--plot-data "$work/plot.dat")
python3 scripts/bench_report.py "${report_args[@]}"
[[ -n "$markdown" ]] && python3 scripts/bench_report.py "$run" --clock "$clock" --markdown "$markdown"

# The time functions, image beside the kernel vDSO, in alternating rounds
# (tests/bench/bench_time.cpp prints its own table).
if [[ -z "$from" ]]; then
  echo
  echo "time functions, ns per call (best of 7 alternating rounds of 2M calls):"
  build/default/tests/bench_time
fi

if [[ -n "$plot" ]]; then
  gnuplot <<GNUPLOT
set terminal svg size 900,560 dynamic noenhanced font "sans,11"
set output "$plot"
set title "getrandom throughput vs request size, 1 thread, $clock time"
set logscale xy
set xlabel "request size (bytes)"
set ylabel "GB/s"
set key outside right top
set grid
set xrange [1:1200000]
# One colour per source (gnuplot's own eight would repeat).
colors = "#7f7f7f #bcbd22 #000000 #1f77b4 #ff7f0e #d62728 #8c564b #e377c2 #2ca02c #17becf"
plot for [i=0:*] "$work/plot.dat" index i using 1:2 with linespoints \
  lc rgb word(colors, i % 10 + 1) pt (i % 10 + 1) title columnheader(1)
GNUPLOT
  echo "bench.sh: plot written to $plot" >&2
fi
