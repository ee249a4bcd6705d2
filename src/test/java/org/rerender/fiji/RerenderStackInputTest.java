package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ShortProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.video.ImageSequence;
import org.scijava.command.CommandModule;

/** The Rerender commands on an open (not RGB, tiny, odd-sized) stack instead of a video file, with the tiny models. */
class RerenderStackInputTest {
	@TempDir
	static Path dir;
	static TinyCommands fiji;

	@BeforeAll
	static void start() throws Exception {
		fiji = TinyCommands.open(dir);
	}

	@AfterAll
	static void stop() {
		if (fiji != null) fiji.close();
	}

	static ImagePlus sixteenBit(String title, int n, int shift) {
		ImageStack s = new ImageStack(20, 13);
		for (int i = 0; i < n; i++) {
			ShortProcessor sp = new ShortProcessor(20, 13);
			for (int y = 0; y < 13; y++)
				for (int x = 0; x < 20; x++) sp.set(x, y, ((x + shift + i) * 97 + y * 311) % 4000);
			s.addSlice(sp);
		}
		ImagePlus imp = new ImagePlus(title, s);
		imp.setDisplayRange(0, 4000);
		imp.getCalibration().fps = 12;
		return imp;
	}

	static Map<String, Object> tiny(ImagePlus input, Path work) {
		Map<String, Object> m = fiji.settings(work);
		m.put("input", input);
		m.put("image_resolution", 64);
		m.put("ddim_steps", 2);
		m.put("interval", 1);
		m.put("seed", 3L);
		return m;
	}

	@Test
	void tinySixteenBitStackThenAnotherStackInTheSameFolder() throws Exception {
		Path work = dir.resolve("work é");
		ImagePlus in = sixteenBit("clip 1 é", 3, 0);
		in.getCalibration().pixelWidth = 0.5;
		Map<String, Object> params = tiny(in, work);
		params.put("interval", 2);
		CommandModule one = fiji.run(RerenderFirstFrameCommand.class, params);
		assertFalse(one.isCanceled(), one.getCancelReason());
		ImagePlus keys = (ImagePlus) one.getOutput("key_frames");
		assertEquals(1, keys.getStackSize());
		assertEquals(6, keys.getCalibration().fps, 1e-9, "a key every 2 frames of a 12 fps stack: 6 fps");
		assertEquals(1.0, keys.getCalibration().pixelWidth, "cropped and resized: no spatial calibration");
		ImageSequence frames = ImageSequence.open(work.resolve("input_frames"), 12);
		assertEquals(3, frames.size());
		assertEquals(13, frames.height(), "lossless PNG frames of the stack's size (no padding)");
		assertArrayEquals(ImageFrames.frames(in).get(2).data(), frames.read(2).data(), "the stack's frames bit-exact");
		String job = Files.readString(work.resolve("rerender.json")).replaceAll("\\s", "");
		assertTrue(job.contains("\"crop\":[0,0,0,0]"), "nothing to crop away: " + job);
		assertTrue(job.contains(frames.sha256()), "the work folder's input is the frame folder: " + job);
		assertEquals(4000.0, in.getDisplayRangeMax(), "input untouched");

		CommandModule all = fiji.run(RerenderVideoCommand.class, params);
		assertFalse(all.isCanceled(), all.getCancelReason());
		org.rerender.video.VideoInfo video = org.rerender.video.VideoReader.probe(Path.of((String) all.getOutput("output_video")));
		assertEquals(3, video.frameCount());
		assertEquals(12, video.fps(), 1e-6, "the output video has the stack's frame rate");

		CommandModule other = fiji.run(RerenderFirstFrameCommand.class, tiny(sixteenBit("other", 3, 7), work));
		assertTrue(other.isCanceled(), "another stack: the work folder's first frame is not silently reused");
		assertTrue(other.getCancelReason().toLowerCase().contains("input"), other.getCancelReason());
	}

	@Test
	void singleImage() throws Exception {
		ImagePlus one = sixteenBit("one", 1, 0);
		for (Class<? extends RerenderCommandBase> c : java.util.List.of(RerenderFirstFrameCommand.class, RerenderVideoCommand.class)) {
			CommandModule m = fiji.run(c, tiny(one, dir.resolve("one")));
			assertTrue(m.isCanceled(), c.getSimpleName());
			assertTrue(m.getCancelReason().contains("at least 2 frames") && m.getCancelReason().contains("Generate Image"), m.getCancelReason());
		}
		assertFalse(Files.exists(dir.resolve("one/input_frames")), "refused before any work");
	}
}
