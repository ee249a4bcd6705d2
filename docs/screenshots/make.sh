#!/bin/sh
# Renders every command's ImageJ 1.x dialog to docs/screenshots/<command>.png under a virtual display.
# Needs Xvfb (Debian: apt-get install xvfb xauth). Run from anywhere; writes into the repository.
set -e
cd "$(dirname "$0")/../.."
exec xvfb-run -a -s "-screen 0 1400x1800x24" \
	mvn -B -q test -Pbench -Dtest=DialogScreenshots -Dscijava.surefire.args="-Xmx2g -Dai.djl.offline=true -DOPT_OUT_TRACKING=true -Djava.awt.headless=false" -Drerender.screenshots=docs/screenshots "$@"
