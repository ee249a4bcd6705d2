// CUDA-graph capture of whatever DJL ops run between begin and end on the calling thread, for
// org.rerender.model.nn.TorchExtCudaGraph. Compiled only with -DRERENDER_TORCHEXT_CUDA (make CUDA=1, on a machine
// with a CUDA libtorch); UNRUN so far: no GPU was available when it was written.
//
// As torch.cuda.graph does: synchronise, switch the thread's current stream to a side stream (capture may not use
// the legacy default stream), capture_begin; the ops in between are recorded, not run; capture_end instantiates
// the graph and restores the stream. replay() launches the recorded kernels on the current stream. The tensors
// made during capture keep their memory (the graph's private pool) as long as the graph lives, so inputs are
// copied into the captured input tensors before replay and outputs read from the captured output tensors.
#ifdef RERENDER_TORCHEXT_CUDA
#include "torchext_jni.h"

#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <exception>
#include <optional>

namespace {

struct Capture {
	at::cuda::CUDAGraph graph;
	std::optional<c10::cuda::CUDAStreamGuard> stream;  // set from begin to end
	bool captured = false;
};

Capture* capture(jlong handle) { return reinterpret_cast<Capture*>(handle); }

using torchext::guard;

}  // namespace

extern "C" {

JNIEXPORT jlong JNICALL Java_org_rerender_model_nn_TorchExtCudaGraph_nativeBegin(JNIEnv* env, jclass, jint device) {
	auto* c = new Capture();
	bool ok = guard(env, [&] {
		c10::cuda::CUDAGuard onDevice(static_cast<c10::DeviceIndex>(device));
		c10::cuda::device_synchronize();
		c->stream.emplace(c10::cuda::getStreamFromPool(/*isHighPriority=*/false, static_cast<c10::DeviceIndex>(device)));
		c->graph.capture_begin();
	});
	if (!ok) {
		c->stream.reset();
		delete c;
		return 0;
	}
	return reinterpret_cast<jlong>(c);
}

JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExtCudaGraph_nativeEnd(JNIEnv* env, jclass, jlong handle) {
	Capture* c = capture(handle);
	guard(env, [&] {
		try {
			c->graph.capture_end();
		} catch (...) {
			c->stream.reset();
			throw;
		}
		c->stream.reset();
		c->captured = true;
		c10::cuda::device_synchronize();
	});
}

JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExtCudaGraph_nativeReplay(JNIEnv* env, jclass, jlong handle) {
	Capture* c = capture(handle);
	guard(env, [&] {
		TORCH_CHECK(c->captured, "replay of a CUDA graph that was not captured (end() missing or failed)");
		c->graph.replay();
	});
}

JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExtCudaGraph_nativeDelete(JNIEnv* env, jclass, jlong handle) {
	Capture* c = capture(handle);
	guard(env, [&] {
		c->stream.reset();
		delete c;
	});
}

}  // extern "C"
#endif  // RERENDER_TORCHEXT_CUDA
