package org.rerender.model.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.SafetensorsWriter;
import org.rerender.model.io.TensorSource;
import org.rerender.testing.Fixtures;
import org.rerender.testing.TensorAssert;

class LoraMergeTest {
	static TensorSource base;

	@TempDir
	Path tmp;

	private static final String Q = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight";
	private static final String PROJ_IN = "model.diffusion_model.output_blocks.7.1.proj_in.weight";
	private static final String CONV3 = "model.diffusion_model.middle_block.2.in_layers.2.weight";
	private static final String TE_Q = "cond_stage_model.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight";

	@BeforeAll
	static void open() {
		base = Checkpoints.open(Fixtures.file("tiny-sd15.safetensors"));
	}

	@AfterAll
	static void close() {
		base.close();
	}

	@Test
	void kohyaNamesMapToLdmKeys() {
		Map<String, String> idx = LoraMerge.stemIndex(base);
		assertEquals(Q, idx.get("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q"));
		assertEquals("model.diffusion_model.input_blocks.4.0.in_layers.2.weight", idx.get("lora_unet_down_blocks_1_resnets_0_conv1"));
		assertEquals("model.diffusion_model.input_blocks.4.0.skip_connection.weight", idx.get("lora_unet_down_blocks_1_resnets_0_conv_shortcut"));
		assertEquals("model.diffusion_model.input_blocks.6.0.op.weight", idx.get("lora_unet_down_blocks_1_downsamplers_0_conv"));
		assertEquals("model.diffusion_model.middle_block.1.proj_in.weight", idx.get("lora_unet_mid_block_attentions_0_proj_in"));
		assertEquals("model.diffusion_model.middle_block.2.out_layers.3.weight", idx.get("lora_unet_mid_block_resnets_1_conv2"));
		assertEquals("model.diffusion_model.output_blocks.2.1.conv.weight", idx.get("lora_unet_up_blocks_0_upsamplers_0_conv"));
		assertEquals("model.diffusion_model.output_blocks.5.2.conv.weight", idx.get("lora_unet_up_blocks_1_upsamplers_0_conv"));
		assertEquals("model.diffusion_model.output_blocks.7.1.transformer_blocks.0.ff.net.0.proj.weight",
			idx.get("lora_unet_up_blocks_2_attentions_1_transformer_blocks_0_ff_net_0_proj"));
		assertEquals("model.diffusion_model.output_blocks.11.1.transformer_blocks.0.attn2.to_out.0.weight",
			idx.get("lora_unet_up_blocks_3_attentions_2_transformer_blocks_0_attn2_to_out_0"));
		assertEquals("model.diffusion_model.time_embed.0.weight", idx.get("lora_unet_time_embedding_linear_1"));
		assertEquals(TE_Q, idx.get("lora_te_text_model_encoder_layers_0_self_attn_q_proj"));
		// every UNet matrix/convolution weight has exactly one kohya name
		Set<String> mapped = new HashSet<>(idx.values());
		long unetWeights = base.tensors().values().stream()
			.filter(t -> t.name().startsWith(LoraMerge.UNET_PREFIX) && t.name().endsWith(".weight") && t.shape().length >= 2).count();
		long unetMapped = mapped.stream().filter(k -> k.startsWith(LoraMerge.UNET_PREFIX) && base.info(k).shape().length >= 2).count();
		assertEquals(unetWeights, unetMapped);
	}

	private static float[] random(Random r, int n) {
		float[] a = new float[n];
		for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
		return a;
	}

	/** W + s * alpha/rank * up(out x rank) . down(rank x in), written out independently of the class. */
	private static float[] expected(float[] w, float[] up, float[] down, int out, int rank, float s, float alpha) {
		int in = w.length / out;
		float[] e = w.clone();
		for (int o = 0; o < out; o++)
			for (int i = 0; i < in; i++) {
				double acc = 0;
				for (int k = 0; k < rank; k++) acc += up[o * rank + k] * down[k * in + i];
				e[o * in + i] += (float) (s * alpha / rank * acc);
			}
		return e;
	}

	private record Lora(float[] up, float[] down) {}

	@Test
	void mergedWeightsFollowTheFormula() {
		Random r = new Random(5);
		int rank = 4;
		Lora q = new Lora(random(r, 32 * rank), random(r, rank * 32));
		Lora proj = new Lora(random(r, 64 * rank), random(r, rank * 64));
		Lora conv = new Lora(random(r, 128 * rank), random(r, rank * 128 * 9));
		Lora te = new Lora(random(r, 64 * rank), random(r, rank * 64));
		Path f = tmp.resolve("style.safetensors");
		new SafetensorsWriter()
			.addF32("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_up.weight", new long[] {32, rank}, q.up)
			.addF32("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight", new long[] {rank, 32}, q.down)
			.addF32("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.alpha", new long[] {}, new float[] {2f})
			.addF32("lora_unet_up_blocks_2_attentions_1_proj_in.lora_up.weight", new long[] {64, rank, 1, 1}, proj.up)
			.addF32("lora_unet_up_blocks_2_attentions_1_proj_in.lora_down.weight", new long[] {rank, 64, 1, 1}, proj.down)
			.addF32("lora_unet_mid_block_resnets_1_conv1.lora_up.weight", new long[] {128, rank, 1, 1}, conv.up)
			.addF32("lora_unet_mid_block_resnets_1_conv1.lora_down.weight", new long[] {rank, 128, 3, 3}, conv.down)
			.addF32("lora_unet_mid_block_resnets_1_conv1.alpha", new long[] {}, new float[] {1f})
			.addF32("lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight", new long[] {64, rank}, te.up)
			.addF32("lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", new long[] {rank, 64}, te.down)
			.write(f);
		float s = 0.7f;
		try (LoraMerge m = LoraMerge.open(base, f, s)) {
			assertEquals(Set.of(Q, PROJ_IN, CONV3, TE_Q), m.mergedKeys());
			TensorAssert.assertClose("to_q", m.floats(Q), expected(base.floats(Q), q.up, q.down, 32, rank, s, 2f), 1e-5, 1e-5);
			TensorAssert.assertClose("proj_in", m.floats(PROJ_IN), expected(base.floats(PROJ_IN), proj.up, proj.down, 64, rank, s, rank), 1e-5, 1e-5);
			TensorAssert.assertClose("conv3x3", m.floats(CONV3), expected(base.floats(CONV3), conv.up, conv.down, 128, rank, s, 1f), 1e-5, 1e-5);
			TensorAssert.assertClose("te q", m.floats(TE_Q), expected(base.floats(TE_Q), te.up, te.down, 64, rank, s, rank), 1e-5, 1e-5);
			assertArrayEquals(base.info(CONV3).shape(), m.info(CONV3).shape());
			// the merge changed something, and untouched tensors read through unchanged
			assertTrue(maxDiff(m.floats(Q), base.floats(Q)) > 1e-3);
			String other = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn1.to_k.weight";
			assertArrayEquals(base.floats(other), m.floats(other));
			assertEquals(base.tensors().keySet(), m.tensors().keySet());
		}
		try (LoraMerge zero = LoraMerge.open(base, f, 0f)) {
			for (String k : new String[] {Q, PROJ_IN, CONV3, TE_Q}) {
				assertArrayEquals(base.floats(k), zero.floats(k), k);
				assertEquals(base.info(k).dtype(), zero.info(k).dtype());
			}
		}
	}

	private static double maxDiff(float[] a, float[] b) {
		double d = 0;
		for (int i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
		return d;
	}

	private Path lora(String stem, long[] upShape, long[] downShape) {
		Path f = tmp.resolve(stem.hashCode() + ".safetensors");
		int nu = 1, nd = 1;
		for (long d : upShape) nu *= (int) d;
		for (long d : downShape) nd *= (int) d;
		new SafetensorsWriter().addF32(stem + ".lora_up.weight", upShape, new float[nu])
			.addF32(stem + ".lora_down.weight", downShape, new float[nd]).write(f);
		return f;
	}

	@Test
	void badFilesAreRefusedClearly() throws Exception {
		RerenderException e = assertThrows(RerenderException.class,
			() -> LoraMerge.open(base, lora("lora_unet_down_blocks_9_attentions_0_proj_in", new long[] {32, 2}, new long[] {2, 32}), 1f));
		assertTrue(e.getMessage().contains("lora_unet_down_blocks_9_attentions_0_proj_in"), e.getMessage());
		e = assertThrows(RerenderException.class,
			() -> LoraMerge.open(base, lora("lora_unet_input_blocks_4_1_proj_in", new long[] {32, 2}, new long[] {2, 32}), 1f));
		assertTrue(e.getMessage().contains("SDXL"), e.getMessage());
		e = assertThrows(RerenderException.class, () -> LoraMerge.open(base,
			lora("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k", new long[] {32, 2}, new long[] {2, 2048}), 1f));
		assertTrue(e.getMessage().contains("SDXL"), e.getMessage());
		e = assertThrows(RerenderException.class, () -> LoraMerge.open(base,
			lora("lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q", new long[] {64, 2}, new long[] {2, 32}), 1f));
		assertTrue(e.getMessage().contains("do not fit"), e.getMessage());
		Path half = tmp.resolve("half.safetensors");
		new SafetensorsWriter().addF32("lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight", new long[] {2, 64}, new float[128])
			.write(half);
		e = assertThrows(RerenderException.class, () -> LoraMerge.open(base, half, 1f));
		assertTrue(e.getMessage().contains("lora_up"), e.getMessage());
		Path junk = tmp.resolve("junk.safetensors");
		Files.writeString(junk, "not a lora at all");
		assertThrows(RerenderException.class, () -> LoraMerge.open(base, junk, 1f));
		Path full = Fixtures.file("tiny-sd15.safetensors");
		e = assertThrows(RerenderException.class, () -> LoraMerge.open(base, full, 1f));
		assertTrue(e.getMessage().contains("match no SD 1.5 weight"), e.getMessage());
	}
}
