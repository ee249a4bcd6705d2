package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.ImageStack;
import ij.VirtualStack;
import ij.gui.Roi;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.LUT;
import ij.process.ShortProcessor;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

/** {@link ImageFrames}: every kind of open image as video frames (time axis, colour), and the outputs' metadata. */
class ImageFramesTest {

	static int rgb(Rgb8Image img, int x, int y) {
		int j = 3 * (y * img.width() + x);
		return (img.data()[j] & 0xff) << 16 | (img.data()[j + 1] & 0xff) << 8 | img.data()[j + 2] & 0xff;
	}

	static ImageStack stack(int w, int h, int n, java.util.function.IntFunction<ImageProcessor> slice) {
		ImageStack s = new ImageStack(w, h);
		for (int i = 0; i < n; i++) s.addSlice(slice.apply(i));
		return s;
	}

	@Test
	void sixteenBitUsesTheImageDisplayRangeForEveryFrame() {
		// frame 1 spans 0..1000, frame 2 only 0..500: per-slice autoscaling would make frame 2's 500 white
		ImageStack s = stack(4, 1, 2, i -> new ShortProcessor(4, 1, new short[] { 0, 250, 500, (short) (i == 0 ? 1000 : 0) }, null));
		ImagePlus imp = new ImagePlus("16-bit", s);
		imp.setDisplayRange(0, 1000);
		List<Rgb8Image> f = ImageFrames.frames(imp);
		assertEquals(2, f.size());
		assertEquals(rgb(f.get(0), 2, 0), rgb(f.get(1), 2, 0), "the same value is the same grey in every frame");
		int grey = rgb(f.get(1), 2, 0) & 0xff;
		assertTrue(grey > 120 && grey < 135, "500 of 0..1000 is mid grey, got " + grey);
		assertEquals(0xffffff, rgb(f.get(0), 3, 0));
		assertEquals(1000.0, imp.getDisplayRangeMax(), "input untouched");
	}

	@Test
	void floatAndEightBitWithLutAndRange() {
		ImagePlus fl = new ImagePlus("32-bit", stack(3, 1, 2, i -> new FloatProcessor(3, 1, new float[] { -1f, 0f, 1f })));
		fl.setDisplayRange(-1, 1);
		Rgb8Image f = ImageFrames.frames(fl).get(1);
		assertEquals(0, rgb(f, 0, 0));
		assertEquals(0xffffff, rgb(f, 2, 0));

		ImagePlus b = new ImagePlus("8-bit red LUT", stack(2, 1, 3, i -> new ByteProcessor(2, 1, new byte[] { 0, (byte) 255 })));
		b.setLut(LUT.createLutFromColor(java.awt.Color.RED));
		Rgb8Image r = ImageFrames.frames(b).get(2);
		assertEquals(0xff0000, rgb(r, 1, 0), "the LUT is applied to every slice");
		b.setDisplayRange(0, 127);
		assertEquals(0xff0000, rgb(ImageFrames.frames(b).get(0), 1, 0));
		ImagePlus mid = new ImagePlus("8-bit range", new ByteProcessor(2, 1, new byte[] { 64, (byte) 200 }));
		mid.setDisplayRange(0, 127);
		int g = rgb(ImageFrames.frames(mid).get(0), 0, 0) & 0xff;
		assertTrue(g > 120 && g < 136, "64 of 0..127 is mid grey (the range applied once), got " + g);
		assertEquals(0xffffff, rgb(ImageFrames.frames(mid).get(0), 1, 0));
		ImagePlus inv = new ImagePlus("inverted", new ByteProcessor(2, 1, new byte[] { 0, (byte) 255 }));
		inv.getProcessor().invertLut();
		assertEquals(0xffffff, rgb(ImageFrames.frames(inv).get(0), 0, 0), "inverting LUT: 0 shows white");
	}

	@Test
	void timeAxisOfStacksAndHyperstacks() {
		ImagePlus slices = new ImagePlus("avi", stack(5, 3, 4, i -> new ColorProcessor(5, 3)));
		assertEquals(4, ImageFrames.frames(slices).size(), "a plain stack (slices) is a time series");

		ImageStack s = stack(5, 3, 6, i -> {
			ColorProcessor cp = new ColorProcessor(5, 3);
			cp.set(0, 0, i);
			return cp;
		});
		ImagePlus t = new ImagePlus("t", s);
		t.setDimensions(1, 1, 6);
		List<Rgb8Image> f = ImageFrames.frames(t);
		assertEquals(6, f.size());
		assertEquals(5, rgb(f.get(5), 0, 0) & 0xff);

		ImagePlus zt = new ImagePlus("z and t", stack(5, 3, 6, i -> new ColorProcessor(5, 3)));
		zt.setDimensions(1, 2, 3);
		RerenderException e = assertThrows(RerenderException.class, () -> ImageFrames.frames(zt));
		assertTrue(e.getMessage().contains("2 Z slices and 3 time frames") && e.getMessage().contains("Reduce"), e.getMessage());

		assertEquals(1, ImageFrames.frames(new ImagePlus("one", new ByteProcessor(20, 13))).size());
	}

	@Test
	void compositeMergesChannelsPerTimePoint() {
		// 2 channels x 3 frames, both shown 0..200: channel 1 red (100 on pixel 0), channel 2 green (100 on pixel 1)
		ImageStack s = new ImageStack(2, 1);
		for (int t = 0; t < 3; t++) {
			s.addSlice(new ByteProcessor(2, 1, new byte[] { 100, 0 }));
			s.addSlice(new ByteProcessor(2, 1, new byte[] { (byte) (t == 2 ? 200 : 0), 100 }));
		}
		ImagePlus imp = new ImagePlus("composite", s);
		imp.setDimensions(2, 1, 3);
		CompositeImage ci = new CompositeImage(imp, CompositeImage.COMPOSITE);
		for (int c = 1; c <= 2; c++) {
			ci.setPosition(c, 1, 1);
			ci.setDisplayRange(0, 200);
		}
		// a LUT set afterwards carries no range (0..0): the channel keeps its 0..200, as ImageJ shows it
		ci.setChannelLut(LUT.createLutFromColor(java.awt.Color.RED), 1);
		ci.setChannelLut(LUT.createLutFromColor(java.awt.Color.GREEN), 2);
		List<Rgb8Image> f = ImageFrames.frames(ci);
		assertEquals(3, f.size(), "channels are not frames");
		int red = rgb(f.get(0), 0, 0), green = rgb(f.get(0), 1, 0);
		assertEquals(0, red & 0xffff);
		assertTrue(Math.abs((red >> 16) - 128) <= 2, "100 of 0..200 is mid red, not saturated: " + Integer.toHexString(red));
		assertEquals(0, green & 0xff00ff);
		assertTrue(Math.abs((green >> 8) - 128) <= 2, "100 of 0..200 is mid green: " + Integer.toHexString(green));
		assertEquals(0xffff00 & (red | 0x00ff00), rgb(f.get(2), 0, 0), "red + green (200 of 0..200 is full green)");

		ci.setMode(CompositeImage.COLOR);
		ci.setPosition(2, 1, 1);
		assertEquals(green, rgb(ImageFrames.frames(ci).get(0), 1, 0), "colour mode: the current channel, same range");
		assertEquals(0, rgb(ImageFrames.frames(ci).get(0), 0, 0));
		ci.setMode(CompositeImage.GRAYSCALE);
		int grey = rgb(ImageFrames.frames(ci).get(0), 1, 0);
		assertEquals(grey >> 8 & 0xff, grey & 0xff);
		assertTrue(Math.abs((grey & 0xff) - 128) <= 2, "greyscale mode: the channel's range too: " + Integer.toHexString(grey));
	}

	@Test
	void greyscaleModeShowsTheCurrentChannelInGrey() {
		// 2 channels x 2 frames, channel 1 red LUT with range 0..255: ImageJ's greyscale mode shows 200 as c8c8c8, not red
		ImageStack s = stack(2, 1, 4, i -> new ByteProcessor(2, 1, new byte[] { (byte) 200, (byte) (i % 2 == 0 ? 0 : 255) }));
		ImagePlus imp = new ImagePlus("greyscale", s);
		imp.setDimensions(2, 1, 2);
		CompositeImage ci = new CompositeImage(imp, CompositeImage.GRAYSCALE);
		LUT red = LUT.createLutFromColor(java.awt.Color.RED);
		red.min = 0;
		red.max = 255;
		ci.setChannelLut(red, 1);
		ci.setMode(CompositeImage.GRAYSCALE);
		ci.setPosition(1, 1, 1);
		List<Rgb8Image> f = ImageFrames.frames(ci);
		assertEquals(2, f.size());
		assertEquals(0xc8c8c8, rgb(f.get(1), 0, 0), "greyscale mode: grey, through the channel's display range");
		assertEquals(0, rgb(f.get(1), 1, 0), "channel 1 only");
		ci.setMode(CompositeImage.COLOR);
		assertEquals(0xc80000, rgb(ImageFrames.frames(ci).get(1), 0, 0), "colour mode: the channel's LUT");
	}

	@Test
	void virtualStackRoiAndInputUnchanged() {
		VirtualStack vs = new VirtualStack(7, 5, null, null) {
			@Override
			public ImageProcessor getProcessor(int n) {
				ShortProcessor sp = new ShortProcessor(7, 5);
				sp.set(0, 0, 100 * n);
				return sp;
			}

			@Override
			public int getSize() {
				return 3;
			}
		};
		ImagePlus imp = new ImagePlus("virtual", vs);
		imp.setDisplayRange(0, 300);
		imp.setRoi(new Roi(1, 1, 2, 2));
		List<Rgb8Image> f = ImageFrames.frames(imp);
		assertEquals(3, f.size());
		assertEquals(7, f.get(0).width(), "the selection is ignored: whole frames");
		assertEquals(0xffffff, rgb(f.get(2), 0, 0));
		assertNotEquals(rgb(f.get(0), 0, 0), rgb(f.get(1), 0, 0));
		assertTrue(imp.getRoi() != null && imp.getRoi().getBounds().width == 2, "ROI kept");
	}

	/** The conversion as it was done before (a duplicate of each slice carries the display settings): the reference. */
	static int[] displayedByCopy(ImageProcessor slice, LUT lut, double min, double max) {
		ImageProcessor ip = slice.duplicate();
		ip.setLut(lut);
		ip.setMinAndMax(min, max);
		return (int[]) ip.convertToRGB().getPixels();
	}

	static void assertFramesMatchCopies(ImagePlus imp, LUT lut, double min, double max) {
		List<Rgb8Image> f = ImageFrames.frames(imp);
		assertEquals(imp.getStackSize(), f.size());
		for (int i = 0; i < f.size(); i++) {
			int[] want = displayedByCopy(imp.getStack().getProcessor(i + 1), lut, min, max);
			Rgb8Image got = f.get(i);
			for (int p = 0; p < want.length; p++)
				assertEquals(want[p] & 0xffffff, rgb(got, p % got.width(), p / got.width()), imp.getTitle() + " frame " + i + " pixel " + p);
		}
	}

	@Test
	void greyStacksGiveTheSamePixelsAsACopyWouldWithoutCopyingSlices() {
		java.util.Random rnd = new java.util.Random(7);
		int w = 9, h = 4;
		ImagePlus b8 = new ImagePlus("8-bit", stack(w, h, 3, i -> {
			byte[] px = new byte[w * h];
			rnd.nextBytes(px);
			return new ByteProcessor(w, h, px);
		}));
		b8.setLut(LUT.createLutFromColor(java.awt.Color.CYAN));
		b8.setDisplayRange(30, 200);
		assertFramesMatchCopies(b8, b8.getProcessor().getLut(), 30, 200);

		ImagePlus s16 = new ImagePlus("16-bit", stack(w, h, 3, i -> {
			short[] px = new short[w * h];
			for (int p = 0; p < px.length; p++) px[p] = (short) rnd.nextInt(65536);
			return new ShortProcessor(w, h, px, null);
		}));
		s16.setDisplayRange(1000, 50000);
		assertFramesMatchCopies(s16, s16.getProcessor().getLut(), 1000, 50000);

		ImagePlus f32 = new ImagePlus("32-bit", stack(w, h, 3, i -> {
			float[] px = new float[w * h];
			for (int p = 0; p < px.length; p++) px[p] = (float) rnd.nextGaussian() * 3;
			return new FloatProcessor(w, h, px);
		}));
		f32.setDisplayRange(-2.5, 4);
		assertFramesMatchCopies(f32, f32.getProcessor().getLut(), -2.5, 4);

		ImagePlus hyper = new ImagePlus("hyperstack", s16.getStack());
		hyper.setDimensions(1, 1, 3);
		hyper.setOpenAsHyperStack(true);
		hyper.setDisplayRange(0, 30000);
		assertFramesMatchCopies(hyper, hyper.getProcessor().getLut(), 0, 30000);

		int[] rgbPx = new int[w * h];
		for (int p = 0; p < rgbPx.length; p++) rgbPx[p] = rnd.nextInt() & 0xffffff;
		ImagePlus colour = new ImagePlus("RGB", new ColorProcessor(w, h, rgbPx));
		Rgb8Image c = ImageFrames.frames(colour).get(0);
		for (int p = 0; p < rgbPx.length; p++) assertEquals(rgbPx[p], rgb(c, p % w, p / w), "RGB pixel " + p);

		// a virtual stack whose slices refuse to be copied, and which hands out the processor it keeps
		ShortProcessor kept = new ShortProcessor(w, h, ((short[]) s16.getStack().getPixels(2)).clone(), null) {
			@Override
			public ImageProcessor duplicate() {
				throw new AssertionError("a slice was copied");
			}
		};
		kept.setMinAndMax(5, 6);
		VirtualStack vs = new VirtualStack(w, h, null, null) {
			@Override
			public ImageProcessor getProcessor(int n) {
				return n == 2 ? kept : new ShortProcessor(w, h); // slice 1 becomes the image's own processor
			}

			@Override
			public int getSize() {
				return 2;
			}
		};
		ImagePlus virtual = new ImagePlus("virtual", vs);
		virtual.setDisplayRange(1000, 50000);
		List<Rgb8Image> v = ImageFrames.frames(virtual);
		int[] want = displayedByCopy(s16.getStack().getProcessor(2), virtual.getProcessor().getLut(), 1000, 50000);
		for (int p = 0; p < want.length; p++) assertEquals(want[p] & 0xffffff, rgb(v.get(1), p % w, p / w), "virtual pixel " + p);
		assertEquals(5, kept.getMin(), "the kept processor's display range is not changed");
		assertEquals(6, kept.getMax());
	}

	@Test
	void fpsFromCalibrationAndOutputMetadata() {
		ImagePlus in = new ImagePlus("clip é 1.avi", stack(20, 13, 2, i -> new ColorProcessor(20, 13)));
		assertEquals(30, ImageFrames.fps(in, 30));
		Calibration cal = in.getCalibration();
		cal.frameInterval = 40;
		cal.setTimeUnit("ms");
		assertEquals(25, ImageFrames.fps(in, 30), 1e-9);
		cal.frameInterval = 0.5;
		cal.setTimeUnit("sec");
		assertEquals(2, ImageFrames.fps(in, 30), 1e-9);
		cal.frameInterval = 0.5;
		cal.setTimeUnit("ms");
		assertEquals(30, ImageFrames.fps(in, 30), "2000 fps (interval under 1 ms) cannot be written as a video: the fallback");
		cal.setTimeUnit("fortnight");
		assertEquals(30, ImageFrames.fps(in, 30), "unknown unit: the fallback");
		cal.fps = 5000;
		assertEquals(30, ImageFrames.fps(in, 30), "calibration fps above 1000: the fallback");
		assertEquals(0, ImageFrames.outputFps(0, in, 0));
		assertEquals(0, ImageFrames.outputFps(0, in, 25), "a stack's rate (none here) wins over a file's");
		assertEquals(25, ImageFrames.outputFps(0, null, 25), "the file's rate as the command read it");
		assertEquals(0, ImageFrames.outputFps(0, null, 5000), "a file rate a video cannot have: none known");
		assertEquals(12, ImageFrames.outputFps(12, null, 25), "the given rate wins");
		RerenderException e = assertThrows(RerenderException.class, () -> ImageFrames.outputFps(2000, in, 0));
		assertTrue(e.getMessage().contains("at most 1000"), e.getMessage());
		cal.fps = 12;
		cal.pixelWidth = 0.5;
		cal.pixelHeight = 0.25;
		cal.setUnit("um");
		assertEquals("clip é 1", ImageFrames.baseTitle(in));

		List<Rgb8Image> frames = ImageFrames.frames(in);
		ImagePlus out = ImageFrames.output("clip é 1 propagated", frames, in);
		assertEquals("clip é 1 propagated", out.getTitle());
		assertEquals(2, out.getNFrames());
		assertEquals(12, out.getCalibration().fps);
		assertEquals(1 / 12.0, out.getCalibration().frameInterval, 1e-12);
		assertEquals(0.25, out.getCalibration().pixelHeight);
		assertEquals("µm", out.getCalibration().getUnit());
		assertArrayEquals(frames.get(0).data(), ImageConversions.toRgb8(out.getStack().getProcessor(1)).data());

		ImagePlus other = ImageFrames.output("small", List.of(new Rgb8Image(4, 4, new byte[48])), in);
		assertEquals(1.0, other.getCalibration().pixelWidth, "another size: no spatial calibration");
		assertEquals(12, other.getCalibration().fps);
	}

	@Test
	void uniqueTitlesToleratesOnlyAMissingImageJ() {
		assertEquals("a-2", ImageFrames.uniqueTitle("a", t -> t.equals("a") || t.equals("a-1")));
		assertEquals("a", ImageFrames.uniqueTitle("a", t -> { throw new NoClassDefFoundError("ij/WindowManager"); }));
		IllegalStateException e = assertThrows(IllegalStateException.class,
			() -> ImageFrames.uniqueTitle("a", t -> { throw new IllegalStateException("a real error"); }), "real errors are not hidden");
		assertEquals("a real error", e.getMessage());
	}

	@Test
	void inputFramesAreLosslessAndRewrittenOnlyForOtherFrames(@org.junit.jupiter.api.io.TempDir java.nio.file.Path work) throws Exception {
		ImagePlus a = new ImagePlus("a", stack(21, 13, 3, i -> {
			ColorProcessor cp = new ColorProcessor(21, 13);
			for (int y = 0; y < 13; y++)
				for (int x = 0; x < 21; x++) cp.set(x, y, (x * 37 + y * 101 + i * 53) * 0x010305 & 0xffffff); // detail H.264 would smear
			return cp;
		}));
		java.nio.file.Path dir = ImageFrames.writeFrames(a, work, org.rerender.engine.Cancel.NEVER);
		assertEquals(work.resolve("input_frames"), dir);
		org.rerender.video.ImageSequence seq = org.rerender.video.ImageSequence.open(dir, 12);
		assertEquals(3, seq.size());
		assertEquals(21, seq.width(), "no padding");
		assertEquals(13, seq.height());
		for (int i = 0; i < 3; i++)
			assertArrayEquals(ImageFrames.frames(a).get(i).data(), seq.read(i).data(), "frame " + i + " bit-exact");
		java.nio.file.Path f0 = org.rerender.video.StampedFrames.frame(dir, 0);
		java.nio.file.attribute.FileTime t = java.nio.file.Files.getLastModifiedTime(f0);
		java.nio.file.Files.setLastModifiedTime(f0, java.nio.file.attribute.FileTime.fromMillis(t.toMillis() - 60_000));
		t = java.nio.file.Files.getLastModifiedTime(f0);
		String hash = seq.sha256();
		ImageFrames.writeFrames(a, work, org.rerender.engine.Cancel.NEVER);
		assertEquals(t, java.nio.file.Files.getLastModifiedTime(f0), "same frames: kept (resume)");
		assertEquals(hash, org.rerender.video.ImageSequence.open(dir, 12).sha256(), "the work folder's input hash is unchanged");

		ImagePlus b = new ImagePlus("b", stack(21, 13, 2, i -> new ColorProcessor(21, 13)));
		ImageFrames.writeFrames(b, work, org.rerender.engine.Cancel.NEVER);
		org.rerender.video.ImageSequence other = org.rerender.video.ImageSequence.open(dir, 12);
		assertEquals(2, other.size(), "another stack in the same work folder: rewritten, not stale");
		assertArrayEquals(new byte[21 * 13 * 3], other.read(1).data());
	}
}
