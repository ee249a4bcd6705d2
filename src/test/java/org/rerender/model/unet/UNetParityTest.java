package org.rerender.model.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.rerender.testing.TensorAssert;
import org.rerender.testing.TestDevice;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyDiffusionExtension;

/** Every {@code out.unet.*} and {@code out.control.*} reference tensor from the tiny models (fixtures README §3, §5). */
@ExtendWith(TinyDiffusionExtension.class)
class UNetParityTest {
	static final double ATOL = 1e-4, RTOL = 1e-4;
	static TinyDiffusion tiny; // loaded by TinyDiffusionExtension

	private static void compareAll(String prefix, Map<String, float[]> got) {
		List<String> names = new ArrayList<>();
		for (String k : tiny.reference.tensors().keySet())
			if (k.startsWith(prefix)) names.add(k);
		assertFalse(names.isEmpty(), "no " + prefix + "* tensors in the reference file");
		for (String k : names) {
			float[] actual = got.get(k.substring(prefix.length()));
			assertTrue(actual != null, "no output produced for " + k);
			double d = TensorAssert.assertClose(k, actual, tiny.reference.floats(k), ATOL, RTOL);
			System.out.printf("%-28s max|diff| %.3g%n", k, d);
		}
	}

	@Test
	void configInferredFromWeightsEqualsTheJsonConfig() {
		assertEquals(tiny.unet.config(), UNetConfig.fromWeights(tiny.sd.withPrefix("model.diffusion_model.")));
	}

	@Test
	void unetBlocksAndEps() {
		try (NDManager m = TestDevice.newManager()) {
			Map<String, float[]> got = new HashMap<>();
			UNetCallContext ctx = UNetCallContext.NONE.withProbe((n, a) -> got.put(n, a.toFloatArray()));
			NDArray eps = tiny.unet.forward(tiny.ref(m, "in.unet.x"), tiny.reference.ints("in.unet.timesteps"),
				tiny.ref(m, "in.unet.context"), null, ctx);
			got.put("eps", eps.toFloatArray());
			compareAll("out.unet.", got);
		}
	}

	@Test
	void controlResidualsAndControlledEps() {
		try (NDManager m = TestDevice.newManager()) {
			Map<String, float[]> got = new HashMap<>();
			UNetCallContext ctx = UNetCallContext.NONE.withProbe((n, a) -> got.put(n, a.toFloatArray()));
			NDArray x = tiny.ref(m, "in.unet.x");
			int[] t = tiny.reference.ints("in.unet.timesteps");
			NDArray context = tiny.ref(m, "in.unet.context");
			NDArray hint = tiny.ref(m, "in.control.hint");
			// out.control.out.* are the residuals before scaling (fixtures README §3); out.control.eps uses in.control.scales
			List<NDArray> raw = tiny.controlNet.forward(x, hint, t, context, null, ctx);
			// one residual per out.control.out.* (13 in SD 1.5: 12 zero convs + middle_block_out)
			long residuals = tiny.reference.tensors().keySet().stream().filter(k -> k.startsWith("out.control.out.")).count();
			assertEquals(residuals, raw.size());
			for (int i = 0; i < raw.size(); i++) got.put(String.format("out.%02d", i), raw.get(i).toFloatArray());
			float[] scales = tiny.reference.floats("in.control.scales");
			List<NDArray> control = tiny.controlNet.forward(x, hint, t, context, scales, UNetCallContext.NONE);
			assertScaled(raw, control, scales);
			got.put("eps", tiny.unet.forward(x, t, context, control, UNetCallContext.NONE).toFloatArray());
			compareAll("out.control.", got);
			// other scales than the set's (the shipped set has all 1.0): guess mode's strength·0.825^(12-i)
			float[] guess = new float[scales.length];
			for (int i = 0; i < guess.length; i++) guess[i] = (float) (0.9 * Math.pow(0.825, guess.length - 1 - i));
			assertScaled(raw, tiny.controlNet.forward(x, hint, t, context, guess, UNetCallContext.NONE), guess);
		}
	}

	/** Residual i given scales is scales[i] times the unscaled residual (ControlLDM.apply_model's {@code c * scale}). */
	private static void assertScaled(List<NDArray> raw, List<NDArray> scaled, float[] scales) {
		assertEquals(raw.size(), scaled.size());
		for (int i = 0; i < raw.size(); i++) {
			float[] r = raw.get(i).toFloatArray(), s = scaled.get(i).toFloatArray();
			for (int j = 0; j < r.length; j++) r[j] *= scales[i];
			TensorAssert.assertClose("residual " + i + " × scale " + scales[i], s, r, 1e-6, 1e-6);
		}
	}
}
