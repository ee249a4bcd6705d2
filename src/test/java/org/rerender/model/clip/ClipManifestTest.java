package org.rerender.model.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rerender.model.CheckpointInspector;
import org.rerender.testing.Fixtures;

/** The full-size ViT-L/14 config's key set and shapes equal the SD 1.5 manifest, without allocating weights. */
class ClipManifestTest {

	@Test
	void vitL14KeysEqualTheSd15Manifest() throws IOException {
		ClipTextConfig cfg = ClipTextConfig.vitL14();
		Map<String, long[]> expected = new LinkedHashMap<>();
		expected.put(CheckpointInspector.TEXT + "embeddings.position_ids", cfg.positionIdsShape());
		cfg.expectedShapes().forEach((k, v) -> expected.put(CheckpointInspector.TEXT + k, v));
		List<String> lines = Files.readAllLines(Fixtures.file("sd15-clip-text.keys.txt"));
		Map<String, long[]> manifest = new LinkedHashMap<>();
		for (String l : lines) {
			if (l.isBlank()) continue;
			String[] f = l.split("\t");
			manifest.put(f[0], java.util.Arrays.stream(f[2].split(",")).mapToLong(Long::parseLong).toArray());
		}
		assertEquals(new ArrayList<>(manifest.keySet()), new ArrayList<>(expected.keySet()));
		manifest.forEach((k, v) -> assertArrayEquals(v, expected.get(k), k));
		assertEquals(123_060_480L, ClipTextEncoder.parameterCount(cfg)); // fixtures README: 196 parameters, 123,060,480
	}
}
