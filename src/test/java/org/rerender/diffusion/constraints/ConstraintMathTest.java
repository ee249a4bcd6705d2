package org.rerender.diffusion.constraints;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.testing.TensorAssert;

/** The Rerender constraints against their formulas, on small hand-made tensors. */
class ConstraintMathTest {
	static NDManager m;

	@BeforeAll
	static void start() {
		m = Djl.newCpuManager();
	}

	@AfterAll
	static void stop() {
		m.close();
	}

	static float[] random(int n, long seed) {
		Random r = new Random(seed);
		float[] v = new float[n];
		for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
		return v;
	}

	@Test
	void adaInTransfersTheRecordedStatistics() {
		float[] a = {1, 2, 3, 4, 10, 10, 10, 14};
		NDArray x = m.create(a, new Shape(1, 2, 2, 2));
		AdaIn.Stats s = AdaIn.styleStats(x);
		// channel 0: mean 2.5, unbiased var 5/3; channel 1: mean 11, unbiased var 12/3 = 4
		assertArrayEquals(new float[] {2.5f, 11f}, s.mean().toFloatArray(), 1e-6f);
		assertArrayEquals(new float[] {(float) Math.sqrt(5.0 / 3 + 1e-5), (float) Math.sqrt(4 + 1e-5)}, s.std().toFloatArray(), 1e-6f);
		NDArray y = m.create(random(2 * 3 * 5, 1), new Shape(1, 2, 3, 5));
		NDArray out = AdaIn.apply(y, s);
		// the result has the style mean and biased std = style std * sqrt(var/(var+eps))
		float[] o = out.toFloatArray();
		float[] yv = y.toFloatArray();
		for (int c = 0; c < 2; c++) {
			double mean = 0, var = 0, ym = 0, yvar = 0;
			for (int i = 0; i < 15; i++) {
				mean += o[c * 15 + i];
				ym += yv[c * 15 + i];
			}
			mean /= 15;
			ym /= 15;
			for (int i = 0; i < 15; i++) {
				var += Math.pow(o[c * 15 + i] - mean, 2);
				yvar += Math.pow(yv[c * 15 + i] - ym, 2);
			}
			var /= 15;
			yvar /= 15;
			assertEquals(s.mean().toFloatArray()[c], mean, 1e-5);
			double expectStd = s.std().toFloatArray()[c] * Math.sqrt(yvar / (yvar + 1e-5));
			assertEquals(expectStd, Math.sqrt(var), 1e-5);
		}
	}

	/** The filter straight from its definition: complex FFT, shift, mask, unshift, inverse, real part. */
	static float[] fourierByDefinition(float[] x, int h, int w, double s) {
		float[] out = new float[h * w];
		int crow = h / 2, ccol = w / 2;
		// mask in shifted coordinates, Python slice semantics
		boolean[][] sel = new boolean[h][w];
		int r0 = crow - 1 < 0 ? Math.max(0, crow - 1 + h) : crow - 1, r1 = Math.min(h, crow + 1);
		int c0 = ccol - 1 < 0 ? Math.max(0, ccol - 1 + w) : ccol - 1, c1 = Math.min(w, ccol + 1);
		for (int i = r0; i < r1; i++)
			for (int j = c0; j < c1; j++) sel[i][j] = true;
		double[][] re = new double[h][w], im = new double[h][w];
		for (int ky = 0; ky < h; ky++)
			for (int kx = 0; kx < w; kx++) {
				double sr = 0, si = 0;
				for (int y = 0; y < h; y++)
					for (int xx = 0; xx < w; xx++) {
						double th = 2 * Math.PI * ((double) ky * y / h + (double) kx * xx / w);
						sr += x[y * w + xx] * Math.cos(th);
						si -= x[y * w + xx] * Math.sin(th);
					}
				// shifted index of frequency k is (k + n//2) mod n
				double f = sel[(ky + crow) % h][(kx + ccol) % w] ? s : 1;
				re[ky][kx] = sr * f;
				im[ky][kx] = si * f;
			}
		for (int y = 0; y < h; y++)
			for (int xx = 0; xx < w; xx++) {
				double v = 0;
				for (int ky = 0; ky < h; ky++)
					for (int kx = 0; kx < w; kx++) {
						double th = 2 * Math.PI * ((double) ky * y / h + (double) kx * xx / w);
						v += re[ky][kx] * Math.cos(th) - im[ky][kx] * Math.sin(th);
					}
				out[y * w + xx] = (float) (v / (h * w));
			}
		return out;
	}

	@Test
	void fourierFilterMatchesTheDefinitionOnOddEvenAndUnitSizes() {
		int[][] sizes = {{4, 6}, {5, 3}, {1, 2}, {2, 1}, {1, 1}, {8, 8}, {7, 9}};
		for (int[] hw : sizes) {
			int h = hw[0], w = hw[1];
			float[] x = random(h * w, h * 31 + w);
			for (double s : new double[] {0.2, 0.9, 1.0}) {
				float[] got = FourierSkipFilter.apply(m.create(x, new Shape(1, 1, h, w)), s).toFloatArray();
				TensorAssert.assertClose("filter " + h + "x" + w + " s=" + s, got, fourierByDefinition(x, h, w, s), 2e-6, 1e-5);
			}
		}
	}

	@Test
	void fourierFilterScalesAConstantMapByS() {
		NDArray c = m.full(new Shape(1, 3, 4, 4), 2f);
		float[] out = FourierSkipFilter.apply(c, 0.2).toFloatArray();
		for (float v : out) assertEquals(0.4f, v, 1e-6f);
	}

	@Test
	void freeUScalesOnlyTheFirstHalfOfTheRightStage() {
		long mc = 2;
		float[] hv = random(8 * 2 * 3, 7);
		NDArray h = m.create(hv, new Shape(1, 8, 2, 3)); // 4·mc channels: b1/s1 stage
		NDArray skip = m.create(random(8 * 2 * 3, 8), new Shape(1, 8, 2, 3));
		NDList out = new FreeU(1.5, 1.0, 1.0, 1.0).apply(h, skip, mc);
		float[] o = out.get(0).toFloatArray();
		// channel mean, min-max normalised
		float[] mean = new float[6];
		for (int c = 0; c < 8; c++)
			for (int i = 0; i < 6; i++) mean[i] += hv[c * 6 + i] / 8f;
		float mn = Float.MAX_VALUE, mx = -Float.MAX_VALUE;
		for (float v : mean) {
			mn = Math.min(mn, v);
			mx = Math.max(mx, v);
		}
		for (int c = 0; c < 8; c++)
			for (int i = 0; i < 6; i++) {
				float expect = c < 4 ? hv[c * 6 + i] * (0.5f * (mean[i] - mn) / (mx - mn) + 1) : hv[c * 6 + i];
				assertEquals(expect, o[c * 6 + i], 1e-5f);
			}
		// a stage of another width is left alone
		NDArray other = m.create(random(6 * 4, 9), new Shape(1, 6, 2, 2));
		assertTrue(new FreeU(1.5, 1.5, 0.1, 0.1).apply(other, other, mc).get(0) == other);
	}

	@Test
	void identityFactorsReturnTheInputsWhichTheComputationWouldEqual() {
		long mc = 2;
		NDArray h = m.create(random(2 * 8 * 4 * 3, 10), new Shape(2, 8, 4, 3)), skip = m.create(random(2 * 8 * 4 * 3, 11), new Shape(2, 8, 4, 3));
		NDList out = FreeU.IDENTITY.apply(h, skip, mc);
		assertTrue(out.get(0) == h && out.get(1) == skip);
		// what the skipped work would have given: bitwise the inputs
		assertArrayEquals(h.toFloatArray(), FreeU.scaleBackbone(h, 1).toFloatArray());
		assertArrayEquals(skip.toFloatArray(), FourierSkipFilter.apply(skip, 1).toFloatArray());
		// only the factor that is 1 is skipped
		NDList half = new FreeU(1, 1, 0.5, 1).apply(h, skip, mc);
		assertTrue(half.get(0) == h && half.get(1) != skip);
		// one spatial position: the channel-mean map is constant, 0/0 = NaN as in the original, so it is still computed
		NDArray one = m.create(random(8, 12), new Shape(1, 8, 1, 1));
		float[] o = FreeU.IDENTITY.apply(one, one, mc).get(0).toFloatArray();
		for (int c = 0; c < 8; c++) assertEquals(c < 4, Float.isNaN(o[c]), "channel " + c);
	}

	@Test
	void flatRegionIsOneOnlyWhereBothGradientsVanish() {
		float[] mask = {
			1, 1, 1, 1, 1,
			1, 1, 1, 1, 1,
			1, 1, 1, 0, 0,
			1, 1, 1, 0, 0};
		float[] nr = PixelFusionMath.flatRegion(mask, 4, 5);
		float[] expect = {
			1, 1, 1, 1, 1,
			1, 1, 0, 0, 0,
			1, 1, 0, 0, 0,
			1, 1, 0, 0, 1}; // the corner's replicated neighbourhood is all zeros
		assertArrayEquals(expect, nr);
	}

	@Test
	void maskBlendFollowsTheFormula() {
		float[] xv = {1, 2}, tv = {3, -1}, dv = {0.5f, -0.25f}, wv = {0.3f, 1f}, nv = {1, 0};
		Shape s = new Shape(1, 1, 1, 2);
		float[] got = PixelFusionMath.blend(m.create(xv, s), m.create(tv, s), m.create(dv, s), m.create(wv, s), m.create(nv, s), 0.9)
			.toFloatArray();
		for (int i = 0; i < 2; i++) {
			double w = wv[i];
			double r = Math.max(1 - w, Math.sqrt(1 - w * w) * 0.9);
			r = (1 - w) * (1 - nv[i]) + r * nv[i];
			double e = tv[i] * w + (1 - w) * (xv[i] - dv[i]) + r * dv[i];
			assertEquals(e, got[i], 1e-6);
		}
	}
}
