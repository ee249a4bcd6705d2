package org.rerender.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import org.rerender.image.FloatImage;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;

/** Reads the reference's planar tensors ([1,C,H,W], [C,H,W] or [1,H,W]) as interleaved images. */
final class FlowFixtures {
	private FlowFixtures() {}

	/** A planar tensor as an HWC image; the size comes from the tensor's shape (last two axes = H, W). */
	static FloatImage image(TensorSource src, String name, boolean singleChannel) {
		TensorInfo info = src.info(name);
		long[] s = info.shape();
		int h = (int) s[s.length - 2], w = (int) s[s.length - 1];
		int c = singleChannel ? 1 : (int) s[s.length - 3];
		float[] chw = src.floats(name);
		assertEquals((long) c * h * w, chw.length, name + ": element count");
		int n = w * h;
		float[] hwc = new float[chw.length];
		for (int k = 0; k < c; k++)
			for (int i = 0; i < n; i++) hwc[c * i + k] = chw[k * n + i];
		return new FloatImage(w, h, c, hwc);
	}

	static FloatImage image(TensorSource src, String name) {
		return image(src, name, false);
	}

	static FloatImage mask(TensorSource src, String name) {
		return image(src, name, true);
	}

	static FlowField flow(TensorSource src, String name) {
		FloatImage f = image(src, name);
		assertEquals(2, f.channels(), name + ": a flow has 2 channels");
		return new FlowField(f);
	}

	/**
	 * Masks must be equal, except where the reference's |diff − threshold| is below {@code margin}
	 * (a float32 rounding can flip those); {@code diff}/{@code threshold} may be null (then exact).
	 *
	 * @return the number of tolerated mismatches
	 */
	static int assertMaskEquals(String name, FloatImage actual, FloatImage expected, FloatImage diff, FloatImage threshold,
		double margin)
	{
		assertEquals(expected.width(), actual.width(), name + ": width");
		assertEquals(expected.height(), actual.height(), name + ": height");
		float[] a = actual.data(), e = expected.data();
		int tolerated = 0, bad = 0, first = -1;
		for (int i = 0; i < e.length; i++) {
			if (Float.floatToIntBits(a[i]) == Float.floatToIntBits(e[i]) || a[i] == e[i]) continue;
			if (diff != null && Math.abs(diff.data()[i] - threshold.data()[i]) < margin) tolerated++;
			else {
				if (first < 0) first = i;
				bad++;
			}
		}
		if (bad > 0)
			fail(String.format("%s: %d of %d values differ; first at (x %d, y %d): %s, expected %s", name, bad, e.length,
				first % expected.width(), first / expected.width(), a[first], e[first]));
		return tolerated;
	}
}
