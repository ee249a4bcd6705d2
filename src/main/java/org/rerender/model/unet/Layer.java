package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;

/** One entry of a UNet block (ResBlock, SpatialTransformer, resampler, conv), given the shared call inputs. */
public interface Layer {
	/**
	 * @param embAct {@code silu(emb)}, shared by every ResBlock of the call
	 * @param context cross-attention context {@code [B, 77, context_dim]}
	 */
	public record Inputs(NDArray embAct, NDArray context, UNetCallContext ctx) {}

	NDArray forward(NDArray h, Inputs in);
}
