// GroupNorm (+ optional SiLU) of a channels-last (NHWC) CUDA tensor, for TorchExt.groupNorm when the networks keep
// their activations channels-last (rerender.channelslast). ATen's CUDA group_norm makes such an input NCHW-contiguous
// first (a transposing copy) and returns NCHW, which the next convolution transposes back: two extra kernels around
// every GroupNorm. This reads and writes NHWC directly. Compiled by nvcc only with make CUDA=1.
//
// Three kernels on the current stream, memory only from ATen's caching allocator (at::empty), no host sync, so a
// CUDA graph can capture it:
//   1. stats: grid (row chunks, N). Thread (lane, y) reads V consecutive channels (one vector load; V divides the
//      channels per group, so a vector never straddles two groups) of rows y, y+LY, ... of its chunk and keeps
//      Welford statistics (count, mean, M2) in F32: each vector's own mean/M2 merged in with Chan's formula. The
//      block's threads of one group are then merged (Chan) into one partial per (n, chunk, group).
//   2. finalize: one warp per (n, group) merges the chunks' partials (Chan, then across the warp by shuffles) into
//      mean and 1/sqrt(biased variance + eps).
//   3. apply: y = x·a + b with a = rstd·gamma, b = beta - mean·a per channel in F32 (ATen's CUDA kernel computes the
//      affine the same way), optional SiLU y/(1+exp(-y)) in F32, one rounding to the output type.
// F16 and F32 inputs (weights in the input's type); other cases are left to at::group_norm by the caller
// (group_norm_nhwc_supported).
#include "torchext_group_norm_nhwc.h"

#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace torchext {
namespace {

constexpr int kThreads = 256;  // target threads per block of the stats and apply kernels
constexpr int kMaxLanes = 1024;  // the most threads per block (also the kernels' __launch_bounds__)
constexpr int64_t kMaxBatch = 65535;  // gridDim.y (one block row per sample) is at most 65535

struct Stat {
	float n, mean, m2;
};

// Chan et al.: a ← a ∪ b.
__device__ __forceinline__ void merge(Stat& a, const Stat& b) {
	if (b.n == 0.f) return;
	if (a.n == 0.f) {
		a = b;
		return;
	}
	const float n = a.n + b.n;
	const float delta = b.mean - a.mean;
	const float wb = b.n / n;
	a.mean += delta * wb;
	a.m2 += b.m2 + delta * delta * a.n * wb;
	a.n = n;
}

template <typename T, int V>
struct alignas(sizeof(T) * V) Vec {
	T v[V];
};

// __launch_bounds__(kMaxLanes): a block has up to kMaxLanes threads (c / V lanes, e.g. 480 for the decoder's 960 and
// 1920 channels), so the compiler must keep the register use low enough for that many.
template <typename T, int V>
__global__ void __launch_bounds__(kMaxLanes) gnStats(const T* __restrict__ x, Stat* __restrict__ partial, int64_t hw, int c, int groups, int d,
		int64_t rowsPerChunk, int chunks) {
	extern __shared__ Stat shared[];
	const int lanes = c / V;
	const int lane = threadIdx.x;
	const int n = blockIdx.y, chunk = blockIdx.x;
	const int64_t r0 = static_cast<int64_t>(chunk) * rowsPerChunk;
	const int64_t r1 = r0 + rowsPerChunk < hw ? r0 + rowsPerChunk : hw;
	const T* base = x + static_cast<int64_t>(n) * hw * c + static_cast<int64_t>(lane) * V;
	Stat s{0.f, 0.f, 0.f};
	for (int64_t r = r0 + threadIdx.y; r < r1; r += blockDim.y) {
		const Vec<T, V> v = *reinterpret_cast<const Vec<T, V>*>(base + r * c);
		float f[V];
		float sum = 0.f;
#pragma unroll
		for (int i = 0; i < V; ++i) {
			f[i] = static_cast<float>(v.v[i]);
			sum += f[i];
		}
		const float mean = sum / V;
		float m2 = 0.f;
#pragma unroll
		for (int i = 0; i < V; ++i) m2 += (f[i] - mean) * (f[i] - mean);
		merge(s, Stat{static_cast<float>(V), mean, m2});
	}
	shared[threadIdx.y * lanes + lane] = s;
	__syncthreads();
	const int tid = threadIdx.y * blockDim.x + threadIdx.x;
	const int lanesPerGroup = d / V;
	for (int g = tid; g < groups; g += blockDim.x * blockDim.y) {
		Stat t{0.f, 0.f, 0.f};
		for (int y = 0; y < static_cast<int>(blockDim.y); ++y)
			for (int l = g * lanesPerGroup; l < (g + 1) * lanesPerGroup; ++l) merge(t, shared[y * lanes + l]);
		partial[(static_cast<int64_t>(n) * chunks + chunk) * groups + g] = t;
	}
}

// One warp per (n, group): stats[(n·G + g)] = {mean, rstd}.
__global__ void gnFinalize(const Stat* __restrict__ partial, float2* __restrict__ stats, int ng, int groups, int chunks,
		float eps) {
	const int warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
	const int lane = threadIdx.x % 32;
	if (warp >= ng) return;  // whole warps leave together (blockDim.x is a multiple of 32)
	const int n = warp / groups, g = warp % groups;
	Stat t{0.f, 0.f, 0.f};
	for (int k = lane; k < chunks; k += 32) merge(t, partial[(static_cast<int64_t>(n) * chunks + k) * groups + g]);
#pragma unroll
	for (int off = 16; off > 0; off /= 2) {
		Stat o{__shfl_down_sync(0xffffffffu, t.n, off), __shfl_down_sync(0xffffffffu, t.mean, off),
			__shfl_down_sync(0xffffffffu, t.m2, off)};
		merge(t, o);
	}
	if (lane == 0) {
		float var = t.n > 0.f ? t.m2 / t.n : 0.f;
		var = var > 0.f ? var : 0.f;
		stats[warp] = make_float2(t.mean, rsqrtf(var + eps));
	}
}

template <typename T, int V, bool SILU>
__global__ void __launch_bounds__(kMaxLanes) gnApply(const T* __restrict__ x, T* __restrict__ y, const float2* __restrict__ stats,
		const T* __restrict__ gamma, const T* __restrict__ beta, int64_t hw, int c, int groups, int d,
		int64_t rowsPerChunk) {
	const int lane = threadIdx.x;
	const int n = blockIdx.y, chunk = blockIdx.x;
	const int c0 = lane * V;
	const float2 st = stats[n * groups + c0 / d];
	float a[V], b[V];
#pragma unroll
	for (int i = 0; i < V; ++i) {
		const float ga = gamma != nullptr ? static_cast<float>(gamma[c0 + i]) : 1.f;
		const float be = beta != nullptr ? static_cast<float>(beta[c0 + i]) : 0.f;
		a[i] = st.y * ga;
		b[i] = be - st.x * a[i];
	}
	const int64_t r0 = static_cast<int64_t>(chunk) * rowsPerChunk;
	const int64_t r1 = r0 + rowsPerChunk < hw ? r0 + rowsPerChunk : hw;
	const int64_t offset = static_cast<int64_t>(n) * hw * c + c0;
	for (int64_t r = r0 + threadIdx.y; r < r1; r += blockDim.y) {
		const Vec<T, V> v = *reinterpret_cast<const Vec<T, V>*>(x + offset + r * c);
		Vec<T, V> o;
#pragma unroll
		for (int i = 0; i < V; ++i) {
			float f = static_cast<float>(v.v[i]) * a[i] + b[i];
			if (SILU) f = f / (1.f + expf(-f));
			o.v[i] = static_cast<T>(f);
		}
		*reinterpret_cast<Vec<T, V>*>(y + offset + r * c) = o;
	}
}

// Multiprocessors of the current device, asked once per device (a host query, no stream work: capture-safe).
int multiprocessors() {
	static std::atomic<int> cached[64];
	const int device = c10::cuda::current_device();
	if (device < 0 || device >= 64) return 132;
	int sms = cached[device].load(std::memory_order_relaxed);
	if (sms == 0) {
		C10_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
		cached[device].store(sms, std::memory_order_relaxed);
	}
	return sms;
}

// The widest vector (elements) that divides the channels per group and keeps loads aligned.
int vectorWidth(const at::Tensor& x, int64_t d) {
	const int maxV = x.scalar_type() == at::kHalf ? 8 : 4;
	const auto address = reinterpret_cast<uintptr_t>(x.data_ptr());
	for (int v = maxV; v > 1; v /= 2)
		if (d % v == 0 && address % (static_cast<uintptr_t>(v) * x.element_size()) == 0) return v;
	return 1;
}

template <typename T, int V>
void launch(const at::Tensor& x, at::Tensor& y, const at::Tensor& gamma, const at::Tensor& beta, int64_t groups,
		double eps, bool silu) {
	const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3), d = c / groups;
	const int lanes = static_cast<int>(c / V);
	const int ly = std::max(1, kThreads / lanes);
	const dim3 block(lanes, ly);
	// about four blocks per multiprocessor in all, at least one row per thread row
	const int sms = multiprocessors();
	const int64_t maxChunks = (hw + ly - 1) / ly;
	int64_t chunks = std::min<int64_t>(maxChunks, std::max<int64_t>(1, (4 * sms + n - 1) / n));
	const int64_t rowsPerChunk = (hw + chunks - 1) / chunks;
	chunks = (hw + rowsPerChunk - 1) / rowsPerChunk;
	const dim3 grid(static_cast<unsigned>(chunks), static_cast<unsigned>(n));
	const cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();

	const auto f32 = x.options().dtype(at::kFloat);
	at::Tensor partial = at::empty({n * chunks * groups * 3}, f32);
	at::Tensor stats = at::empty({n * groups * 2}, f32);
	const T* xp = x.data_ptr<T>();
	gnStats<T, V><<<grid, block, sizeof(Stat) * lanes * ly, stream>>>(xp, reinterpret_cast<Stat*>(partial.data_ptr<float>()),
		hw, static_cast<int>(c), static_cast<int>(groups), static_cast<int>(d), rowsPerChunk, static_cast<int>(chunks));
	C10_CUDA_KERNEL_LAUNCH_CHECK();
	const int ng = static_cast<int>(n * groups);
	const int finalizeThreads = 256;
	const int finalizeBlocks = (ng * 32 + finalizeThreads - 1) / finalizeThreads;
	gnFinalize<<<finalizeBlocks, finalizeThreads, 0, stream>>>(reinterpret_cast<const Stat*>(partial.data_ptr<float>()),
		reinterpret_cast<float2*>(stats.data_ptr<float>()), ng, static_cast<int>(groups), static_cast<int>(chunks),
		static_cast<float>(eps));
	C10_CUDA_KERNEL_LAUNCH_CHECK();
	const T* gp = gamma.defined() ? gamma.data_ptr<T>() : nullptr;
	const T* bp = beta.defined() ? beta.data_ptr<T>() : nullptr;
	const float2* sp = reinterpret_cast<const float2*>(stats.data_ptr<float>());
	if (silu)
		gnApply<T, V, true><<<grid, block, 0, stream>>>(xp, y.data_ptr<T>(), sp, gp, bp, hw, static_cast<int>(c),
			static_cast<int>(groups), static_cast<int>(d), rowsPerChunk);
	else
		gnApply<T, V, false><<<grid, block, 0, stream>>>(xp, y.data_ptr<T>(), sp, gp, bp, hw, static_cast<int>(c),
			static_cast<int>(groups), static_cast<int>(d), rowsPerChunk);
	C10_CUDA_KERNEL_LAUNCH_CHECK();
}

template <typename T>
void dispatchWidth(int v, const at::Tensor& x, at::Tensor& y, const at::Tensor& gamma, const at::Tensor& beta,
		int64_t groups, double eps, bool silu) {
	switch (v) {
		case 8:
			if constexpr (sizeof(T) == 2) {
				launch<T, 8>(x, y, gamma, beta, groups, eps, silu);
				return;
			}
			break;
		case 4: launch<T, 4>(x, y, gamma, beta, groups, eps, silu); return;
		case 2: launch<T, 2>(x, y, gamma, beta, groups, eps, silu); return;
		default: break;
	}
	launch<T, 1>(x, y, gamma, beta, groups, eps, silu);
}

}  // namespace

bool group_norm_nhwc_supported(const at::Tensor& x, int64_t groups) {
	if (!x.is_cuda() || x.dim() != 4 || groups <= 0) return false;
	if (x.scalar_type() != at::kHalf && x.scalar_type() != at::kFloat) return false;
	const int64_t c = x.size(1);
	if (c % groups != 0 || x.numel() == 0) return false;
	if (x.size(0) > kMaxBatch) return false;  // grid.y = N; larger batches go to at::group_norm
	// channels-last in memory (an ambiguous one, e.g. 1×1 spatial, is both; then NCHW is the same bytes)
	if (x.suggest_memory_format() != at::MemoryFormat::ChannelsLast || !x.is_contiguous(at::MemoryFormat::ChannelsLast))
		return false;
	return c / vectorWidth(x, c / groups) <= kMaxLanes;
}

at::Tensor group_norm_nhwc(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, int64_t groups,
		double eps, bool silu) {
	TORCH_CHECK(group_norm_nhwc_supported(x, groups), "group_norm_nhwc: needs a channels-last F16/F32 CUDA tensor [N,C,H,W] with C % groups == 0, got ",
		x.sizes(), " ", x.scalar_type(), " strides ", x.strides());
	const int64_t c = x.size(1);
	auto prepare = [&](const at::Tensor& p, const char* what) {
		if (!p.defined()) return p;
		TORCH_CHECK(p.numel() == c, "group_norm_nhwc: ", what, " has ", p.numel(), " values for ", c, " channels");
		return p.to(x.device(), x.scalar_type()).contiguous();
	};
	const at::Tensor gamma = prepare(weight, "weight"), beta = prepare(bias, "bias");
	const c10::cuda::CUDAGuard onDevice(x.device());
	at::Tensor y = at::empty_like(x, at::MemoryFormat::ChannelsLast);
	const int v = vectorWidth(x, c / groups);
	if (x.scalar_type() == at::kHalf) dispatchWidth<at::Half>(v, x, y, gamma, beta, groups, eps, silu);
	else dispatchWidth<float>(v, x, y, gamma, beta, groups, eps, silu);
	return y;
}

}  // namespace torchext
