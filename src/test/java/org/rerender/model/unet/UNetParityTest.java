package org.rerender.model.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.rerender.testing.TensorAssert;
import org.rerender.testing.TestDevice;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyDiffusionExtension;
import org.rerender.testing.TinyOutputs;

/** Every {@code out.unet.*} and {@code out.control.*} reference tensor from the tiny models (fixtures README §3, §5). */
@ExtendWith(TinyDiffusionExtension.class)
class UNetParityTest {
	static final double ATOL = 1e-4, RTOL = 1e-4;
	static TinyDiffusion tiny; // loaded by TinyDiffusionExtension

	/**
	 * Every field the weights show equals the set's JSON config. The head count is in no weight shape:
	 * {@code fromWeights} gives SD 1.x's 8, whatever the set's {@code num_heads} (an alternate set with 4 heads).
	 */
	@Test
	void configInferredFromWeightsEqualsTheJsonConfig() {
		UNetConfig json = tiny.unet.config(), inferred = UNetConfig.fromWeights(tiny.sd.withPrefix("model.diffusion_model."));
		assertEquals(8, inferred.numHeads());
		assertEquals(json, new UNetConfig(inferred.inChannels(), inferred.outChannels(), inferred.modelChannels(),
			inferred.attentionResolutions(), inferred.numResBlocks(), inferred.channelMult(), json.numHeads(),
			inferred.transformerDepth(), inferred.contextDim(), inferred.hintChannels()));
	}

	@Test
	void unetBlocksAndEps() {
		try (NDManager m = TestDevice.newManager()) {
			TinyOutputs.compareAll(tiny, "", "out.unet.", TinyOutputs.unet(tiny, m), ATOL, RTOL);
		}
	}

	@Test
	void controlResidualsAndControlledEps() {
		try (NDManager m = TestDevice.newManager()) {
			List<NDArray> raw = new ArrayList<>();
			Map<String, float[]> got = TinyOutputs.controlNet(tiny, m, raw);
			float[] scales = tiny.reference.floats("in.control.scales");
			NDArray x = tiny.ref(m, "in.unet.x"), hint = tiny.ref(m, "in.control.hint"), context = tiny.ref(m, "in.unet.context");
			int[] t = tiny.reference.ints("in.unet.timesteps");
			assertScaled(raw, tiny.controlNet.forward(x, hint, t, context, scales, UNetCallContext.NONE), scales);
			got.put("eps", TinyOutputs.controlledEps(tiny, m, scales));
			TinyOutputs.compareAll(tiny, "", "out.control.", got, ATOL, RTOL);
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
