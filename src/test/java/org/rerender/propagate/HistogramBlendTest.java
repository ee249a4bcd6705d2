package org.rerender.propagate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.rerender.image.Rgb8Image;

class HistogramBlendTest {

	@Test
	void fullForwardWeightRematchesForwardToCompositeStatistics() {
		// one channel varies 0,10,20,30 (mean 15, population std sqrt(125)); composite channel 100,104,96,100 (mean 100, std sqrt(8))
		byte[] a = new byte[12], m = new byte[12], b = new byte[12];
		int[] av = {0, 10, 20, 30}, mv = {100, 104, 96, 100};
		for (int p = 0; p < 4; p++)
			for (int c = 0; c < 3; c++) {
				a[3 * p + c] = (byte) av[p];
				m[3 * p + c] = (byte) mv[p];
				b[3 * p + c] = (byte) (7 * p * p);
			}
		byte[] out = HistogramBlend.blendLab(a, b, m, 1, 0);
		double s = Math.sqrt(8) / Math.sqrt(125);
		for (int p = 0; p < 4; p++)
			assertEquals(Math.rint((av[p] - 15) * s + 100), out[3 * p] & 0xff, "pixel " + p);
	}

	@Test
	void resultHasCompositeMeanAndStd() {
		Random r = new Random(1);
		int n = 64 * 64;
		byte[] a = new byte[3 * n], b = new byte[3 * n], m = new byte[3 * n];
		for (int i = 0; i < 3 * n; i++) {
			a[i] = (byte) (40 + r.nextInt(60));
			b[i] = (byte) (120 + r.nextInt(120));
			m[i] = (byte) Math.max(0, Math.min(255, (int) Math.round(128 + 20 * r.nextGaussian())));
		}
		byte[] out = HistogramBlend.blendLab(a, b, m, 0.3, 0.7);
		for (int c = 0; c < 3; c++) {
			double[] so = HistogramBlend.stats(out, c), sm = HistogramBlend.stats(m, c);
			assertEquals(sm[0], so[0], 0.05, "mean of channel " + c);
			assertEquals(sm[1], so[1], 0.1, "std of channel " + c);
		}
	}

	@Test
	void rgbRoundTripOfIdenticalInputsIsNearlyIdentity() {
		Random r = new Random(2);
		byte[] d = new byte[3 * 32 * 32];
		r.nextBytes(d);
		Rgb8Image img = new Rgb8Image(32, 32, d);
		Rgb8Image out = HistogramBlend.blend(img, img, img, 0.5, 0.5);
		// identical inputs: the mix is the image itself, re-matched to its own statistics; only LAB rounding remains
		byte[] lab = OpenCvOps.rgbToLab(img);
		assertArrayEquals(lab, HistogramBlend.blendLab(lab, lab, lab, 0.5, 0.5));
		assertEquals(32, out.width());
	}
}
