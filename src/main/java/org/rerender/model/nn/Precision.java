package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Where precision changes hands. The networks compute in the type their weights were loaded in (F16 on CUDA, F32 on
 * the CPU); the DDIM state (latent, noise, x̂0, the update) stays in F32, as issue #8 asks ("F32 where precision
 * needs it"). Casts happen at the networks' doors. Constraint operands made in the models' type (flow masks, warped
 * anchors, the VAE's target latents) meet the F32 state through libtorch's type promotion, so their results are F32.
 */
public final class Precision {
	/** The type the DDIM state is kept in, on every device. */
	public static final DataType LATENT = DataType.FLOAT32;

	private Precision() {}

	/** {@code a} itself when it already has type {@code t}, else a cast copy in {@code a}'s manager. */
	public static NDArray as(NDArray a, DataType t) {
		return a.getDataType() == t ? a : a.toType(t, false);
	}
}
