// The self-check of our channels-last GroupNorm kernel (torchext_group_norm_nhwc.cu) against at::group_norm, and the
// switch that lets TorchExt.groupNorm use it. CUDA builds with the kernel only (make CUDA=1, NHWC=1 by default).
// TorchExt.java runs the check once, on a machine with a CUDA device, when channels-last is first requested (never in
// runs that did not ask for it), and refuses channels-last on any mismatch.
#ifdef RERENDER_TORCHEXT_NHWC
#include "torchext_group_norm_nhwc.h"
#include "torchext_jni.h"

#include <c10/core/GradMode.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>

#include <atomic>
#include <sstream>
#include <vector>

namespace torchext {
namespace {
std::atomic<bool> enabled{false};
}

bool group_norm_nhwc_enabled() { return enabled.load(std::memory_order_relaxed); }
void set_group_norm_nhwc_enabled(bool on) { enabled.store(on, std::memory_order_relaxed); }

namespace {

// One case: x [n,c,h,w] of type t, channels-last; misalign > 0 puts x that many elements past an allocation's start
// (so the kernel must take its narrower-load path). "" when group_norm_nhwc agrees with at::group_norm, else what differed.
std::string checkCase(int64_t n, int64_t c, int64_t h, int64_t w, at::ScalarType t, bool silu, double eps, int64_t misalign) {
	const auto f32 = at::TensorOptions().dtype(at::kFloat).device(at::kCUDA);
	const int64_t numel = n * c * h * w;
	at::Tensor i = at::arange(numel, f32);
	at::Tensor src = (i.mul(0.618).sin().mul(2.0) + i.mul(0.0013).cos().mul(3.0) + 1.5).reshape({n, c, h, w}).to(t);
	// channels-last strides even where the layout is ambiguous (1×1: contiguous(ChannelsLast) would keep NCHW strides)
	at::Tensor x = at::empty({n, c, h, w}, src.options().memory_format(at::MemoryFormat::ChannelsLast));
	if (misalign > 0)
		x = at::empty({numel + misalign}, src.options()).narrow(0, misalign, numel).as_strided(x.sizes(), x.strides());
	x.copy_(src);
	at::Tensor ch = at::arange(c, f32);
	at::Tensor wt = ch.mul(0.37).sin().mul(0.5).add(1.0).to(t), b = ch.mul(0.11).cos().mul(0.3).to(t);
	std::ostringstream m;
	m << "shape " << x.sizes() << " " << t << (silu ? " with SiLU" : "");
	if (misalign > 0) m << " at +" << misalign << " element(s)";
	if (!group_norm_nhwc_supported(x, 32)) {
		m << " not taken by the kernel";
		return m.str();
	}
	at::Tensor y = group_norm_nhwc(x, wt, b, 32, eps, silu);
	at::Tensor ref = at::group_norm(x.to(at::kFloat), 32, wt.to(at::kFloat), b.to(at::kFloat), eps, true);
	if (silu) ref = at::silu(ref);
	const double tol = t == at::kHalf ? 2e-3 : 1e-4;
	const double err = (y.to(at::kFloat) - ref).abs().sub(ref.abs().mul(tol)).max().item<double>();
	const bool layout = y.is_contiguous(at::MemoryFormat::ChannelsLast) && y.scalar_type() == t && y.sizes() == x.sizes();
	if (layout && err <= tol) return "";
	m << ": ";
	if (!layout) m << "output " << y.sizes() << " " << y.scalar_type() << " strides " << y.strides();
	else m << "|ours - at::group_norm| exceeds " << tol << "·(1 + |ref|) by " << err;
	return m.str();
}

}  // namespace

std::string check_group_norm_nhwc() {
	if (c10::cuda::device_count() == 0) return "no CUDA device";
	c10::NoGradGuard noGrad;
	// the channel widths of the SD 1.5 UNet/ControlNet (320, 640, 1280, and the decoder's ResBlock inputs after the skip
	// concatenation: 960, 1920, 2560; 960 and 1920 take blocks of 480 threads) and VAE (512, 256, 128); spatial sizes of
	// the UNet's levels at 512² (8²..64²) and 768² (96²), 1×1 and odd ones; deterministic values (no random generator is
	// touched) with a per-group offset well above their spread, so cancellation in the variance would show
	const std::vector<int64_t> channels = {320, 640, 1280, 960, 1920, 2560, 512, 256, 128};
	const std::vector<std::pair<int64_t, int64_t>> sizes = {{1, 1}, {8, 8}, {16, 16}, {32, 32}, {64, 64}, {96, 96}, {5, 7},
		{13, 11}, {33, 31}};
	int cases = 0;
	auto next = [&cases](bool& silu, double& eps) {
		// SiLU on every other pair of cases, so both types run with and without it; eps 1e-6 on every third
		silu = (cases / 2) % 2 == 1;
		eps = (cases % 3 == 0) ? 1e-6 : 1e-5;
		++cases;
	};
	bool silu;
	double eps;
	for (int64_t c : channels)
		for (const auto& hw : sizes)
			for (int64_t n = 1; n <= (hw.first * hw.second > 64 * 64 ? 1 : 2); ++n)  // N=1 only for the largest sizes
				for (at::ScalarType t : {at::kFloat, at::kHalf}) {
					next(silu, eps);
					const std::string why = checkCase(n, c, hw.first, hw.second, t, silu, eps, 0);
					if (!why.empty()) return why;
				}
	// the VAE's 128 and 256 channels at 256² (its decoder's largest levels at 512² are 128 and 256 channels)
	for (int64_t c : {128, 256})
		for (at::ScalarType t : {at::kFloat, at::kHalf}) {
			next(silu, eps);
			const std::string why = checkCase(1, c, 256, 256, t, silu, eps, 0);
			if (!why.empty()) return why;
		}
	// misaligned inputs: 1 element off takes single-element loads (960 channels: blocks of 960 threads), 2 off two-element ones
	for (int64_t misalign : {1, 2})
		for (int64_t c : {320, 960})
			for (at::ScalarType t : {at::kFloat, at::kHalf}) {
				next(silu, eps);
				const std::string why = checkCase(2, c, 13, 11, t, silu, eps, misalign);
				if (!why.empty()) return why;
			}
	// batches beyond gridDim.y's limit must be left to at::group_norm (only the metadata is looked at)
	{
		at::Tensor big = at::empty({65536, 32, 2, 2}, at::TensorOptions().dtype(at::kHalf).device(at::kCUDA)
			.memory_format(at::MemoryFormat::ChannelsLast));
		if (group_norm_nhwc_supported(big, 32)) return "a batch of 65536 (over gridDim.y's 65535) is taken by the kernel";
	}
	c10::cuda::CUDACachingAllocator::emptyCache();  // give back the check's blocks (up to ~1 GB at 2560×96²)
	return "";
}

}  // namespace torchext

extern "C" {

// "" when our channels-last GroupNorm kernel agrees with at::group_norm on this machine's CUDA device, else why not.
JNIEXPORT jstring JNICALL Java_org_rerender_model_nn_TorchExt_nativeCheckNhwcGroupNorm(JNIEnv* env, jclass) {
	std::string why = "check did not run";
	if (!torchext::guard(env, [&] { why = torchext::check_group_norm_nhwc(); })) return nullptr;
	return env->NewStringUTF(why.c_str());
}

JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExt_nativeSetNhwcGroupNorm(JNIEnv*, jclass, jboolean on) {
	torchext::set_group_norm_nhwc_enabled(on == JNI_TRUE);
}

}  // extern "C"
#endif  // RERENDER_TORCHEXT_NHWC
