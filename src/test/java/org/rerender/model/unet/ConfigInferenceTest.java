package org.rerender.model.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.rerender.engine.RerenderException;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.io.TensorDType;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;
import org.rerender.model.nn.WeightLoader;
import org.rerender.model.vae.VaeConfig;
import org.rerender.testing.Fixtures;

/** Architecture inference from the full-size key manifests (shapes only, no data), and refusal of other families. */
class ConfigInferenceTest {

	/** A data-less source listing the manifest's keys (prefix removed), with an optional edit of the map. */
	static TensorSource manifest(String file, String prefix, UnaryOperator<Map<String, TensorInfo>> edit) throws IOException {
		Map<String, TensorInfo> m = new LinkedHashMap<>();
		for (String line : Files.readAllLines(Fixtures.file(file))) {
			if (line.isBlank()) continue;
			String[] f = line.split("\t");
			String name = f[0].substring(prefix.length());
			long[] shape = f[2].isEmpty() ? new long[0] : Arrays.stream(f[2].split(",")).mapToLong(Long::parseLong).toArray();
			m.put(name, new TensorInfo(name, TensorDType.F32, shape));
		}
		Map<String, TensorInfo> finalMap = edit.apply(m);
		return new TensorSource() {
			@Override
			public Map<String, TensorInfo> tensors() {
				return finalMap;
			}

			@Override
			public ByteBuffer rawData(String name) {
				throw new UnsupportedOperationException("manifest only");
			}

			@Override
			public void close() {}
		};
	}

	@Test
	void fullSizeConfigsAreInferredFromShapes() throws IOException {
		assertEquals(UNetConfig.sd15(), UNetConfig.fromWeights(manifest("sd15-unet.keys.txt", "model.diffusion_model.", m -> m)));
		assertEquals(UNetConfig.sd15(), UNetConfig.fromWeights(manifest("sd15-controlnet.keys.txt", "control_model.", m -> m)));
		assertEquals(VaeConfig.sd15(), VaeConfig.fromWeights(manifest("sd15-vae.keys.txt", "first_stage_model.", m -> m)));
		assertTrue(WeightLoader.check(new ControlNet(UNetConfig.sd15()), manifest("sd15-controlnet.keys.txt", "control_model.", m -> m)).ok());
	}

	@Test
	void missingAndMisShapedKeysAreNamed() throws IOException {
		TensorSource broken = manifest("sd15-unet.keys.txt", "model.diffusion_model.", m -> {
			m.remove("out.2.bias");
			String k = "input_blocks.1.1.proj_in.weight";
			m.put(k, new TensorInfo(k, TensorDType.F32, new long[] {320, 320}));
			return m;
		});
		org.rerender.model.io.KeyCheck.Result c = WeightLoader.check(new UNet(UNetConfig.sd15()), broken);
		assertEquals(java.util.List.of("out.2.bias"), c.missing());
		assertEquals(1, c.mismatched().size());
		assertTrue(c.mismatched().get(0).name().equals("input_blocks.1.1.proj_in.weight"));
	}

	@Test
	void sd2AndSdxlAreRefusedByName() throws IOException {
		TensorSource sd2 = manifest("sd15-unet.keys.txt", "model.diffusion_model.", m -> {
			for (String k : m.keySet().toArray(new String[0]))
				if (k.endsWith("proj_in.weight")) m.put(k, new TensorInfo(k, TensorDType.F32, new long[] {m.get(k).shape()[0], m.get(k).shape()[1]}));
			return m;
		});
		assertTrue(assertThrows(RerenderException.class, () -> UNetConfig.fromWeights(sd2)).getMessage().contains("2.x"));
		TensorSource xl = manifest("sd15-unet.keys.txt", "model.diffusion_model.", m -> {
			m.put("label_emb.0.0.weight", new TensorInfo("label_emb.0.0.weight", TensorDType.F32, new long[] {1280, 2816}));
			return m;
		});
		assertTrue(assertThrows(RerenderException.class, () -> UNetConfig.fromWeights(xl)).getMessage().contains("SDXL"));
	}
}
