package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.FolderFrames;
import org.rerender.propagate.PropagationTestAccess;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/** The Propagate command run headless through the CommandService with snake_case keys, as a macro passes them. */
class PropagateCommandTest {
	static Context context;
	static CommandService commands;

	@BeforeAll
	static void start() {
		context = new Context(CommandService.class, StatusService.class);
		commands = context.service(CommandService.class);
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	@Test
	void stacksInStackOut() throws Exception {
		List<Rgb8Image> frames = PropagationTestAccess.vtestFrames(7, 64, 48);
		List<Rgb8Image> keys = List.of(PropagationTestAccess.stylize(frames.get(0)), PropagationTestAccess.stylize(frames.get(3)),
			PropagationTestAccess.stylize(frames.get(6)));
		CommandModule m = commands.run(PropagateCommand.class, true, Map.of("input", ImageConversions.toImagePlus("clip", frames),
			"keys", ImageConversions.toImagePlus("keys", keys), "key_interval", 3, "poisson", true, "processes", 2)).get();
		assertFalse(m.isCanceled(), m.getCancelReason());
		ImagePlus out = (ImagePlus) m.getOutput("output");
		assertEquals(7, out.getStackSize());
		assertArrayEquals(keys.get(1).data(), ImageConversions.toRgb8(out.getStack().getProcessor(4)).data(), "key frame 4 is output as is");
	}

	@Test
	void frameRatesAVideoCannotHaveAreResolvedBeforePropagating(@TempDir Path dir) throws Exception {
		List<Rgb8Image> frames = PropagationTestAccess.vtestFrames(3, 32, 32);
		ImagePlus fast = ImageConversions.toImagePlus("fast", frames);
		fast.getCalibration().frameInterval = 0.0005; // 2000 fps: no video can have it
		fast.getCalibration().setTimeUnit("s");
		ImagePlus keys = ImageConversions.toImagePlus("keys", List.of(PropagationTestAccess.stylize(frames.get(0)),
			PropagationTestAccess.stylize(frames.get(2))));
		CommandModule m = commands.run(PropagateCommand.class, true, Map.of("input", fast, "keys", keys, "key_interval", 2,
			"poisson", false, "processes", 1, "keep_intermediates", true, "work_folder", dir.toFile(), "fps", 2000.0,
			"output_file", dir.resolve("never.mp4").toFile())).get();
		assertTrue(m.isCanceled());
		assertTrue(m.getCancelReason().contains("at most 1000"), m.getCancelReason());
		assertFalse(Files.exists(dir.resolve("propagate-tmp")), "refused before propagating");

		Path video = dir.resolve("fast.mp4");
		m = commands.run(PropagateCommand.class, true, Map.of("input", fast, "keys", keys, "key_interval", 2, "poisson", false,
			"processes", 1, "output_file", video.toFile())).get();
		assertFalse(m.isCanceled(), m.getCancelReason());
		assertEquals(30, org.rerender.video.VideoReader.probe(video).fps(), 0.01, "the default rate, not 2000");
		assertEquals(0, ((ImagePlus) m.getOutput("output")).getCalibration().fps, "no usable frame rate: none made up");
	}

	@Test
	void filesInVideoOutAndClearErrors(@TempDir Path dir) throws Exception {
		List<Rgb8Image> frames = PropagationTestAccess.vtestFrames(5, 48, 32);
		for (int i = 0; i < 5; i++) FolderFrames.write(frames.get(i), dir.resolve(String.format("frames/f%02d.png", i)));
		FolderFrames.write(PropagationTestAccess.stylize(frames.get(0)), dir.resolve("keys/a.png"));
		FolderFrames.write(PropagationTestAccess.stylize(frames.get(4)), dir.resolve("keys/b.png"));
		Path video = dir.resolve("out.mp4");
		CommandModule m = commands.run(PropagateCommand.class, true, Map.of("input_file", dir.resolve("frames").toFile(),
			"key_folder", dir.resolve("keys").toFile(), "key_frames", "1,5", "poisson", false, "keep_intermediates", true,
			"work_folder", dir.toFile(), "output_file", video.toFile())).get();
		assertFalse(m.isCanceled(), m.getCancelReason());
		assertEquals(5, ((ImagePlus) m.getOutput("output")).getStackSize());
		assertEquals(0, ((ImagePlus) m.getOutput("output")).getCalibration().fps, "a frame folder has no frame rate: none made up");
		assertTrue(Files.size(video) > 0);
		Files.writeString(video, "not ours");
		m = commands.run(PropagateCommand.class, true, Map.of("input_file", dir.resolve("frames").toFile(),
			"key_folder", dir.resolve("keys").toFile(), "key_frames", "1,5", "poisson", false, "output_file", video.toFile())).get();
		assertTrue(m.isCanceled());
		assertTrue(m.getCancelReason().contains("already exists") && m.getCancelReason().contains("overwrite"), m.getCancelReason());
		assertEquals("not ours", Files.readString(video), "an existing file is not replaced unasked");
		assertNull(m.getOutput("output"), "refused before propagating");
		m = commands.run(PropagateCommand.class, true, Map.of("input_file", dir.resolve("frames").toFile(),
			"key_folder", dir.resolve("keys").toFile(), "key_frames", "1,5", "poisson", false, "output_file", video.toFile(),
			"overwrite", true)).get();
		assertFalse(m.isCanceled(), m.getCancelReason());
		assertEquals(5, org.rerender.video.VideoReader.probe(video).frameCount(), "replaced when asked");

		Path clip = dir.resolve("clip.mp4");
		org.rerender.video.VideoWriter.write(clip, frames, 12.5, null, org.rerender.engine.Progress.NONE, org.rerender.engine.Cancel.NEVER);
		m = commands.run(PropagateCommand.class, true, Map.of("input_file", clip.toFile(), "key_folder", dir.resolve("keys").toFile(),
			"key_frames", "1,5", "poisson", false)).get();
		assertFalse(m.isCanceled(), m.getCancelReason());
		assertEquals(12.5, ((ImagePlus) m.getOutput("output")).getCalibration().fps, 1e-6, "the video file's frame rate is kept");
		assertTrue(Files.exists(dir.resolve("propagate-tmp/fwd/00001.png")));

		m = commands.run(PropagateCommand.class, true, Map.of("input_file", dir.resolve("frames").toFile(),
			"key_folder", dir.resolve("keys").toFile(), "key_interval", 2)).get();
		assertTrue(m.isCanceled());
		assertTrue(m.getCancelReason().contains("The key frames are frames [1, 3, 5]"), m.getCancelReason());
	}
}
