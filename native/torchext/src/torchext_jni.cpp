// libRerenderTorchExt: a few fused ops on DJL's PyTorch tensors, called from org.rerender.model.nn.TorchExt.
//
// A DJL PtNDArray handle is a pointer to a heap at::Tensor (DJL's JNI makes them with `new torch::Tensor(..)` and
// its close() deletes them with `delete`), so we read inputs through the handle and return results the same way:
// DJL then owns and frees them like any tensor it made itself.
//
// Every op computes what the composed DJL path (GroupNorm.java, Attention.java, Functional.java) computes; only the
// number of calls and kernels differs. Built against the headers of a libtorch near the one DJL loads (see Makefile);
// TorchExt.java checks the result against the composed path on a small tensor before enabling it.
#include "torchext_jni.h"
#ifdef RERENDER_TORCHEXT_NHWC
#include "torchext_group_norm_nhwc.h"
#endif

#include <c10/core/GradMode.h>

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#if __has_include(<torch/version.h>)
#include <torch/version.h>  // torch/csrc/api/include: TORCH_VERSION of the headers
#define TORCHEXT_HEADERS_VERSION TORCH_VERSION
#else
#define TORCHEXT_HEADERS_VERSION "unknown"
#endif
#ifndef TORCHEXT_LINKED_VERSION
#define TORCHEXT_LINKED_VERSION "unknown"
#endif

namespace {

using torchext::release;
using torchext::tensor;

// Runs f under no-grad (as DJL's inference path) and hands its tensor to DJL; 0 with a pending Java exception on error.
template <class F>
jlong guarded(JNIEnv* env, F&& f) {
	jlong out = 0;
	torchext::guard(env, [&] {
		c10::NoGradGuard noGrad;
		out = release(f());
	});
	return out;
}

}  // namespace

extern "C" {

// "headers X; linked Y": the libtorch headers compiled against and the libtorch library linked against.
JNIEXPORT jstring JNICALL Java_org_rerender_model_nn_TorchExt_nativeBuildInfo(JNIEnv* env, jclass) {
	std::string s = std::string("headers ") + TORCHEXT_HEADERS_VERSION + "; linked " + TORCHEXT_LINKED_VERSION;
#ifdef RERENDER_TORCHEXT_CUDA
	s += "; cuda graphs; cuda memory";
#endif
#ifdef RERENDER_TORCHEXT_NHWC
	s += "; nhwc group norm";
#endif
	return env->NewStringUTF(s.c_str());
}

// What this build holds, as bits (TorchExt.CUDA_GRAPHS, CUDA_MEMORY, NHWC_GROUP_NORM): 1 the CUDA-graph entry points,
// 2 the CUDA allocator statistics, 4 the channels-last CUDA GroupNorm kernel. 0 for a CPU build.
JNIEXPORT jint JNICALL Java_org_rerender_model_nn_TorchExt_nativeCapabilities(JNIEnv*, jclass) {
	jint caps = 0;
#ifdef RERENDER_TORCHEXT_CUDA
	caps |= 1 | 2;
#endif
#ifdef RERENDER_TORCHEXT_NHWC
	caps |= 4;
#endif
	return caps;
}

// Layout check: writes {dim, scalar type, numel, size0, size1, ..., stride0, stride1, ...} of a DJL tensor as this
// build reads it (strides in elements: channels-last [N,C,H,W] has strides {HWC, 1, WC, C}).
JNIEXPORT jlongArray JNICALL Java_org_rerender_model_nn_TorchExt_nativeDescribe(JNIEnv* env, jclass, jlong x) {
	jlongArray out = nullptr;
	torchext::guard(env, [&] {
		const at::Tensor& t = tensor(x);
		const int64_t dim = t.dim();
		std::vector<jlong> v = {static_cast<jlong>(dim), static_cast<jlong>(t.scalar_type()), static_cast<jlong>(t.numel())};
		for (int64_t i = 0; i < dim; ++i) v.push_back(static_cast<jlong>(t.size(i)));
		for (int64_t i = 0; i < dim; ++i) v.push_back(static_cast<jlong>(t.stride(i)));
		out = env->NewLongArray(static_cast<jsize>(v.size()));
		if (out != nullptr) env->SetLongArrayRegion(out, 0, static_cast<jsize>(v.size()), v.data());
	});
	return out;
}

// GroupNorm over [N,C,...] with per-channel affine, optionally followed by SiLU, in the input's own type. For F16 (and
// BF16) inputs libtorch's group_norm kernels (CUDA and CPU) accumulate the statistics and apply the normalisation and
// affine in F32 (their accumulate type) and round only the result, which is where ldm's GroupNorm32 rounds too
// (x.float() → group_norm → .type(x.dtype); the SiLU after it runs in F16 there as here). So no F32 copy of the
// activation is made and cast back: on the GPU those casts were 4 of every 5 kernels of a GroupNorm (measured: 354
// casts per CFG-batched UNet+ControlNet call, 2026-11-26), and in a CUDA graph kernels, not launches, are the cost.
JNIEXPORT jlong JNICALL Java_org_rerender_model_nn_TorchExt_nativeGroupNorm(JNIEnv* env, jclass, jlong x, jlong weight,
		jlong bias, jint groups, jdouble eps, jboolean silu, jboolean allowNhwc) {
	return guarded(env, [&] {
		const at::Tensor& in = tensor(x);
#ifdef RERENDER_TORCHEXT_NHWC
		// channels-last on CUDA: our NHWC kernel (at::group_norm would transpose to NCHW and back), once it passed its
		// check and only for a network converted to channels-last (allowNhwc); every other call takes at::group_norm
		if (allowNhwc == JNI_TRUE && torchext::group_norm_nhwc_enabled() && torchext::group_norm_nhwc_supported(in, groups))
			return torchext::group_norm_nhwc(in, tensor(weight), tensor(bias), groups, eps, silu == JNI_TRUE);
#endif
		auto same = [&in](const at::Tensor& t) { return t.scalar_type() == in.scalar_type() ? t : t.to(in.scalar_type()); };
		at::Tensor y = at::group_norm(in, groups, same(tensor(weight)), same(tensor(bias)), eps, /*cudnn_enabled=*/true);
		if (silu) at::silu_(y);
		return y;
	});
}

// x in channels-last memory order (a copy unless it already is): [N,C,H,W] with strides {HWC, 1, WC, C}. Same values.
JNIEXPORT jlong JNICALL Java_org_rerender_model_nn_TorchExt_nativeToChannelsLast(JNIEnv* env, jclass, jlong x) {
	return guarded(env, [&] { return tensor(x).contiguous(at::MemoryFormat::ChannelsLast); });
}

// x in row-major (NCHW) memory order (a copy unless it already is). Same values.
JNIEXPORT jlong JNICALL Java_org_rerender_model_nn_TorchExt_nativeContiguous(JNIEnv* env, jclass, jlong x) {
	return guarded(env, [&] { return tensor(x).contiguous(); });
}

#ifndef RERENDER_TORCHEXT_NHWC
// CPU builds (and CUDA builds with NHWC=0): no channels-last GroupNorm kernel (the CPU's at::group_norm handles
// channels-last itself; on CUDA channels-last is then refused).
JNIEXPORT jstring JNICALL Java_org_rerender_model_nn_TorchExt_nativeCheckNhwcGroupNorm(JNIEnv* env, jclass) {
	return env->NewStringUTF("libRerenderTorchExt was built without its CUDA GroupNorm kernel (make CUDA=1 NHWC=1 builds it)");
}

JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExt_nativeSetNhwcGroupNorm(JNIEnv*, jclass, jboolean) {}
#endif

// softmax(q·kᵀ/√d)·v per head. q [B,Nq,heads·d], k and v [B,Nk,heads·d] (projected, heads not split yet);
// returns [B,Nq,heads·d] as Attention.multiHead. The fused kernel never materialises the full score tensor.
JNIEXPORT jlong JNICALL Java_org_rerender_model_nn_TorchExt_nativeAttention(JNIEnv* env, jclass, jlong q, jlong k,
		jlong v, jint heads) {
	return guarded(env, [&] {
		auto split = [heads](const at::Tensor& t) {  // [B,N,h·d] -> [B,h,N,d]
			return t.reshape({t.size(0), t.size(1), heads, t.size(2) / heads}).transpose(1, 2);
		};
		const at::Tensor& tq = tensor(q);
		at::Tensor o = at::scaled_dot_product_attention(split(tq), split(tensor(k)), split(tensor(v)));
		return o.transpose(1, 2).reshape({tq.size(0), tq.size(1), tq.size(2)});
	});
}

// GEGLU on an already projected [.., 2·inner]: first half × exact GELU(second half).
JNIEXPORT jlong JNICALL Java_org_rerender_model_nn_TorchExt_nativeGeglu(JNIEnv* env, jclass, jlong x) {
	return guarded(env, [&] {
		std::vector<at::Tensor> h = tensor(x).chunk(2, -1);
		return h[0] * at::gelu(h[1]);
	});
}

// y = x·Wᵀ + b through at::linear: for a contiguous [B,N,in] input with a bias this is one addmm (the bias in the
// GEMM's epilogue), where DJL's linear (torch::nn::functional::linear) issues t, matmul and a separate add_.
// bias 0 = none.
JNIEXPORT jlong JNICALL Java_org_rerender_model_nn_TorchExt_nativeLinear(JNIEnv* env, jclass, jlong x, jlong weight,
		jlong bias) {
	return guarded(env, [&] {
		return bias == 0 ? at::linear(tensor(x), tensor(weight)) : at::linear(tensor(x), tensor(weight), tensor(bias));
	});
}

// SiLU x·sigmoid(x) as one op.
JNIEXPORT jlong JNICALL Java_org_rerender_model_nn_TorchExt_nativeSilu(JNIEnv* env, jclass, jlong x) {
	return guarded(env, [&] { return at::silu(tensor(x)); });
}

// Tensor-scalar arithmetic with an at::Scalar (Scalars.java): no 0-dim tensor made from host memory, so on CUDA no
// host-to-device copy (DJL's x.add(Number) makes one per call). op: 0 add, 1 sub, 2 mul, 3 div, 4 rsub (v - x).
JNIEXPORT jlong JNICALL Java_org_rerender_model_nn_TorchExt_nativeScalarOp(JNIEnv* env, jclass, jlong x, jint op,
		jdouble v) {
	return guarded(env, [&] {
		const at::Tensor& t = tensor(x);
		const at::Scalar s(static_cast<double>(v));
		switch (op) {
			case 0: return at::add(t, s);
			case 1: return at::sub(t, s);
			case 2: return at::mul(t, s);
			case 3: return at::div(t, s);
			case 4: return at::rsub(t, s);
			default: throw std::invalid_argument("scalar op " + std::to_string(op));
		}
	});
}

// dst.copy_(src) in place (StepGraph's static buffers): a device-to-device copy, capturable in a CUDA graph.
JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExt_nativeCopyInto(JNIEnv* env, jclass, jlong dst, jlong src) {
	torchext::guard(env, [&] {
		c10::NoGradGuard noGrad;
		const_cast<at::Tensor&>(tensor(dst)).copy_(tensor(src));
	});
}

// TF32 for cuDNN convolutions and cuBLAS matmuls, process-wide (PyTorch allows it for cuDNN convolutions by default on
// Ampere and later GPUs: ~1e-3 relative error). The parity tests on a GPU switch it off. No effect on CPU ops.
JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExt_nativeSetAllowTf32(JNIEnv* env, jclass, jboolean allow) {
	torchext::guard(env, [&] {
		at::globalContext().setAllowTF32CuDNN(allow == JNI_TRUE);
		at::globalContext().setAllowTF32CuBLAS(allow == JNI_TRUE);
	});
}

// {cuDNN, cuBLAS}: whether each allows TF32 now (1/0).
JNIEXPORT jint JNICALL Java_org_rerender_model_nn_TorchExt_nativeAllowTf32(JNIEnv* env, jclass) {
	jint out = 0;
	torchext::guard(env, [&] {
		out = (at::globalContext().allowTF32CuDNN() ? 1 : 0) | (at::globalContext().allowTF32CuBLAS() ? 2 : 0);
	});
	return out;
}

// cuDNN's benchmark mode, process-wide (torch.backends.cudnn.benchmark): the first convolution of each new shape times
// cuDNN's algorithms and keeps the fastest for that shape. Off by default in PyTorch (and so in DJL). No effect on
// CPU ops.
JNIEXPORT void JNICALL Java_org_rerender_model_nn_TorchExt_nativeSetCudnnBenchmark(JNIEnv* env, jclass, jboolean on) {
	torchext::guard(env, [&] { at::globalContext().setBenchmarkCuDNN(on == JNI_TRUE); });
}

JNIEXPORT jboolean JNICALL Java_org_rerender_model_nn_TorchExt_nativeCudnnBenchmark(JNIEnv* env, jclass) {
	jboolean out = JNI_FALSE;
	torchext::guard(env, [&] { out = at::globalContext().benchmarkCuDNN() ? JNI_TRUE : JNI_FALSE; });
	return out;
}

}  // extern "C"
