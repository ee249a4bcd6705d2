package org.rerender.propagate;

import org.rerender.image.Rgb8Image;

/**
 * Histogram-preserving blending in 8-bit LAB (algorithm notes §4): each channel of the forward and
 * backward result is normalised to mean 128 and std 256/36, mixed, and the mix re-matched to the
 * mean/std of the min-error composite; rounded, clipped, converted back to RGB.
 */
public final class HistogramBlend {
	private HistogramBlend() {}

	static final double TARGET_MEAN = 128;
	static final double TARGET_STD = 256.0 / 36;

	/** Blends in RGB space (LAB conversion through OpenCV). */
	public static Rgb8Image blend(Rgb8Image fwd, Rgb8Image bwd, Rgb8Image minError, double weightFwd, double weightBwd) {
		int w = fwd.width(), h = fwd.height();
		byte[] lab = blendLab(OpenCvOps.rgbToLab(fwd), OpenCvOps.rgbToLab(bwd), OpenCvOps.rgbToLab(minError), weightFwd, weightBwd);
		return OpenCvOps.labToRgb(lab, w, h);
	}

	/** The same on interleaved 3-channel 8-bit buffers (any colour space), returning the rounded, clipped result. */
	public static byte[] blendLab(byte[] a, byte[] b, byte[] minError, double weightA, double weightB) {
		if (a.length != b.length || a.length != minError.length || a.length % 3 != 0)
			throw new IllegalArgumentException("blend inputs differ in size");
		int n = a.length / 3;
		byte[] out = new byte[a.length];
		double[] mix = new double[n];
		for (int c = 0; c < 3; c++) {
			double[] sa = stats(a, c), sb = stats(b, c), sm = stats(minError, c);
			for (int p = 0; p < n; p++) {
				double x = normalise(a[3 * p + c] & 0xff, sa);
				double y = normalise(b[3 * p + c] & 0xff, sb);
				// as the original: (wa·x + wb·y − 128)/0.5 + 128; the affine factor cancels in the re-match
				mix[p] = (x * weightA + y * weightB - TARGET_MEAN) / 0.5 + TARGET_MEAN;
			}
			double[] sx = stats(mix);
			for (int p = 0; p < n; p++) {
				double v = sx[1] == 0 ? sm[0] : (mix[p] - sx[0]) * sm[1] / sx[1] + sm[0];
				long r = Math.round(Math.rint(v));
				out[3 * p + c] = (byte) (r < 0 ? 0 : r > 255 ? 255 : r);
			}
		}
		return out;
	}

	private static double normalise(double v, double[] s) {
		return s[1] == 0 ? TARGET_MEAN : (v - s[0]) * TARGET_STD / s[1] + TARGET_MEAN;
	}

	/** {mean, population std} of channel c of an interleaved 3-channel buffer. */
	static double[] stats(byte[] img, int c) {
		int n = img.length / 3;
		double sum = 0;
		for (int p = 0; p < n; p++) sum += img[3 * p + c] & 0xff;
		double mean = sum / n, ss = 0;
		for (int p = 0; p < n; p++) {
			double d = (img[3 * p + c] & 0xff) - mean;
			ss += d * d;
		}
		return new double[] {mean, Math.sqrt(ss / n)};
	}

	static double[] stats(double[] v) {
		double sum = 0;
		for (double x : v) sum += x;
		double mean = sum / v.length, ss = 0;
		for (double x : v) ss += (x - mean) * (x - mean);
		return new double[] {mean, Math.sqrt(ss / v.length)};
	}
}
