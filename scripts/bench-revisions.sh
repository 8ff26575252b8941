#!/bin/sh
# Benchmark two revisions of the engine side by side: builds each in a git
# worktree under ${TMPDIR:-/tmp} and runs `phasepinn bench` on the four
# standard shapes, the revisions alternating, ROUNDS times.  One line per
# run, prefixed with the revision; docs/engine.md reads medians off them.
#   scripts/bench-revisions.sh OLD_REV NEW_REV [ROUNDS]
# SHAPES="width depth points steps [threads]; ..." replaces the four shapes
# (threads default 1).
set -eu
top=$(git rev-parse --show-toplevel)
# Revisions are named by their commit, so HEAD or a branch that has moved
# since the last call gets a fresh build instead of the old one's.
old=$(git -C "$top" rev-parse --verify "$1^{commit}")
new=$(git -C "$top" rev-parse --verify "$2^{commit}")
rounds=${3:-6}
base=${TMPDIR:-/tmp}/phasepinn-bench
git -C "$top" worktree prune
for rev in "$old" "$new"; do
	dir=$base/$rev
	# a build is reused only when it finished (the stamp is written last)
	if [ ! -f "$dir/build/.bench-complete" ]; then
		if [ -d "$dir" ]; then
			git -C "$top" worktree remove --force "$dir" 2>/dev/null || rm -rf "$dir"
			git -C "$top" worktree prune
		fi
		git -C "$top" worktree add --detach "$dir" "$rev" >/dev/null
		meson setup "$dir/build" "$dir" >/dev/null
		ninja -C "$dir/build" >/dev/null
		touch "$dir/build/.bench-complete"
	fi
done
i=0
while [ "$i" -lt "$rounds" ]; do
	shapes=${SHAPES:-"50 4 10000 20; 128 6 6400 5; 20 8 10000 30; 30 3 10000 40"}
	echo "$shapes" | tr ';' '\n' | while read -r shape; do
		set -- $shape
		for rev in "$old" "$new"; do
			echo "$(git -C "$top" rev-parse --short "$rev") $("$base/$rev/build/phasepinn" bench --width "$1" --depth "$2" \
				--points "$3" --steps "$4" --threads "${5:-1}")"
		done
	done
	i=$((i + 1))
done
