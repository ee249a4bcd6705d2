package org.rerender.model.vae;

import ai.djl.ndarray.NDArray;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.GroupNorm;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.Scope;

/** ldm's VAE {@code ResnetBlock} (no time embedding); GroupNorm eps 1e-6; {@code nin_shortcut} when widths differ. */
final class VaeResBlock extends Module {
	static final float EPS = 1e-6f;
	private final GroupNorm norm1, norm2;
	private final Conv2d conv1, conv2, shortcut;

	VaeResBlock(long in, long out) {
		norm1 = child("norm1", new GroupNorm(in, EPS));
		conv1 = child("conv1", Conv2d.k3(in, out));
		norm2 = child("norm2", new GroupNorm(out, EPS));
		conv2 = child("conv2", Conv2d.k3(out, out));
		shortcut = in == out ? null : child("nin_shortcut", Conv2d.k1(in, out));
	}

	NDArray forward(NDArray x) {
		try (Scope s = Scope.of(x)) { // intermediates freed as soon as they are read (full-resolution blocks are large)
			NDArray h = norm1.forwardSilu(x);
			h = s.free(h, conv1.forward(h));
			h = s.free(h, norm2.forwardSilu(h));
			h = s.free(h, conv2.forward(h));
			NDArray skip = shortcut == null ? x : shortcut.forward(x);
			return s.keep(skip.add(h));
		}
	}
}
