package org.rerender.diffusion.constraints;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import org.rerender.model.nn.Scalars;

/**
 * FreeU (rerender-algorithm.md §3): before each decoder output block, when the incoming h has 4·mc
 * channels scale h[:, :C/2] by 1 + (b1 − 1)·ĥ and filter the skip with s1; with 2·mc channels use b2 and
 * s2. ĥ is the channel mean of h, min–max normalised over space per sample. The ControlNet residual is
 * added to the filtered skip afterwards, by the UNet. A factor of 1 returns the input itself: s = 1 filters by
 * x + 0·P x, which is x (for finite values), and b = 1 see {@link #backboneIsIdentity}.
 *
 * @param b1 backbone factor of the 4·mc stage
 * @param b2 backbone factor of the 2·mc stage
 * @param s1 skip factor of the 4·mc stage
 * @param s2 skip factor of the 2·mc stage
 */
public record FreeU(double b1, double b2, double s1, double s2) {

	public static final FreeU IDENTITY = new FreeU(1, 1, 1, 1);

	/**
	 * Applies FreeU to one decoder block input.
	 *
	 * @param modelChannels mc of the UNet (320 for SD 1.5)
	 * @return [h', skip'] (new arrays when changed, the inputs otherwise, also for a factor of 1)
	 */
	public NDList apply(NDArray h, NDArray skip, long modelChannels) {
		long c = h.getShape().get(1);
		double b, s;
		if (c == 4 * modelChannels) {
			b = b1;
			s = s1;
		}
		else if (c == 2 * modelChannels) {
			b = b2;
			s = s2;
		}
		else return new NDList(h, skip);
		return new NDList(backboneIsIdentity(h, b) ? h : scaleBackbone(h, b), s == 1 ? skip : FourierSkipFilter.apply(skip, s));
	}

	/**
	 * Whether the backbone factor 1 + (b − 1)·ĥ is exactly 1 here, so the product would be {@code h} itself and is not
	 * computed (an identity FreeU, the default, costs about a third of a UNet call's native ops otherwise). True for
	 * b = 1 wherever ĥ is finite, which it is unless the channel-mean map is constant (ĥ = 0/0): always so for a
	 * single spatial position, which keeps its NaN, as the original. (A constant map over several positions, where
	 * the original would give NaN too, is not looked for: it would take a read-back from the device.)
	 */
	static boolean backboneIsIdentity(NDArray h, double b) {
		return b == 1 && h.getShape().get(2) * h.getShape().get(3) > 1;
	}

	/** h[:, :C/2] *= (b − 1)·ĥ + 1. A constant map gives 0/0 = NaN here, exactly as the original. */
	static NDArray scaleBackbone(NDArray h, double b) {
		long c = h.getShape().get(1);
		NDArray mean = h.mean(new int[] {1}, true); // [B,1,H,W] (one axis: DJL's PyTorch mean takes one)
		long batch = h.getShape().get(0);
		NDArray flat = mean.reshape(batch, -1);
		NDArray max = flat.max(new int[] {1}, true).reshape(batch, 1, 1, 1);
		NDArray min = flat.min(new int[] {1}, true).reshape(batch, 1, 1, 1);
		NDArray hm = mean.sub(min).div(max.sub(min));
		NDArray factor = Scalars.add(Scalars.mul(hm, b - 1), 1);
		NDArray head = h.get(new NDIndex(":, :{}", c / 2)).mul(factor);
		NDArray tail = h.get(new NDIndex(":, {}:", c / 2));
		return head.concat(tail, 1);
	}
}
