#!/usr/bin/env bash
# Fuzz the YAML experiment loader, the `phases` CSV reader and checkpoint
# restoring with libFuzzer,
# for a bounded time each (docs/hardening.md).
#
#   scripts/fuzz.sh [SECONDS]     seconds per harness (default 120, or FUZZ_SECONDS)
#
# FUZZ_BUILD_DIR (default build-fuzz) is the clang build with -Dfuzz=true,
# configured here when missing.  Each harness starts from its corpus in
# FUZZ_BUILD_DIR/corpus/<harness> (kept between runs), seeded with configs/
# and tests/data/fuzz/, and runs alone (-workers=1).  A crash, leak, UB or
# timeout stops it and leaves the input in FUZZ_BUILD_DIR/findings/; minimise
# it with `HARNESS -minimize_crash=1 -runs=10000 FILE` and add it to
# tests/data/fuzz/ (the unit tests replay every file there).  Exit status 1
# when anything was found.  FUZZ_ARGS adds libFuzzer options; FUZZ_ONLY=NAME
# runs one harness (fuzz_experiment, fuzz_phases_csv, fuzz_checkpoint, fuzz_summary).
set -euo pipefail

cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-120}}
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}

need_clang() {
	command -v clang >/dev/null &&
		[ -f "$(clang -print-file-name="libclang_rt.fuzzer-$(uname -m).a")" ] && return 0
	echo "fuzz: installing clang (libFuzzer)"
	local sudo=()
	[ "$(id -u)" -ne 0 ] && sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq clang libclang-rt-dev
}

configure() {
	if [ ! -f "$build_dir/build.ninja" ]; then
		CC=clang meson setup "$build_dir" -Dfuzz=true -Db_lundef=false -Dtests=false \
			-Dbuildtype=debugoptimized
	fi
	ninja -C "$build_dir"
}

# seed directory for @harness: the files of tests/data/fuzz/ with @ext, plus
# the shipped experiments (YAML), an SNR curve with all three phases (CSV)
# or a summary with every kind of JSON value and escape (JSON)
seed() {
	local harness=$1 ext=$2 dir="$build_dir/seeds/$1"
	rm -rf "$dir"
	mkdir -p "$dir"
	cp tests/data/fuzz/*."$ext" "$dir"/ 2>/dev/null || true
	if [ "$ext" = ckpt ]; then
		# checkpoints of the harness's own experiment, at every stage
		PP_FUZZ_SEED_DIR="$dir" "$build_dir/tests/fuzz/$harness" >/dev/null 2>&1 ||
			echo "fuzz: could not write $harness seeds" >&2
	elif [ "$ext" = yaml ]; then
		for f in configs/*.yaml configs/*/*.yaml; do
			cp "$f" "$dir/$(echo "${f#configs/}" | tr / _)"
		done
	elif [ "$ext" = json ]; then
		printf '{\n  "name": "a \\"b\\" \\\\ c\\u000a",\n  "status": "failed",\n  "error": null,\n  "threads": 1,\n  "seed": 18446744073709551615,\n  "final_loss": null,\n  "stages": [\n    {"optimizer": "adam", "iterations": 5, "steps": 5, "stop": "\\ud83d\\ude00"}\n  ],\n  "final": {\n    "loss": -1.5e-300\n  }\n}\n' >"$dir/summary.json"
	else
		awk 'BEGIN { print "iteration,mu,sigma"; for (s = 0; s < 8000; s += 10)
			printf "%d,%g,1\n", s, s < 1500 ? 5 : s < 6000 ? 0.01 : 3 }' >"$dir/curve.csv"
		printf 'step,stage,loss,snr_mu,snr_sigma\n0,0,1,5,1\n10,0,1,,\n20,0,1,0.1,1\n' >"$dir/metrics.csv"
	fi
	echo "$dir"
}

run() {
	local harness=$1 ext=$2 dict=$3 corpus="$build_dir/corpus/$1" log="$build_dir/fuzz-$1.log"
	[ -z "${FUZZ_ONLY:-}" ] || [ "$FUZZ_ONLY" = "$harness" ] || return 0
	mkdir -p "$corpus" "$build_dir/findings"
	echo "fuzz: $harness for ${seconds}s (log $log)"
	local status=0
	"$build_dir/tests/fuzz/$harness" -max_total_time="$seconds" \
		-timeout=60 -rss_limit_mb=2048 -max_len="${max_len:-8192}" -print_final_stats=1 \
		-dict="$dict" -artifact_prefix="$build_dir/findings/$harness-" \
		${FUZZ_ARGS:-} "$corpus" "$(seed "$harness" "$ext")" >"$log" 2>&1 || status=$?
	grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb|INFO: seed corpus)' "$log" || true
	if [ "$status" -ne 0 ]; then
		echo "fuzz: $harness FOUND a problem (exit $status):"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -20
		return 1
	fi
	echo "fuzz: $harness: no crash, leak, UB or timeout"
}

need_clang
configure
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
found=0
run fuzz_experiment yaml tests/fuzz/experiment.dict || found=1
run fuzz_phases_csv csv tests/fuzz/phases_csv.dict || found=1
max_len=131072 run fuzz_checkpoint ckpt tests/fuzz/checkpoint.dict || found=1
run fuzz_summary json tests/fuzz/summary.dict || found=1
exit "$found"
