package org.rerender.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.rerender.engine.RerenderException;
import org.rerender.model.CheckpointInspector.Family;
import org.rerender.model.io.KeyCheck;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.TensorDType;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;
import org.rerender.testing.Fixtures;

class CheckpointInspectorTest {

	/** A source with names and shapes only (no data). */
	static TensorSource fake(Map<String, long[]> shapes) {
		Map<String, TensorInfo> m = new LinkedHashMap<>();
		shapes.forEach((k, v) -> m.put(k, new TensorInfo(k, TensorDType.F32, v)));
		return new TensorSource() {
			@Override
			public Map<String, TensorInfo> tensors() {
				return m;
			}

			@Override
			public ByteBuffer rawData(String name) {
				throw new UnsupportedOperationException();
			}

			@Override
			public void close() {}
		};
	}

	private static Map<String, long[]> keys(Object... nameShape) {
		Map<String, long[]> m = new LinkedHashMap<>();
		for (int i = 0; i < nameShape.length; i += 2) m.put((String) nameShape[i], (long[]) nameShape[i + 1]);
		return m;
	}

	private static final String K = "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight";

	@Test
	void tinySd15AndControlNetFixtures() {
		try (SafetensorsFile sd = SafetensorsFile.open(Fixtures.file("tiny-sd15.safetensors"));
			SafetensorsFile cn = SafetensorsFile.open(Fixtures.file("tiny-controlnet.safetensors")))
		{
			CheckpointInspector.Info i = CheckpointInspector.inspect(sd);
			assertEquals(Family.SD1, i.family());
			assertTrue(i.hasUnet() && i.hasVae() && i.hasTextEncoder());
			assertFalse(i.hasControlNet());
			assertEquals(64, i.contextDim());
			assertTrue(CheckpointInspector.textEncoder(sd, "tiny").contains("embeddings.token_embedding.weight"));
			assertTrue(CheckpointInspector.vae(sd, "tiny").contains("quant_conv.weight"));
			CheckpointInspector.Info c = CheckpointInspector.inspect(cn);
			assertEquals(Family.SD1, c.family());
			assertTrue(c.hasControlNet() && !c.hasUnet());
			assertTrue(CheckpointInspector.controlNet(cn, "cn").contains("input_hint_block.0.weight"));
			RerenderException e = assertThrows(RerenderException.class, () -> CheckpointInspector.unet(cn, "cn.safetensors"));
			assertTrue(e.getMessage().contains("no UNet"), e.getMessage());
		}
	}

	@Test
	void separateVaeFileServesTheStrippedLayout() {
		TensorSource vae = fake(keys("encoder.conv_in.weight", new long[] {128, 3, 3, 3}, "decoder.conv_out.weight",
			new long[] {3, 128, 3, 3}, "quant_conv.weight", new long[] {8, 8, 1, 1}, "post_quant_conv.weight",
			new long[] {4, 4, 1, 1}));
		CheckpointInspector.Info i = CheckpointInspector.inspect(vae);
		assertEquals(Family.VAE, i.family());
		TensorSource v = CheckpointInspector.vae(vae, "vae-ft-mse-840000-ema-pruned.ckpt");
		assertTrue(v.contains("decoder.conv_out.weight") && v.contains("quant_conv.weight"));
	}

	@Test
	void sd2SdxlAndLoraAreRefusedByName() {
		TensorSource sd2 = fake(keys("model.diffusion_model." + K, new long[] {320, 1024},
			"cond_stage_model.model.token_embedding.weight", new long[] {49408, 1024}));
		RerenderException e = assertThrows(RerenderException.class, () -> CheckpointInspector.unet(sd2, "v2-1_768.ckpt"));
		assertTrue(e.getMessage().contains("Stable Diffusion 2.x"), e.getMessage());
		// SD 2.x recognised from the context width alone (UNet-only file)
		assertEquals(Family.SD2, CheckpointInspector.inspect(fake(keys("model.diffusion_model." + K, new long[] {320, 1024}))).family());

		TensorSource xl = fake(keys("conditioner.embedders.0.transformer.text_model.final_layer_norm.weight", new long[] {768},
			"model.diffusion_model." + K.replace("1.1", "4.1"), new long[] {640, 2048}));
		e = assertThrows(RerenderException.class, () -> CheckpointInspector.unet(xl, "sd_xl_base_1.0.safetensors"));
		assertTrue(e.getMessage().contains("SDXL"), e.getMessage());

		TensorSource lora = fake(keys("lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight", new long[] {4, 320},
			"lora_te_text_model_encoder_layers_0_mlp_fc1.alpha", new long[] {}));
		assertEquals(Family.LORA, CheckpointInspector.inspect(lora).family());
		e = assertThrows(RerenderException.class, () -> CheckpointInspector.unet(lora, "style.safetensors"));
		assertTrue(e.getMessage().contains("LoRA"), e.getMessage());

		assertEquals(Family.UNKNOWN, CheckpointInspector.inspect(fake(keys("foo", new long[] {1}))).family());
	}

	@Test
	void keyCheckReportsMissingAndMisshapenByName() {
		TensorSource s = fake(keys("a", new long[] {2, 3}, "b", new long[] {4}, "extra", new long[] {1}));
		KeyCheck.Result r = KeyCheck.compare(keys("a", new long[] {2, 3}, "b", new long[] {5}, "c", new long[] {1},
			"opt", new long[] {1}), Set.of("opt"), s);
		assertEquals(List.of("c"), r.missing());
		assertEquals("b", r.mismatched().get(0).name());
		assertEquals(List.of("extra"), r.unexpected());
		RerenderException e = assertThrows(RerenderException.class, () -> r.throwIfBad("UNet"));
		assertTrue(e.getMessage().contains("c") && e.getMessage().contains("b [4] (expected [5])"), e.getMessage());
		KeyCheck.compare(keys("a", new long[] {2, 3}), s).throwIfBad("x");
	}

	@Test
	void bareControlNetKeysAreFound() {
		TensorSource cn = fake(keys("input_hint_block.0.weight", new long[] {16, 3, 3, 3}, "zero_convs.0.0.weight",
			new long[] {320, 320, 1, 1}, K, new long[] {320, 768}));
		CheckpointInspector.Info i = CheckpointInspector.inspect(cn);
		assertEquals(Family.SD1, i.family());
		assertEquals(768, i.contextDim());
		assertTrue(CheckpointInspector.controlNet(cn, "cn.pth").contains("zero_convs.0.0.weight"));
	}
}
