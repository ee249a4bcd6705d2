package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.Functional;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.Scope;

/** UNet resamplers: {@code Downsample} (3×3 conv stride 2 pad 1, key {@code op}) and {@code Upsample} (nearest ×2 + conv). */
final class Resample extends Module implements Layer {
	private final Conv2d conv;
	private final boolean up;

	private Resample(long ch, boolean up) {
		this.up = up;
		this.conv = up ? child("conv", Conv2d.k3(ch, ch)) : child("op", new Conv2d(ch, ch, 3, 2, 1));
	}

	static Resample down(long ch) {
		return new Resample(ch, false);
	}

	static Resample up(long ch) {
		return new Resample(ch, true);
	}

	@Override
	public NDArray forward(NDArray h, Inputs in) {
		if (!up) return conv.forward(h);
		try (Scope s = Scope.of(h)) {
			return s.keep(conv.forward(Functional.upsampleNearest2x(h)));
		}
	}
}
