#!/usr/bin/env bash
# GPU benchmark of Rerender for Fiji, in ONE call on a machine with an NVIDIA GPU, PyTorch in its python3, a C++
# compiler, cmake (+ ninja) and the CUDA toolkit, but no Java and no network. See bench/gpu/README.md.
#
#   bench/gpu/run.sh [STAGES]        STAGES: comma list of jni,torchext,smoke,anchor,keyframe,rerender,probe,oom,parity
#                                    (default: jni,torchext,smoke,anchor,keyframe)
#
# Layout (relative to the repository root; the first three are git-ignored and travel as carried paths):
#   bench/gpu/jre/          jlinked JRE 17 (+ include/jni.h, include/linux/jni_md.h)      (make-payload.sh)
#   bench/gpu/djl-src/      DJL 0.36.0's PyTorch JNI sources (third-party, never committed) (make-payload.sh)
#   bench/gpu/anchor-code/  ldm/, cldm/ (lllyasviel/ControlNet ed85cd1), einops/           (make-payload.sh)
#   bench/gpu/payload/      jars/, classes/, jni-header/, run.sh, anchor.py, djl-jni.patch (make-payload.sh)
# Environment: OUT (log folder, default /tmp/rerender-gpu-out), PY (python with torch, default python3),
#   JOBS (build jobs, default nproc), DEVICE (default cuda:0), SIZES (default "512 768"), REPS (default 3),
#   ANCHOR_VARIANTS (default orig_fp32,tuned_fp16,graph_fp16), ANCHOR_SIZE (default 512), ANCHOR_RUNS (several
#   anchor.py runs, "SIZE:VARIANTS ...", default ANCHOR_SIZE:ANCHOR_VARIANTS), JNI_PREBUILT (a libdjl_torch.so to
#   use instead of building one), KF_ARGS (extra arguments for the key-frame benchmark), TORCHEXT_MODES (key-frame
#   runs with our fused ops on and/or off, and "graph": on + -Drerender.cudagraph=true, the CFG-batched call captured
#   as a CUDA graph and replayed; default "on graph off"; "off" only if the torchext build failed), KF_RUNS (key-frame
#   runs "SIZE:MODE,MODE[:REPS] ...", default every size of SIZES with every mode and REPS; MODE+cb = MODE with cuDNN's
#   benchmark mode on, MODE+cl = MODE with channels-last networks (rerender.channelslast); anchor.py takes VARIANT+cb
#   and VARIANT+cl the same way),
#   ANCHOR_ARGS (extra anchor.py arguments, e.g. --count-ops --phases), RR_ARGS (extra arguments of the rerender
#   stage's benchmark, e.g. --cfg batched --stores both --ablate --graph both; it always gets --phases), JNI_ATTEMPTS (comma list of JNI build attempts, default "cmake,gxx 1,cmake-noprof,gxx-noprof 1,gxx-nocuda 0"),
#   CXXSTD (C++ standard for both builds; default: c++20 when the torch headers demand it, as 2.14 does, else c++17).
# Stages run in this order: jni (torchext compiles beside it, in the background), smoke, oom, anchor, keyframe,
# probe, parity, rerender (the one never run on a GPU before comes last, so a failure there costs nothing else).
# bench/gpu/dry-run.sh rehearses the builds and the Java stages on a machine without a GPU.
set -u -o pipefail
STAGES=",${1:-jni,torchext,smoke,anchor,keyframe},"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# run.sh lives in bench/gpu/ (committed) and is copied to bench/gpu/payload/ for a device call
if [[ -d "$HERE/payload" ]]; then GPU="$HERE"; else GPU="$(cd "$HERE/.." && pwd)"; fi
PAYLOAD="$GPU/payload"
OUT="${OUT:-/tmp/rerender-gpu-out}"; mkdir -p "$OUT"
PY="${PY:-python3}"
JOBS="${JOBS:-$(nproc)}"
DEVICE="${DEVICE:-cuda:0}"
SIZES="${SIZES:-512 768}"
REPS="${REPS:-3}"
ANCHOR_VARIANTS="${ANCHOR_VARIANTS:-orig_fp32,tuned_fp16,graph_fp16}"
export PYTHONUNBUFFERED=1
T0=$(date +%s)
stamp() { echo "[run.sh +$(( $(date +%s) - T0 ))s] $*"; }
has() { [[ "$STAGES" == *",$1,"* ]]; }
TABLE="$OUT/table.md"; : > "$TABLE"
row() { echo "$*" >> "$TABLE"; }

stamp "machine: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi')"
if [[ -n "${TORCH_DIR:-}" && ( -z "${TORCH_VER:-}" || -z "${TORCH_CUDA:-}" || -z "${ABI:-}" ) ]]; then
	echo "FATAL: TORCH_DIR given without TORCH_VER, TORCH_CUDA and ABI (give all four, or none)"; exit 2
fi
if [[ -z "${TORCH_DIR:-}" ]]; then   # TORCH_DIR TORCH_VER TORCH_CUDA ABI may be given (local tests of this script)
	read -r TORCH_DIR TORCH_VER TORCH_CUDA ABI < <("$PY" -c 'import torch, os
print(os.path.dirname(torch.__file__), torch.__version__.split("+")[0], torch.version.cuda or "none", int(torch.compiled_with_cxx11_abi()))')
fi
if [[ -z "${TORCH_DIR:-}" ]]; then echo "FATAL: $PY has no torch"; exit 2; fi
SITE="$(dirname "$TORCH_DIR")"
if [[ "$TORCH_CUDA" == none ]]; then FLAVOR=cpu; else FLAVOR="cu$(echo "$TORCH_CUDA" | tr -d .)"; fi
# libtorch's headers say which C++ standard they need (2.11 builds with C++17; later releases #error without C++20)
if [[ -z "${CXXSTD:-}" ]]; then
	CXXSTD=c++17; grep -qs 'C++20 or later' "$TORCH_DIR/include/ATen/ATen.h" && CXXSTD=c++20
fi
stamp "torch $TORCH_VER at $TORCH_DIR, CUDA $TORCH_CUDA (flavor $FLAVOR), cxx11 ABI $ABI, headers need $CXXSTD"
stamp "tools: $(g++ --version | head -1); $(cmake --version | head -1); ninja $(ninja --version 2>/dev/null); nvcc $(nvcc --version 2>/dev/null | grep -o 'release [0-9.]*')"

JRE="${JRE:-$GPU/jre}"   # a JDK works too (JRE=$JAVA_HOME): the JNI build needs its include/jni.h
JNI_SO="$OUT/libdjl_torch.so"

# ---------------------------------------------------------------- 1b. our fused ops (native/torchext) against it too
# The same Makefile as the CPU build, pointed at this machine's torch package headers and libraries. It needs nothing
# of the JNI, so it compiles in the background while the JNI builds and the smoke/oom stages run (whether those get
# torchext depends on when it lands: it is built in a staging folder and moved into place when done); the anchor
# stage waits for it, so the compile does not compete with the original's host-bound eager rows.
TORCHEXT_DIR="$OUT/torchext"; TORCHEXT_SRC=""   # the repository's native/torchext (run.sh is in bench/gpu/ or bench/gpu/payload/)
for d in "$HERE/../.." "$HERE/../../.."; do [[ -f "$d/native/torchext/Makefile" ]] && TORCHEXT_SRC="$(cd "$d" && pwd)/native/torchext" && break; done
build_torchext() {
	local t0; t0=$(date +%s)
	built=""
	# the torch package's own CUDA runtime (pip wheels: nvidia/*/lib), so torchext needs the soname torch loaded
	CUDART_LIB="$(ls "$SITE"/nvidia/*/lib/libcudart.so.[0-9]* "$SITE"/nvidia/*/*/lib/libcudart.so.[0-9]* 2>/dev/null | head -1)"
	stamp "torchext: building libRerenderTorchExt.so against torch $TORCH_VER headers ($TORCH_DIR/include); CUDA runtime to link: ${CUDART_LIB:-from the CUDA toolkit in ${CUDA_HOME:-/usr/local/cuda}/lib64}"
	# first with the CUDA-graph entry points (CUDA=1; the key-frame mode "graph" uses them), then without
	# (1-nonhwc: CUDA without the channels-last GroupNorm kernel, should nvcc fail on it: the CUDA graphs stay)
	for cuda in $([[ $FLAVOR != cpu ]] && echo 1 1-nonhwc) 0; do
		rm -rf "$TORCHEXT_DIR.staging"
		if [[ -n "$TORCHEXT_SRC" ]] && make -s -C "$TORCHEXT_SRC" OUT="$TORCHEXT_DIR.staging" BUILD=/tmp/torchext-build JAVA_HOME="$JRE" ABI="$ABI" \
				CUDA="${cuda%%-*}" NHWC="$([[ $cuda == *-nonhwc ]] && echo 0 || echo 1)" CUDA_HOME="${CUDA_HOME:-/usr/local/cuda}" TORCH_INCLUDE="$TORCH_DIR/include" TORCH_LIB="$TORCH_DIR/lib" \
				LINKED_VERSION="$TORCH_VER" CXXSTD="$CXXSTD" ${CUDART_LIB:+CUDART="$CUDART_LIB"} >> "$OUT/torchext-build.log" 2>&1 \
				&& [[ -f "$TORCHEXT_DIR.staging/libRerenderTorchExt.so" ]]; then
			built="CUDA=$cuda"; break
		fi
		echo "torchext build (CUDA=$cuda) FAILED:"; tail -30 "$OUT/torchext-build.log"
	done
	if [[ -n "$built" ]]; then
		mkdir -p "$TORCHEXT_DIR"; mv "$TORCHEXT_DIR.staging/libRerenderTorchExt.so" "$TORCHEXT_DIR/"; rm -rf "$TORCHEXT_DIR.staging"
		stamp "torchext: built ($built) in $(( $(date +%s) - t0 )) s"
		echo "torchext built for torch $TORCH_VER ($built) in $(( $(date +%s) - t0 )) s (in the background)" > "$OUT/torchext-row.txt"
	else
		stamp "torchext: build FAILED"; echo "torchext build FAILED (see torchext-build.log)" > "$OUT/torchext-row.txt"
	fi
}
TORCHEXT_PID=""
if has torchext; then
	rm -f "$TORCHEXT_DIR/libRerenderTorchExt.so"   # never measure a library left by an earlier run in this OUT
	build_torchext > "$OUT/torchext-stage.log" 2>&1 & TORCHEXT_PID=$!
	trap '[[ -n "$TORCHEXT_PID" ]] && kill "$TORCHEXT_PID" 2>/dev/null' EXIT   # an early exit stops the build too
fi
torchext_join() {   # waits for the background build once, then settles which key-frame modes can run
	if [[ -n "$TORCHEXT_PID" ]]; then
		wait "$TORCHEXT_PID"; TORCHEXT_PID=""; cat "$OUT/torchext-stage.log"; cat "$OUT/torchext-row.txt" >> "$TABLE" 2>/dev/null
	fi
	[[ -f "$TORCHEXT_DIR/libRerenderTorchExt.so" ]] || TORCHEXT_MODES="off"
	TORCHEXT_MODES="${TORCHEXT_MODES:-on graph off}"
	# "graph" needs the CUDA-graph entry points (a CUDA=1 build); without them it would only repeat "on"
	if [[ " $TORCHEXT_MODES " == *" graph "* ]] && ! grep -q TorchExtCudaGraph_nativeBegin <(nm -D "$TORCHEXT_DIR/libRerenderTorchExt.so" 2>/dev/null); then
		stamp "torchext has no CUDA-graph entry points: key-frame mode 'graph' dropped"; TORCHEXT_MODES="$(echo " $TORCHEXT_MODES " | sed 's/ graph / /')"
	fi
}

# ---------------------------------------------------------------- 1. DJL's JNI against this machine's libtorch
build_cmake() {   # $1 = build dir; DJL's own CMakeLists (find_package(Torch) from the python package)
	local B="$1"; rm -rf "$B"; mkdir -p "$B"
	local cudaopt=(); [[ $FLAVOR != cpu ]] && cudaopt=(-DUSE_CUDA=1 -DCUDAToolkit_ROOT="${CUDA_HOME:-/usr/local/cuda}")
	TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" cmake -S "$SRC" -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release \
		-DCMAKE_PREFIX_PATH="$TORCH_DIR/share/cmake" "${cudaopt[@]}" ${EXTRA_DEFS:+-DCMAKE_CXX_FLAGS="$EXTRA_DEFS"} \
		-DJAVA_HOME="$JRE" -DJAVA_INCLUDE_PATH="$JRE/include" -DJAVA_INCLUDE_PATH2="$JRE/include/linux" \
		-DJAVA_JVM_LIBRARY="$JRE/lib/server/libjvm.so" > "$B/configure.log" 2>&1 \
		|| { echo "cmake configure FAILED:"; grep -v '^--' "$B/configure.log" | tail -40; return 1; }
	ninja -C "$B" -j "$JOBS" -k 0 > "$B/build.log" 2>&1 \
		|| { echo "ninja build FAILED:"; grep -E -A6 'error|FAILED' "$B/build.log" | head -80; return 1; }
	cp "$B/libdjl_torch.so" "$JNI_SO"; cp "$B/build.log" "$OUT/jni-build.log"
}
build_gxx() {     # $1 = build dir; $2 = 1 with USE_CUDA; plain g++, flags as torch.utils.cpp_extension would use
	local B="$1" cuda="$2"; rm -rf "$B"; mkdir -p "$B"
	local inc=(-I"$TORCH_DIR/include" -I"$TORCH_DIR/include/torch/csrc/api/include" -I"$SRC/build/include"
		-I"$GPU/djl-src/api/src/main/native" -I"$JRE/include" -I"$JRE/include/linux")
	local defs=(-D_GLIBCXX_USE_CXX11_ABI="$ABI") libs=(-ltorch -ltorch_cpu -lc10)
	if [[ $cuda == 1 ]]; then
		defs+=(-DUSE_CUDA); libs+=(-ltorch_cuda -lc10_cuda)
		inc+=(-I"${CUDA_HOME:-/usr/local/cuda}/include"); for d in "$SITE"/nvidia/*/include "$SITE"/nvidia/*/*/include; do [[ -d $d ]] && inc+=(-I"$d"); done
	fi
	ls "$SRC"/src/main/native/*.cc | xargs -P "$JOBS" -I{} sh -c 'g++ -std='"$CXXSTD"' -O2 -fPIC -w "$@" -c {} -o '"$B"'/$(basename {}).o \
		> '"$B"'/$(basename {}).log 2>&1 || { echo "FAILED {}"; grep -m20 -A4 error '"$B"'/$(basename {}).log; }' _ \
		"${defs[@]}" ${EXTRA_DEFS:-} "${inc[@]}" | tee "$B/errors.log"
	[[ -s "$B/errors.log" ]] && return 1
	g++ -shared -o "$B/libdjl_torch.so" "$B"/*.o -L"$TORCH_DIR/lib" -Wl,--no-as-needed "${libs[@]}" \
		-Wl,-rpath,"$TORCH_DIR/lib" || return 1
	cp "$B/libdjl_torch.so" "$JNI_SO"
}
if has jni; then
	SRC="$GPU/djl-src/engines/pytorch/pytorch-native"
	if [[ -n "${JNI_PREBUILT:-}" ]]; then
		cp "$JNI_PREBUILT" "$JNI_SO"; stamp "JNI: using prebuilt $JNI_PREBUILT"
	else
		[[ -f "$SRC/CMakeLists.txt" ]] || { echo "FATAL: no DJL JNI sources in $SRC (see bench/gpu/README.md)"; exit 2; }
		mkdir -p "$SRC/build/include"; cp "$PAYLOAD"/jni-header/*.h "$SRC/build/include/"
		# our patch (bench/gpu/djl-jni.patch): optional legacy-profiler guard; a no-op unless DJL_NO_LEGACY_PROFILER
		if [[ -f "$PAYLOAD/djl-jni.patch" ]] && ! grep -q DJL_NO_LEGACY_PROFILER "$SRC/src/main/native/ai_djl_pytorch_jni_PyTorchLibrary_system.cc"; then
			(cd "$GPU/djl-src" && patch -p1 < "$PAYLOAD/djl-jni.patch") || echo "WARNING: djl-jni.patch did not apply"
		fi
		stamp "JNI: building libdjl_torch.so against torch $TORCH_VER ($FLAVOR), $JOBS jobs"
		ok=0
		IFS=, read -r -a attempts <<< "${JNI_ATTEMPTS:-cmake,gxx 1,cmake-noprof,gxx-noprof 1,gxx-nocuda 0}"
		for attempt in "${attempts[@]}"; do
			EXTRA_DEFS=""; [[ $attempt == *noprof* ]] && EXTRA_DEFS="-DDJL_NO_LEGACY_PROFILER"
			set -- $attempt
			stamp "JNI attempt: $attempt"
			case $1 in
				cmake*) build_cmake "/tmp/djl-jni-$1" && ok=1 ;;
				gxx*) build_gxx "/tmp/djl-jni-$1" "$2" && ok=1 ;;
			esac
			if [[ $ok == 1 ]]; then stamp "JNI: built by '$attempt'"; break; fi
		done
		[[ $ok == 1 ]] || { stamp "FATAL: every JNI build attempt failed (logs above)"; exit 3; }
	fi
	nm -D --undefined-only "$JNI_SO" | c++filt | grep -c . | xargs echo "JNI undefined dynamic symbols:"
	row "JNI built in $(( $(date +%s) - T0 )) s (since start) for torch $TORCH_VER $FLAVOR"
fi

# ---------------------------------------------------------------- 2. make DJL load that JNI and this libtorch, offline
DJL_CACHE="/tmp/djl-cache"; CLS="$TORCH_VER-$FLAVOR-linux-x86_64"
mkdir -p "$DJL_CACHE/pytorch/$CLS"
[[ -f "$JNI_SO" ]] && cp "$JNI_SO" "$DJL_CACHE/pytorch/$CLS/0.36.0-libdjl_torch.so"
export DJL_CACHE_DIR="$DJL_CACHE" ENGINE_CACHE_DIR="$DJL_CACHE"
export PYTORCH_LIBRARY_PATH="$TORCH_DIR/lib" PYTORCH_VERSION="$TORCH_VER" PYTORCH_FLAVOR="$FLAVOR"
# test/helper libraries of the python package that DJL's loader would otherwise System.load() one by one
export PYTORCH_LIBRARY_EXCLUSION="libtorch_python.so,libtorchbind_test.so,libjitbackend_test.so,libbackend_with_compiler.so,libaoti_custom_ops.so,libshm.so"
JNA_PATH="$(ls -d "$SITE"/nvidia/*/lib "$SITE"/nvidia/cuda_runtime/lib 2>/dev/null | tr '\n' ':')${CUDA_HOME:-/usr/local/cuda}/lib64"
CP="$PAYLOAD/classes:$PAYLOAD/jars/*"
JAVA=("$JRE/bin/java" -Xmx16g -XX:+UseParallelGC -Dai.djl.offline=true -DOPT_OUT_TRACKING=true -Djava.awt.headless=true
	-Djna.library.path="$JNA_PATH" -Djava.library.path="$TORCHEXT_DIR" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.log.ai.djl.pytorch=info -cp "$CP")

# peak device-wide GPU memory by polling nvidia-smi every 100 ms while a command runs (includes the CUDA context)
smi_peak() {   # $1 = file; rest = command
	local f="$1"; shift
	( while :; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits 2>/dev/null | head -1; sleep 0.1; done ) > "$f" &
	local poller=$!
	"$@"; local rc=$?
	kill "$poller" 2>/dev/null; wait "$poller" 2>/dev/null
	echo "nvidia-smi peak memory.used: $(sort -n "$f" | tail -1) MiB (idle before: $(head -1 "$f") MiB)"
	return $rc
}

# ---------------------------------------------------------------- 3. Java probes: smoke test, GPU Status + out of memory
# probe NAME CLASS TIMEOUT RESULT_RE DETAIL_RE: runs org.rerender.bench.CLASS on DEVICE into NAME.log; its result line
# (or the exit code) and the detail lines go into the table
probe() {
	local name="$1" class="$2" limit="$3" result="$4" detail="$5"
	timeout "$limit" "${JAVA[@]}" "org.rerender.bench.$class" "$DEVICE" 2>&1 | tee "$OUT/$name.log"
	local rc=${PIPESTATUS[0]}
	row "$name ($DEVICE): $(grep -E "$result" "$OUT/$name.log" || echo "no result, rc $rc")"
	grep -E "$detail" "$OUT/$name.log" | sed 's/^/  /' >> "$TABLE"
}
if has smoke; then
	stamp "smoke: DJL on $DEVICE (matmul, conv2d, softmax in F32/F16 vs CPU; JNI cost per op; GEMM via DJL)"
	probe smoke GpuSmoke "${SMOKE_TIMEOUT:-150}" 'GPU smoke:' 'JNI cost|through DJL'
fi
if has oom; then
	stamp "oom: GPU Status lines, a real CUDA out-of-memory failure recognised and translated, memory back after"
	probe oom GpuOomProbe "${OOM_TIMEOUT:-120}" 'GPU OOM probe:' '^GPU Status|libtorch said|recognised|retry|releaseCached'
fi

# ---------------------------------------------------------------- 4. the original's code on this card (anchor.py)
has anchor && torchext_join
# ANCHOR_RUNS: "SIZE:VARIANTS ..." (default: ANCHOR_SIZE, default 512, with ANCHOR_VARIANTS); one log per size
ANCHOR_RUNS="${ANCHOR_RUNS:-${ANCHOR_SIZE:-512}:$ANCHOR_VARIANTS}"
if has anchor; then
	for run in $ANCHOR_RUNS; do
		S="${run%%:*}"; V="${run#*:}"
		stamp "anchor: original ldm/cldm modules, $V, ${S}x${S}, 20 steps, $REPS reps"
		if [[ -d "$GPU/anchor-code/cldm" ]]; then
			smi_peak "/tmp/smi-anchor-$S.txt" timeout "${ANCHOR_TIMEOUT:-300}" "$PY" "$PAYLOAD/anchor.py" --code "$GPU/anchor-code" --size "$S" --steps 20 \
				--reps "$REPS" --variants "$V" ${ANCHOR_ARGS:-} 2>&1 | tee "$OUT/anchor-$S.log"
			{ echo; echo "anchor.py (original ControlNet code, PyTorch $TORCH_VER), ${S}x${S}:"; grep -E '^#|^\|' "$OUT/anchor-$S.log"; } >> "$TABLE"
		else
			echo "no anchor code in $GPU/anchor-code (see bench/gpu/README.md)"
		fi
	done
fi

# ---------------------------------------------------------------- 5. our Java key-frame benchmark
# KF_RUNS: "SIZE:MODE,MODE[:REPS] ..." (default: every size of SIZES with every mode of TORCHEXT_MODES and REPS key
# frames after the warm-up; 20 of them show whether memory stays flat frame after frame)
torchext_join
KF_RUNS="${KF_RUNS:-$(for S in $SIZES; do printf '%s:%s ' "$S" "$(echo $TORCHEXT_MODES | tr ' ' ,)"; done)}"
if has keyframe; then
	if "$JRE/bin/java" -cp "$CP" org.rerender.bench.KeyFrameBenchmark --help > /dev/null 2>&1; then
		for run in $KF_RUNS; do
			IFS=: read -r S MODES N <<< "$run"; N="${N:-$REPS}"
			for M in ${MODES//,/ }; do
				B="${M%%+*}"   # MODE+cb: cuDNN's benchmark mode on (--cudnn-benchmark); MODE+cl: channels-last (NHWC) networks
				               # (-Drerender.channelslast=true); combinable (graph+cl+cb)
				[[ " $TORCHEXT_MODES " == *" $B "* ]] || { stamp "key frame ${S}x${S}: mode $B not available here, skipped"; continue; }
				# FLOPs of one key frame and the card's GEMM rate, from anchor.py's run at this size in this same call
				GEMM="$(grep -ho 'GEMM 8192^3: [0-9.]*' "$OUT"/anchor-*.log 2>/dev/null | awk '{print $3}' | head -1)"
				TF="$(awk -F'|' '/^\| (tuned_fp16|orig_fp32|graph_fp16) /{gsub(/ /,"",$7); print $7; exit}' "$OUT/anchor-$S.log" 2>/dev/null)"
				stamp "key frame: Java engine, ${S}x${S}, $DEVICE, torchext $M, $N key frames after the warm-up"
				flops=(); [[ -n "$TF" && -n "$GEMM" ]] && flops=(--tflop "$TF" --gemm-tflops "$GEMM")
				ext=(-Drerender.torchext=true); [[ $B == off ]] && ext=(-Drerender.torchext=false)
				[[ $B == graph ]] && ext+=(-Drerender.cudagraph=true)
				cb=(); [[ $M == *+cb* ]] && cb=(--cudnn-benchmark)
				[[ $M == *+cl* ]] && ext+=(-Drerender.channelslast=true)
				smi_peak "/tmp/smi-kf-$S.txt" timeout "${KF_TIMEOUT:-240}" "${JAVA[@]}" "${ext[@]}" org.rerender.bench.KeyFrameBenchmark \
					--device "$DEVICE" --size "$S" --steps 20 --reps "$N" "${flops[@]}" "${cb[@]}" --save-image "/tmp/kf-img-$S-$M.f32" \
					${KF_ARGS:-} 2>&1 | tee "$OUT/keyframe-$S-$M.log"
				{ echo; grep -E '^#|^\|' "$OUT/keyframe-$S-$M.log" | grep -v '^# key frame [0-9]'; grep 'nvidia-smi peak' "$OUT/keyframe-$S-$M.log" | sed 's/^/# /'; } >> "$TABLE"
			done
			# the same seeds and weights in every mode: how far each mode's last image is from the first mode's
			"$PY" - "$S" ${MODES//,/ } >> "$TABLE" 2>&1 <<'PYEOF' || true
import sys, os, torch
s, modes = sys.argv[1], sys.argv[2:]
f = lambda m: f"/tmp/kf-img-{s}-{m}.f32"
imgs = {m: torch.frombuffer(bytearray(open(f(m), "rb").read()), dtype=torch.float32).double() for m in modes if os.path.exists(f(m))}
if len(imgs) > 1:
    ref = next(iter(imgs)); a = imgs[ref]
    for m, b in imgs.items():
        if m != ref and b.numel() == a.numel():
            d = (b - a).abs()
            print(f"# {s}x{s} decoded image, {m} against {ref}: max|diff| {d.max():.4g}, mean|diff| {d.mean():.3g} (image range {a.min():.3g}..{a.max():.3g})")
PYEOF
		done
	else
		echo "KeyFrameBenchmark is not in the payload: skipped" | tee -a "$TABLE"
	fi
fi

# ---------------------------------------------------------------- 6. F16 vs F32, same random weights, stage by stage
if has probe; then
	stamp "probe: F16 against F32 per stage, $DEVICE, 512"
	timeout "${PROBE_TIMEOUT:-240}" "${JAVA[@]}" org.rerender.bench.F16Probe "$DEVICE" 512 2>&1 | tee "$OUT/probe.log"
	{ echo; echo "F16 probe:"; grep -E '^(float|FLOAT)' "$OUT/probe.log"; } >> "$TABLE"
fi

# ---------------------------------------------------------------- 8. fixture parity tests on the GPU (F32, TF32 off)
# The parity test classes whose fixture files and libraries fit a device call, through JUnit's console launcher on
# DEVICE (rerender.test.device; the tests switch TF32 off through torchext first). The tiny SD 1.5 / ControlNet
# weights (84 MB) do not travel: tiny_weights.py rebuilds them here from the original modules and the fixtures' seeds
# and checks every tensor against the fixtures' sha256 digests; only then do the SD 1.5 parity tests run. HED needs
# OpenCV's natives (JavaCV), beyond the 64 MiB a call carries.
if has parity; then
	SD_PARITY=""
	if [[ -f "$PAYLOAD/tiny_weights.py" && -d "$GPU/anchor-code/ldm" ]]; then
		stamp "parity: regenerating the tiny SD 1.5 weights (checked against the fixtures' digests)"
		if "$PY" "$PAYLOAD/tiny_weights.py" --code "$GPU/anchor-code" --configs "$PAYLOAD/fixtures/tiny-configs.json" \
				--check-digests --write "$PAYLOAD/fixtures" > "$OUT/tiny-weights.log" 2>&1; then
			SD_PARITY="org.rerender.model.unet.UNetParityTest org.rerender.model.unet.UNetDjlPathParityTest org.rerender.model.vae.VaeParityTest
				org.rerender.model.vae.VaeDjlPathParityTest org.rerender.model.clip.ClipParityTest org.rerender.diffusion.DdimParityTest
				org.rerender.diffusion.RerenderBaseF1ParityTest org.rerender.diffusion.rerender.RerenderParityTest
				org.rerender.diffusion.rerender.RerenderIsolatedParityTest"
			row "tiny SD 1.5 weights regenerated, every tensor matches the fixtures' digests"
		else
			tail -5 "$OUT/tiny-weights.log"; row "tiny SD 1.5 weights: regeneration FAILED or differs (tiny-weights.log): SD 1.5 parity skipped"
		fi
	fi
	PARITY_CLASSES="${PARITY_CLASSES:-org.rerender.flow.gmflow.GmflowParityTest org.rerender.flow.FlowOpsParityTest $SD_PARITY}"
	stamp "parity: $PARITY_CLASSES on $DEVICE"
	if [[ -d "$PAYLOAD/test-classes" && -n "$(ls "$PAYLOAD"/jars-test/junit-platform-console-standalone-*.jar 2>/dev/null)" ]]; then
		sel=(); for c in $PARITY_CLASSES; do sel+=(--select-class "$c"); done
		timeout "${PARITY_TIMEOUT:-180}" "${JAVA[@]}" -cp "$CP:$PAYLOAD/test-classes:$PAYLOAD/jars-test/*" -Drerender.test.device="$DEVICE" \
			-Drerender.fixtures="$PAYLOAD/fixtures" -Drerender.torchext.required=true org.junit.platform.console.ConsoleLauncher execute \
			--details=tree --disable-banner "${sel[@]}" 2>&1 | tee "$OUT/parity.log"
		row "parity ($DEVICE): $(grep -E 'tests (successful|failed)' "$OUT/parity.log" | tr -s ' ' | tr '\n' ';' || echo "no result")"
	else
		echo "no test classes / JUnit console launcher in the payload (make-payload.sh)" | tee -a "$TABLE"
	fi
fi

# ---------------------------------------------------------------- 5b. the Rerender engine: constraints off and on
# The key-frame engine the Rerender commands run (per-call hooks; not graphed), full size, random weights, F16 with
# torchext: anchor, key frame with constraints off and with the original's default constraints; separate CFG (the
# default) and batched CFG (the hooks per half), hence twice the plain stage's timeout. --phases: one more constrained
# key frame per CFG mode, the device drained at each phase mark, its phases as '# |' lines (in the table).
if has rerender; then
	for S in ${RERENDER_SIZES:-512}; do
		stamp "rerender: Java Rerender engine, ${S}x${S}, $DEVICE, constraints off/on"
		smi_peak "/tmp/smi-rr-$S.txt" timeout "$((2 * ${KF_TIMEOUT:-240}))" "${JAVA[@]}" -Drerender.torchext=true org.rerender.bench.KeyFrameBenchmark \
			--device "$DEVICE" --size "$S" --steps 20 --reps "$REPS" --rerender --phases ${RR_ARGS:-} 2>&1 | tee "$OUT/rerender-$S.log"
		{ echo; grep -E '^#|^\|' "$OUT/rerender-$S.log"; grep 'nvidia-smi peak' "$OUT/rerender-$S.log" | sed 's/^/# /'; } >> "$TABLE"
	done
fi

stamp "done"
echo; echo "=================== TABLE ($(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)) ==================="
cat "$TABLE"
