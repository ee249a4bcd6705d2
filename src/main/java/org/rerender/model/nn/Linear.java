package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;

/** {@code y = x·Wᵀ + b} over the last axis ({@code weight [out,in]}, optional {@code bias [out]}). */
public final class Linear extends Module {
	private final Param weight, bias;

	public Linear(long in, long out, boolean hasBias) {
		this.weight = param("weight", out, in);
		this.bias = hasBias ? param("bias", out) : null;
	}

	public Linear(long in, long out) {
		this(in, out, true);
	}

	public NDArray forward(NDArray x) {
		NDArray b = bias == null ? null : bias.get();
		return TorchExt.active() ? TorchExt.linear(x, weight.get(), b) : composed(x, weight.get(), b);
	}

	/** DJL's linear: {@code t}, {@code matmul} and, for inputs above 2-D, a separate bias {@code add_}. */
	static NDArray composed(NDArray x, NDArray weight, NDArray bias) {
		return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
	}
}
