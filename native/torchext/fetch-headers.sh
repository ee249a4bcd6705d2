#!/bin/sh
# Fetches libtorch C++ headers (no libraries) into DEST: Debian trixie's libtorch-dev, whose file name is resolved
# from the archive's package index (so a new Debian revision does not break it), unpacked with dpkg-deb.
#   fetch-headers.sh DEST         (needs curl, xz, dpkg-deb; MIRROR defaults to http://deb.debian.org/debian)
set -eu
DEST="$1"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SUITE="${SUITE:-trixie}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
curl -fsS --retry 2 -m 120 -o "$TMP/Packages.xz" "$MIRROR/dists/$SUITE/main/binary-amd64/Packages.xz"
FILE="$(xz -dc "$TMP/Packages.xz" | awk '/^Package: /{p=($2=="libtorch-dev")} p && /^Filename: /{print $2; exit}')"
[ -n "$FILE" ] || { echo "no libtorch-dev in $SUITE's package index" >&2; exit 1; }
echo "torchext: fetching headers $MIRROR/$FILE"
curl -fsS --retry 2 -m 600 -o "$TMP/libtorch-dev.deb" "$MIRROR/$FILE"
rm -rf "$DEST.part"; mkdir -p "$DEST.part"
dpkg-deb -x "$TMP/libtorch-dev.deb" "$DEST.part"
# only the headers are used; the package's unversioned .so links point into the (absent) runtime package
rm -rf "$DEST.part/usr/lib" "$DEST.part/usr/share"
basename "$FILE" > "$DEST.part/SOURCE"
rm -rf "$DEST"; mv "$DEST.part" "$DEST"
