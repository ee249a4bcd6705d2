package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.config.ConfigJson;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.SafetensorsWriter;
import org.rerender.model.lora.LoraMerge;
import org.rerender.testing.Fixtures;

/** A LoRA named in the job's settings is merged into the loaded UNet (and only when named). */
class DiffusionModelsLoraTest {
	@TempDir
	Path tmp;

	private static final String KEY = "input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight";

	static float[] random(Random r, int n) {
		float[] v = new float[n];
		for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian() * 0.1f;
		return v;
	}

	@Test
	void loraFromTheSettingsIsMergedAtLoad() throws Exception {
		Path sd = Fixtures.file("tiny-sd15.safetensors"), control = Fixtures.file("tiny-controlnet.safetensors");
		Path bpe = Fixtures.file("bpe_simple_vocab_16e6.txt.gz");
		Random r = new Random(3);
		int rank = 2;
		Path lora = tmp.resolve("style lora.safetensors");
		String stem = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q";
		new SafetensorsWriter().addF32(stem + ".lora_up.weight", new long[] {32, rank}, random(r, 32 * rank))
			.addF32(stem + ".lora_down.weight", new long[] {rank, 32}, random(r, rank * 32)).write(lora);

		float[] expected;
		try (SafetensorsFile base = SafetensorsFile.open(sd); LoraMerge merged = LoraMerge.open(base, lora, 0.7f)) {
			expected = merged.floats(LoraMerge.UNET_PREFIX + KEY);
		}
		float[] plain, withLora;
		try (DiffusionModels m = DiffusionModels.load(new DiffusionModels.Files(control, sd, null, bpe, null))) {
			plain = m.networks().unet().namedParams().get(KEY).get().toFloatArray();
		}
		try (DiffusionModels m = DiffusionModels.load(new DiffusionModels.Files(control, sd, null, bpe, null, lora, 0.7))) {
			withLora = m.networks().unet().namedParams().get(KEY).get().toFloatArray();
		}
		assertArrayEquals(expected, withLora, 1e-6f);
		double d = 0;
		for (int i = 0; i < plain.length; i++) d = Math.max(d, Math.abs(plain[i] - withLora[i]));
		assertTrue(d > 1e-4, "the LoRA changed the weight");
	}

	@Test
	void configCarriesTheLoraAndItsStrength() {
		RerenderConfig c = ConfigJson.parse(JsonParser.parseString(
			"{\"input\":\"a.mp4\",\"output\":\"o/b.mp4\",\"prompt\":\"p\",\"lora\":\"/m/x.safetensors\",\"lora_strength\":0.6}")
			.getAsJsonObject(), null).config();
		assertEquals(Path.of("/m/x.safetensors"), c.lora);
		assertEquals(0.6, c.loraStrength);
		RerenderConfig back = ConfigJson.parse(JsonParser.parseString(ConfigJson.write(c)).getAsJsonObject(), null).config();
		assertEquals(c.lora, back.lora);
		assertEquals(0.6, back.loraStrength);
		assertThrows(RerenderException.class, () -> RerenderConfig.builder().prompt("p").lora(Path.of("x"), Double.NaN).build().validate());
	}
}
