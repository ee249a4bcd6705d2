#!/bin/sh
# Fails (exit 1) when a shared library we ship would not load on older Linux systems:
#   check-abi.sh LIB [--max PREFIX=VERSION]... [--allow "SONAME..."] [--exports REGEX]
# --max GLIBC=2.17  : every required symbol version GLIBC_x (from the library's version-needs section, i.e. what the
#                     dynamic loader checks) must be <= 2.17. A required version whose prefix has no --max fails too.
# --allow "..."     : every DT_NEEDED entry must be in this list (shell patterns, e.g. 'libcudart.so.*').
# --exports REGEX   : every symbol the library defines in its dynamic symbol table must match REGEX (grep -E).
# Reads the ELF with readelf (binutils). Prints a one-line summary on success.
set -u
LC_ALL=C
export LC_ALL
if [ $# -lt 1 ]; then echo "usage: $0 LIB [--max PREFIX=VERSION]... [--allow \"SONAMES\"] [--exports REGEX]" >&2; exit 2; fi
lib=$1; shift
maxes=""; allow=""; exports=""
while [ $# -gt 0 ]; do
	case $1 in
	--max) maxes="$maxes $2"; shift 2 ;;
	--allow) allow="$allow $2"; shift 2 ;;
	--exports) exports=$2; shift 2 ;;
	*) echo "check-abi: unknown option $1" >&2; exit 2 ;;
	esac
done
if ! command -v readelf >/dev/null 2>&1; then echo "check-abi: readelf not found (install binutils)" >&2; exit 2; fi
if [ ! -f "$lib" ]; then echo "check-abi: no such file: $lib" >&2; exit 2; fi
name=$(basename "$lib")
fail=0

# required symbol versions: "FILE VERSION" per line
needs=$(readelf -V -W "$lib" | awk '
	/^Version needs section/ { inneed = 1; next }
	/^Version (definition|symbols) section/ { inneed = 0 }
	inneed && / File: / { for (i = 1; i <= NF; i++) if ($i == "File:") file = $(i + 1) }
	inneed && / Name: / { for (i = 1; i <= NF; i++) if ($i == "Name:") print file, $(i + 1) }')
bad=$(printf '%s\n' "$needs" | awk -v maxes="$maxes" '
	function cmp(a, b,   x, y, n, m, i, k) {  # numeric compare of dotted versions
		n = split(a, x, "."); m = split(b, y, "."); k = n > m ? n : m
		for (i = 1; i <= k; i++) { if ((x[i] + 0) < (y[i] + 0)) return -1; if ((x[i] + 0) > (y[i] + 0)) return 1 }
		return 0
	}
	BEGIN { n = split(maxes, a, " "); for (i = 1; i <= n; i++) { split(a[i], kv, "="); max[kv[1]] = kv[2] } }
	NF == 2 {
		v = $2
		if (v !~ /_[0-9][0-9.]*$/) next        # e.g. a base version named after the file
		p = v; sub(/_[0-9][0-9.]*$/, "", p); num = v; sub(/^.*_/, "", num)
		if (!(p in max)) { print $1 ": " v " (no limit set for " p ")"; next }
		if (cmp(num, max[p]) > 0) print $1 ": " v " (limit " p "_" max[p] ")"
	}')
if [ -n "$bad" ]; then
	echo "check-abi: $name requires symbol versions above the target (it would not load on older systems):" >&2
	printf '%s\n' "$bad" | sed 's/^/  /' >&2
	readelf --dyn-syms -W "$lib" | awk '$7 == "UND"' | grep -F -e "$(printf '%s\n' "$bad" | sed 's/^[^:]*: \([^ ]*\).*/@\1 /')" | sed 's/^/    needed by: /' >&2
	fail=1
fi

# DT_NEEDED allowlist
needed=$(readelf -d -W "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p')
for n in $needed; do
	ok=0
	for a in $allow; do
		# shellcheck disable=SC2254
		case $n in $a) ok=1 ;; esac
	done
	if [ $ok = 0 ]; then echo "check-abi: $name needs $n, which is not in the allowlist ($allow )" >&2; fail=1; fi
done

# exported symbols
if [ -n "$exports" ]; then
	extra=$(readelf --dyn-syms -W "$lib" | awk 'NR > 3 && $7 != "UND" && $5 != "LOCAL" && $4 != "SECTION" && $4 != "FILE" && NF >= 8 { print $8 }' \
		| sed 's/@.*//' | grep -v -E "$exports" | sort -u)
	if [ -n "$extra" ]; then
		echo "check-abi: $name exports symbols other than $exports:" >&2
		printf '%s\n' "$extra" | head -20 | sed 's/^/  /' >&2
		fail=1
	fi
fi

[ $fail = 0 ] || exit 1
summary=$(printf '%s\n' "$needs" | awk 'NF == 2 && $2 ~ /_[0-9]/ {
		v = $2; p = v; sub(/_[0-9][0-9.]*$/, "", p); num = v; sub(/^.*_/, "", num)
		n = split(num, x, "."); key = sprintf("%05d%05d%05d%05d", x[1], x[2], x[3], x[4])
		if (!(p in best) || key > best[p]) { best[p] = key; show[p] = v } }
	END { for (p in show) printf "%s ", show[p] }')
echo "check-abi: $name ok: highest required versions: ${summary:-none}; needs:" $needed
