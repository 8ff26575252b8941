#!/usr/bin/env bash
# A plugin built outside the source tree, against the *installed* headers and
# the installed phasepinn.pc, must load.  Installs into a scratch DESTDIR,
# checks the installed headers (no build paths, each compiles alone),
# compiles tests/plugins/good_pde.c with pkg-config only, and asks the
# installed phasepinn to list it.
set -euo pipefail
build_root=$1
source_root=$2
stage=$(mktemp -d /tmp/pp_out_of_tree_XXXXXX)
trap 'rm -rf "$stage"' EXIT

meson install -C "$build_root" --destdir "$stage" --no-rebuild --quiet >/dev/null
pc=$(dirname "$(find "$stage" -name phasepinn.pc | head -n 1)")
[ -n "$pc" ] || { echo "phasepinn.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$pc
# the .pc names the real prefix; point it into the staging directory
prefix="$stage$(pkg-config --variable=prefix phasepinn)"
pc_args=(--define-variable=prefix="$prefix")
cflags=$(pkg-config "${pc_args[@]}" --cflags phasepinn)
libs=$(pkg-config "${pc_args[@]}" --libs phasepinn)
includedir=$(pkg-config "${pc_args[@]}" --variable=includedir phasepinn)

# The installed headers describe the API, not the machine that built it: no
# path of the build or source tree in them.
if grep -rlF -e "$build_root" -e "$source_root" "$includedir/phasepinn"; then
	echo "installed headers above name build paths"; exit 1
fi
# Each installed header compiles on its own with the pkg-config flags.
while IFS= read -r h; do
	# shellcheck disable=SC2086
	printf '#include <%s>\n' "$h" | cc -std=c11 -Wall -Wextra -Werror -fsyntax-only \
		$cflags -x c - || { echo "$h does not compile on its own"; exit 1; }
done < <(cd "$includedir" && find phasepinn -name '*.h' | sort)

mkdir "$stage/myplugins"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden $cflags \
	-DTOY_NAME='"out_of_tree_pde"' "$source_root/tests/plugins/good_pde.c" \
	-o "$stage/myplugins/out_of_tree_pde.so" $libs

libdir=$(pkg-config "${pc_args[@]}" --variable=libdir phasepinn)
exe=$(find "$stage" -type f -name phasepinn -perm -u+x | head -n 1)
plugindir=$(pkg-config "${pc_args[@]}" --variable=plugindir phasepinn)
# The staged install is not where the binary expects its built-in plugins
# (<prefix>/lib/.../phasepinn/plugins), so point it there explicitly.
out=$(LD_LIBRARY_PATH=$libdir PHASEPINN_PLUGIN_PATH=$plugindir \
	"$exe" --plugin-dir "$stage/myplugins" plugins)
echo "$out"
grep -q "pde        out_of_tree_pde" <<<"$out" || { echo "out-of-tree plugin not listed"; exit 1; }
grep -q "pde        burgers" <<<"$out" || { echo "installed plugins not found"; exit 1; }
echo "1 passed, 0 failed"
