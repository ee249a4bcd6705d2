// The self-check of our channels-last GroupNorm kernel (torchext_group_norm_nhwc.cu) against at::group_norm, and the
// switch that lets TorchExt.groupNorm use it. CUDA builds with the kernel only (make CUDA=1, NHWC=1 by default). TorchExt.java runs the check once when
// the library loads on a machine with a CUDA device and refuses channels-last on any mismatch.
#ifdef RERENDER_TORCHEXT_NHWC
#include "torchext_group_norm_nhwc.h"
#include "torchext_jni.h"

#include <c10/core/GradMode.h>
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

std::string check_group_norm_nhwc() {
	if (c10::cuda::device_count() == 0) return "no CUDA device";
	c10::NoGradGuard noGrad;
	const auto f32 = at::TensorOptions().dtype(at::kFloat).device(at::kCUDA);
	// the channel widths of the SD 1.5 UNet/ControlNet (320, 640, 1280) and VAE (512, 128); spatial sizes of the UNet's
	// levels at 512² (8²..64²) and odd ones; deterministic values (no random generator is touched) with a per-group
	// offset well above their spread, so cancellation in the variance would show
	const std::vector<int64_t> channels = {320, 640, 1280, 512, 128};
	const std::vector<std::pair<int64_t, int64_t>> sizes = {{8, 8}, {16, 16}, {32, 32}, {64, 64}, {5, 7}, {13, 11}, {33, 31}};
	int cases = 0;
	for (int64_t c : channels)
		for (const auto& hw : sizes)
			for (int64_t n = 1; n <= 2; ++n)
				for (at::ScalarType t : {at::kFloat, at::kHalf}) {
					// SiLU on every other pair of cases, so both types run with and without it; eps 1e-6 on every third
					const bool silu = (cases / 2) % 2 == 1;
					const double eps = (cases % 3 == 0) ? 1e-6 : 1e-5;
					++cases;
					const int64_t numel = n * c * hw.first * hw.second;
					at::Tensor i = at::arange(numel, f32);
					at::Tensor x = (i.mul(0.618).sin().mul(2.0) + i.mul(0.0013).cos().mul(3.0) + 1.5)
						.reshape({n, c, hw.first, hw.second}).to(t).contiguous(at::MemoryFormat::ChannelsLast);
					at::Tensor ch = at::arange(c, f32);
					at::Tensor w = ch.mul(0.37).sin().mul(0.5).add(1.0).to(t), b = ch.mul(0.11).cos().mul(0.3).to(t);
					if (!group_norm_nhwc_supported(x, 32)) {
						std::ostringstream m;
						m << "shape " << x.sizes() << " " << t << " not taken by the kernel";
						return m.str();
					}
					at::Tensor y = group_norm_nhwc(x, w, b, 32, eps, silu);
					at::Tensor ref = at::group_norm(x.to(at::kFloat), 32, w.to(at::kFloat), b.to(at::kFloat), eps, true);
					if (silu) ref = at::silu(ref);
					const double tol = t == at::kHalf ? 2e-3 : 1e-4;
					const double err = (y.to(at::kFloat) - ref).abs().sub(ref.abs().mul(tol)).max().item<double>();
					const bool layout = y.is_contiguous(at::MemoryFormat::ChannelsLast) && y.scalar_type() == t && y.sizes() == x.sizes();
					if (!layout || !(err <= tol)) {
						std::ostringstream m;
						m << "shape " << x.sizes() << " " << t << (silu ? " with SiLU" : "") << ": ";
						if (!layout) m << "output " << y.sizes() << " " << y.scalar_type() << " strides " << y.strides();
						else m << "|ours - at::group_norm| exceeds " << tol << "·(1 + |ref|) by " << err;
						return m.str();
					}
				}
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
