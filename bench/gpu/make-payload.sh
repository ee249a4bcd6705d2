#!/usr/bin/env bash
# Prepares, on a machine WITH Java/Maven (and network or local mirrors), everything bench/gpu/run.sh needs on a
# GPU machine that has neither. Writes into DEST/bench/gpu/ (DEST = this checkout unless given):
#   jre/          jlinked JRE 17, stripped, plus include/jni.h + include/linux/jni_md.h to compile the JNI
#   djl-src/      DJL v0.36.0's PyTorch JNI sources (third-party: git-ignored, never committed)
#   anchor-code/  ldm/ + cldm/ of lllyasviel/ControlNet @ ed85cd1 and einops/ (third-party: git-ignored)
#   payload/      jars/ (DJL api + pytorch-engine, JNA, gson, slf4j; NOT the 112 MB CPU natives), classes/ (our
#                 main classes + org.rerender.bench), jni-header/ (javac -h of DJL's PyTorchLibrary), run.sh,
#                 anchor.py, djl-jni.patch; for the "parity" stage: test-classes/, jars-test/ (JUnit's console
#                 launcher), fixtures/ (the fixture files that fit a device call: everything but the tiny SD 1.5 and
#                 ControlNet weights and rerender/, which need them; FIXTURES = the fixtures folder, default ../shared/fixtures)
# Sources of the third-party folders: DJL_GIT, CONTROLNET_GIT, EINOPS_GIT (local git checkouts/mirrors), else
# they are cloned from GitHub.  Run `mvn -q test-compile` first (or let this script do it: BUILD=1).
#   bench/gpu/make-payload.sh [DEST]
set -euo pipefail
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SELF/../.." && pwd)"
DEST="$(cd "${1:-$ROOT}" && pwd)/bench/gpu"
mkdir -p "$DEST"
JDK="${JDK:-/usr/lib/jvm/java-17-openjdk-amd64}"
DJL_TAG=v0.36.0 CONTROLNET_COMMIT=ed85cd1

checkout() {   # $1 = env value (local git dir) or empty, $2 = GitHub repo, $3 = ref; prints a git dir
	if [[ -n "$1" ]]; then echo "$1"; return; fi
	local d; d="$(mktemp -d)"; git clone -q --bare "https://github.com/$2" "$d" >&2; echo "$d"
}

if [[ ! -x "$DEST/jre/bin/java" ]]; then
	"$JDK/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.unsupported,java.xml \
		--strip-debug --no-man-pages --no-header-files --compress=2 --output "$DEST/jre"
	strip --strip-unneeded "$DEST/jre/lib/server/libjvm.so" "$DEST"/jre/lib/*.so
	mkdir -p "$DEST/jre/include/linux"
	cp "$JDK/include/jni.h" "$DEST/jre/include/"; cp "$JDK/include/linux/jni_md.h" "$DEST/jre/include/linux/"
fi

if [[ ! -f "$DEST/djl-src/engines/pytorch/pytorch-native/CMakeLists.txt" ]]; then
	G="$(checkout "${DJL_GIT:-}" deepjavalibrary/djl $DJL_TAG)"
	mkdir -p "$DEST/djl-src"
	git -C "$G" archive "$DJL_TAG" LICENSE engines/pytorch/pytorch-native/CMakeLists.txt \
		engines/pytorch/pytorch-native/src/main/native api/src/main/native \
		engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java | tar -x -C "$DEST/djl-src"
fi

if [[ ! -d "$DEST/anchor-code/cldm" ]]; then
	G="$(checkout "${CONTROLNET_GIT:-}" lllyasviel/ControlNet $CONTROLNET_COMMIT)"
	E="$(checkout "${EINOPS_GIT:-}" arogozhnikov/einops HEAD)"
	mkdir -p "$DEST/anchor-code"
	git -C "$G" archive "$CONTROLNET_COMMIT" ldm cldm | tar -x -C "$DEST/anchor-code"
	git -C "$E" archive HEAD einops | tar -x -C "$DEST/anchor-code"
fi

P="$DEST/payload"; rm -rf "$P"; mkdir -p "$P/jars" "$P/classes" "$P/jni-header"
cd "$ROOT"
[[ "${BUILD:-0}" == 1 ]] && mvn -B -q -o test-compile
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile=/tmp/rerender-gpu-cp.txt >/dev/null
tr ':' '\n' < /tmp/rerender-gpu-cp.txt | grep -E '/(api|pytorch-engine|jna|gson|slf4j-api)-[0-9][^/]*\.jar$' \
	| xargs -I{} cp {} "$P/jars/"
SIMPLE="$(ls ~/.m2/repository/org/slf4j/slf4j-simple/2.0.17/slf4j-simple-2.0.17.jar 2>/dev/null || true)"
[[ -n "$SIMPLE" ]] && cp "$SIMPLE" "$P/jars/"
cp -r target/classes/. "$P/classes/"
mkdir -p "$P/classes/org/rerender/bench"; cp target/test-classes/org/rerender/bench/*.class "$P/classes/org/rerender/bench/"
JCP="$(ls "$P"/jars/api-*.jar):$(ls "$P"/jars/pytorch-engine-*.jar)"
"$JDK/bin/javac" -cp "$JCP" -h "$P/jni-header" -d /tmp/rerender-gpu-jni-classes \
	"$DEST/djl-src/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
cp "$SELF/run.sh" "$SELF/anchor.py" "$SELF/original_code.py" "$SELF/djl-jni.patch" "$SELF/tiny_weights.py" "$SELF/tiny-weights.sha256.json" "$P/"

# parity stage: the test classes, JUnit's console launcher (Maven Central) and the fixtures that fit a device call
mkdir -p "$P/test-classes" "$P/jars-test" "$P/fixtures"
cp -r target/test-classes/. "$P/test-classes/"
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/rerender-gpu-cp-test.txt >/dev/null
JUNIT_PLATFORM="$(tr ':' '\n' < /tmp/rerender-gpu-cp-test.txt | grep -o 'junit-platform-engine-[0-9.]*\.jar' | head -1 | sed 's/junit-platform-engine-//; s/\.jar//')"
CONSOLE="$HOME/.m2/repository/org/junit/platform/junit-platform-console-standalone/$JUNIT_PLATFORM/junit-platform-console-standalone-$JUNIT_PLATFORM.jar"
[[ -f "$CONSOLE" ]] || mvn -B -q dependency:get -Dartifact="org.junit.platform:junit-platform-console-standalone:$JUNIT_PLATFORM" >/dev/null
cp "$CONSOLE" "$P/jars-test/"
FIX="$(cd "${FIXTURES:-$ROOT/../shared/fixtures}" && pwd)"
(cd "$FIX" && find . -type f ! -name 'tiny-sd15.safetensors' ! -name 'tiny-controlnet.safetensors' \
	| tar -c -T - | tar -x -C "$P/fixtures")
du -sh "$DEST"/{jre,djl-src,anchor-code,payload}
