package org.rerender.propagate.synth;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.rerender.image.Rgb8Image;

/** Real test images from Debian's opencv-doc package (see build.sh PACKAGES), cropped small. */
final class SynthTestImages {

	static final Path DATA = Path.of("/usr/share/doc/opencv-doc/examples/data");

	private SynthTestImages() {}

	/** Reads an image (RGB order). Skips the test when opencv-doc is not installed. */
	static Rgb8Image read(String name) {
		Path p = DATA.resolve(name);
		assumeTrue(Files.isRegularFile(p), "needs " + p + " (apt-get install opencv-doc)");
		try (Mat m = opencv_imgcodecs.imread(p.toString(), opencv_imgcodecs.IMREAD_COLOR)) {
			int w = m.cols(), h = m.rows();
			byte[] bgr = new byte[w * h * 3];
			Mat c = m.isContinuous() ? m : m.clone();
			c.data().get(bgr);
			byte[] rgb = new byte[bgr.length];
			for (int i = 0; i < bgr.length; i += 3) {
				rgb[i] = bgr[i + 2];
				rgb[i + 1] = bgr[i + 1];
				rgb[i + 2] = bgr[i];
			}
			return new Rgb8Image(w, h, rgb);
		}
	}

	static Rgb8Image crop(Rgb8Image img, int x0, int y0, int w, int h) {
		Rgb8Image out = new Rgb8Image(w, h);
		for (int y = 0; y < h; y++)
			System.arraycopy(img.data(), 3 * ((y0 + y) * img.width() + x0), out.data(), 3 * y * w, 3 * w);
		return out;
	}

	/** Copies {@code patch} into a copy of {@code img} at (x0, y0). */
	static Rgb8Image paste(Rgb8Image img, Rgb8Image patch, int x0, int y0) {
		Rgb8Image out = img.copy();
		for (int y = 0; y < patch.height(); y++)
			System.arraycopy(patch.data(), 3 * y * patch.width(), out.data(), 3 * ((y0 + y) * img.width() + x0),
				3 * patch.width());
		return out;
	}

	/**
	 * A deterministic "stylisation" with spatial structure: colours rotated and posterised,
	 * plus a diagonal hatching whose strength depends on darkness.
	 */
	static Rgb8Image stylise(Rgb8Image img) {
		Rgb8Image out = new Rgb8Image(img.width(), img.height());
		for (int y = 0; y < img.height(); y++)
			for (int x = 0; x < img.width(); x++) {
				int r = img.get(x, y, 0), g = img.get(x, y, 1), b = img.get(x, y, 2);
				int lum = (r * 77 + g * 150 + b * 29) >> 8;
				int hatch = ((x + y) % 6 < 2) ? (255 - lum) / 3 : 0;
				out.set(x, y, 0, (g / 40) * 40 + 20 - hatch);
				out.set(x, y, 1, (b / 40) * 40 + 20 - hatch);
				out.set(x, y, 2, 255 - (r / 40) * 40 - hatch);
			}
		return out;
	}

	static double psnr(Rgb8Image a, Rgb8Image b) {
		double se = 0;
		byte[] x = a.data(), y = b.data();
		for (int i = 0; i < x.length; i++) {
			int d = (x[i] & 0xff) - (y[i] & 0xff);
			se += d * d;
		}
		double mse = se / x.length;
		return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 / mse);
	}
}
