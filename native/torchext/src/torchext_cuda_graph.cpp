// CUDA-graph capture of whatever DJL ops run between begin and end on the calling thread, for
// org.rerender.model.nn.TorchExtCudaGraph. Compiled only with -DRERENDER_TORCHEXT_CUDA (make CUDA=1, on a machine
// with a CUDA libtorch). Compiles and links against torch 2.14.1+cu130 (C++20); not yet run on a GPU.
//
// As torch.cuda.graph does: each graph owns one side stream from the pool (capture may not use the legacy default
// stream). The eager warm-up call runs on that same stream, so lazily made per-stream state (cuBLAS/cuBLASLt
// workspaces, cuDNN handles) exists before capture instead of being allocated inside it. Capture uses the
// thread-local mode: only this thread's own unsafe calls (a host copy, a synchronisation) invalidate it, not
// another Java thread's (a memory poller, a cleaner freeing tensors). capture_end instantiates the graph; replay()
// launches the recorded kernels on the current stream. Tensors made during capture keep their memory (the graph's
// private pool) as long as the graph lives, so inputs are copied into the captured input tensors before replay and
// outputs read from the captured output tensors.
//
// A failed capture (an illegal call invalidates it; capture_end then throws) must not leave the caching allocator
// routing allocations to the graph's pool: older libtorch releases' capture_end throws before it ends that routing,
// and the allocator then behaves as if a capture were still under way (no free-and-retry on out of memory,
// empty_cache asserts). Newer releases end it themselves and release the pool in reset(). So each graph captures
// into a pool whose id we know, and after a failed capture_end we end the routing ourselves: a no-op (an exception,
// ignored) where libtorch already did. The pool itself is left to libtorch's reset(), which newer releases make
// release it; in older ones what the failed capture allocated stays reserved (once: the caller stops graphing).
#ifdef RERENDER_TORCHEXT_CUDA
#include "torchext_jni.h"

#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAStream.h>

#include <optional>

namespace {

struct Capture {
	explicit Capture(c10::DeviceIndex device)
	    : device(device), stream(c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device)) {}

	// Makes `stream` the thread's current stream (and its device the current device) after all work queued so far
	// has finished.
	void enter() {
		{
			c10::cuda::CUDAGuard onDevice(device);
			c10::cuda::device_synchronize();
		}  // the device guard ends here: the stream guard below sets and later restores both device and stream
		onStream.emplace(stream);
	}

	// Restores the previous current stream after the side stream's work has finished.
	void leave() {
		if (!onStream) return;
		onStream.reset();
		c10::cuda::CUDAGuard onDevice(device);
		c10::cuda::device_synchronize();
	}

	// After a failed capture_end (endRouting) or capture_begin: best effort, each step on its own, then the
	// thread's stream is restored. capture_begin's own failure paths are left to libtorch (ending the routing there
	// would make a newer reset() stop before it releases the pool).
	void abandon(bool endRouting) {
		if (endRouting) {
			try {
				c10::cuda::CUDACachingAllocator::endAllocateToPool(device, pool);
			} catch (...) {  // "not currently recording": libtorch ended it already
			}
		}
		cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
		if (cudaStreamIsCapturing(stream.stream(), &status) == cudaSuccess && status != cudaStreamCaptureStatusNone) {
			cudaGraph_t partial = nullptr;
			if (cudaStreamEndCapture(stream.stream(), &partial) == cudaSuccess && partial != nullptr) cudaGraphDestroy(partial);
		}
		(void)cudaGetLastError();  // capture errors are not sticky; clear the last-error slot
		capturing = false;
		onStream.reset();
	}

	c10::DeviceIndex device;
	c10::cuda::CUDAStream stream;
	decltype(at::cuda::graph_pool_handle()) pool{0, 0};  // MempoolId_t; its namespace moved between releases
	std::optional<c10::cuda::CUDAStreamGuard> onStream;  // set while on the side stream
	at::cuda::CUDAGraph graph;
	bool capturing = false;
	bool captured = false;
};

Capture* capture(jlong handle) { return reinterpret_cast<Capture*>(handle); }

using torchext::guard;

}  // namespace

extern "C" {

JNIEXPORT jlong JNICALL Java_org_rerender_model_nn_TorchExtCudaGraph_nativeCreate(JNIEnv* env, jclass, jint device) {
	Capture* c = nullptr;
	bool ok = guard(env, [&] { c = new Capture(static_cast<c10::DeviceIndex>(device)); });
	return ok ? reinterpret_cast<jlong>(c) : 0;
}

JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExtCudaGraph_nativeStream(JNIEnv* env, jclass, jlong handle, jboolean enter) {
	Capture* c = capture(handle);
	guard(env, [&] {
		TORCH_CHECK(!c->capturing, "the side stream is switched by begin/end while capturing");
		if (enter) c->enter(); else c->leave();
	});
}

JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExtCudaGraph_nativeBegin(JNIEnv* env, jclass, jlong handle) {
	Capture* c = capture(handle);
	guard(env, [&] {
		TORCH_CHECK(!c->captured && !c->capturing, "a CUDA graph is captured once");
		c->pool = at::cuda::graph_pool_handle();
		c->enter();
		c->capturing = true;
		try {
			c->graph.capture_begin(c->pool, cudaStreamCaptureModeThreadLocal);
		} catch (...) {
			c->abandon(/*endRouting=*/false);
			throw;
		}
	});
}

JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExtCudaGraph_nativeEnd(JNIEnv* env, jclass, jlong handle) {
	Capture* c = capture(handle);
	guard(env, [&] {
		TORCH_CHECK(c->capturing, "end() without begin()");
		try {
			c->graph.capture_end();
		} catch (...) {
			c->abandon(/*endRouting=*/true);
			throw;
		}
		c->capturing = false;
		c->leave();
		c->captured = true;
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
		c->onStream.reset();
		delete c;
	});
}

}  // extern "C"
#endif  // RERENDER_TORCHEXT_CUDA
