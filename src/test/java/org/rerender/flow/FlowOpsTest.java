package org.rerender.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/** Hand-computed cases for the flow helpers (the parity test covers the reference data). */
class FlowOpsTest {

	/** A 1-channel image with value 10·y + x (distinct everywhere). */
	private static FloatImage ramp(int w, int h) {
		FloatImage im = new FloatImage(w, h, 1);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) im.set(x, y, 0, 10 * y + x + 1);
		return im;
	}

	private static FlowField constant(int w, int h, float u, float v) {
		FlowField f = FlowField.zeros(w, h);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) f.set(x, y, u, v);
		return f;
	}

	private static FloatImage single(int w, int h, int x, int y) {
		FloatImage m = new FloatImage(w, h, 1);
		m.set(x, y, 0, 1f);
		return m;
	}

	@Test
	void uniformFlowHasTheSameDisplacementEverywhere() {
		FlowField f = FlowField.uniform(5, 3, 2.5f, -1f);
		assertEquals(5, f.width());
		assertEquals(3, f.height());
		for (int y = 0; y < 3; y++)
			for (int x = 0; x < 5; x++) {
				assertEquals(2.5f, f.u(x, y));
				assertEquals(-1f, f.v(x, y));
			}
	}

	@Test
	void integerShiftsMoveContentAndZeroTheBorder() {
		FloatImage im = ramp(5, 4);
		FloatImage r = FlowOps.warpBilinear(im, constant(5, 4, 1, 0)); // samples x+1
		FloatImage n = FlowOps.warpNearest(im, constant(5, 4, 1, 0));
		for (int y = 0; y < 4; y++)
			for (int x = 0; x < 5; x++) {
				float want = x + 1 < 5 ? im.get(x + 1, y, 0) : 0f;
				assertEquals(want, r.get(x, y, 0), 0, "bilinear (" + x + "," + y + ")");
				assertEquals(want, n.get(x, y, 0), 0, "nearest (" + x + "," + y + ")");
			}
		FloatImage down = FlowOps.warpBilinear(im, constant(5, 4, 0, -2)); // samples y-2
		assertEquals(0f, down.get(3, 1, 0));
		assertEquals(im.get(3, 0, 0), down.get(3, 2, 0));
	}

	@Test
	void outOfFrameSamplesAreZero() {
		FloatImage im = ramp(6, 5);
		for (float[] uv : new float[][] { { -10, 0 }, { 7, 0 }, { 0, 5.5f }, { 0, -6 } }) {
			assertArrayEquals(new float[30], FlowOps.warpBilinear(im, constant(6, 5, uv[0], uv[1])).data());
			assertArrayEquals(new float[30], FlowOps.warpNearest(im, constant(6, 5, uv[0], uv[1])).data());
		}
	}

	@Test
	void bilinearInterpolatesAndFadesToZeroAtTheEdge() {
		FloatImage im = ramp(5, 4);
		FloatImage r = FlowOps.warpBilinear(im, constant(5, 4, 0.5f, 0));
		assertEquals((im.get(1, 2, 0) + im.get(2, 2, 0)) / 2, r.get(1, 2, 0), 1e-6);
		assertEquals(im.get(4, 2, 0) / 2, r.get(4, 2, 0), 1e-6, "half of the last column, half of the zero padding");
		FloatImage q = FlowOps.warpBilinear(im, constant(5, 4, 0.25f, 0.75f));
		float want = 0.75f * 0.25f * im.get(1, 1, 0) + 0.25f * 0.25f * im.get(2, 1, 0) + 0.75f * 0.75f * im.get(1, 2, 0)
			+ 0.25f * 0.75f * im.get(2, 2, 0);
		assertEquals(want, q.get(1, 1, 0), 1e-5);
	}

	@Test
	void nearestRoundsHalfToEven() {
		FloatImage im = ramp(5, 3); // W−1 = 4 keeps x + 0.5 exact through the normalisation
		FloatImage n = FlowOps.warpNearest(im, constant(5, 3, 0.5f, 0));
		assertEquals(im.get(0, 1, 0), n.get(0, 1, 0), "0.5 rounds to 0");
		assertEquals(im.get(2, 1, 0), n.get(1, 1, 0), "1.5 rounds to 2");
		assertEquals(im.get(2, 1, 0), n.get(2, 1, 0), "2.5 rounds to 2");
		assertEquals(im.get(4, 1, 0), n.get(3, 1, 0), "3.5 rounds to 4");
		assertEquals(im.get(4, 1, 0), n.get(4, 1, 0), "4.5 rounds to 4 (even), inside; rounding half up would leave the frame");
	}

	@Test
	void nearestEdgeCases() {
		FloatImage im = ramp(5, 3);
		FloatImage n = FlowOps.warpNearest(im, constant(5, 3, -0.5f, 0));
		assertEquals(im.get(0, 0, 0), n.get(0, 0, 0), "-0.5 rounds to -0, which is inside");
		FloatImage o = FlowOps.warpNearest(im, constant(5, 3, 0.6f, 0));
		assertEquals(0f, o.get(4, 0, 0), "4.6 rounds to 5: outside");
		Rgb8Image rgb = new Rgb8Image(5, 3);
		rgb.set(2, 1, 0, 200);
		Rgb8Image w = FlowOps.warpNearest(rgb, constant(5, 3, 1, 0));
		assertEquals(200, w.get(1, 1, 0));
		assertEquals(0, w.get(2, 1, 0));
	}

	@Test
	void consistentTranslationIsOccludedOnlyWhereItLeavesTheFrame() {
		int w = 10, h = 6;
		FlowField f = constant(w, h, 2, 0), b = constant(w, h, -2, 0);
		FloatImage fo = FlowOps.occlusion(f, b), bo = FlowOps.occlusion(b, f);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				assertEquals(x >= w - 2 ? 1f : 0f, fo.get(x, y, 0), "fwd (" + x + "," + y + ")");
				assertEquals(x < 2 ? 1f : 0f, bo.get(x, y, 0), "bwd (" + x + "," + y + ")");
			}
		FlowOps.Consistency c = FlowOps.check(f, b);
		assertEquals(0.01f * 4 + 0.5f, c.threshold().get(3, 3, 0), 1e-7);
		assertEquals(0f, c.diff().get(3, 3, 0));
		assertEquals(2f, c.diff().get(w - 1, 3, 0), "the warped backward flow is zero outside the frame");
	}

	@Test
	void inconsistentFlowIsOccludedStrictlyAboveTheThreshold() {
		// f = 0, b = (v, 0): diff = v, threshold = 0.01·v + 0.5
		FlowField zero = FlowField.zeros(8, 8);
		assertEquals(0f, FlowOps.occlusion(constant(8, 8, 0.5f, 0), zero).get(4, 4, 0), "0.5 < 0.505");
		assertEquals(1f, FlowOps.occlusion(constant(8, 8, 0.51f, 0), zero).get(4, 4, 0), "0.51 > 0.5051");
		assertEquals(0f, FlowOps.occlusion(zero, zero).get(4, 4, 0));
	}

	@Test
	void maxPool9DilatesByFourAndPaddingNeverWins() {
		FloatImage m = FlowOps.maxPool9(single(20, 16, 10, 7));
		assertEquals(20, m.width());
		assertEquals(16, m.height());
		int ones = 0;
		for (int y = 0; y < 16; y++)
			for (int x = 0; x < 20; x++) {
				boolean in = Math.abs(x - 10) <= 4 && Math.abs(y - 7) <= 4;
				assertEquals(in ? 1f : 0f, m.get(x, y, 0));
				if (in) ones++;
			}
		assertEquals(81, ones);
		FloatImage neg = new FloatImage(5, 5, 1);
		java.util.Arrays.fill(neg.data(), -3f);
		assertEquals(-3f, FlowOps.maxPool9(neg).get(0, 0, 0), "padding is −∞, not 0");
	}

	@Test
	void maxPool8AndMaxPool3() {
		FloatImage m = FlowOps.maxPool8(single(17, 9, 9, 3)); // floor(17/8) × floor(9/8)
		assertEquals(2, m.width());
		assertEquals(1, m.height());
		assertArrayEquals(new float[] { 0f, 1f }, m.data());
		assertArrayEquals(new float[] { 0f, 0f }, FlowOps.maxPool8(single(17, 9, 16, 8)).data(), "outside the last full block");
		FloatImage p3 = FlowOps.maxPool3(single(5, 5, 0, 0));
		assertEquals(1f, p3.get(1, 1, 0));
		assertEquals(0f, p3.get(2, 0, 0));
		assertEquals(0f, p3.get(0, 2, 0));
	}

	@Test
	void gaussianKernelIsTorchvisionsNineTapSigma18() {
		float[] k = FlowOps.gaussianKernel(9, 18f);
		double sum = 0;
		for (float v : k) sum += v;
		assertEquals(1.0, sum, 1e-6);
		assertEquals(k[0], k[8]);
		assertEquals(Math.exp(-0.5 * (4.0 / 18) * (4.0 / 18)), k[0] / k[4], 1e-6, "nearly flat: edge/centre 0.976");
	}

	@Test
	void blurOfADeltaIsTheKernelWithReflectPadding() {
		float[] k = FlowOps.gaussianKernel(9, 18f);
		FloatImage b = FlowOps.gaussianBlur9(single(20, 20, 10, 10));
		assertEquals(k[4] * k[4], b.get(10, 10, 0), 1e-7);
		assertEquals(k[7] * k[1], b.get(13, 7, 0), 1e-7);
		assertEquals(0f, b.get(15, 10, 0), "beyond the 9-tap support");
		// a delta on column 1: reflect padding mirrors it to column −1, so column 0 sees it at taps −1 and +1
		// and column 1 at taps 0 and −2 (replicate padding would give k[5] and k[4] alone)
		FloatImage e = FlowOps.gaussianBlur9(single(20, 20, 1, 10));
		assertEquals(k[4] * (k[3] + k[5]), e.get(0, 10, 0), 1e-7);
		assertEquals(k[4] * (k[4] + k[2]), e.get(1, 10, 0), 1e-7);
		assertEquals(k[4] * k[0], e.get(5, 10, 0), 1e-7);
		// a delta on column 0 (the edge pixel is not repeated)
		assertEquals(k[4] * k[4], FlowOps.gaussianBlur9(single(20, 20, 0, 10)).get(0, 10, 0), 1e-7);
	}

	@Test
	void softMaskKeepsExactZerosAndOnes() {
		FloatImage occ = single(40, 30, 20, 15);
		FloatImage s = FlowOps.softMask(occ);
		assertEquals(1f, s.get(20, 15, 0));
		assertTrue(s.get(25, 15, 0) > 0 && s.get(25, 15, 0) < 1, "soft at distance 5");
		assertEquals(0f, s.get(29, 15, 0), "exactly 0 beyond 8 px");
		assertEquals(0f, s.get(0, 0, 0));
		assertArrayEquals(new float[40 * 30], FlowOps.softMask(new FloatImage(40, 30, 1)).data());
		FloatImage all = new FloatImage(12, 12, 1);
		java.util.Arrays.fill(all.data(), 1f);
		for (float v : FlowOps.softMask(all).data()) assertEquals(1f, v);
	}

	@Test
	void andOfMasks() {
		FloatImage a = new FloatImage(2, 2, 1, new float[] { 0, 0, 1, 1 });
		FloatImage b = new FloatImage(2, 2, 1, new float[] { 0, 1, 0, 1 });
		assertArrayEquals(new float[] { 0, 0, 0, 1 }, FlowOps.and(a, b).data());
	}

	@Test
	void reflectFoldsLikeTorch() {
		assertEquals(1, FlowOps.reflect(-1, 5));
		assertEquals(4, FlowOps.reflect(-4, 5));
		assertEquals(3, FlowOps.reflect(5, 5));
		assertEquals(0, FlowOps.reflect(8, 5));
		assertEquals(0, FlowOps.reflect(3, 1));
	}

	@Test
	void planarRoundTripAndSizeChecks() {
		float[] chw = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
		FlowField f = FlowField.fromPlanar(3, 2, chw);
		assertEquals(3f, f.u(2, 0));
		assertEquals(10f, f.v(0, 1));
		assertArrayEquals(chw, f.toPlanar());
		assertThrows(IllegalArgumentException.class, () -> FlowOps.warpBilinear(new FloatImage(4, 2, 1), f));
		assertThrows(IllegalArgumentException.class, () -> new FlowField(new FloatImage(3, 2, 3)));
	}
}
