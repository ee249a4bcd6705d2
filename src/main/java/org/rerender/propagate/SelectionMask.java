package org.rerender.propagate;

import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * The error-based selection between the forward and the backward result of an in-between frame
 * (algorithm notes §4): 1 = take the backward result, 0 = the forward one.
 */
public final class SelectionMask {
	private SelectionMask() {}

	/** Weight of the backward result for in-between frame {@code i} (0 … K−2) of an interval of length K: i/(K−1). */
	public static double backwardWeight(int i, int intervalLength) {
		if (intervalLength < 2 || i < 0 || i > intervalLength - 2)
			throw new IllegalArgumentException("in-between frame " + i + " does not exist in an interval of length " + intervalLength);
		return (double) i / (intervalLength - 1);
	}

	/**
	 * Backward (1) where {@code w1·errA ≥ w2·errB}, forward (0) otherwise; forward everywhere when
	 * {@code w1 == 0}, backward everywhere when {@code w2 == 0}.
	 *
	 * @param errA forward error map of the frame (1 channel)
	 * @param errB backward error map of the same frame (1 channel; our pairing decision, §4)
	 * @param w1 backward weight i/(K−1)
	 */
	public static byte[] select(FloatImage errA, FloatImage errB, double w1) {
		if (!errA.sameSize(errB) || errA.channels() != 1 || errB.channels() != 1)
			throw new IllegalArgumentException("error maps must be single-channel and of the same size");
		if (!(w1 >= 0 && w1 <= 1)) throw new IllegalArgumentException("weight must be in [0, 1], got " + w1);
		double w2 = 1 - w1;
		float[] a = errA.data(), b = errB.data();
		byte[] m = new byte[a.length];
		for (int p = 0; p < a.length; p++) {
			int v = w1 * a[p] < w2 * b[p] ? 0 : 1;
			if (w1 == 0) v = 0;
			else if (w2 == 0) v = 1;
			m[p] = (byte) v;
		}
		return m;
	}

	/** Ors {@code previous}, warped to this frame (nearest, zero outside) by {@code flow}, into {@code mask} (in place). */
	public static byte[] orWarped(byte[] mask, byte[] previous, FloatImage flow) {
		byte[] warped = GuideImages.warpNearestMask(previous, flow.width(), flow.height(), flow);
		for (int p = 0; p < mask.length; p++) mask[p] = (byte) (mask[p] | warped[p]);
		return mask;
	}

	/** Each pixel from {@code bwd} where the mask is set, else from {@code fwd}. */
	public static Rgb8Image composite(Rgb8Image fwd, Rgb8Image bwd, byte[] mask) {
		if (!fwd.sameSize(bwd) || mask.length != fwd.width() * fwd.height())
			throw new IllegalArgumentException("composite inputs differ in size");
		byte[] a = fwd.data(), b = bwd.data(), d = new byte[a.length];
		for (int p = 0; p < mask.length; p++) {
			byte[] s = mask[p] != 0 ? b : a;
			d[3 * p] = s[3 * p];
			d[3 * p + 1] = s[3 * p + 1];
			d[3 * p + 2] = s[3 * p + 2];
		}
		return new Rgb8Image(fwd.width(), fwd.height(), d);
	}
}
