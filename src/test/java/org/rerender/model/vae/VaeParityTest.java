package org.rerender.model.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.rerender.testing.TestDevice;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyDiffusionExtension;
import org.rerender.testing.TinyOutputs;

/** {@code out.vae.*}: encoder moments, mean, clamped logvar, and the decoder (fixtures README §3). */
@ExtendWith(TinyDiffusionExtension.class)
class VaeParityTest {
	static TinyDiffusion tiny; // loaded by TinyDiffusionExtension

	@Test
	void configInferredFromWeights() {
		assertEquals(tiny.vae.config(), VaeConfig.fromWeights(tiny.sd.withPrefix("first_stage_model.")));
	}

	@Test
	void encodeAndDecode() {
		try (NDManager m = TestDevice.newManager()) {
			Map<String, float[]> got = TinyOutputs.vae(tiny, m);
			TinyOutputs.compareAll(tiny, "", "out.vae.", got, 1e-4, 1e-4);
			// sample() with a given noise is mean + std·noise
			AutoencoderKL.Posterior p = tiny.vae.encode(tiny.ref(m, "in.vae.image"));
			NDArray noise = m.ones(p.mean().getShape());
			float[] s = p.sample(noise).toFloatArray(), mean = got.get("mean"), lv = got.get("logvar");
			for (int i = 0; i < s.length; i++) assertEquals(mean[i] + Math.exp(0.5 * lv[i]), s[i], 1e-5);
		}
	}
}
