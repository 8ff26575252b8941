#!/usr/bin/env bash
# Steps per second of 1 and 2 ranks x 1 and 2 threads (docs/scaling.md).
#
#   scripts/scaling.sh NAME PDE POINTS WIDTH DEPTH STEPS ROUNDS
#   scripts/scaling.sh ac25k allen_cahn 25600 128 6 7 2
#
# Writes NAME-rR-tT.yaml and runs them (RBA, Adam, logging every step, no
# checkpoints) in BENCH_DIR (default /tmp/phasepinn-scaling), interleaved,
# under nice -n 10; prints one line per run: the median of the per-step
# times of metrics.csv (first step excluded) and the maximum RSS.
# Needs a build with MPI (meson setup -Dmpi=enabled) and mpirun.
set -euo pipefail

cd "$(dirname "$0")/.."
exe=$PWD/${BUILD_DIR:-build}/phasepinn
[ $# -eq 7 ] || { sed -n '2,12p' "$0"; exit 2; }
name=$1 pde=$2 points=$3 width=$4 depth=$5 steps=$6 rounds=$7
dir=${BENCH_DIR:-/tmp/phasepinn-scaling}
mkdir -p "$dir"
cd "$dir"
mpirun=(mpirun --oversubscribe --bind-to none)
[ "$(id -u)" -eq 0 ] && mpirun+=(--allow-run-as-root)

experiment() {   # experiment FILE THREADS
	local terms
	if [ "$pde" = allen_cahn ]; then
		terms="  periodic: none
  terms: {residual: {points: $points}, initial: {points: 512}}"
	else
		terms="  terms: {residual: {points: $points}, initial: {points: 256}, boundary: {points: 512}}"
	fi
	cat > "$1" <<EOT
name: ${1%.yaml}
seed: 2341
threads: $2
output: out-${1%.yaml}
pde:
  type: $pde
$terms
network: {width: $width, depth: $depth, activation: tanh}
sampling: {method: lhs}
weighting: {type: rba}
stages:
  - {optimizer: adam, iterations: $steps, lr: 1.0e-3}
logging: {every: 1}
checkpoint: {every: 0, at_end: false}
EOT
}

median() {
	/usr/bin/python3 - "$1" <<'EOT'
import csv, statistics, sys
t = [float(r["time_s"]) for r in csv.DictReader(open(sys.argv[1]))]
d = [b - a for a, b in zip(t, t[1:])][1:]
print("%.4f s/step (%.3f steps/s, median of %d)" % (statistics.median(d), 1 / statistics.median(d), len(d)))
EOT
}

for round in $(seq 1 "$rounds"); do
	for rt in 1x1 1x2 2x1 2x2; do
		r=${rt%x*} t=${rt#*x} run=$name-r$r-t$t
		experiment "$run.yaml" "$t"
		if [ "$r" = 1 ]; then
			/usr/bin/time -f %M -o "$run.rss" nice -n 10 "$exe" run "$run.yaml" --force --quiet --no-plot
		else
			/usr/bin/time -f %M -o "$run.rss" nice -n 10 "${mpirun[@]}" -np "$r" "$exe" run "$run.yaml" \
				--force --quiet --no-plot
		fi
		echo "$name round $round: $r rank(s) x $t thread(s): $(median "out-$run/metrics.csv"), max RSS $(tail -1 "$run.rss") kB, load $(cut -d' ' -f1 /proc/loadavg)"
	done
done
