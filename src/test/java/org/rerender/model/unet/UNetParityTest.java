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
			List<NDArray> control = tiny.controlNet.forward(x, tiny.ref(m, "in.control.hint"), t, context,
				tiny.reference.floats("in.control.scales"), ctx);
			// one residual per out.control.out.* (13 in SD 1.5: 12 zero convs + middle_block_out)
			long residuals = tiny.reference.tensors().keySet().stream().filter(k -> k.startsWith("out.control.out.")).count();
			assertEquals(residuals, control.size());
			for (int i = 0; i < control.size(); i++) got.put(String.format("out.%02d", i), control.get(i).toFloatArray());
			got.put("eps", tiny.unet.forward(x, t, context, control, UNetCallContext.NONE).toFloatArray());
			compareAll("out.control.", got);
		}
	}
}
