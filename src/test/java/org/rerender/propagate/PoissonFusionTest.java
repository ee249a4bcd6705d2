package org.rerender.propagate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PoissonFusionTest {

	/** Builds t so that x* is the exact minimiser: t = (I + w²·GᵀG) x* − w²·Gᵀ g. */
	@Test
	void solverRecoversAnalyticMinimiser() {
		int w = 37, h = 23;
		double weight = 2.5, w2 = weight * weight;
		Random r = new Random(3);
		double[] xs = new double[w * h], gx = new double[w * h], gy = new double[w * h];
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				int p = y * w + x;
				xs[p] = 40 * Math.sin(0.2 * x) * Math.cos(0.3 * y) + 0.5 * x;
				gx[p] = y < h - 1 ? 10 * r.nextGaussian() : 0;
				gy[p] = x < w - 1 ? 10 * r.nextGaussian() : 0;
			}
		double[] t = new double[w * h];
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				int p = y * w + x;
				double lap = 0;
				if (y > 0) lap += xs[p] - xs[p - w];
				if (y < h - 1) lap += xs[p] - xs[p + w];
				if (x > 0) lap += xs[p] - xs[p - 1];
				if (x < w - 1) lap += xs[p] - xs[p + 1];
				double gtg = 0; // (Gxᵀ gx + Gyᵀ gy)(p)
				if (y < h - 1) gtg += gx[p];
				if (y > 0) gtg -= gx[p - w];
				if (x < w - 1) gtg += gy[p];
				if (x > 0) gtg -= gy[p - 1];
				t[p] = xs[p] + w2 * lap - w2 * gtg;
			}
		double[] sol = PoissonFusion.solve(t, gx, gy, w, h, weight);
		double maxErr = 0;
		for (int p = 0; p < w * h; p++) maxErr = Math.max(maxErr, Math.abs(sol[p] - xs[p]));
		assertEquals(0, maxErr, 1e-3, "max abs error against the analytic minimiser");
	}

	@Test
	void consistentGradientsReproduceTheBlendExactly() {
		int w = 16, h = 12;
		byte[] img = new byte[3 * w * h];
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				for (int c = 0; c < 3; c++) img[3 * (y * w + x) + c] = (byte) (20 + 5 * x + 3 * y + 40 * c);
		byte[] out = PoissonFusion.fuseLab(img, img, img, new byte[w * h], w, h, PoissonFusion.CHANNEL_WEIGHTS);
		assertArrayEquals(img, out);
	}

	@Test
	void gradientsFollowTheSelectionMask() {
		// blended target is flat 100; forward result flat, backward result has a step of +60 between columns 1 and 2.
		// With the mask selecting backward everywhere, the solution keeps (most of) the step around the mean.
		int w = 4, h = 1;
		byte[] flat = new byte[3 * w], step = new byte[3 * w];
		for (int x = 0; x < w; x++)
			for (int c = 0; c < 3; c++) {
				flat[3 * x + c] = 100;
				step[3 * x + c] = (byte) (x < 2 ? 70 : 130);
			}
		byte[] fwd = PoissonFusion.fuseLab(flat, flat, step, new byte[w], w, h, PoissonFusion.CHANNEL_WEIGHTS);
		byte[] bwd = PoissonFusion.fuseLab(flat, flat, step, new byte[] {1, 1, 1, 1}, w, h, PoissonFusion.CHANNEL_WEIGHTS);
		assertEquals(100, fwd[0] & 0xff);
		assertEquals(100, fwd[9] & 0xff);
		// channel 0 (weight 2.5): minimise 6.25[(x0-x1)^2 + (x1-x2+60)^2 + (x2-x3)^2] + sum xi^2; by antisymmetry
		// x3 = -x0, x2 = -x1, and the stationarity conditions give x0 = 25/29 x1, x1 = -1500 / (79 - 625/29)
		double x1 = -1500 / (79 - 625.0 / 29), x0 = 25 * x1 / 29;
		assertEquals((int) (100 + x0), bwd[0] & 0xff);
		assertEquals((int) (100 + x1), bwd[3] & 0xff);
		assertEquals((int) (100 - x1), bwd[6] & 0xff);
		assertEquals((int) (100 - x0), bwd[9] & 0xff);
	}
}
