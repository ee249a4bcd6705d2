package org.rerender.testing;

import java.nio.file.Path;
import java.util.Random;
import org.rerender.model.io.SafetensorsWriter;

/** Small kohya-layout LoRA files that fit the tiny SD 1.5 fixture (tiny-sd15.safetensors). */
public final class TinyLora {
	/** The UNet weight (below {@code model.diffusion_model.}) the UNet pair adapts. */
	public static final String UNET_KEY = "input_blocks.1.1.transformer_blocks.0.attn1.to_q.weight";
	/** The text-encoder weight (below {@code text_model.}) the text pair adapts. */
	public static final String TEXT_KEY = "encoder.layers.0.self_attn.q_proj.weight";

	private TinyLora() {}

	/** Writes a rank-2 LoRA with a UNet pair (width 32) and, when {@code withText}, a text-encoder pair (width 64). */
	public static Path write(Path file, boolean withText, long seed) {
		Random r = new Random(seed);
		int rank = 2;
		String unet = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q";
		SafetensorsWriter w = new SafetensorsWriter()
			.addF32(unet + ".lora_up.weight", new long[] {32, rank}, random(r, 32 * rank))
			.addF32(unet + ".lora_down.weight", new long[] {rank, 32}, random(r, rank * 32));
		if (withText) {
			String te = "lora_te_text_model_encoder_layers_0_self_attn_q_proj";
			w.addF32(te + ".lora_up.weight", new long[] {64, rank}, random(r, 64 * rank))
				.addF32(te + ".lora_down.weight", new long[] {rank, 64}, random(r, rank * 64));
		}
		w.write(file);
		return file;
	}

	private static float[] random(Random r, int n) {
		float[] v = new float[n];
		for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian() * 0.1f;
		return v;
	}
}
