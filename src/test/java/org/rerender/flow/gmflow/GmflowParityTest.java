package org.rerender.flow.gmflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.flow.FlowField;
import org.rerender.flow.FlowOps;
import org.rerender.image.FloatImage;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.TensorSource;
import org.rerender.model.nn.WeightLoader;
import org.rerender.testing.Fixtures;
import org.rerender.testing.TensorAssert;
import org.rerender.testing.TestDevice;

/**
 * GMFlow against the original (fixtures README §8): every tensor of {@code gmflow-reference.safetensors},
 * with the tiny checkpoint loaded exactly as the real one is. Sizes, widths, layer count, padding and
 * call parameters come from the files.
 */
class GmflowParityTest {
	private static SafetensorsFile ref;
	private static final Map<String, float[]> taps = new LinkedHashMap<>();
	private static GmflowConfig config;
	private static InputPadder padder;
	private static int h, w;
	private static float[] fwd, bwd;

	@BeforeAll
	static void run() {
		ref = SafetensorsFile.open(Fixtures.file("gmflow/gmflow-reference.safetensors"));
		long[] fs = ref.info("in.frame1").shape();
		h = (int) fs[0];
		w = (int) fs[1];
		int splits = ref.ints("in.attn_splits")[0];
		assertEquals(-1, ref.ints("in.corr_radius")[0], "global matching only");
		assertEquals(-1, ref.ints("in.prop_radius")[0], "global propagation only");
		assertEquals(1, ref.ints("in.pred_bidir_flow")[0], "bidirectional");
		try (TensorSource ckpt = Checkpoints.open(Fixtures.file("gmflow/tiny-gmflow.pth"));
			NDManager weights = TestDevice.newManager())
		{
			config = GmflowConfig.fromShapes(ckpt);
			GmflowNetwork net = new GmflowNetwork(config);
			WeightLoader.load(net, ckpt, weights, DataType.FLOAT32, "GMFlow");
			padder = InputPadder.of(h, w, GmflowNetwork.STRIDE); // Rerender's padding_factor=8, not a config value
			float[] p1 = padder.pad(planar(ref.bytes("in.frame1"), h, w), 3);
			float[] p2 = padder.pad(planar(ref.bytes("in.frame2"), h, w), 3);
			float[] both = net.forward(weights, p1, p2, padder.paddedHeight(), padder.paddedWidth(), splits, taps);
			int hp = padder.paddedHeight(), wp = padder.paddedWidth(), n = 2 * hp * wp;
			float[] f = new float[n], b = new float[n];
			System.arraycopy(both, 0, f, 0, n);
			System.arraycopy(both, n, b, 0, n);
			fwd = padder.unpad(f, 2);
			if (System.getProperty("gmflow.dump") != null) taps.forEach((k, v) -> {
				try {
					java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
					bb.asFloatBuffer().put(v);
					java.nio.file.Files.write(java.nio.file.Path.of(System.getProperty("gmflow.dump"), k + ".f32"), bb.array());
				} catch (java.io.IOException e) {
					throw new java.io.UncheckedIOException(e);
				}
			});
			bwd = padder.unpad(b, 2);
		}
	}

	@AfterAll
	static void close() {
		if (ref != null) ref.close();
	}

	static float[] planar(byte[] hwc, int h, int w) {
		float[] out = new float[3 * h * w];
		for (int i = 0; i < h * w; i++)
			for (int c = 0; c < 3; c++) out[c * h * w + i] = hwc[3 * i + c] & 0xff;
		return out;
	}

	private static void check(String tap, String refName, double atol, double rtol) {
		float[] a = taps.get(tap);
		assertTrue(a != null, "no tap " + tap);
		double d = TensorAssert.assertClose(refName, a, ref.floats(refName), atol, rtol);
		System.out.printf("%-36s max|d| %.3g%n", refName, d);
	}

	@Test
	void paddingAndConfigComeFromTheFiles() {
		int[] pad = ref.ints("in.pad_lrtb");
		assertEquals(List.of(pad[0], pad[1], pad[2], pad[3]), List.of(padder.left(), padder.right(), padder.top(), padder.bottom()));
		long[] bb = ref.info("out.backbone").shape();
		assertEquals(bb[1], config.featureChannels());
	}

	@Test
	void paddedInput() {
		check("padded_input", "out.padded_input", 1e-5, 0);
	}

	@Test
	void backboneAndTransformer() {
		check("backbone", "out.backbone", 1e-4, 1e-4);
		check("transformer_in.0", "out.transformer_in.0", 1e-4, 1e-4);
		check("transformer_in.1", "out.transformer_in.1", 1e-4, 1e-4);
		for (int i = 0; i < config.layers(); i++) {
			check("transformer.layer" + i + ".self_attn", "out.transformer.layer" + i + ".self_attn", 1e-4, 1e-4);
			check("transformer.layer" + i, "out.transformer.layer" + i, 1e-4, 1e-4);
		}
		assertTrue(!ref.contains("out.transformer.layer" + config.layers()), "reference has more layers than the checkpoint");
		check("transformer_out.0", "out.transformer_out.0", 1e-4, 1e-4);
		check("transformer_out.1", "out.transformer_out.1", 1e-4, 1e-4);
	}

	@Test
	void flows() {
		check("flow_global", "out.flow_global", 5e-4, 1e-4);
		check("flow_propagated", "out.flow_propagated", 5e-4, 1e-4);
		check("flow_preds", "out.flow_preds", 2e-3, 1e-4);
		System.out.printf("%-36s max|d| %.3g%n", "out.fwd_flow", TensorAssert.assertClose("out.fwd_flow", fwd, ref.floats("out.fwd_flow"), 2e-3, 1e-4));
		System.out.printf("%-36s max|d| %.3g%n", "out.bwd_flow", TensorAssert.assertClose("out.bwd_flow", bwd, ref.floats("out.bwd_flow"), 2e-3, 1e-4));
	}

	@Test
	void masksAndWarp() {
		FlowField f = FlowField.fromPlanar(w, h, fwd), b = FlowField.fromPlanar(w, h, bwd);
		FlowOps.Consistency cf = FlowOps.check(f, b), cb = FlowOps.check(b, f);
		TensorAssert.assertClose("aux.threshold", planarOf(cf.threshold()), ref.floats("aux.threshold"), 1e-4, 0);
		TensorAssert.assertClose("aux.diff_fwd", planarOf(cf.diff()), ref.floats("aux.diff_fwd"), 5e-2, 0);
		TensorAssert.assertClose("aux.diff_bwd", planarOf(cb.diff()), ref.floats("aux.diff_bwd"), 5e-2, 0);
		TensorAssert.assertClose("out.fwd_occ", planarOf(cf.occluded()), ref.floats("out.fwd_occ"), 0, 0);
		TensorAssert.assertClose("out.bwd_occ", planarOf(cb.occluded()), ref.floats("out.bwd_occ"), 0, 0);
		float[] image3 = ref.floats("in.image3");
		FloatImage img = interleaved(image3, 3);
		float[] warped = planarOf(FlowOps.warpBilinear(img, b));
		System.out.printf("%-36s max|d| %.3g%n", "out.warped", TensorAssert.assertClose("out.warped", warped, ref.floats("out.warped"), 2e-3, 0));
	}

	static FloatImage interleaved(float[] chw, int c) {
		int n = w * h;
		float[] hwc = new float[chw.length];
		for (int k = 0; k < c; k++)
			for (int i = 0; i < n; i++) hwc[c * i + k] = chw[k * n + i];
		return new FloatImage(w, h, c, hwc);
	}

	static float[] planarOf(FloatImage im) {
		int c = im.channels(), n = im.width() * im.height();
		float[] out = new float[c * n], d = im.data();
		for (int i = 0; i < n; i++)
			for (int k = 0; k < c; k++) out[k * n + i] = d[c * i + k];
		return out;
	}
}
