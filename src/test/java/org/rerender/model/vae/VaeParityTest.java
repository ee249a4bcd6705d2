package org.rerender.model.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.rerender.testing.TensorAssert;
import org.rerender.testing.TestDevice;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyDiffusionExtension;

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
			Map<String, float[]> got = new HashMap<>();
			NDArray image = tiny.ref(m, "in.vae.image");
			got.put("moments", tiny.vae.moments(image).toFloatArray());
			AutoencoderKL.Posterior p = tiny.vae.encode(image);
			got.put("mean", p.mean().toFloatArray());
			got.put("logvar", p.logvar().toFloatArray());
			got.put("decoded", tiny.vae.decode(tiny.ref(m, "in.vae.z")).toFloatArray());
			int n = 0;
			for (String k : tiny.reference.tensors().keySet()) {
				if (!k.startsWith("out.vae.")) continue;
				float[] a = got.get(k.substring("out.vae.".length()));
				assertTrue(a != null, "no output for " + k);
				System.out.printf("%-20s max|diff| %.3g%n", k,
					TensorAssert.assertClose(k, a, tiny.reference.floats(k), 1e-4, 1e-4));
				n++;
			}
			assertFalse(n == 0, "no out.vae.* tensors");
			// sample() with a given noise is mean + std·noise
			NDArray noise = m.ones(p.mean().getShape());
			float[] s = p.sample(noise).toFloatArray(), mean = got.get("mean"), lv = got.get("logvar");
			for (int i = 0; i < s.length; i++) assertEquals(mean[i] + Math.exp(0.5 * lv[i]), s[i], 1e-5);
		}
	}
}
