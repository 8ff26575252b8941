#!/usr/bin/env bash
# phasepinn set-up on a fresh Debian machine.
#
#   scripts/setup.sh run    install what is missing, build, run configs/quickstart.yaml
#   scripts/setup.sh test   install what is missing, build, run the whole test suite
#   scripts/setup.sh build  install what is missing and build only
#   scripts/setup.sh sanitize  the test suite under AddressSanitizer and
#                           UndefinedBehaviorSanitizer (UB fatal) in build-asan
#
# Needs root (or sudo) only when packages are missing.  BUILD_DIR (default
# build) selects the build directory.
set -euo pipefail

cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
# libopenmpi-dev, openmpi-bin: -Dmpi (auto) and the two-rank tests
# (docs/scaling.md)
# python3-numpy: tests/data/authors_mi.py, the numpy re-implementation of the
# authors' information measure that the information analyzer is checked against
packages=(build-essential meson ninja-build pkg-config libopenblas-dev libyaml-dev
          libcunit1-dev libfftw3-dev gnuplot-nox libopenmpi-dev openmpi-bin
          python3-numpy python3-pandas python3-pytest python3-yaml)

install_missing() {
	local missing=()
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "setup: installing ${missing[*]}"
	local sudo=()
	[ "$(id -u)" -ne 0 ] && sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
}

build() {
	if [ ! -f "$build_dir/build.ninja" ]; then
		meson setup "$build_dir"
	fi
	ninja -C "$build_dir"
}

case "${1:-}" in
run)
	install_missing
	build
	"$build_dir/phasepinn" run configs/quickstart.yaml --force
	;;
test)
	install_missing
	build
	status=0
	meson test -C "$build_dir" --print-errorlogs || status=$?
	# one plain closing line for CI logs: N passed, N failed
	log="$build_dir/meson-logs/testlog.json"
	if [ -f "$log" ]; then
		passed=$(grep -c '"result": "OK"' "$log" || true)
		failed=$(grep -Ec '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
		skipped=$(grep -c '"result": "SKIP"' "$log" || true)
		echo "$passed passed, $failed failed, $skipped skipped"
	fi
	exit "$status"
	;;
build)
	install_missing
	build
	;;
sanitize)
	# docs/hardening.md; a finding stops its test with a stack trace
	build_dir=${BUILD_DIR:-build-asan}
	install_missing
	if [ -f "$build_dir/build.ninja" ]; then
		meson configure "$build_dir" -Db_sanitize=address,undefined -Db_lundef=false
	else
		meson setup "$build_dir" -Db_sanitize=address,undefined -Db_lundef=false
	fi
	ninja -C "$build_dir"
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
	meson test -C "$build_dir" --print-errorlogs --timeout-multiplier 3
	;;
*)
	echo "usage: scripts/setup.sh run|test|build|sanitize" >&2
	exit 2
	;;
esac
