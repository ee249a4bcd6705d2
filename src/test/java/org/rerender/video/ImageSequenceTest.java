package org.rerender.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;
import org.rerender.work.FramesStep;
import org.rerender.work.WorkFolder;
import org.rerender.work.WorkStep;

/** Folders of numbered frames read as videos: order, sizes, frame rate, errors and the work folder's input stamp. */
class ImageSequenceTest {
	@TempDir
	Path tmp;

	/** frame_1.png … frame_N.png (not zero-padded: natural order matters) of the small example frames. */
	private Path folder(String name, int n) throws IOException {
		Path dir = Files.createDirectories(tmp.resolve(name));
		for (int i = 0; i < n; i++) Png.write(TestClips.smallFrames().get(i), dir.resolve("frame_" + (i + 1) + ".png"));
		return dir;
	}

	@Test
	void numberedFramesAreReadInNaturalOrderAtTheGivenRate() throws IOException {
		Path dir = folder("my frames", 12);
		Files.writeString(dir.resolve("notes.txt"), "shot 3");
		Files.writeString(dir.resolve(".DS_Store"), "");
		VideoInfo info = VideoReader.probe(dir, 12.5, Progress.NONE, Cancel.NEVER);
		assertEquals(12, info.frameCount());
		assertEquals(12.5, info.fps(), 0);
		assertEquals(192, info.width());
		assertEquals(108, info.height());
		assertFalse(info.hasAudio());
		assertEquals("png", info.codec());
		assertEquals(ImageSequence.DEFAULT_FPS, VideoReader.probe(dir).fps(), 0);
		List<Rgb8Image> frames = TestClips.readAll(dir);
		assertEquals(12, frames.size());
		for (int i = 0; i < 12; i++) // frame_10 after frame_9, not after frame_1
			assertArrayEquals(TestClips.smallFrames().get(i).data(), frames.get(i).data(), "frame " + i);
		try (VideoReader r = VideoReader.open(dir, 24)) {
			assertEquals(192, r.width());
			assertEquals(24, r.fps(), 0);
			assertEquals(0, r.rotation());
			assertFalse(r.hasAudio());
			assertEquals(12, r.declaredFrameCount());
		}
		VideoReader.requireFile(dir); // a folder of frames is a valid input
	}

	@Test
	void jpegAndTiffFramesAndTheIgnoredFilesAreLoggedOnce() throws IOException {
		Path dir = Files.createDirectories(tmp.resolve("mixed"));
		for (int i = 0; i < 3; i++)
			ImageIO.write(Png.asBufferedImage(TestClips.smallFrames().get(i)), i == 1 ? "tiff" : "jpeg",
				dir.resolve(String.format("shot%03d.%s", i, i == 1 ? "tif" : "jpg")).toFile());
		Files.writeString(dir.resolve("readme.md"), "x");
		java.util.logging.Logger log = java.util.logging.Logger.getLogger(ImageSequence.class.getName());
		List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
		java.util.logging.Handler h = new java.util.logging.Handler() {
			@Override public void publish(java.util.logging.LogRecord r) { lines.add(r.getMessage()); }
			@Override public void flush() {}
			@Override public void close() {}
		};
		log.addHandler(h);
		try {
			VideoInfo info = VideoReader.probe(dir);
			List<Rgb8Image> frames = TestClips.readAll(dir);
			assertEquals(3, info.frameCount());
			assertEquals("jpeg+tiff", info.codec());
			assertArrayEquals(TestClips.smallFrames().get(1).data(), frames.get(1).data(), "TIFF is lossless");
			double jpeg = TestClips.meanAbsDiff(TestClips.smallFrames().get(2), frames.get(2));
			assertTrue(jpeg < 12 && jpeg < TestClips.meanAbsDiff(TestClips.smallFrames().get(20), frames.get(2)), "JPEG is close: " + jpeg);
			assertEquals(1, lines.size(), "one line for the ignored file, however often the folder is opened: " + lines);
			assertTrue(lines.get(0).contains("ignored 1 other file(s): readme.md"), lines.get(0));
		}
		finally {
			log.removeHandler(h);
		}
	}

	@Test
	void framesOfAnotherSizeEmptyFoldersAndFoldersWithoutFramesAreRefusedInWords() throws IOException {
		Path dir = folder("odd", 4);
		Png.write(new Rgb8Image(100, 50), dir.resolve("frame_3.png"));
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(dir));
		assertTrue(e.getMessage().contains("frame_3.png is 100x50 but the first frame frame_1.png is 192x108"), e.getMessage());
		Path empty = Files.createDirectories(tmp.resolve("empty"));
		e = assertThrows(RerenderException.class, () -> VideoReader.requireFile(empty));
		assertTrue(e.getMessage().contains("is empty") && e.getMessage().contains("numbered frames"), e.getMessage());
		Path text = Files.createDirectories(tmp.resolve("text"));
		Files.writeString(text.resolve("a.txt"), "x");
		e = assertThrows(RerenderException.class, () -> VideoReader.probe(text));
		assertTrue(e.getMessage().contains("holds no frames") && e.getMessage().contains("a.txt"), e.getMessage());
		Path broken = folder("broken", 2);
		Files.writeString(broken.resolve("frame_2.png"), "not a png");
		e = assertThrows(RerenderException.class, () -> VideoReader.probe(broken));
		assertTrue(e.getMessage().contains("frame_2.png"), e.getMessage());
		e = assertThrows(RerenderException.class, () -> VideoReader.probe(folder("rate", 2), 0, Progress.NONE, Cancel.NEVER));
		assertTrue(e.getMessage().contains("Invalid frame rate"), e.getMessage());
	}

	@Test
	void naturalOrder() {
		List<String> names = new ArrayList<>(List.of("f10.png", "f9.png", "f0001.png", "f2.png", "g1.png", "f.png"));
		names.sort(ImageSequence::compareNatural);
		assertEquals(List.of("f.png", "f0001.png", "f2.png", "f9.png", "f10.png", "g1.png"), names);
	}

	@Test
	void theWorkFolderStampChangesWithAFrameButNotWithOtherFiles() throws IOException {
		Path dir = folder("seq", 3);
		Path work = tmp.resolve("work");
		FramePreparation prep = FramePreparation.of(new int[4], 64);
		WorkFolder w = WorkFolder.open(work, dir, Map.of());
		String hash = w.inputHash();
		WorkStep frames = FramesStep.run(w, prep, false, Progress.NONE, Cancel.NEVER);
		assertEquals(3, frames.completeCount());
		Files.writeString(dir.resolve("notes.txt"), "ignored");
		assertEquals(hash, WorkFolder.open(work, dir, Map.of()).inputHash(), "an ignored file does not change the input");
		assertTrue(FramesStep.run(WorkFolder.open(work, dir, Map.of()), prep, false, Progress.NONE, Cancel.NEVER).isComplete(), "resumes");
		// one frame changed: another stamp, and the frames step refuses to mix the old frames with the new input
		Png.write(TestClips.smallFrames().get(5), dir.resolve("frame_2.png"));
		WorkFolder changed = WorkFolder.open(work, dir, Map.of());
		assertNotEquals(hash, changed.inputHash());
		RerenderException e = assertThrows(RerenderException.class, () -> FramesStep.run(changed, prep, false, Progress.NONE, Cancel.NEVER));
		assertTrue(e.getMessage().contains("input video changed"), e.getMessage());
		WorkStep redone = FramesStep.run(changed, prep, true, Progress.NONE, Cancel.NEVER);
		assertEquals(3, redone.completeCount());
	}
}
