package org.rerender.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {
	@TempDir
	Path tmp;

	@Test
	void writtenFilesReadBack() {
		Path f = tmp.resolve("dir with space/ä.safetensors");
		new SafetensorsWriter().metadata("k", "v").addF32("a.b", new long[] {2, 2}, new float[] {1, 2, 3, 4})
			.addI32("steps", new long[] {1}, new int[] {8}).write(f);
		assertFalse(Files.exists(f.resolveSibling("ä.safetensors.tmp")));
		try (SafetensorsFile s = SafetensorsFile.open(f)) {
			assertArrayEquals(new float[] {1, 2, 3, 4}, s.floats("a.b"));
			assertArrayEquals(new long[] {2, 2}, s.info("a.b").shape());
			assertEquals(8, s.ints("steps")[0]);
			assertEquals("v", s.metadata().get("k"));
		}
	}
}
