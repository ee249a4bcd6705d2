package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;

/**
 * Decoder hook point before output block {@code outputBlock} concatenates its skip: FreeU scales
 * {@code h[:, :C/2]} and filters the skip here. The ControlNet residual is added to the returned skip
 * afterwards (as in Rerender's FreeU forward). Return new arrays; do not modify the inputs in place.
 */
@FunctionalInterface
public interface SkipHook {
	record HSkip(NDArray h, NDArray skip) {}

	HSkip apply(UNetCallContext ctx, int outputBlock, NDArray h, NDArray skip);
}
