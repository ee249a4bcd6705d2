package org.rerender.diffusion.constraints;

import ai.djl.ndarray.NDArray;
import org.rerender.model.nn.Scalars;

/**
 * Colour-aware AdaIN on the predicted clean latent x̂0 (rerender-algorithm.md §3): the current x̂0 is
 * normalised per channel over space with its mean and <em>biased</em> variance (eps 1e-5 inside the square
 * root, like {@code F.instance_norm}) and given the anchor's per-channel mean and
 * sqrt(<em>unbiased</em> variance + 1e-5) recorded at the same step.
 */
public final class AdaIn {
	static final float EPS = 1e-5f;

	private AdaIn() {}

	/** Per-channel statistics of a latent [B, C, H, W]: mean and sqrt(unbiased var + eps), each [B, C, 1, 1]. */
	public record Stats(NDArray mean, NDArray std) {}

	/** The anchor's statistics, as the original records them. */
	public static Stats styleStats(NDArray x0) {
		long b = x0.getShape().get(0), c = x0.getShape().get(1);
		long n = x0.getShape().get(2) * x0.getShape().get(3);
		NDArray flat = x0.reshape(b, c, n);
		NDArray mean = flat.mean(new int[] {2}, true);
		NDArray var = Scalars.div(flat.sub(mean).square().sum(new int[] {2}, true), (double) Math.max(1, n - 1));
		return new Stats(mean.reshape(b, c, 1, 1), Scalars.add(var, EPS).sqrt().reshape(b, c, 1, 1));
	}

	/** x̂0 ← (x̂0 − μ)/sqrt(σ²_biased + eps)·σ_style + μ_style. */
	public static NDArray apply(NDArray x0, Stats style) {
		long b = x0.getShape().get(0), c = x0.getShape().get(1);
		NDArray flat = x0.reshape(b, c, -1);
		NDArray centred = flat.sub(flat.mean(new int[] {2}, true));
		NDArray var = centred.square().mean(new int[] {2}, true);
		return centred.div(Scalars.add(var, EPS).sqrt()).reshape(x0.getShape()).mul(style.std()).add(style.mean());
	}
}
