#!/bin/sh
# Benchmark two revisions of the engine side by side: builds each in a git
# worktree under ${TMPDIR:-/tmp} and runs `phasepinn bench` on the four
# standard shapes, the revisions alternating, ROUNDS times.  One line per
# run, prefixed with the revision; docs/engine.md reads medians off them.
#   scripts/bench-revisions.sh OLD_REV NEW_REV [ROUNDS]
# SHAPES="width depth points steps [threads]; ..." replaces the four shapes
# (threads default 1).
set -eu
old=$1
new=$2
rounds=${3:-6}
top=$(git rev-parse --show-toplevel)
base=${TMPDIR:-/tmp}/phasepinn-bench
for rev in "$old" "$new"; do
	dir=$base/$rev
	if [ ! -x "$dir/build/phasepinn" ]; then
		rm -rf "$dir"
		git -C "$top" worktree add --detach "$dir" "$rev" >/dev/null
		meson setup "$dir/build" "$dir" >/dev/null
		ninja -C "$dir/build" >/dev/null
	fi
done
i=0
while [ "$i" -lt "$rounds" ]; do
	shapes=${SHAPES:-"50 4 10000 20; 128 6 6400 5; 20 8 10000 30; 30 3 10000 40"}
	echo "$shapes" | tr ';' '\n' | while read -r shape; do
		set -- $shape
		for rev in "$old" "$new"; do
			echo "$rev $("$base/$rev/build/phasepinn" bench --width "$1" --depth "$2" \
				--points "$3" --steps "$4" --threads "${5:-1}")"
		done
	done
	i=$((i + 1))
done
