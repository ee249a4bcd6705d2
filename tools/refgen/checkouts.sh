#!/usr/bin/env bash
# Extracts the original projects' sources at the commits the shipped fixtures name (fixtures README) into
# tools/refgen/orig/<name>/ (ignored by git: third-party code never enters our commits). Reads local bare
# mirrors: MIRRORS=DIR holding owner+name/repo git dirs (default /work/.mirror), or clones from GitHub when
# ONLINE=1. Idempotent: an existing folder at the right commit is kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
orig="$here/orig"
mirrors=${MIRRORS:-/work/.mirror}
mkdir -p "$orig"
pins=(
	"ControlNet lllyasviel/ControlNet ed85cd1e25a5"
	"gmflow haofeixu/gmflow af2d869a6fa3"
	"Rerender_A_Video williamyang1991/Rerender_A_Video dfaf9d8825f2"
	"CLIP openai/CLIP d05afc436d78"
	"einops arogozhnikov/einops ccb89f27599f"
)
for pin in "${pins[@]}"; do
	read -r name repo commit <<<"$pin"
	dest="$orig/$name"
	if [[ -f "$dest/.refgen-commit" && $(cat "$dest/.refgen-commit") == "$commit" ]]; then continue; fi
	rm -rf "$dest" && mkdir -p "$dest"
	gitdir="$mirrors/${repo/\//+}/repo"
	if [[ ! -d $gitdir ]]; then
		[[ ${ONLINE:-0} == 1 ]] || { echo "no mirror of $repo at $gitdir (set MIRRORS=DIR or ONLINE=1)" >&2; exit 2; }
		gitdir="$orig/.git-$name"
		[[ -d $gitdir ]] || git clone -q --bare "https://github.com/$repo" "$gitdir"
	fi
	# File by file: mirrors may lack large blobs (PDFs, images) that no generator needs; those are skipped.
	git --git-dir="$gitdir" ls-tree -r "$commit" | while read -r mode type blob path; do
		[[ $type == blob ]] || continue
		git --git-dir="$gitdir" cat-file -e "$blob" 2>/dev/null || { echo "  (absent in mirror, skipped: $path)"; continue; }
		mkdir -p "$dest/$(dirname "$path")"
		git --git-dir="$gitdir" cat-file blob "$blob" >"$dest/$path"
	done
	echo "$commit" >"$dest/.refgen-commit"
	echo "extracted $repo@$commit -> $dest"
done
