package org.rerender.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.model.io.TensorSource;
import org.rerender.testing.TensorAssert;

/** The composed primitives against plain Java formulas, and attention slicing against the one-shot path. */
class NnPrimitivesTest {

	static float[] random(int n, long seed) {
		SplittableRandom r = new SplittableRandom(seed);
		float[] v = new float[n];
		for (int i = 0; i < n; i++) v[i] = (float) (r.nextDouble() * 4 - 1.5);
		return v;
	}

	/** A module's weights set directly (bypassing a file). */
	static void set(Module m, String name, NDArray v) {
		m.namedParams().get(name).set(v);
	}

	@Test
	void groupNormMatchesTheFormula() {
		int n = 2, c = 64, h = 3, w = 5, groups = 32;
		float eps = 1e-6f;
		float[] x = random(n * c * h * w, 1), g = random(c, 2), b = random(c, 3);
		double[] expected = new double[x.length];
		int per = c / groups * h * w;
		for (int s = 0; s < n; s++)
			for (int gi = 0; gi < groups; gi++) {
				int off = (s * groups + gi) * per;
				double mean = 0, var = 0;
				for (int i = 0; i < per; i++) mean += x[off + i];
				mean /= per;
				for (int i = 0; i < per; i++) var += (x[off + i] - mean) * (x[off + i] - mean);
				var /= per; // biased
				for (int i = 0; i < per; i++) {
					int ch = (off + i) / (h * w) % c;
					expected[off + i] = (x[off + i] - mean) / Math.sqrt(var + eps) * g[ch] + b[ch];
				}
			}
		float[] exp = new float[x.length];
		for (int i = 0; i < x.length; i++) exp[i] = (float) expected[i];
		try (NDManager m = Djl.newCpuManager()) {
			GroupNorm gn = new GroupNorm(groups, c, eps);
			set(gn, "weight", m.create(g));
			set(gn, "bias", m.create(b));
			gn.notifyLoaded();
			NDArray in = m.create(x, new Shape(n, c, h, w));
			TensorAssert.assertClose("groupnorm f32", gn.forward(in).toFloatArray(), exp, 1e-5, 1e-5);
			// F16 activations: statistics still in F32, output F16
			NDArray out16 = gn.forward(in.toType(DataType.FLOAT16, false));
			assertEquals(DataType.FLOAT16, out16.getDataType());
			TensorAssert.assertClose("groupnorm f16", out16.toType(DataType.FLOAT32, false).toFloatArray(), exp, 1e-2, 1e-2);
		}
	}

	@Test
	void slicedAttentionEqualsOneShot() {
		int b = 2, nq = 37, nk = 23, heads = 4, d = 8;
		try (NDManager m = Djl.newCpuManager()) {
			NDArray q = m.create(random(b * nq * heads * d, 4), new Shape(b, nq, heads * d));
			NDArray k = m.create(random(b * nk * heads * d, 5), new Shape(b, nk, heads * d));
			NDArray v = m.create(random(b * nk * heads * d, 6), new Shape(b, nk, heads * d));
			float[] full = Attention.multiHead(q, k, v, heads, Long.MAX_VALUE).toFloatArray();
			for (long budget : new long[] {nk * 5L, nk * nq * 3L, 1})
				TensorAssert.assertClose("budget " + budget, Attention.multiHead(q, k, v, heads, budget).toFloatArray(), full, 1e-6, 1e-6);
			// one head against a direct Java softmax(q·kᵀ/sqrt(d))·v for row 0 of batch 0, head 0
			float[] qa = q.toFloatArray(), ka = k.toFloatArray(), va = v.toFloatArray();
			int c = heads * d;
			double[] sc = new double[nk];
			double max = -1e30, sum = 0;
			for (int j = 0; j < nk; j++) {
				for (int e = 0; e < d; e++) sc[j] += qa[e] * ka[j * c + e];
				sc[j] /= Math.sqrt(d);
				max = Math.max(max, sc[j]);
			}
			for (int j = 0; j < nk; j++) sum += sc[j] = Math.exp(sc[j] - max);
			for (int e = 0; e < d; e++) {
				double o = 0;
				for (int j = 0; j < nk; j++) o += sc[j] / sum * va[j * c + e];
				assertEquals(o, full[e], 1e-5);
			}
		}
	}

	@Test
	void weightLoaderNamesMissingAndMisShapedKeys() {
		Linear lin = new Linear(3, 2);
		TensorSource empty = new TensorSource() {
			@Override
			public java.util.Map<String, org.rerender.model.io.TensorInfo> tensors() {
				return java.util.Map.of("weight", new org.rerender.model.io.TensorInfo("weight", org.rerender.model.io.TensorDType.F32, new long[] {2, 4}));
			}

			@Override
			public java.nio.ByteBuffer rawData(String name) {
				throw new UnsupportedOperationException();
			}

			@Override
			public void close() {}
		};
		org.rerender.model.io.KeyCheck.Result c = WeightLoader.check(lin, empty);
		assertEquals(java.util.List.of("bias"), c.missing());
		assertEquals(1, c.mismatched().size());
		try (NDManager m = Djl.newCpuManager()) {
			var e = org.junit.jupiter.api.Assertions.assertThrows(org.rerender.engine.RerenderException.class,
				() -> WeightLoader.load(lin, empty, m, DataType.FLOAT32, "test"));
			org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("bias") && e.getMessage().contains("weight"), e.getMessage());
		}
	}
}
