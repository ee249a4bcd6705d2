package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.ImageStack;
import ij.gui.Roi;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import ij.process.LUT;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.PropagationTestAccess;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/**
 * Propagate and Compute Optical Flow (the commands that need no model) on the kinds of image a Fiji user has open:
 * grey, 16-bit, composite, hyperstacks, a single image, tiny odd sizes, selections, calibration, odd titles.
 */
class FijiInputsCommandTest {
	static Context context;
	static CommandService commands;
	static List<Rgb8Image> clip;

	@BeforeAll
	static void start() throws Exception {
		context = new Context(CommandService.class, StatusService.class, RerenderService.class);
		commands = context.service(CommandService.class);
		clip = PropagationTestAccess.vtestFrames(5, 20, 13);
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	static ImagePlus rgbStack(String title, List<Rgb8Image> frames) {
		ImageStack s = new ImageStack(frames.get(0).width(), frames.get(0).height());
		for (Rgb8Image f : frames) s.addSlice(ImageConversions.toProcessor(f));
		return new ImagePlus(title, s); // a plain stack of slices, as a movie opened from AVI
	}

	static ImagePlus keys(int... frames) {
		List<Rgb8Image> k = new ArrayList<>();
		for (int f : frames) k.add(PropagationTestAccess.stylize(clip.get(f)));
		return rgbStack("keys", k);
	}

	CommandModule propagate(ImagePlus input, ImagePlus keys, Object... more) throws Exception {
		Map<String, Object> in = new HashMap<>(Map.of("input", input, "keys", keys, "key_interval", 2, "poisson", false, "processes", 1));
		for (int i = 0; i < more.length; i += 2) in.put((String) more[i], more[i + 1]);
		return commands.run(PropagateCommand.class, true, in).get();
	}

	static ImagePlus propagated(CommandModule m) {
		assertFalse(m.isCanceled(), m.getCancelReason());
		return (ImagePlus) m.getOutput("output");
	}

	static int[] pixels(ImagePlus imp) {
		List<Integer> all = new ArrayList<>();
		for (int i = 1; i <= imp.getStackSize(); i++) {
			ImageProcessor ip = imp.getStack().getProcessor(i);
			for (int j = 0; j < ip.getPixelCount(); j++) all.add(Float.floatToIntBits(ip.getf(j)));
		}
		return all.stream().mapToInt(Integer::intValue).toArray();
	}

	@Test
	void greyAnd16BitStacksOddSizeCalibratedWithRoi() throws Exception {
		ImagePlus grey = rgbStack("grey clip é.avi", clip);
		new ij.process.StackConverter(grey).convertToGray8();
		grey.getCalibration().fps = 12.5;
		grey.getCalibration().pixelWidth = 0.5;
		grey.getCalibration().setUnit("mm");
		grey.setRoi(new Roi(2, 2, 5, 5));
		int[] before = pixels(grey);
		ImagePlus out = propagated(propagate(grey, keys(0, 2, 4)));
		assertEquals(5, out.getNFrames());
		assertEquals(20, out.getWidth());
		assertEquals(13, out.getHeight());
		assertEquals(ImagePlus.COLOR_RGB, out.getType());
		assertEquals("grey clip é propagated", out.getTitle());
		assertEquals(12.5, out.getCalibration().fps);
		assertEquals(0.5, out.getCalibration().pixelWidth);
		assertEquals("mm", out.getCalibration().getUnit());
		assertArrayEquals(before, pixels(grey), "input pixels untouched");
		assertEquals(5, grey.getRoi().getBounds().width, "input selection untouched");
		assertNotSame(grey, out);

		ImagePlus sixteen = rgbStack("16", clip);
		new ij.process.StackConverter(sixteen).convertToGray8();
		new ij.process.StackConverter(sixteen).convertToGray16();
		out = propagated(propagate(sixteen, keys(0, 2, 4)));
		assertEquals(5, out.getStackSize());
	}

	@Test
	void compositeAndHyperstacksUseTheTimeAxis() throws Exception {
		ImageStack s = new ImageStack(20, 13);
		for (Rgb8Image f : clip) {
			ColorProcessor cp = ImageConversions.toProcessor(f);
			s.addSlice(cp.getChannel(1, null));
			s.addSlice(cp.getChannel(2, null));
		}
		ImagePlus two = new ImagePlus("two channels", s);
		two.setDimensions(2, 1, 5);
		CompositeImage comp = new CompositeImage(two, CompositeImage.COMPOSITE);
		comp.setChannelLut(LUT.createLutFromColor(java.awt.Color.RED), 1);
		comp.setChannelLut(LUT.createLutFromColor(java.awt.Color.GREEN), 2);
		ImagePlus out = propagated(propagate(comp, keys(0, 2, 4)));
		assertEquals(5, out.getStackSize(), "2 channels x 5 frames = 5 output frames");

		ImagePlus zt = rgbStack("z and t", clip.subList(0, 4));
		zt.setDimensions(1, 2, 2);
		CommandModule m = propagate(zt, keys(0, 1), "key_interval", 1);
		assertTrue(m.isCanceled());
		assertTrue(m.getCancelReason().contains("2 Z slices and 2 time frames"), m.getCancelReason());

		ImagePlus t = rgbStack("frames", clip);
		t.setDimensions(1, 1, 5);
		assertEquals(5, propagated(propagate(t, keys(0, 2, 4))).getNFrames());
	}

	@Test
	void clearErrorsForSingleImagesBadKeysAndSizes() throws Exception {
		CommandModule m = propagate(rgbStack("one", clip.subList(0, 1)), keys(0));
		assertTrue(m.isCanceled());
		assertTrue(m.getCancelReason().contains("at least 2 frames"), m.getCancelReason());

		m = propagate(rgbStack("clip", clip), keys(0, 2, 4), "key_frames", "1,3,9");
		assertTrue(m.isCanceled());
		assertTrue(m.getCancelReason().contains("1..5"), m.getCancelReason());

		m = propagate(rgbStack("clip", clip), keys(1, 4), "key_frames", "2,5");
		assertTrue(m.isCanceled());
		assertTrue(m.getCancelReason().contains("frame 1"), m.getCancelReason());

		m = propagate(rgbStack("clip", clip), keys(0, 2, 4), "output_file", new java.io.File(System.getProperty("java.io.tmpdir"), "never.mp4"));
		assertTrue(m.isCanceled(), "20x13 cannot be H.264: said before propagating");
		assertTrue(m.getCancelReason().contains("at least 16x16"), m.getCancelReason());

		ImagePlus big = new ImagePlus("big keys", new ColorProcessor(40, 26));
		ImageStack bs = big.getStack();
		bs.addSlice(new ColorProcessor(40, 26));
		bs.addSlice(new ColorProcessor(40, 26));
		m = propagate(rgbStack("clip", clip), new ImagePlus("big keys", bs));
		assertTrue(m.isCanceled());
		assertTrue(m.getCancelReason().contains("40x26") && m.getCancelReason().contains("20x13"), m.getCancelReason());
		assertTrue(m.getCancelReason().contains("frame 1 counting from 1"), "Fiji's 1-based slice numbers: " + m.getCancelReason());
	}

	@Test
	void flowOfACompositeCountsTimePoints() throws Exception {
		ImageStack s = new ImageStack(20, 13);
		for (Rgb8Image f : clip.subList(0, 3)) {
			ColorProcessor cp = ImageConversions.toProcessor(f);
			s.addSlice(cp.getChannel(1, null));
			s.addSlice(cp.getChannel(2, null));
		}
		ImagePlus two = new ImagePlus("two channels.tif", s);
		two.setDimensions(2, 1, 3);
		two.getCalibration().fps = 5;
		CommandModule m = commands.run(ComputeOpticalFlowCommand.class, true, Map.of("image", new CompositeImage(two, CompositeImage.COMPOSITE),
			"method", "dis", "direction", "forward")).get();
		assertFalse(m.isCanceled(), m.getCancelReason());
		ImagePlus ff = (ImagePlus) m.getOutput("forward_flow");
		assertEquals(2, ff.getNFrames(), "3 time points = 2 pairs");
		assertEquals("two channels forward flow", ff.getTitle());
		assertEquals(5, ff.getCalibration().fps);

		m = commands.run(ComputeOpticalFlowCommand.class, true, Map.of("image", rgbStack("single", clip.subList(0, 1)), "method", "dis")).get();
		assertTrue(m.isCanceled(), "a single image: a clear cancel, no exception");
		assertTrue(m.getCancelReason().contains("at least 2 frames"), m.getCancelReason());
	}

	@Test
	void aGivenFolderWinsOverTheOpenImage(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
		for (int i = 0; i < clip.size(); i++) org.rerender.propagate.FolderFrames.write(clip.get(i), dir.resolve(String.format("f%02d.png", i)));
		ImagePlus current = rgbStack("the current image", clip.subList(0, 1)); // what a dialog or Fiji fills in
		ImagePlus out = propagated(propagate(current, keys(0, 2, 4), "input_file", dir.toFile()));
		assertEquals(5, out.getStackSize());
		assertEquals("Propagated", out.getTitle());
	}

	@Test
	void frameRatesAreNotRemembered() {
		// a remembered fps (SciJava persists inputs) would silently override the next stack's own frame rate
		for (Class<?> c : List.of(PropagateCommand.class, SaveVideoCommand.class))
			assertFalse(new org.scijava.command.CommandInfo(c.getName()).getInput("fps").isPersisted(), c.getSimpleName());
	}
}
