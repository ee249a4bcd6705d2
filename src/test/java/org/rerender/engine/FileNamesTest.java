package org.rerender.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class FileNamesTest {
	@Test
	void stemDropsTheLastExtensionOnly() {
		assertEquals("clip", FileNames.stem(Path.of("dir.d", "clip.mp4")));
		assertEquals("clip 1.final", FileNames.stem(Path.of("clip 1.final.mp4")));
		assertEquals("résumé", FileNames.stem(Path.of("/tmp/résumé.png")));
		assertEquals("noext", FileNames.stem(Path.of("a.b", "noext")));
		assertEquals(".hidden", FileNames.stem(Path.of(".hidden")), "a leading dot is the name, not an extension");
	}
}
