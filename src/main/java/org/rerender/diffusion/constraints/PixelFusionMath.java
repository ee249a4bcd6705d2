package org.rerender.diffusion.constraints;

import ai.djl.ndarray.NDArray;
import org.rerender.model.nn.Scalars;
import org.rerender.model.nn.Scope;

/**
 * The latent-space arithmetic of pixel-aware fusion (rerender-algorithm.md §3 "Pixel-aware fusion"):
 * the smooth-boundary map and the mask blend applied at the start of each step of the mask period.
 */
public final class PixelFusionMath {
	private PixelFusionMath() {}

	/**
	 * nr = 1 where both 3×3 Prewitt responses of {@code m} (horizontal [−1 0 1] on three rows and its
	 * transpose, replicated borders) are exactly zero, else 0 — the original's {@code find_flat_region}.
	 *
	 * @param m latent mask, row-major h×w
	 */
	public static float[] flatRegion(float[] m, int h, int w) {
		float[] out = new float[h * w];
		for (int y = 0; y < h; y++) {
			for (int x = 0; x < w; x++) {
				float gx = 0, gy = 0;
				for (int dy = -1; dy <= 1; dy++) {
					int yy = Math.min(h - 1, Math.max(0, y + dy));
					for (int dx = -1; dx <= 1; dx++) {
						int xx = Math.min(w - 1, Math.max(0, x + dx));
						float v = m[yy * w + xx];
						gx += dx * v;
						gy += dy * v;
					}
				}
				out[y * w + x] = Math.abs(gx) + Math.abs(gy) == 0f ? 1f : 0f;
			}
		}
		return out;
	}

	/**
	 * One mask blend: w = mask·strength (given), r = max(1 − w, sqrt(1 − w²)·inner), r ← (1−w)(1−nr) + r·nr,
	 * x ← xTargetNoised·w + (1 − w)(x − dirPrev) + r·dirPrev.
	 *
	 * @param x the current latent [1, C, h, w]
	 * @param xTargetNoised q_sample(x_trg, t) with fresh noise
	 * @param dirPrev the previous step's √(1−ᾱ_prev)·ε (zeros before step 0)
	 * @param weight w [1, 1, h, w] (broadcast over channels)
	 * @param noiseRescale nr [1, 1, h, w]
	 */
	public static NDArray blend(NDArray x, NDArray xTargetNoised, NDArray dirPrev, NDArray weight, NDArray noiseRescale,
		double innerStrength)
	{
		// weight and noiseRescale live as long as the key frame: the Scope frees the temporaries made from them
		try (Scope s = Scope.of(xTargetNoised, x, dirPrev, weight, noiseRescale)) {
			NDArray oneMinusW = Scalars.rsub(1f, weight);
			NDArray r = oneMinusW.maximum(Scalars.mul(Scalars.rsub(1f, weight.square()).sqrt(), innerStrength));
			r = oneMinusW.mul(Scalars.rsub(1f, noiseRescale)).add(r.mul(noiseRescale));
			return s.keep(xTargetNoised.mul(weight).add(oneMinusW.mul(x.sub(dirPrev))).add(r.mul(dirPrev)));
		}
	}
}
