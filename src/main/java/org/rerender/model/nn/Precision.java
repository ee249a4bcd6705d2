package org.rerender.model.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Where precision changes hands. The networks compute in the type their weights were loaded in (F16 on CUDA, F32 on
 * the CPU); the DDIM state (latent, noise, x̂0, the update) stays in F32, as issue #8 asks ("F32 where precision
 * needs it"). Casts happen at the networks' doors. x_T and the constraint operands made on the host (flow masks, the
 * warped anchor x̂0, the fusion weight and noise rescale) are made in F32 too; what the VAE makes in the models' type (the
 * encoded frame, the pixel-fusion target) meets the F32 state through libtorch's type promotion, so results are F32.
 */
public final class Precision {
	/** The type the DDIM state is kept in, on every device. */
	public static final DataType LATENT = DataType.FLOAT32;

	private Precision() {}

	/** {@code a} itself when it already has type {@code t}, else a cast copy in {@code a}'s manager. */
	public static NDArray as(NDArray a, DataType t) {
		return a.getDataType() == t ? a : a.toType(t, false);
	}

	/**
	 * {@code a} in type {@code t} on {@code device}: {@code a} itself when nothing changes, else a new array (the
	 * caller owns it; the intermediate of a cast plus a move is freed). The cast happens on whichever side crosses the
	 * bus with fewer bytes: before the move when it narrows (F32 → F16), after it when it widens.
	 */
	public static NDArray to(NDArray a, DataType t, Device device) {
		boolean narrowing = t.getNumOfBytes() < a.getDataType().getNumOfBytes();
		NDArray first = narrowing ? as(a, t) : a.toDevice(device, false);
		NDArray out = narrowing ? first.toDevice(device, false) : as(first, t);
		if (first != a && first != out) first.close();
		return out;
	}
}
