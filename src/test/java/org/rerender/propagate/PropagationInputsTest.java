package org.rerender.propagate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.image.Rgb8Image;
import org.rerender.video.TestClips;
import org.rerender.video.VideoWriter;

class PropagationInputsTest {
	@TempDir
	Path dir;

	@Test
	void aClipKeepsTheFrameRateOfItsOneDecode() throws Exception {
		Path clip = dir.resolve("c.mp4");
		VideoWriter.write(clip, TestClips.smallFrames().subList(0, 3), 12.5, null, Progress.NONE, Cancel.NEVER);
		PropagationInputs.Clip c = PropagationInputs.readClip(clip);
		assertEquals(3, c.frames().size());
		assertEquals(12.5, c.fps(), 1e-6);
		assertEquals(192, c.frames().get(0).width());

		Path folder = Files.createDirectories(dir.resolve("frames"));
		for (int i = 0; i < 2; i++) FolderFrames.write(c.frames().get(i), folder.resolve("f" + i + ".png"));
		PropagationInputs.Clip f = PropagationInputs.readClip(folder);
		assertEquals(0, f.fps(), "a folder of images has no frame rate");
		List<Rgb8Image> frames = f.frames();
		assertEquals(2, frames.size());
		assertArrayEquals(c.frames().get(1).data(), frames.get(1).data(), "PNG is lossless");
	}

	@Test
	void keyImagesOfAFolderComeInTheOrderOfTheirNumbers() throws Exception {
		Path keys = Files.createDirectories(dir.resolve("keys"));
		for (int i = 1; i <= 12; i++) {
			byte[] d = new byte[2 * 2 * 3];
			java.util.Arrays.fill(d, (byte) (10 * i));
			FolderFrames.write(new Rgb8Image(2, 2, d), keys.resolve("key_" + i + ".png"));
		}
		Files.writeString(keys.resolve("._key_1.png"), "macOS resource fork, not an image");
		List<Rgb8Image> read = PropagationInputs.readFolder(keys);
		assertEquals(12, read.size());
		for (int i = 0; i < 12; i++) assertEquals(10 * (i + 1), read.get(i).data()[0] & 0xff, "key " + (i + 1));
	}
}
