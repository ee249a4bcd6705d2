#!/bin/sh
# Fetches libtorch C++ headers (no libraries) into DEST: Debian trixie's libtorch-dev, whose file name is resolved
# from the archive's package index (so a new Debian revision does not break it), unpacked with dpkg-deb.
# The headers are compiled into a library we ship, so they are checked along apt's own chain of trust: the suite's
# InRelease signature against the Debian archive keyring (gpgv), the package index's SHA-256 from it, the .deb's
# SHA-256 from the index. Any mismatch, or no way to check, fails (nothing is unpacked).
#   fetch-headers.sh DEST   (needs curl, xz, dpkg-deb, gpgv, sha256sum; MIRROR defaults to http://deb.debian.org/debian,
#                            KEYRING to /usr/share/keyrings/debian-archive-keyring.gpg)
set -eu
DEST="$1"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SUITE="${SUITE:-trixie}"
KEYRING="${KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"
INDEX="main/binary-amd64/Packages.xz"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fail() { echo "torchext: $*" >&2; exit 1; }
command -v gpgv > /dev/null && [ -f "$KEYRING" ] || fail "cannot verify Debian's signature (gpgv or $KEYRING missing)"
check() { # FILE SHA256
	[ -n "$2" ] && echo "$2  $1" | sha256sum -c --status - || fail "checksum mismatch for $(basename "$1")"
}
curl -fsS --retry 2 -m 120 -o "$TMP/InRelease" "$MIRROR/dists/$SUITE/InRelease"
gpgv --keyring "$KEYRING" --output "$TMP/Release" "$TMP/InRelease" 2> "$TMP/gpgv.log" \
	|| { cat "$TMP/gpgv.log" >&2; fail "the signature of $SUITE's InRelease does not verify"; }
curl -fsS --retry 2 -m 120 -o "$TMP/Packages.xz" "$MIRROR/dists/$SUITE/$INDEX"
check "$TMP/Packages.xz" "$(awk -v f="$INDEX" '/^SHA256:/{s=1; next} /^[^ ]/{s=0} s && $3 == f {print $1}' "$TMP/Release")"
ENTRY="$(xz -dc "$TMP/Packages.xz" | awk '/^Package: /{p=($2=="libtorch-dev")} p && /^(Filename|SHA256): /{print $2} p && /^$/{exit}')"
FILE="$(echo "$ENTRY" | sed -n 1p)"; SUM="$(echo "$ENTRY" | sed -n 2p)"
[ -n "$FILE" ] || fail "no libtorch-dev in $SUITE's package index"
echo "torchext: fetching headers $MIRROR/$FILE"
curl -fsS --retry 2 -m 600 -o "$TMP/libtorch-dev.deb" "$MIRROR/$FILE"
check "$TMP/libtorch-dev.deb" "$SUM"
rm -rf "$DEST.part"; mkdir -p "$DEST.part"
dpkg-deb -x "$TMP/libtorch-dev.deb" "$DEST.part"
# only the headers are used; the package's unversioned .so links point into the (absent) runtime package
rm -rf "$DEST.part/usr/lib" "$DEST.part/usr/share"
basename "$FILE" > "$DEST.part/SOURCE"
rm -rf "$DEST"; mv "$DEST.part" "$DEST"
