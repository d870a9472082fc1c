# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# p2p_configure WHO TREE OBJ CC FRAGMENT...
#
# Make OBJ/.config from config fragments: allnoconfig, the fragments merged
# on top, olddefconfig.  Nothing is done when the fragments are unchanged
# since the last time (their checksum is kept in OBJ/.p2p-config), so an
# edit to a C file never reconfigures.  Every fragment line that
# olddefconfig dropped (a dependency is missing) is named, prefixed with
# WHO, and the function then returns 1.
p2p_configure() {
	local who=$1 tree=$2 obj=$3 cc=$4
	local sum missing=0 f line opt
	shift 4

	mkdir -p "$obj"
	sum=$(cat "$@" | sha256sum | cut -c1-16)
	if [ -f "$obj/.config" ] &&
	   [ "$(cat "$obj/.p2p-config" 2>/dev/null)" = "$sum" ]; then
		return 0
	fi
	echo "$who: generating .config from $(for f; do basename "$f"; done | paste -sd' ' -)"
	make -s -C "$tree" O="$obj" CC="$cc" allnoconfig >/dev/null
	(cd "$tree" && KCONFIG_CONFIG="$obj/.config" \
		scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" "$@" >/dev/null)
	make -s -C "$tree" O="$obj" CC="$cc" olddefconfig >/dev/null
	for f; do
		while IFS= read -r line; do
			case "$line" in
			CONFIG_*=n)
				opt=${line%%=*}
				if grep -q "^$opt=" "$obj/.config"; then
					echo "$who: $opt is set, $(basename "$f") wants it off" >&2
					missing=1
				fi ;;
			CONFIG_*=*)
				if ! grep -qx -- "$line" "$obj/.config"; then
					echo "$who: $line from $(basename "$f") did not survive olddefconfig (a dependency is missing)" >&2
					missing=1
				fi ;;
			esac
		done <"$f"
	done
	if [ $missing != 0 ]; then
		echo "$who: the configuration is incomplete; fix the fragments" >&2
		return 1
	fi
	echo "$sum" >"$obj/.p2p-config"
}
