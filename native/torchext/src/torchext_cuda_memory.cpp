// libtorch's CUDA caching-allocator statistics for org.rerender.model.nn.TorchExtCudaMemory: the same figures as
// torch.cuda.memory_allocated / max_memory_allocated / memory_reserved / max_memory_reserved, which DJL does not
// expose. With them the key-frame benchmark reports our memory in the metric the PyTorch rows use, instead of the
// device-wide figure (which also counts the CUDA context, cuBLAS/cuDNN workspaces and other processes).
// Compiled only with -DRERENDER_TORCHEXT_CUDA (make CUDA=1).
#ifdef RERENDER_TORCHEXT_CUDA
#include "torchext_jni.h"

#include <c10/cuda/CUDACachingAllocator.h>

namespace {
// StatType::AGGREGATE is 0 in every libtorch release with these statistics; its namespace moved between releases.
constexpr size_t kAggregate = 0;
}  // namespace

extern "C" {

// {allocated, peak allocated, reserved, peak reserved} in bytes, aggregated over the allocator's pools.
JNIEXPORT jlongArray JNICALL Java_org_rerender_model_nn_TorchExtCudaMemory_nativeStats(JNIEnv* env, jclass, jint device) {
	jlongArray out = nullptr;
	torchext::guard(env, [&] {
		auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device));
		jlong v[4] = {stats.allocated_bytes[kAggregate].current, stats.allocated_bytes[kAggregate].peak,
		              stats.reserved_bytes[kAggregate].current, stats.reserved_bytes[kAggregate].peak};
		out = env->NewLongArray(4);
		if (out != nullptr) env->SetLongArrayRegion(out, 0, 4, v);
	});
	return out;
}

JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExtCudaMemory_nativeResetPeaks(JNIEnv* env, jclass, jint device) {
	torchext::guard(env, [&] { c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device)); });
}

// Returns the allocator's unused cached blocks to the driver (torch.cuda.empty_cache).
JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExtCudaMemory_nativeEmptyCache(JNIEnv* env, jclass) {
	torchext::guard(env, [&] { c10::cuda::CUDACachingAllocator::emptyCache(); });
}

}  // extern "C"
#endif  // RERENDER_TORCHEXT_CUDA
