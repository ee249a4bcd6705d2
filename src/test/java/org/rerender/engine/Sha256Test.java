package org.rerender.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.video.VideoWriter;
import org.rerender.work.WorkFolder;

/** The one SHA-256 helper (work folder, image sequences, stamped videos) and the one frame-rate check. */
class Sha256Test {
	private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; // FIPS 180-2 example

	@Test
	void digestsOfStringsAndFiles(@TempDir Path tmp) throws Exception {
		assertEquals("sha256:" + ABC, Sha256.of("abc"));
		Path f = Files.writeString(tmp.resolve("abc.txt"), "abc");
		assertEquals("sha256:" + ABC, Sha256.ofFile(f));
		assertEquals(Sha256.ofFile(f), WorkFolder.sha256File(f));
		assertEquals(ABC, Sha256.hex(Sha256.digest().digest("abc".getBytes())));
	}

	@Test
	void oneFrameRateRange() {
		assertTrue(VideoWriter.validFps(29.97) && VideoWriter.validFps(VideoWriter.MAX_FPS));
		assertFalse(VideoWriter.validFps(0) || VideoWriter.validFps(Double.NaN) || VideoWriter.validFps(1000.5));
		RerenderException e = assertThrows(RerenderException.class, () -> VideoWriter.checkFps(-1, "the clip"));
		assertEquals("Invalid frame rate -1.0 for the clip: give one above 0 and at most 1000 fps.", e.getMessage());
	}
}
