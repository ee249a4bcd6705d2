package org.rerender.fiji;

import java.awt.Color;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

import ij.CompositeImage;
import ij.ImagePlus;
import ij.ImageStack;
import ij.WindowManager;
import ij.measure.Calibration;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.LUT;
import ij.process.ShortProcessor;

import org.rerender.engine.Cancel;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;
import org.rerender.video.StampedFrames;
import org.rerender.video.VideoWriter;

/**
 * How the commands read any open image as video frames, and how they publish their frames back.
 * <ul>
 * <li>Time axis: the hyperstack's frames (T) when it has more than one, else its slices (Z): a movie opened from AVI
 * or an image sequence is a plain stack of slices. An image with both Z &gt; 1 and T &gt; 1 is refused (which axis
 * is time is then ambiguous). A single image is one frame.</li>
 * <li>Colour: each frame as it is displayed. RGB as is; 8-, 16- and 32-bit through the image's display range
 * (Image &gt; Adjust &gt; Brightness/Contrast) and LUT, the same range for every frame (not per-frame autoscaling, which
 * would flicker); a composite image in composite mode merges its active channels (each through its own LUT and
 * range, as Image &gt; Type &gt; RGB Color does); a multi-channel image in another mode gives its current channel (in
 * greyscale mode in grey, in colour mode through its LUT).</li>
 * <li>The selection (ROI) is ignored: the whole frame is used. Virtual stacks are read one frame at a time.</li>
 * <li>Nothing of the input is modified.</li>
 * </ul>
 */
public final class ImageFrames {
	private ImageFrames() {}

	/** The frame rate of a video written from frames with no known rate (Save Video, Propagate, Rerender's input). */
	public static final int DEFAULT_FPS = 30;

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
		int[] czt = imp.convertIndexToPosition(imp.getCurrentSlice());
		return frame(imp, czt[1], czt[2]);
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
				double[] range = channelRange(ci, ch, lut);
				int[] px = rgb(stack.getProcessor(imp.getStackIndex(ch, z, t)), lut, range[0], range[1]);
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
			LUT channel = ci.getChannelLut(ch);
			// greyscale mode draws the channel in grey (with the channel's own display range), colour mode in its LUT
			lut = ci.getMode() == CompositeImage.GRAYSCALE ? LUT.createLutFromColor(Color.WHITE) : channel;
			double[] range = channelRange(ci, ch, channel);
			min = range[0];
			max = range[1];
		}
		else {
			lut = imp.getProcessor().getLut();
			min = imp.getDisplayRangeMin();
			max = imp.getDisplayRangeMax();
		}
		int[] px = rgb(stack.getProcessor(imp.getStackIndex(ch, z, t)), lut, min, max);
		return ImageConversions.toRgb8(new ColorProcessor(imp.getWidth(), imp.getHeight(), px));
	}

	/**
	 * A channel's display range: its LUT's, or, for a LUT that carries no range (min == max, e.g. one set with
	 * {@code setChannelLut}), the channel processor's, as ImageJ does ({@code ImageProcessor.setLut} keeps the
	 * processor's range then). The same range for every frame.
	 */
	private static double[] channelRange(CompositeImage ci, int ch, LUT lut) {
		if (lut.min != lut.max) return new double[] { lut.min, lut.max };
		ImageProcessor ip = ci.getProcessor(ch); // the channel's display processor; null before the image was set up
		if (ip == null) ip = ci.getStack().getProcessor(ci.getStackIndex(ch, ci.getSlice(), ci.getFrame()));
		return new double[] { ip.getMin(), ip.getMax() };
	}

	/**
	 * A grey slice through a LUT and display range, as ImageJ draws it. The display settings go on a new processor
	 * that shares the slice's pixel array ({@link #view}): the input keeps its own settings and nothing is copied but
	 * the RGB result.
	 */
	private static int[] rgb(ImageProcessor slice, LUT lut, double min, double max) {
		ImageProcessor ip = view(slice);
		ip.setLut(lut);
		ip.setMinAndMax(min, max);
		return (int[]) ip.convertToRGB().getPixels();
	}

	/**
	 * A new 8-, 16- or 32-bit processor on the slice's own pixel array (not a copy), so display settings can be set on
	 * it without touching the slice (a virtual stack may hand out a processor it keeps). Other kinds are duplicated.
	 */
	static ImageProcessor view(ImageProcessor slice) {
		int w = slice.getWidth(), h = slice.getHeight();
		Object px = slice.getPixels();
		if (slice instanceof ByteProcessor && px instanceof byte[] b) return new ByteProcessor(w, h, b);
		if (slice instanceof ShortProcessor && px instanceof short[] s) return new ShortProcessor(w, h, s, null);
		if (slice instanceof FloatProcessor && px instanceof float[] f) return new FloatProcessor(w, h, f);
		return slice.duplicate();
	}

	private static int addClamped(int a, int b) {
		int r = Math.min(255, (a >> 16 & 0xff) + (b >> 16 & 0xff));
		int g = Math.min(255, (a >> 8 & 0xff) + (b >> 8 & 0xff));
		int bl = Math.min(255, (a & 0xff) + (b & 0xff));
		return 0xff000000 | r << 16 | g << 8 | bl;
	}

	/**
	 * The image's frame rate: the calibration's fps, else 1 / frame interval (in s, sec, ms, min), else {@code fallback}
	 * (also for another time unit, and for a rate a video cannot have: above {@link VideoWriter#MAX_FPS}, e.g. a frame
	 * interval under 1 ms).
	 */
	public static double fps(ImagePlus imp, double fallback) {
		Calibration cal = imp.getCalibration();
		if (VideoWriter.validFps(cal.fps)) return cal.fps;
		double fi = cal.frameInterval;
		if (fi > 0 && Double.isFinite(fi)) {
			String u = cal.getTimeUnit() == null ? "" : cal.getTimeUnit().trim().toLowerCase(Locale.ROOT);
			double f = switch (u) {
				case "s", "sec", "second", "seconds", "" -> 1 / fi;
				case "ms", "msec", "millisecond", "milliseconds" -> 1000 / fi;
				case "min", "minute", "minutes" -> 1 / (60 * fi);
				default -> 0;
			};
			if (VideoWriter.validFps(f)) return f;
		}
		return fallback;
	}

	/**
	 * An output's frame rate, known before any work: {@code given} when above 0 (refused above
	 * {@link VideoWriter#MAX_FPS}), else the stack's (when one is given), else {@code fileFps}, the input video file's
	 * as the command already read it (0 for none), else 0 (none known).
	 */
	public static double outputFps(double given, ImagePlus stack, double fileFps) {
		if (given > 0) {
			if (!VideoWriter.validFps(given)) throw new RerenderException("Frame rate " + given + " is too high: give at most " + (int) VideoWriter.MAX_FPS
				+ " fps, or 0 for the input's.");
			return given;
		}
		if (stack != null) return fps(stack, 0);
		return VideoWriter.validFps(fileFps) ? fileFps : 0;
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
		if (like != null) copyCalibration(like, out);
		return out;
	}

	/** {@code from}'s spatial calibration when the sizes agree, and its frame rate when it has one. */
	public static void copyCalibration(ImagePlus from, ImagePlus to) {
		Calibration cal = from.getCalibration();
		Calibration oc = to.getCalibration();
		if (from.getWidth() == to.getWidth() && from.getHeight() == to.getHeight()) {
			oc.pixelWidth = cal.pixelWidth;
			oc.pixelHeight = cal.pixelHeight;
			oc.pixelDepth = cal.pixelDepth;
			oc.setXUnit(cal.getXUnit());
			oc.setYUnit(cal.getYUnit());
			oc.xOrigin = cal.xOrigin;
			oc.yOrigin = cal.yOrigin;
		}
		double f = fps(from, 0);
		if (f > 0) setFps(to, f);
	}

	/**
	 * The image as the folder of lossless PNG frames {@code WORK/input_frames/} a Rerender job reads (an image sequence;
	 * its frame rate, {@link #fps}, goes to the job separately). Any size is fine (no padding). The files are rewritten
	 * only where they do not already hold exactly these frames ({@link StampedFrames}: SHA-256s kept beside the folder
	 * in {@code input_frames.sha256}); each slice is converted to RGB once for both the check and the file. Another
	 * image given with the same work folder never meets stale frames.
	 */
	public static Path writeFrames(ImagePlus imp, Path work, Cancel cancel) {
		return StampedFrames.write(work.resolve("input_frames"), frames(imp), cancel);
	}

	/** A clear error before any work when frames of this size cannot be written as H.264 ({@link VideoWriter#checkEncodable}). */
	public static void checkEncodable(int width, int height, String what) {
		VideoWriter.checkEncodable(width, height, what, "Enlarge the stack first (Image > Scale… or Image > Adjust > Canvas Size…).");
	}

	/** Sets the frame rate in the calibration (fps and frame interval in seconds). */
	public static void setFps(ImagePlus imp, double fps) {
		Calibration cal = imp.getCalibration();
		cal.fps = fps;
		cal.frameInterval = 1 / fps;
		cal.setTimeUnit("s");
	}

	/**
	 * A new output image of the stack, titled {@code title} made unique among open images (ImageJ's "-1" suffix). Output
	 * images are titled uniquely here and in {@link #output} only, when they are made (the IJ1 bridge shows them as
	 * they are).
	 */
	public static ImagePlus newImage(String title, ImageStack stack) {
		return new ImagePlus(uniqueTitle(title), stack);
	}

	/** {@code title}, or ImageJ's "title-1", "title-2", … when an image of that title is open (batch mode included). */
	static String uniqueTitle(String title) {
		return uniqueTitle(title, t -> WindowManager.getImage(t) != null);
	}

	/** {@link #uniqueTitle(String)} with the lookup of open titles given; only a missing ImageJ 1.x is tolerated. */
	static String uniqueTitle(String title, Predicate<String> open) {
		try {
			String t = title;
			for (int i = 1; open.test(t); i++) t = title + "-" + i;
			return t;
		}
		catch (NoClassDefFoundError e) { // no ImageJ 1.x on the class path: no image is open, any title is free
			return title;
		}
	}
}
