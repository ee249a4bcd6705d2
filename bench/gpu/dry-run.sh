#!/usr/bin/env bash
# Rehearses bench/gpu/run.sh on a machine WITHOUT a GPU, against a CUDA build of PyTorch installed from local wheel
# files: the DJL JNI and torchext (CUDA=1) builds, DJL loading the CUDA-flavoured libtorch offline, the version gate
# and self-check of the fused ops, then the smoke test and the key-frame benchmark on the CPU at 64x64. Catches
# compile/link/load problems before a (scarce) GPU call; measures nothing about the GPU.
#   WHEELS=/opt/pypi-more/files bench/gpu/dry-run.sh        (after make-payload.sh; OUT=/tmp/rerender-dry-run)
# WHEELS must hold a CUDA torch wheel for this python3 and the nvidia-* wheels it needs (installed --no-deps).
# No NVIDIA driver here: libtorch's libcaffe2_nvrtc.so links libcuda.so.1, so a stand-in is built that answers
# CUDA_ERROR_NO_DEVICE to every driver entry point that library imports (CUDA then reports no GPU, as intended).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WHEELS="${WHEELS:?set WHEELS to a folder with torch-*.whl and nvidia_*.whl}"
V="${VENV:-/tmp/rerender-dry-venv}"; STUB="$V/cuda-stub"
if [[ ! -x "$V/bin/python" ]] || ! "$V/bin/python" -c 'import torch' 2>/dev/null; then
	python3 -m venv "$V"
	"$V/bin/pip" install -q --no-index --no-deps "$WHEELS"/torch-*.whl "$WHEELS"/nvidia_*.whl
	"$V/bin/pip" install -q --no-index --find-links "$WHEELS" typing_extensions sympy filelock networkx jinja2 fsspec numpy \
		|| echo "(some pure-Python torch dependencies are missing from WHEELS; torch may not import)"
fi
T="$("$V/bin/python" -c 'import torch, os; print(os.path.dirname(torch.__file__))')"
mkdir -p "$STUB"
if [[ ! -f "$STUB/libcuda.so.1" ]]; then
	nm -D --undefined-only "$T/lib/libcaffe2_nvrtc.so" | awk '{print $2}' | sed 's/@.*//' | grep '^cu' | sort -u \
		| awk '{print "int " $1 "(void) { return 100; }"}' > "$STUB/stub.c"
	gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$STUB/libcuda.so.1" "$STUB/stub.c"
fi
export LD_LIBRARY_PATH="$STUB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" PY="$V/bin/python" OUT="${OUT:-/tmp/rerender-dry-run}"
export DEVICE=cpu SIZES="${SIZES:-64}" REPS="${REPS:-1}" TORCHEXT_MODES="${TORCHEXT_MODES:-on}" KF_TIMEOUT="${KF_TIMEOUT:-900}" SMOKE_TIMEOUT=300
export CUDA_HOME="${CUDA_HOME:-/usr/local/cuda}" JNI_ATTEMPTS="${JNI_ATTEMPTS:-cmake,gxx 1}"
exec bash "$HERE/run.sh" "${1:-jni,torchext,smoke,keyframe}"
