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
		return apply(x, weight.get(), bias == null ? null : bias.get());
	}

	/** The weight's parameter ({@link CrossAttention} packs its projections' weights at load). */
	Param weightParam() {
		return weight;
	}

	/** {@code x·Wᵀ + b} with a given weight (and bias, or null), as {@link #forward} computes it. */
	static NDArray apply(NDArray x, NDArray weight, NDArray bias) {
		return TorchExt.active() ? TorchExt.linear(x, weight, bias) : composed(x, weight, bias);
	}

	/** DJL's linear: {@code t}, {@code matmul} and, for inputs above 2-D, a separate bias {@code add_}. */
	static NDArray composed(NDArray x, NDArray weight, NDArray bias) {
		return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
	}
}
