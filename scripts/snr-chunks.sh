#!/bin/sh
# The gradient SNR of one trained network for several chunk counts: how the
# level depends on the chunk size (docs/analyzers.md, "The level depends on
# the chunk size").  Starts RUN's model (--init-from) with lr 1e-12 for 20
# steps, SNR on every step, once per K, and prints K, the points per chunk,
# the geometric mean of the SNR and that mean times sqrt(K/100).
#   scripts/snr-chunks.sh RUN_DIR [K ...]      (defaults: 4 8 16 32 64 100 256 512)
# The run must be of configs/paper-cpu/allen_cahn_*.yaml (the experiment
# below is that file with the steps, lr and analyzers changed).
set -eu
run=$1
shift
top=$(cd "$(dirname "$0")/.." && pwd)
exe=${PHASEPINN:-$top/build/phasepinn}
work=$(mktemp -d "${TMPDIR:-/tmp}/snr-chunks.XXXXXX")
trap 'rm -rf "$work"' EXIT
[ $# -gt 0 ] || set -- 4 8 16 32 64 100 256 512
for k in "$@"; do
	sed -e 's/iterations: 30000/iterations: 20/' -e 's/lr: 1.0e-3/lr: 1.0e-12/' \
	    -e '/init: xavier_normal/d' -e '/type: homogeneity/d' -e '/type: information/d' \
	    -e '/type: error/d' -e '/type: phases/d' \
	    -e "s/{type: snr, every: [0-9]*[^}]*}/{type: snr, every: 1, chunks: $k}/" \
	    "$top/configs/paper-cpu/allen_cahn_none.yaml" > "$work/k$k.yaml"
	"$exe" run "$work/k$k.yaml" --output "$work/k$k" --init-from "$run" --quiet --no-plot
	python3 - "$work/k$k/metrics.csv" "$k" <<'PY'
import csv, math, sys
v = [float(r["snr"]) for r in csv.DictReader(open(sys.argv[1])) if r.get("snr")]
k = int(sys.argv[2])
g = math.exp(sum(map(math.log, v)) / len(v))
n = 2048
print(f"K={k:4d} points/chunk={n / k:6.1f} snr={g:.4g} snr*sqrt(K/100)={g * math.sqrt(k / 100):.4g}")
PY
done
