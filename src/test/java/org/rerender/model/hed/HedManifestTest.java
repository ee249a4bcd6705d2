package org.rerender.model.hed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.TensorSource;
import org.rerender.testing.Fixtures;

class HedManifestTest {

	@Test
	void fullSizeConfigEqualsTheManifest() throws IOException {
		Map<String, long[]> manifest = new LinkedHashMap<>();
		for (String l : Files.readAllLines(Fixtures.file("hed/controlnet-hed.keys.txt"))) {
			if (l.isBlank()) continue;
			String[] f = l.split("\t");
			manifest.put(f[0], java.util.Arrays.stream(f[2].split(",")).mapToLong(Long::parseLong).toArray());
		}
		Map<String, long[]> expected = HedConfig.controlNetHed().expectedShapes();
		assertEquals(new ArrayList<>(manifest.keySet()), new ArrayList<>(expected.keySet()));
		manifest.forEach((k, v) -> assertArrayEquals(v, expected.get(k), k));
	}

	@Test
	void tinyConfigIsInferredAndAWrongFileIsRefusedByName() {
		try (TensorSource w = Checkpoints.open(Fixtures.file("hed/tiny-hed.pth"))) {
			HedConfig c = HedConfig.fromWeights(w);
			// The conv counts are ControlNetHED_Apache2's own; the widths are the file's (shipped: 8/16/32/64/64, an
			// alternate set may have others), so the inferred config must describe every tensor of the file exactly.
			assertArrayEquals(new int[] {2, 2, 3, 3, 3}, c.convs());
			Map<String, long[]> shapes = c.expectedShapes();
			assertEquals(new ArrayList<>(shapes.keySet()), new ArrayList<>(w.tensors().keySet()));
			shapes.forEach((k, v) -> assertArrayEquals(v, w.info(k).shape(), k));
			try (NDManager m = Djl.newCpuManager()) {
				RerenderException e = assertThrows(RerenderException.class,
					() -> HedNetwork.load(w, HedConfig.controlNetHed(), m, DataType.FLOAT32));
				assertTrue(e.getMessage().contains("block1.convs.0.weight"), e.getMessage());
			}
		}
	}

	@Test
	void detectorLoadsFromAPath() {
		try (NDManager m = Djl.newCpuManager(); NDManager run = Djl.newCpuManager()) {
			HedDetector d = HedDetector.load(Fixtures.file("hed/tiny-hed.pth"), m, DataType.FLOAT32);
			org.rerender.model.control.ControlMap map = d.detect(new org.rerender.image.Rgb8Image(20, 17), run);
			assertEquals(20, map.width());
			assertEquals(17, map.height());
			RerenderException e = assertThrows(RerenderException.class,
				() -> d.detect(new org.rerender.image.Rgb8Image(20, 12), run));
			assertTrue(e.getMessage().contains("at least 16"), e.getMessage());
		}
	}
}
