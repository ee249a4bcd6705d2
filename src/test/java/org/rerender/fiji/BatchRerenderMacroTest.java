package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;
import org.rerender.testing.Fixtures;
import org.rerender.testing.MacroRunner;
import org.rerender.video.TestClips;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;

/**
 * macros/batch_rerender.ijm through ImageJ 1.x's macro interpreter with the tiny fixture models, on a folder with a
 * video file, a frame folder and things that are not clips; and a Rerender command failing inside a macro loop.
 */
class BatchRerenderMacroTest {
	static final int FRAMES = 4;

	@TempDir
	static Path dir;
	static Path models;

	@BeforeAll
	static void models() throws Exception {
		assumeTrue(Files.exists(Fixtures.dir().resolve("tiny-sd15.safetensors")), "tiny fixture models not found");
		models = Fixtures.modelsFolder(dir);
	}

	/** The tiny models and a short job, as macro options. */
	static String tinyOptions() {
		return "controlnet_model=[" + Fixtures.file("tiny-controlnet.safetensors") + "] sd_model=["
			+ Fixtures.file("tiny-sd15.safetensors") + "] models_dir=[" + models + "] control_type=canny image_resolution=128"
			+ " ddim_steps=2 interval=3 n_proc=1 seed=7";
	}

	@Test
	void rerendersEveryVideoAndFrameFolderInTheRoot() throws Exception {
		Path root = Files.createDirectories(dir.resolve("clips é"));
		TestClips.smallClip(root.resolve("city one.mp4"), FRAMES);
		List<Rgb8Image> frames = TestClips.smallFrames();
		Path frameFolder = Files.createDirectories(root.resolve("frames b"));
		for (int i = 0; i < FRAMES; i++) Png.write(frames.get(FRAMES + i), frameFolder.resolve(String.format("f_%03d.png", i + 1)));
		// not clips: a text file, an empty folder, a folder with a single image, a still image
		Files.writeString(root.resolve("notes.txt"), "not a clip");
		Files.createDirectories(root.resolve("empty"));
		Png.write(frames.get(0), Files.createDirectories(root.resolve("one image")).resolve("cover.png"));
		Png.write(frames.get(0), root.resolve("still.png"));

		String ret = MacroRunner.runFile(Path.of("macros", "batch_rerender.ijm"), root + "|a pencil drawing|" + tinyOptions());
		assertEquals("2", ret);
		for (String clip : List.of("city one", "frames b")) {
			Path out = root.resolve(clip + "_rerender").resolve("output.mp4");
			VideoInfo info = VideoReader.probe(out);
			assertEquals(FRAMES, info.frameCount(), out.toString());
			assertEquals(128, info.width(), out.toString());
			assertTrue(Files.isRegularFile(root.resolve(clip + "_rerender/output_consistency.csv")), clip);
		}
		for (String skipped : List.of("notes_rerender", "empty_rerender", "one image_rerender", "still_rerender"))
			assertFalse(Files.exists(root.resolve(skipped)), skipped);
		assertEquals(30.0, VideoReader.probe(root.resolve("frames b_rerender/output.mp4")).fps(), 1e-6, "frame folders are read at 30 fps");

		// a rerun resumes: the work folders are not taken as clips, and nothing is redone
		long written = Files.getLastModifiedTime(root.resolve("city one_rerender/output.mp4")).toMillis();
		assertEquals("2", MacroRunner.runFile(Path.of("macros", "batch_rerender.ijm"), root + "|a pencil drawing|" + tinyOptions()));
		assertTrue(Files.list(root).noneMatch(p -> p.getFileName().toString().endsWith("_rerender_rerender")));
		assertEquals(written, Files.getLastModifiedTime(root.resolve("city one_rerender/output.mp4")).toMillis(), "a finished clip is not rewritten");
	}

	@Test
	void aRerenderCommandFailingInALoopStopsTheMacroWithItsReason() {
		Path missing = dir.resolve("missing.mp4");
		AssertionError e = assertThrows(AssertionError.class, () -> MacroRunner.run("""
			setBatchMode(true);
			p = split(getArgument(), "|");
			for (i = 0; i < 2; i++) {
				run("Rerender Video", "input_file=[" + p[0] + "] work_dir=[" + p[1] + i + "] prompt=[a cat] " + p[2]);
				print("clip " + i + " done");
			}
			return "finished";
			""", missing + "|" + dir.resolve("loop work") + "|" + tinyOptions()));
		assertTrue(e.getMessage().contains("Video file not found") && e.getMessage().contains(missing.toString()), e.getMessage());
		assertFalse(e.getMessage().contains("expected"), "the command's reason, not a parse error after it: " + e.getMessage());
		assertFalse(Files.exists(dir.resolve("loop work1")), "the macro stopped at the first failure");
	}

	@Test
	void aBrokenClipStopsTheBatchWithTheDecodersReason() throws Exception {
		Path root = Files.createDirectories(dir.resolve("broken batch"));
		Files.writeString(root.resolve("a broken.webm"), "this is not a video");
		TestClips.smallClip(root.resolve("b fine.mp4"), FRAMES);
		AssertionError e = assertThrows(AssertionError.class,
			() -> MacroRunner.runFile(Path.of("macros", "batch_rerender.ijm"), root + "|a cat|" + tinyOptions()));
		assertTrue(e.getMessage().contains("a broken.webm"), e.getMessage());
		assertFalse(e.getMessage().contains("expected"), e.getMessage());
		assertFalse(Files.exists(root.resolve("b fine_rerender/output.mp4")), "the batch stopped at the broken clip");
	}
}
