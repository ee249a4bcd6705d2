package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import ij.ImagePlus;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.video.TestClips;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;
import org.scijava.Context;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/** The commands headless through SciJava's CommandService, as Fiji's --headless --run would call them. */
class VideoCommandsTest {

	static Context context;

	@TempDir
	Path tmp;

	@BeforeAll
	static void start() {
		long t = System.nanoTime();
		context = new Context(CommandService.class, RerenderService.class);
		assertNotNull(context.service(RerenderService.class));
		// the service is cheap to start: no natives, no models
		assertTrue((System.nanoTime() - t) / 1e9 < 20, "context start took too long");
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	private CommandModule run(Class<? extends org.scijava.command.Command> cmd, Map<String, Object> inputs)
		throws Exception
	{
		CommandModule m = context.service(CommandService.class).run(cmd, true, inputs).get();
		assertFalse(m.isCanceled(), m.getCancelReason());
		return m;
	}

	@Test
	void openCropResizeThenSaveWithAudio() throws Exception {
		Path in = tmp.resolve("in.mp4");
		org.rerender.video.VideoWriter.write(in, TestClips.smallFrames().subList(0, 10), 24, TestClips.example(),
			org.rerender.engine.Progress.NONE, org.rerender.engine.Cancel.NEVER);
		CommandModule open = run(OpenVideoCommand.class, Map.of("file", in.toFile(), "crop_left", 16, "crop_right", 16,
			"crop_top", 0, "crop_bottom", 0, "resolution", 256));
		ImagePlus imp = (ImagePlus) open.getOutput("image");
		assertEquals(10, imp.getStackSize());
		assertEquals(10, imp.getNFrames());
		assertEquals(256, imp.getWidth()); // 160x108 -> 256x172 -> 192 (2.6875 -> 3)
		assertEquals(192, imp.getHeight());
		assertEquals(24.0, imp.getCalibration().fps, 1e-9);
		assertEquals("in.mp4", imp.getTitle());
		assertTrue(imp.getInfoProperty().contains("Frames: 10"), imp.getInfoProperty());
		assertEquals("10", imp.getProp("rerender.frame_count"));

		Path out = tmp.resolve("sortie vidéo.mp4");
		CommandModule save = run(SaveVideoCommand.class, Map.of("image", imp, "output_file", out.toFile(), "fps", 0.0,
			"audio_source", in.toFile()));
		assertTrue(((String) save.getOutput("result")).contains("h264"), (String) save.getOutput("result"));
		VideoInfo info = VideoReader.probe(out);
		assertEquals(10, info.frameCount());
		assertEquals(24.0, info.fps(), 1e-6);
		assertEquals(256, info.width());
		assertTrue(info.hasAudio());
	}

	@Test
	void saveWithExplicitFpsAndNoAudio() throws Exception {
		ImagePlus imp = ImageConversions.toImagePlus("frames", TestClips.smallFrames().subList(0, 5));
		Path out = tmp.resolve("o.mp4");
		run(SaveVideoCommand.class, Map.of("image", imp, "output_file", out.toFile(), "fps", 12.5));
		VideoInfo info = VideoReader.probe(out);
		assertEquals(5, info.frameCount());
		assertEquals(12.5, info.fps(), 1e-6);
		assertFalse(info.hasAudio());

		long size = Files.size(out);
		String msg = failure(() -> context.service(CommandService.class).run(SaveVideoCommand.class, true,
			Map.of("image", imp, "output_file", out.toFile(), "fps", 0.0)).get());
		assertTrue(msg.contains("already exists") && msg.contains("overwrite"), msg);
		assertEquals(12.5, VideoReader.probe(out).fps(), 1e-6, "an existing file is not replaced unasked");
		assertEquals(size, Files.size(out));

		run(SaveVideoCommand.class, Map.of("image", imp, "output_file", out.toFile(), "fps", 0.0, "overwrite", true));
		assertEquals(30, VideoReader.probe(out).fps(), 1e-6, "no rate anywhere: the one default (as Propagate's)");
	}

	@Test
	void errorsReachTheCallerAndWriteNothing() throws Exception {
		CommandService cs = context.service(CommandService.class);
		// crop larger than the frame
		String msg = failure(() -> cs.run(OpenVideoCommand.class, true, Map.of("file", TestClips.example().toFile(),
			"crop_left", 400, "crop_right", 400, "resolution", 0)).get());
		assertTrue(msg.contains("removes the whole 640x360 frame"), msg);
		// unwritable output folder
		File notADir = Files.writeString(tmp.resolve("plain"), "x").toFile();
		ImagePlus imp = ImageConversions.toImagePlus("f", TestClips.smallFrames().subList(0, 2));
		msg = failure(() -> cs.run(SaveVideoCommand.class, true, Map.of("image", imp, "output_file",
			new File(notADir, "o.mp4"))).get());
		assertTrue(msg.contains("Output folder"), msg);
		try (var s = Files.list(tmp)) { assertEquals(1, s.count()); }
	}

	/** The reason a failed command was canceled with (a clear message, no exception trace). */
	private static String failure(java.util.concurrent.Callable<org.scijava.command.CommandModule> run) throws Exception {
		org.scijava.command.CommandModule m = run.call();
		assertTrue(m.isCanceled(), "expected the command to cancel with a reason");
		assertNotNull(m.getCancelReason());
		return m.getCancelReason();
	}

	@Test
	void conversionsKeepRgbOrderAndShareFloatArrays() {
		Rgb8Image img = new Rgb8Image(3, 2);
		img.set(1, 1, 0, 10);
		img.set(1, 1, 1, 20);
		img.set(1, 1, 2, 30);
		ColorProcessor cp = ImageConversions.toProcessor(img);
		int p = cp.getPixel(1, 1);
		assertEquals(0x0a141e, p & 0xffffff);
		Rgb8Image back = ImageConversions.toRgb8(cp);
		assertEquals(30, back.get(1, 1, 2));
		// 8-bit stacks go through their display range
		Rgb8Image grey = ImageConversions.toRgb8(new ij.process.ByteProcessor(2, 2, new byte[] { 0, 50, 100, (byte) 200 }));
		assertEquals(200, grey.get(1, 1, 0));
		assertEquals(200, grey.get(1, 1, 2));

		FloatImage f = new FloatImage(4, 3, 1);
		FloatProcessor fp = ImageConversions.wrap(f);
		fp.setf(2, 1, 7.5f);
		assertEquals(7.5f, f.get(2, 1, 0)); // shared, not copied
		assertSame(f.data(), ImageConversions.wrap(fp).data());

		FloatImage flow = new FloatImage(4, 3, 2);
		flow.set(3, 2, 0, 1.5f);
		flow.set(3, 2, 1, -2f);
		var stack = ImageConversions.toChannelStack(flow);
		assertEquals(2, stack.getSize());
		assertEquals(-2f, stack.getProcessor(2).getf(3, 2));
		FloatImage again = ImageConversions.fromChannelStack(stack, 1, 2);
		org.junit.jupiter.api.Assertions.assertArrayEquals(flow.data(), again.data());
	}
}
