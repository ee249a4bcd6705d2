package org.rerender.propagate;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.global.opencv_photo;
import org.bytedeco.opencv.opencv_core.Mat;
import org.rerender.image.Rgb8Image;

/** The OpenCV (JavaCV) steps of propagation: Telea inpainting and 8-bit LAB conversion. */
public final class OpenCvOps {
	private OpenCvOps() {}

	/** Inpainting radius used for the temporal and positional guides (algorithm notes §4). */
	public static final double TELEA_RADIUS = 30;

	/**
	 * Fills the pixels where {@code mask != 0} with OpenCV's Telea inpainting; returns the input
	 * unchanged (same object) when the mask is empty.
	 */
	public static Rgb8Image inpaintTelea(Rgb8Image img, byte[] mask, double radius) {
		int w = img.width(), h = img.height();
		if (mask.length != w * h) throw new IllegalArgumentException("mask has " + mask.length + " pixels, image " + w * h);
		boolean any = false;
		for (byte b : mask) if (b != 0) { any = true; break; }
		if (!any) return img;
		try (Mat src = rgbMat(img); Mat m = new Mat(h, w, CV_8UC1); Mat dst = new Mat()) {
			m.data().put(mask);
			opencv_photo.inpaint(src, m, dst, radius, opencv_photo.INPAINT_TELEA);
			return toRgb(dst, w, h);
		}
	}

	/** RGB → 8-bit LAB in OpenCV's convention (L·255/100, a+128, b+128), interleaved L, a, b. */
	public static byte[] rgbToLab(Rgb8Image img) {
		try (Mat src = rgbMat(img); Mat dst = new Mat()) {
			opencv_imgproc.cvtColor(src, dst, opencv_imgproc.COLOR_RGB2Lab);
			byte[] out = new byte[img.data().length];
			dst.data().get(out);
			return out;
		}
	}

	/** Inverse of {@link #rgbToLab}. */
	public static Rgb8Image labToRgb(byte[] lab, int w, int h) {
		try (Mat src = new Mat(h, w, CV_8UC3); Mat dst = new Mat()) {
			src.data().put(lab);
			opencv_imgproc.cvtColor(src, dst, opencv_imgproc.COLOR_Lab2RGB);
			return toRgb(dst, w, h);
		}
	}

	static Mat rgbMat(Rgb8Image img) {
		Mat m = new Mat(img.height(), img.width(), CV_8UC3);
		m.data().put(img.data());
		return m;
	}

	static Rgb8Image toRgb(Mat m, int w, int h) {
		if (m.cols() != w || m.rows() != h || m.channels() != 3 || !m.isContinuous())
			throw new IllegalStateException("unexpected OpenCV result " + m.cols() + "x" + m.rows() + "x" + m.channels());
		byte[] out = new byte[3 * w * h];
		m.data().get(out);
		return new Rgb8Image(w, h, out);
	}
}
