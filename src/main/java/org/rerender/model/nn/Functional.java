package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** Stateless activations and resampling used by the networks (SiLU and GEGLU fused by {@link TorchExt} when active). */
public final class Functional {
	private Functional() {}

	/** SiLU / swish: {@code x·sigmoid(x)}. */
	public static NDArray silu(NDArray x) {
		return TorchExt.active() ? TorchExt.silu(x) : composedSilu(x);
	}

	static NDArray composedSilu(NDArray x) {
		return x.mul(x.getNDArrayInternal().sigmoid());
	}

	/** Exact (erf) GELU, as {@code torch.nn.functional.gelu} with its default approximation 'none'. */
	public static NDArray gelu(NDArray x) {
		return x.getNDArrayInternal().gelu();
	}

	/** GEGLU on an already projected tensor {@code [.., 2·inner]}: first half × gelu(second half). */
	public static NDArray geglu(NDArray projected) {
		return TorchExt.active() ? TorchExt.geglu(projected) : composedGeglu(projected);
	}

	static NDArray composedGeglu(NDArray projected) {
		long last = projected.getShape().getLastDimension();
		var halves = projected.split(new long[] {last / 2}, projected.getShape().dimension() - 1);
		return halves.get(0).mul(gelu(halves.get(1)));
	}

	/** Nearest-neighbour ×2 upsampling of {@code [N,C,H,W]}. */
	public static NDArray upsampleNearest2x(NDArray x) {
		Shape s = x.getShape();
		return x.getNDArrayInternal().interpolation(new long[] {s.get(2) * 2, s.get(3) * 2}, 0, false);
	}
}
