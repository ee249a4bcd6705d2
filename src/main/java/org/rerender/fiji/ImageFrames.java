package org.rerender.fiji;

import java.util.AbstractList;
import java.util.List;
import java.util.Locale;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.ImageStack;
import ij.WindowManager;
import ij.measure.Calibration;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import ij.process.LUT;

import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

/**
 * How the commands read any open image as video frames, and how they publish their frames back.
 * <ul>
 * <li>Time axis: the hyperstack's frames (T) when it has more than one, else its slices (Z): a movie opened from AVI
 * or an image sequence is a plain stack of slices. An image with both Z &gt; 1 and T &gt; 1 is refused (which axis
 * is time is then ambiguous). A single image is one frame.</li>
 * <li>Colour: each frame as it is displayed. RGB as is; 8-, 16- and 32-bit through the image's display range
 * (Image &gt; Adjust &gt; Brightness/Contrast) and LUT, the same range for every frame (not per-frame autoscaling, which
 * would flicker); a composite image in composite mode merges its active channels (each through its own LUT and
 * range, as Image &gt; Type &gt; RGB Color does); a multi-channel image in another mode gives its current channel.</li>
 * <li>The selection (ROI) is ignored: the whole frame is used. Virtual stacks are read one frame at a time.</li>
 * <li>Nothing of the input is modified.</li>
 * </ul>
 */
public final class ImageFrames {
	private ImageFrames() {}

	/** The number of frames on the time axis (see the class comment). */
	public static int count(ImagePlus imp) {
		int z = imp.getNSlices(), t = imp.getNFrames();
		if (z > 1 && t > 1)
			throw new RerenderException("\"" + imp.getTitle() + "\" has " + z + " Z slices and " + t + " time frames; the video commands need "
				+ "one time axis. Keep one slice (Image > Stacks > Tools > Reduce Dimensionality…, keep frames) or make the stack "
				+ "a plain time series (Image > Hyperstacks > Re-order Hyperstack…).");
		return t > 1 ? t : z;
	}

	/** The frames as RGB, converted lazily one at a time (no copy of the stack; virtual stacks read on demand). */
	public static List<Rgb8Image> frames(ImagePlus imp) {
		if (imp.getStackSize() == 0 || imp.getWidth() == 0) throw new RerenderException("\"" + imp.getTitle() + "\" has no pixels.");
		int n = count(imp);
		boolean timeIsT = imp.getNFrames() > 1;
		return new AbstractList<>() {
			@Override
			public Rgb8Image get(int i) {
				if (i < 0 || i >= n) throw new IndexOutOfBoundsException(i);
				return frame(imp, timeIsT ? 1 : i + 1, timeIsT ? i + 1 : 1);
			}

			@Override
			public int size() {
				return n;
			}
		};
	}

	/** The frame shown at the image's current time point (for commands that take one image). */
	public static Rgb8Image current(ImagePlus imp) {
		return frame(imp, imp.getSlice(), imp.getFrame());
	}

	/** One displayed frame: slice z, frame t (1-based), all channels as shown. */
	static Rgb8Image frame(ImagePlus imp, int z, int t) {
		ImageStack stack = imp.getStack();
		int c = imp.getNChannels();
		if (imp.getType() == ImagePlus.COLOR_RGB) return ImageConversions.toRgb8(stack.getProcessor(imp.getStackIndex(1, z, t)));
		if (c > 1 && imp instanceof CompositeImage ci && ci.getMode() == CompositeImage.COMPOSITE) {
			boolean[] active = ci.getActiveChannels();
			int[] sum = null;
			for (int ch = 1; ch <= c; ch++) {
				if (active != null && ch - 1 < active.length && !active[ch - 1]) continue;
				LUT lut = ci.getChannelLut(ch);
				int[] px = rgb(stack.getProcessor(imp.getStackIndex(ch, z, t)), lut, lut.min, lut.max);
				if (sum == null) sum = px;
				else for (int i = 0; i < px.length; i++) sum[i] = addClamped(sum[i], px[i]);
			}
			if (sum == null) sum = new int[imp.getWidth() * imp.getHeight()]; // no active channel: black, as displayed
			return ImageConversions.toRgb8(new ColorProcessor(imp.getWidth(), imp.getHeight(), sum));
		}
		int ch = c > 1 ? imp.getChannel() : 1;
		LUT lut;
		double min, max;
		if (imp instanceof CompositeImage ci && c > 1) {
			lut = ci.getChannelLut(ch);
			min = lut.min;
			max = lut.max;
		}
		else {
			lut = imp.getProcessor().getLut();
			min = imp.getDisplayRangeMin();
			max = imp.getDisplayRangeMax();
		}
		int[] px = rgb(stack.getProcessor(imp.getStackIndex(ch, z, t)), lut, min, max);
		return ImageConversions.toRgb8(new ColorProcessor(imp.getWidth(), imp.getHeight(), px));
	}

	/** A grey slice through a LUT and display range, as ImageJ draws it; the input's pixels are not changed. */
	private static int[] rgb(ImageProcessor slice, LUT lut, double min, double max) {
		ImageProcessor ip = slice.duplicate(); // the display settings go on a copy: the input keeps its own
		ip.setLut(lut);
		ip.setMinAndMax(min, max);
		return (int[]) ip.convertToRGB().getPixels();
	}

	private static int addClamped(int a, int b) {
		int r = Math.min(255, (a >> 16 & 0xff) + (b >> 16 & 0xff));
		int g = Math.min(255, (a >> 8 & 0xff) + (b >> 8 & 0xff));
		int bl = Math.min(255, (a & 0xff) + (b & 0xff));
		return 0xff000000 | r << 16 | g << 8 | bl;
	}

	/**
	 * The image's frame rate: the calibration's fps, else 1 / frame interval (in s, sec, ms, min), else
	 * {@code fallback}.
	 */
	public static double fps(ImagePlus imp, double fallback) {
		Calibration cal = imp.getCalibration();
		if (cal.fps > 0 && Double.isFinite(cal.fps)) return cal.fps;
		double fi = cal.frameInterval;
		if (fi > 0 && Double.isFinite(fi)) {
			String u = cal.getTimeUnit() == null ? "" : cal.getTimeUnit().trim().toLowerCase(Locale.ROOT);
			switch (u) {
				case "s", "sec", "second", "seconds", "" -> { return 1 / fi; }
				case "ms", "msec", "millisecond", "milliseconds" -> { return 1000 / fi; }
				case "min", "minute", "minutes" -> { return 1 / (60 * fi); }
				default -> { }
			}
		}
		return fallback;
	}

	/** The title without a short file extension: "clip 1.mp4" → "clip 1". */
	public static String baseTitle(ImagePlus imp) {
		String t = imp.getTitle() == null ? "" : imp.getTitle();
		return t.replaceFirst("\\.[A-Za-z0-9]{1,5}$", "");
	}

	/**
	 * A new time series of the frames, titled {@code title} (made unique among open images, ImageJ's "-1" suffix).
	 * When {@code like} is given and has the frames' size, its spatial calibration is copied; its frame rate (when it
	 * has one) is kept in any case.
	 */
	public static ImagePlus output(String title, List<Rgb8Image> frames, ImagePlus like) {
		ImagePlus out = ImageConversions.toImagePlus(uniqueTitle(title), frames);
		if (like == null) return out;
		Calibration cal = like.getCalibration();
		Calibration oc = out.getCalibration();
		if (like.getWidth() == out.getWidth() && like.getHeight() == out.getHeight()) {
			oc.pixelWidth = cal.pixelWidth;
			oc.pixelHeight = cal.pixelHeight;
			oc.pixelDepth = cal.pixelDepth;
			oc.setXUnit(cal.getXUnit());
			oc.setYUnit(cal.getYUnit());
			oc.xOrigin = cal.xOrigin;
			oc.yOrigin = cal.yOrigin;
		}
		double f = fps(like, 0);
		if (f > 0) setFps(out, f);
		return out;
	}

	/** Sets the frame rate in the calibration (fps and frame interval in seconds). */
	public static void setFps(ImagePlus imp, double fps) {
		Calibration cal = imp.getCalibration();
		cal.fps = fps;
		cal.frameInterval = 1 / fps;
		cal.setTimeUnit("s");
	}

	/** {@code title}, or ImageJ's "title-1", "title-2", … when an image of that title is open (batch mode included). */
	public static String uniqueTitle(String title) {
		try {
			return WindowManager.getImage(title) == null ? title : WindowManager.makeUniqueName(title);
		}
		catch (RuntimeException | LinkageError e) { // no ImageJ 1.x instance (plain SciJava context): any title is free
			return title;
		}
	}
}
