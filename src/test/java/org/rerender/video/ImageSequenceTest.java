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
import org.rerender.testing.CapturedLog;
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
		try (CapturedLog log = CapturedLog.of(ImageSequence.class)) {
			VideoInfo info = VideoReader.probe(dir);
			List<Rgb8Image> frames = TestClips.readAll(dir);
			assertEquals(3, info.frameCount());
			assertEquals("jpeg+tiff", info.codec());
			assertArrayEquals(TestClips.smallFrames().get(1).data(), frames.get(1).data(), "TIFF is lossless");
			double jpeg = TestClips.meanAbsDiff(TestClips.smallFrames().get(2), frames.get(2));
			assertTrue(jpeg < 12 && jpeg < TestClips.meanAbsDiff(TestClips.smallFrames().get(20), frames.get(2)), "JPEG is close: " + jpeg);
			List<String> lines = log.messages();
			assertEquals(1, lines.size(), "one line for the ignored file, however often the folder is opened: " + lines);
			assertTrue(lines.get(0).contains("ignored 1 other file(s): readme.md"), lines.get(0));
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

	/** A 4x2 image of one grey value {@code v}, written as {@code name} in {@code dir}. */
	private static void flat(Path dir, String name, int v) throws IOException {
		byte[] d = new byte[4 * 2 * 3];
		java.util.Arrays.fill(d, (byte) v);
		Png.write(new Rgb8Image(4, 2, d), dir.resolve(name));
	}

	private static List<String> names(Path dir) {
		return ImageSequence.list(dir).stream().map(p -> p.getFileName().toString()).toList();
	}

	@Test
	void framesAreTheLargestGroupOfNumberedNamesInTheOrderOfTheirNumbers() throws IOException {
		Path dir = Files.createDirectories(tmp.resolve("groups"));
		for (String n : List.of("f10.png", "f9.png", "f0001.png", "f2.png", "cover.png", "thumb_1.png", "f12.png")) flat(dir, n, 7);
		Files.writeString(dir.resolve("._f3.png"), "macOS resource fork");
		try (CapturedLog log = CapturedLog.of(ImageSequence.class)) {
			assertEquals(List.of("f0001.png", "f2.png", "f9.png", "f10.png", "f12.png"), names(dir));
			assertEquals(5, VideoReader.probe(dir).frameCount());
			List<String> lines = log.messages();
			assertEquals(1, lines.size(), "said once: " + lines);
			assertTrue(lines.get(0).contains("ignored 2 other file(s): cover.png, thumb_1.png"), lines.get(0));
			assertTrue(lines.get(0).contains("numbers missing: 3-8, 11 "), lines.get(0));
		}
		Path one = Files.createDirectories(tmp.resolve("one"));
		flat(one, "cover.png", 1);
		assertEquals(List.of("cover.png"), names(one), "a single image is a one-frame sequence");
	}

	@Test
	void aNumberTakenTwiceAndTiedGroupsAreRefusedNamingTheFiles() throws IOException {
		Path twice = Files.createDirectories(tmp.resolve("twice"));
		for (String n : List.of("frame_1.png", "frame_01.png", "frame_2.png", "frame_1.jpg")) flat(twice, n, 3);
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(twice));
		assertTrue(e.getMessage().contains("have the number 1: frame_01.png and frame_1.jpg"), e.getMessage());
		Path tie = Files.createDirectories(tmp.resolve("tie"));
		for (String n : List.of("a_1.png", "a_2.png", "b_1.png", "b_2.png")) flat(tie, n, 3);
		e = assertThrows(RerenderException.class, () -> ImageSequence.list(tie));
		assertTrue(e.getMessage().contains("a_#, b_#"), e.getMessage());
		Path plain = Files.createDirectories(tmp.resolve("plain"));
		for (String n : List.of("y.png", "x.png")) flat(plain, n, 3);
		assertEquals(List.of("x.png", "y.png"), names(plain), "no name numbered: the order of the names");
	}

	@Test
	void theWorkFolderStampChangesWithAFrameButNotWithOtherFiles() throws IOException {
		Path dir = folder("seq", 3);
		Path work = tmp.resolve("work");
		FramePreparation prep = FramePreparation.of(new int[4], 64);
		WorkFolder w = WorkFolder.open(work, dir, Map.of());
		String hash = w.inputHash();
		WorkStep frames = FramesStep.run(w, prep, 30, false, Progress.NONE, Cancel.NEVER).step();
		assertEquals(3, frames.completeCount());
		Files.writeString(dir.resolve("notes.txt"), "ignored");
		assertEquals(hash, WorkFolder.open(work, dir, Map.of()).inputHash(), "an ignored file does not change the input");
		assertTrue(FramesStep.run(WorkFolder.open(work, dir, Map.of()), prep, 30, false, Progress.NONE, Cancel.NEVER).step().isComplete(), "resumes");
		// one frame changed: another stamp, and the frames step refuses to mix the old frames with the new input
		Png.write(TestClips.smallFrames().get(5), dir.resolve("frame_2.png"));
		WorkFolder changed = WorkFolder.open(work, dir, Map.of());
		assertNotEquals(hash, changed.inputHash());
		RerenderException e = assertThrows(RerenderException.class, () -> FramesStep.run(changed, prep, 30, false, Progress.NONE, Cancel.NEVER).step());
		assertTrue(e.getMessage().contains("input video changed"), e.getMessage());
		WorkStep redone = FramesStep.run(changed, prep, 30, true, Progress.NONE, Cancel.NEVER).step();
		assertEquals(3, redone.completeCount());
	}

	/** A frame written into the folder during a job: the work folder's hash and the frames step use one listing. */
	@Test
	void theHashAndTheFramesComeFromOneListingAtTheGivenRate() throws IOException {
		Path dir = folder("growing", 3);
		ImageSequence seq = ImageSequence.open(dir, 12);
		WorkFolder w = WorkFolder.openSequence(tmp.resolve("work1"), seq, Map.of());
		Png.write(TestClips.smallFrames().get(3), dir.resolve("frame_4.png")); // e.g. a render still writing frames
		FramePreparation prep = FramePreparation.of(new int[4], 64);
		FramesStep.Result r = FramesStep.run(w, prep, 12, false, Progress.NONE, Cancel.NEVER);
		WorkStep step = r.step();
		VideoInfo info = r.input();
		assertEquals(3, info.frameCount(), "the frames hashed, not the folder listed again");
		assertEquals(3, step.completeCount());
		assertEquals(12, info.fps(), 0, "the given rate, without a second probe");
		assertEquals(seq.sha256(), w.inputHash());
		// opened from the path, the folder is listed once too: 4 frames now, in hash and frames alike
		WorkFolder w2 = WorkFolder.open(tmp.resolve("work2"), dir, Map.of());
		assertEquals(4, w2.sequence().size());
		assertEquals(4, FramesStep.run(w2, prep, 25, false, Progress.NONE, Cancel.NEVER).input().frameCount());
	}

	@Test
	void aMultiPageTiffFrameIsRefusedInWords() throws Exception {
		Path dir = Files.createDirectories(tmp.resolve("pages"));
		Png.write(TestClips.smallFrames().get(0), dir.resolve("f1.png"));
		javax.imageio.ImageWriter w = ImageIO.getImageWritersByFormatName("tiff").next();
		try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(dir.resolve("f2.tif").toFile())) {
			w.setOutput(out);
			w.prepareWriteSequence(null);
			for (int i = 1; i < 4; i++)
				w.writeToSequence(new javax.imageio.IIOImage(Png.asBufferedImage(TestClips.smallFrames().get(i)), null, null), null);
			w.endWriteSequence();
		}
		finally {
			w.dispose();
		}
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(dir));
		assertTrue(e.getMessage().contains("f2.tif is a multi-page TIFF (3 images)"), e.getMessage());
	}
}
