package org.rerender.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.rerender.engine.Djl;
import org.rerender.testing.TensorAssert;

/**
 * {@link Conv2d} against a direct double-precision convolution written out in Java, for channel counts around the
 * CPU kernels' channel block: the odd ones (34, 130, 20) are those libtorch 2.7.1's CPU convolution gets wrong without
 * the channel padding (errors of order 1), the others check that the padding leaves the usual cases alone.
 */
class Conv2dTest {

	@ParameterizedTest(name = "B={0} C={1} O={2} k={3} stride={4}")
	@CsvSource({"2,34,24,3,1", "1,34,8,3,2", "2,130,16,3,1", "1,20,5,3,1", "2,32,8,3,1", "2,3,16,3,1", "2,34,8,1,1"})
	void matchesTheDirectConvolution(int b, int c, int o, int k, int stride) {
		int h = 9, w = 13, pad = k / 2;
		float[] x = NnPrimitivesTest.random(b * c * h * w, 11);
		float[] wt = NnPrimitivesTest.random(o * c * k * k, 12), bias = NnPrimitivesTest.random(o, 13);
		for (int i = 0; i < wt.length; i++) wt[i] *= 0.2f;
		for (int i = 0; i < 2 * h * w; i++) x[i] *= 20; // large values in the first channels, as GMFlow's flow channels
		int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
		float[] expected = new float[b * o * oh * ow];
		for (int n = 0; n < b; n++)
			for (int oc = 0; oc < o; oc++)
				for (int oy = 0; oy < oh; oy++)
					for (int ox = 0; ox < ow; ox++) {
						double acc = bias[oc];
						for (int ic = 0; ic < c; ic++)
							for (int ky = 0; ky < k; ky++)
								for (int kx = 0; kx < k; kx++) {
									int iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
									if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
									acc += (double) x[((n * c + ic) * h + iy) * w + ix] * wt[((oc * c + ic) * k + ky) * k + kx];
								}
						expected[((n * o + oc) * oh + oy) * ow + ox] = (float) acc;
					}
		try (NDManager m = Djl.newCpuManager()) {
			Conv2d conv = new Conv2d(c, o, k, stride, pad);
			NnPrimitivesTest.set(conv, "weight", m.create(wt, new Shape(o, c, k, k)));
			NnPrimitivesTest.set(conv, "bias", m.create(bias));
			conv.notifyLoaded();
			NDArray in = m.create(x, new Shape(b, c, h, w));
			for (int rep = 0; rep < 2; rep++) { // the second call reuses the padded weight
				NDArray out = conv.forward(in);
				assertEquals(new Shape(b, o, oh, ow), out.getShape());
				TensorAssert.assertClose("conv " + c + "->" + o, out.toFloatArray(), expected, 1e-4, 1e-4);
			}
			NDArray direct = Conv2d.convolve(in, m.create(wt, new Shape(o, c, k, k)), m.create(bias), stride, pad);
			TensorAssert.assertClose("convolve " + c + "->" + o, direct.toFloatArray(), expected, 1e-4, 1e-4);
		}
	}

	@ParameterizedTest(name = "C={0} k={1}: pad={2}")
	@CsvSource({"34,3,true", "20,3,true", "9,3,true", "8,3,false", "32,3,false", "320,3,false", "34,1,false", "3,3,false"})
	void padsOnlySpatialKernelsWithAnOddChannelCountOnTheCpu(int c, int k, boolean pad) {
		try (NDManager m = Djl.newCpuManager()) {
			NDArray x = m.zeros(new Shape(1, c, 4, 4)), w = m.zeros(new Shape(2, c, k, k));
			assertEquals(pad, Conv2d.needsChannelPadding(x, w));
			if (pad) assertTrue(Conv2d.paddedChannels(c) % Conv2d.CPU_CHANNEL_BLOCK == 0 && Conv2d.paddedChannels(c) > c);
		}
	}

	@org.junit.jupiter.api.Test
	void aChannelMismatchIsAnErrorNotPadding() {
		try (NDManager m = Djl.newCpuManager()) {
			Conv2d conv = new Conv2d(20, 16, 3, 1, 1);
			NnPrimitivesTest.set(conv, "weight", m.zeros(new Shape(16, 20, 3, 3)));
			NnPrimitivesTest.set(conv, "bias", m.zeros(new Shape(16)));
			conv.notifyLoaded();
			org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> conv.forward(m.zeros(new Shape(1, 4, 8, 8))));
			org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
				() -> Conv2d.convolve(m.zeros(new Shape(1, 4, 8, 8)), m.zeros(new Shape(16, 20, 3, 3)), null, 1, 1));
		}
	}
}
