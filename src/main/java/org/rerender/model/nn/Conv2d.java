package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** 2-D convolution ({@code weight [out,in,k,k]}, {@code bias [out]} unless bias-free), symmetric padding. */
public final class Conv2d extends Module {
	private final Param weight, bias;
	private final Shape stride, padding, dilation = new Shape(1, 1);

	public Conv2d(long in, long out, int kernel, int stride, int padding) {
		this(in, out, kernel, stride, padding, true);
	}

	public Conv2d(long in, long out, int kernel, int stride, int padding, boolean hasBias) {
		this.weight = param("weight", out, in, kernel, kernel);
		this.bias = hasBias ? param("bias", out) : null;
		this.stride = new Shape(stride, stride);
		this.padding = new Shape(padding, padding);
	}

	/** 3×3, stride 1, padding 1. */
	public static Conv2d k3(long in, long out) {
		return new Conv2d(in, out, 3, 1, 1);
	}

	/** 1×1. */
	public static Conv2d k1(long in, long out) {
		return new Conv2d(in, out, 1, 1, 0);
	}

	public NDArray forward(NDArray x) {
		return x.getNDArrayInternal().convolution(x, weight.get(), bias == null ? null : bias.get(), stride, padding, dilation, 1).singletonOrThrow();
	}
}
