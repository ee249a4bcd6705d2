package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import ij.ImagePlus;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.video.TestClips;
import org.scijava.Context;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/** Open Video (headless, as Fiji's --run) on a rotated phone clip, a variable-frame-rate clip and a folder. */
class OpenVideoOtherClipsTest {
	static Context context;

	@TempDir
	Path tmp;

	@BeforeAll
	static void start() {
		context = new Context(CommandService.class, RerenderService.class);
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	private CommandModule run(Path file) throws Exception {
		return context.service(CommandService.class).run(OpenVideoCommand.class, true, Map.of("file", file.toFile(),
			"crop_left", 0, "crop_right", 0, "crop_top", 0, "crop_bottom", 0, "resolution", 0)).get();
	}

	private ImagePlus open(Path file) throws Exception {
		CommandModule m = run(file);
		assertFalse(m.isCanceled(), m.getCancelReason());
		return (ImagePlus) m.getOutput("image");
	}

	@Test
	void phoneClipOpensUpright() throws Exception {
		Path f = tmp.resolve("phone.mp4");
		TestClips.writeTimed(f, "mp4", -90, TestClips.smallFrames().subList(0, 4), new long[] {0, 40_000, 80_000, 120_000});
		ImagePlus imp = open(f);
		assertEquals(108, imp.getWidth());
		assertEquals(192, imp.getHeight());
		assertEquals(4, imp.getNFrames());
		assertTrue(imp.getInfoProperty().contains("rotated 270° for display"), imp.getInfoProperty());
	}

	@Test
	void variableFrameRateGetsTheAverageRate() throws Exception {
		Path f = tmp.resolve("uneven.mkv");
		TestClips.writeTimed(f, "matroska", 0, TestClips.smallFrames().subList(0, 8), TestClips.unevenTimes(8, 4, 40_000, 120_000));
		ImagePlus imp = open(f);
		assertEquals(8, imp.getNFrames());
		assertEquals(7 / 0.52, imp.getCalibration().fps, 0.3); // 7 intervals over 4·40 + 3·120 ms
	}

	@Test
	void anEmptyFolderIsExplained() throws Exception {
		Path dir = Files.createDirectories(tmp.resolve("png frames"));
		// commands report failures by cancelling with the reason (the macro and headless runners show it)
		CommandModule m = run(dir);
		assertTrue(m.isCanceled(), "expected a cancel with the reason");
		assertTrue(m.getCancelReason().contains("is empty") && m.getCancelReason().contains("numbered frames"), m.getCancelReason());
	}

	@Test
	void aFolderOfFramesOpensAtTheGivenRate() throws Exception {
		Path dir = Files.createDirectories(tmp.resolve("png frames"));
		for (int i = 0; i < 3; i++) org.rerender.image.Png.write(TestClips.smallFrames().get(i), dir.resolve("f" + (i + 1) + ".png"));
		CommandModule m = context.service(CommandService.class).run(OpenVideoCommand.class, true, Map.of("file", dir.toFile(),
			"crop_left", 0, "crop_right", 0, "crop_top", 0, "crop_bottom", 0, "resolution", 0, "fps", 12.5)).get();
		assertFalse(m.isCanceled(), m.getCancelReason());
		ImagePlus imp = (ImagePlus) m.getOutput("image");
		assertEquals(3, imp.getNFrames());
		assertEquals(192, imp.getWidth());
		assertEquals(12.5, imp.getCalibration().fps, 1e-9);
		assertEquals(30.0, open(dir).getCalibration().fps, 1e-9); // the default rate, Fiji's for stacks without one
		assertEquals(ImageFrames.DEFAULT_FPS, org.rerender.video.ImageSequence.DEFAULT_FPS, 0);
	}

	/** The file inputs that take a frame folder let the chooser pick folders and files, and say which image types. */
	@Test
	void fileInputsThatTakeFoldersPickBothAndNameBmp() throws Exception {
		for (var field : new java.lang.reflect.Field[] {OpenVideoCommand.class.getDeclaredField("file"),
			RerenderCommandBase.class.getDeclaredField("input_file"), PropagateCommand.class.getDeclaredField("input_file")})
		{
			org.scijava.plugin.Parameter p = field.getAnnotation(org.scijava.plugin.Parameter.class);
			assertEquals(org.scijava.widget.FileWidget.FILE_AND_DIRECTORY_STYLE, p.style(), field.toString());
			assertTrue(p.description().contains("BMP") && p.description().contains("folder"), field + ": " + p.description());
		}
	}
}
