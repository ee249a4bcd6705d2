package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;

/** Test access to {@link SpatialTransformer}'s token reshapes (package-private there). */
public final class SpatialTransformerAccess {
	private SpatialTransformerAccess() {}

	public static NDArray toTokens(NDArray x, boolean channelsLast) {
		return SpatialTransformer.toTokens(x, channelsLast);
	}

	public static NDArray fromTokens(NDArray t, long b, long c, long h, long w, boolean channelsLast) {
		return SpatialTransformer.fromTokens(t, b, c, h, w, channelsLast);
	}
}
