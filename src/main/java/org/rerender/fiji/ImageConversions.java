package org.rerender.fiji;

import java.util.List;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;

import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * Between the engine's images and ImageJ 1.x. RGB needs one packing copy (ImageJ stores RGB as packed int[]);
 * one-channel float images are <em>wrapped</em>, not copied ({@link FloatProcessor} and {@link FloatImage} share
 * the float[]). Multi-channel float images (flow: 2 channels) become one slice per channel (a copy, since the
 * engine interleaves channels).
 */
public final class ImageConversions {
	private ImageConversions() {}

	public static ColorProcessor toProcessor(Rgb8Image img) {
		byte[] d = img.data();
		int[] px = new int[img.width() * img.height()];
		for (int i = 0, j = 0; i < px.length; i++, j += 3)
			px[i] = 0xff000000 | (d[j] & 0xff) << 16 | (d[j + 1] & 0xff) << 8 | (d[j + 2] & 0xff);
		return new ColorProcessor(img.width(), img.height(), px);
	}

	/** Any processor as RGB: ColorProcessor pixels directly, others through their display range. */
	public static Rgb8Image toRgb8(ImageProcessor ip) {
		int[] px = (int[]) (ip instanceof ColorProcessor ? ip : ip.convertToRGB()).getPixels();
		byte[] d = new byte[3 * px.length];
		for (int i = 0, j = 0; i < px.length; i++, j += 3) {
			int p = px[i];
			d[j] = (byte) (p >> 16);
			d[j + 1] = (byte) (p >> 8);
			d[j + 2] = (byte) p;
		}
		return new Rgb8Image(ip.getWidth(), ip.getHeight(), d);
	}

	/** A stack of frames (time axis) with one RGB slice per image. */
	public static ImagePlus toImagePlus(String title, List<Rgb8Image> frames) {
		if (frames.isEmpty()) throw new IllegalArgumentException("no frames");
		ImageStack stack = new ImageStack(frames.get(0).width(), frames.get(0).height());
		for (Rgb8Image f : frames) stack.addSlice(toProcessor(f));
		ImagePlus imp = new ImagePlus(title, stack);
		imp.setDimensions(1, 1, frames.size());
		return imp;
	}

	/** Wraps a 1-channel float image (shared float[], no copy). */
	public static FloatProcessor wrap(FloatImage img) {
		if (img.channels() != 1) throw new IllegalArgumentException("wrap needs 1 channel, has " + img.channels());
		return new FloatProcessor(img.width(), img.height(), img.data());
	}

	/** Wraps a FloatProcessor's pixels as a 1-channel float image (shared float[], no copy). */
	public static FloatImage wrap(FloatProcessor fp) {
		return new FloatImage(fp.getWidth(), fp.getHeight(), 1, (float[]) fp.getPixels());
	}

	/** One float slice per channel (copies: the engine interleaves channels). */
	public static ImageStack toChannelStack(FloatImage img) {
		if (img.channels() == 1) {
			ImageStack s = new ImageStack(img.width(), img.height());
			s.addSlice(wrap(img));
			return s;
		}
		int n = img.width() * img.height(), c = img.channels();
		ImageStack s = new ImageStack(img.width(), img.height());
		float[] d = img.data();
		for (int ch = 0; ch < c; ch++) {
			float[] plane = new float[n];
			for (int i = 0; i < n; i++) plane[i] = d[c * i + ch];
			s.addSlice(new FloatProcessor(img.width(), img.height(), plane));
		}
		return s;
	}

	/** Interleaves float slices {@code first..first+channels-1} (1-based) into one image. */
	public static FloatImage fromChannelStack(ImageStack s, int first, int channels) {
		int w = s.getWidth(), h = s.getHeight(), n = w * h;
		if (channels == 1) return new FloatImage(w, h, 1, (float[]) s.getProcessor(first).convertToFloat().getPixels());
		float[] d = new float[n * channels];
		for (int ch = 0; ch < channels; ch++) {
			float[] plane = (float[]) s.getProcessor(first + ch).convertToFloat().getPixels();
			for (int i = 0; i < n; i++) d[channels * i + ch] = plane[i];
		}
		return new FloatImage(w, h, channels, d);
	}
}
