#!/usr/bin/env bash
# Extracts the original projects' sources at the commits the shipped fixtures name (fixtures README) into
# tools/refgen/orig/<name>/ (ignored by git: third-party code never enters our commits). Clones each project
# (bare) from GitHub, or, offline, reads local bare mirrors: MIRRORS=DIR holding DIR/<owner>+<name>/repo git
# directories. Idempotent: an existing folder at the right commit is kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
orig="$here/orig"
mirrors=${MIRRORS:-}
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
	if [[ -n $mirrors ]]; then
		gitdir="$mirrors/${repo/\//+}/repo"
		[[ -d $gitdir ]] || { echo "no mirror of $repo at $gitdir" >&2; exit 2; }
	else
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
