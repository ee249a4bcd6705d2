// Our GroupNorm (+ SiLU) kernel for channels-last CUDA tensors (torchext_group_norm_nhwc.cu, built with make CUDA=1)
// and its self-check against at::group_norm (torchext_group_norm_check.cpp).
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace torchext {

// Whether group_norm_nhwc takes x: a CUDA F16/F32 [N,C,H,W] tensor contiguous in channels-last order, C % groups == 0.
bool group_norm_nhwc_supported(const at::Tensor& x, int64_t groups);

// GroupNorm of x over (C/groups channels × H × W) per sample and group with per-channel affine (weight, bias: [C], may be
// undefined), optional SiLU; channels-last output of x's type. F32 statistics and affine, one rounding.
at::Tensor group_norm_nhwc(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, int64_t groups,
	double eps, bool silu);

// Compares group_norm_nhwc with at::group_norm (F32, on the same device) over the UNet's and VAE's shapes; "" when all
// agree within tolerance, else what differed. Needs a CUDA device.
std::string check_group_norm_nhwc();

// Whether TorchExt.groupNorm sends channels-last CUDA tensors to group_norm_nhwc (set after the check passed).
bool group_norm_nhwc_enabled();
void set_group_norm_nhwc_enabled(bool on);

}  // namespace torchext
