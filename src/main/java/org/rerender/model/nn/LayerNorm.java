package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** LayerNorm over the last axis (biased variance, eps inside the square root). */
public final class LayerNorm extends Module {
	private final Param weight, bias;
	private final Shape normalized;
	private final float eps;

	public LayerNorm(long dim, float eps) {
		this.weight = param("weight", dim);
		this.bias = param("bias", dim);
		this.normalized = new Shape(dim);
		this.eps = eps;
	}

	public NDArray forward(NDArray x) {
		return x.getNDArrayInternal().layerNorm(x, normalized, weight.get(), bias.get(), eps).singletonOrThrow();
	}
}
