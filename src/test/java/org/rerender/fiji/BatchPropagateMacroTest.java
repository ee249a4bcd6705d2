package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.FolderFrames;
import org.rerender.propagate.PropagationTestAccess;
import org.rerender.testing.MacroRunner;

/** macros/batch_propagate.ijm run by ImageJ 1.x's macro interpreter over two clip folders. */
class BatchPropagateMacroTest {

	@Test
	void batchMacroPropagatesEveryClipFolder(@TempDir Path root) throws Exception {
		List<Rgb8Image> frames = PropagationTestAccess.vtestFrames(5, 48, 32);
		for (String clip : List.of("clip one", "clip2")) {
			for (int i = 0; i < 5; i++) {
				FolderFrames.write(frames.get(i), root.resolve(clip).resolve(String.format("video/%04d.png", i + 1)));
				if (i % 2 == 0)
					FolderFrames.write(PropagationTestAccess.stylize(frames.get(i)), root.resolve(clip).resolve(String.format("keys/%04d.png", i + 1)));
			}
		}
		Files.createDirectories(root.resolve("not a clip"));
		String result = MacroRunner.runFile(Path.of("macros/batch_propagate.ijm"), root + "|2");
		assertEquals("2", result);
		for (String clip : List.of("clip one", "clip2")) assertTrue(Files.size(root.resolve(clip).resolve("propagated.mp4")) > 0, clip);
		Files.writeString(root.resolve("clip2/propagated.mp4"), "old");
		assertEquals("2", MacroRunner.runFile(Path.of("macros/batch_propagate.ijm"), root + "|2"), "a rerun replaces its outputs (overwrite)");
		assertTrue(Files.size(root.resolve("clip2/propagated.mp4")) > 3);
	}
}
