package org.rerender.diffusion.constraints;

import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_Lab2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_RGB2Lab;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;
import org.rerender.image.Rgb8Image;

/**
 * The colour correction used when colour preservation is off (rerender-algorithm.md §3): the frame's
 * 8-bit LAB histogram (OpenCV convention) is matched to the reference's per channel by cumulative
 * distribution matching, converted back to RGB, then given back the original frame's luminance with a
 * luminosity blend (W3C SetLum with clip-to-gamut, Y = 0.299R + 0.587G + 0.114B).
 */
public final class ColorCorrection {
	private ColorCorrection() {}

	/** Corrects {@code frame} towards the colours of {@code reference}. */
	public static Rgb8Image correct(Rgb8Image frame, Rgb8Image reference) {
		byte[] frameLab = toLab(frame);
		byte[] refLab = toLab(reference);
		byte[] matched = new byte[frameLab.length];
		for (int c = 0; c < 3; c++) matchChannel(frameLab, refLab, matched, c);
		Rgb8Image matchedRgb = fromLab(matched, frame.width(), frame.height());
		return luminosityBlend(matchedRgb, frame);
	}

	/**
	 * Cumulative-distribution matching of channel c (the algorithm of scikit-image's match_histograms for
	 * 8-bit input): each source value's quantile is mapped through the reference's quantile function by
	 * linear interpolation over the reference values that occur; the result is truncated to 8 bits.
	 */
	static void matchChannel(byte[] src, byte[] ref, byte[] out, int c) {
		long[] srcCounts = new long[256], refCounts = new long[256];
		int n = src.length / 3, nr = ref.length / 3;
		for (int i = 0; i < n; i++) srcCounts[src[3 * i + c] & 0xff]++;
		for (int i = 0; i < nr; i++) refCounts[ref[3 * i + c] & 0xff]++;
		int k = 0;
		double[] refValues = new double[256], refQuant = new double[256];
		long cum = 0;
		for (int v = 0; v < 256; v++) {
			if (refCounts[v] == 0) continue;
			cum += refCounts[v];
			refValues[k] = v;
			refQuant[k] = (double) cum / nr;
			k++;
		}
		int[] lut = new int[256];
		cum = 0;
		for (int v = 0; v < 256; v++) {
			cum += srcCounts[v];
			double q = (double) cum / n;
			lut[v] = (int) interp(q, refQuant, refValues, k);
		}
		for (int i = 0; i < n; i++) out[3 * i + c] = (byte) lut[src[3 * i + c] & 0xff];
	}

	/** numpy.interp: clamps outside the table, linear inside. */
	static double interp(double x, double[] xp, double[] fp, int n) {
		if (x <= xp[0]) return fp[0];
		if (x >= xp[n - 1]) return fp[n - 1];
		int lo = 0, hi = n - 1;
		while (hi - lo > 1) {
			int mid = (lo + hi) >>> 1;
			if (xp[mid] <= x) lo = mid;
			else hi = mid;
		}
		double t = (x - xp[lo]) / (xp[hi] - xp[lo]);
		return fp[lo] + t * (fp[hi] - fp[lo]);
	}

	/** Keeps hue and saturation of {@code colour}, takes the luminance of {@code luminance}. */
	static Rgb8Image luminosityBlend(Rgb8Image colour, Rgb8Image luminance) {
		byte[] cb = colour.data(), lb = luminance.data();
		byte[] out = new byte[cb.length];
		double[] px = new double[3];
		for (int i = 0; i < cb.length; i += 3) {
			for (int c = 0; c < 3; c++) px[c] = (cb[i + c] & 0xff) / 255.0;
			double l = lum((lb[i] & 0xff) / 255.0, (lb[i + 1] & 0xff) / 255.0, (lb[i + 2] & 0xff) / 255.0);
			setLum(px, l);
			for (int c = 0; c < 3; c++) out[i + c] = (byte) (int) Math.rint(Math.min(255, Math.max(0, px[c] * 255)));
		}
		return new Rgb8Image(colour.width(), colour.height(), out);
	}

	static double lum(double r, double g, double b) {
		return 0.299 * r + 0.587 * g + 0.114 * b;
	}

	/** W3C compositing SetLum followed by ClipColor, in place. */
	static void setLum(double[] c, double l) {
		double d = l - lum(c[0], c[1], c[2]);
		for (int i = 0; i < 3; i++) c[i] += d;
		double lc = lum(c[0], c[1], c[2]);
		double n = Math.min(c[0], Math.min(c[1], c[2])), x = Math.max(c[0], Math.max(c[1], c[2]));
		if (n < 0)
			for (int i = 0; i < 3; i++) c[i] = lc + (c[i] - lc) * lc / (lc - n);
		if (x > 1)
			for (int i = 0; i < 3; i++) c[i] = lc + (c[i] - lc) * (1 - lc) / (x - lc);
	}

	static byte[] toLab(Rgb8Image img) {
		return convert(img.data(), img.width(), img.height(), COLOR_RGB2Lab);
	}

	static Rgb8Image fromLab(byte[] lab, int w, int h) {
		return new Rgb8Image(w, h, convert(lab, w, h, COLOR_Lab2RGB));
	}

	private static byte[] convert(byte[] data, int w, int h, int code) {
		try (Mat src = new Mat(h, w, opencv_core.CV_8UC3); Mat dst = new Mat()) {
			try (BytePointer p = new BytePointer(src.data())) {
				p.capacity((long) data.length).put(data);
			}
			cvtColor(src, dst, code);
			byte[] out = new byte[data.length];
			dst.data().capacity((long) out.length).get(out);
			return out;
		}
	}
}
