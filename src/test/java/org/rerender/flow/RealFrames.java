package org.rerender.flow;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imread;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.bytedeco.javacv.OpenCVFrameConverter;
import org.bytedeco.opencv.opencv_core.Mat;
import org.rerender.image.Rgb8Image;

/**
 * Real camera frames for flow tests, from Debian's {@code opencv-doc} package (installed by
 * {@code build.sh}): {@code vtest.avi} (a street scene) and still photographs.
 */
final class RealFrames {
	static final Path DATA = Path.of("/usr/share/doc/opencv-doc/examples/data");

	private RealFrames() {}

	static Path file(String name) {
		Path p = DATA.resolve(name);
		if (!Files.isRegularFile(p))
			fail("Real test footage missing: " + p + " (install the Debian package opencv-doc: ./build.sh packages)");
		return p;
	}

	/** Frame {@code index} (0-based) of {@code vtest.avi}, decoded with FFmpeg through JavaCV. */
	static Rgb8Image vtestFrame(int index) throws Exception {
		try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file("vtest.avi").toFile());
			OpenCVFrameConverter.ToMat conv = new OpenCVFrameConverter.ToMat())
		{
			g.start();
			Frame f = null;
			for (int i = 0; i <= index; i++) {
				f = g.grabImage();
				if (f == null) fail("vtest.avi has fewer than " + (index + 1) + " frames");
			}
			Mat bgr = conv.convert(f);
			Rgb8Image img = toRgb(bgr);
			g.stop();
			return img;
		}
	}

	/** A still image of the data folder, read with OpenCV. */
	static Rgb8Image still(String name) {
		try (Mat bgr = imread(file(name).toString(), IMREAD_COLOR)) {
			if (bgr.empty()) fail("Cannot read " + name);
			return toRgb(bgr);
		}
	}

	/** The centred {@code w×h} crop of an image (no resampling). */
	static Rgb8Image centreCrop(Rgb8Image img, int w, int h) {
		if (w > img.width() || h > img.height()) fail("Image " + img.width() + "x" + img.height() + " smaller than " + w + "x" + h);
		int x0 = (img.width() - w) / 2, y0 = (img.height() - h) / 2;
		byte[] out = new byte[3 * w * h];
		for (int y = 0; y < h; y++)
			System.arraycopy(img.data(), 3 * ((y0 + y) * img.width() + x0), out, 3 * y * w, 3 * w);
		return new Rgb8Image(w, h, out);
	}

	private static Rgb8Image toRgb(Mat bgr) {
		try (Mat rgb = new Mat()) {
			cvtColor(bgr, rgb, COLOR_BGR2RGB);
			Mat c = rgb.isContinuous() ? rgb : rgb.clone();
			byte[] b = new byte[3 * c.cols() * c.rows()];
			c.data().get(b);
			return new Rgb8Image(c.cols(), c.rows(), b);
		}
	}

}
