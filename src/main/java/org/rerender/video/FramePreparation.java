package org.rerender.video;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LANCZOS4;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

/**
 * Frame preparation of the algorithm document, section 1.1: crop, then resize so that the long side becomes
 * {@code resolution} and both sides are multiples of 64.
 * <ul>
 * <li>Crop {@code [left, right, top, bottom]} = pixels removed from each edge. Negative values, or a crop that
 * removes the whole width or height, are refused with a {@link RerenderException} (the original clamps the crop so
 * it does not invert, which leaves an empty frame: we report that instead of producing garbage).</li>
 * <li>Size: long side = R; short side = R / aspect truncated; then each side = rint(side / 64) × 64 (half to even).
 * A side that rounds to 0 is refused.</li>
 * <li>Filter: Lanczos-4 (OpenCV {@code INTER_LANCZOS4}) when R &gt; the short side of the cropped frame, else area
 * ({@code INTER_AREA}).</li>
 * <li>{@code resolution = 0} keeps the cropped frame as it is (no resize, no rounding to 64).</li>
 * </ul>
 * Instances are immutable and thread-safe.
 */
public record FramePreparation(int left, int right, int top, int bottom, int resolution) {

	/** Resize filters, as OpenCV names them. */
	public enum Filter { NONE, AREA, LANCZOS4 }

	/** An output size and the filter that makes it. */
	public record Plan(int cropWidth, int cropHeight, int width, int height, Filter filter) {}

	/** No crop, no resize. */
	public static final FramePreparation NONE = new FramePreparation(0, 0, 0, 0, 0);

	public FramePreparation {
		if (left < 0 || right < 0 || top < 0 || bottom < 0)
			throw new RerenderException("Crop values must be 0 or more, got [left " + left + ", right " + right
				+ ", top " + top + ", bottom " + bottom + "]");
		if (resolution < 0) throw new RerenderException("Resolution must be 0 (keep) or positive, got " + resolution);
	}

	/** From the config order {@code [left, right, top, bottom]}. */
	public static FramePreparation of(int[] crop, int resolution) {
		if (crop == null) crop = new int[4];
		if (crop.length != 4) throw new RerenderException("crop needs 4 values [left, right, top, bottom], got " + crop.length);
		return new FramePreparation(crop[0], crop[1], crop[2], crop[3], resolution);
	}

	/** What this preparation does to a {@code width × height} frame; refuses impossible crops and sizes. */
	public Plan plan(int width, int height) {
		int cw = width - left - right, ch = height - top - bottom;
		if (cw <= 0 || ch <= 0)
			throw new RerenderException("The crop [left " + left + ", right " + right + ", top " + top + ", bottom "
				+ bottom + "] removes the whole " + width + "x" + height + " frame; make it smaller.");
		if (resolution == 0) return new Plan(cw, ch, cw, ch, Filter.NONE);
		int[] size = targetSize(cw, ch, resolution);
		if (size[0] <= 0 || size[1] <= 0) {
			int enough = smallestResolution(cw, ch);
			throw new RerenderException("A " + cw + "x" + ch + " frame at resolution " + resolution
				+ " gives a side under 32 pixels (" + size[0] + "x" + size[1] + "); " + (enough > 0
					? "crop less or raise the resolution to at least " + enough + "."
					: "the frame is too elongated for any resolution up to " + MAX_RESOLUTION + ": crop it to a less elongated shape."));
		}
		Filter f = resolution > Math.min(cw, ch) ? Filter.LANCZOS4 : Filter.AREA;
		return new Plan(cw, ch, size[0], size[1], f);
	}

	/** The largest resolution the job accepts (config {@code image_resolution}). */
	static final int MAX_RESOLUTION = org.rerender.config.RerenderConfig.MAX_IMAGE_RESOLUTION;

	/** The smallest resolution up to {@link #MAX_RESOLUTION} giving both sides ≥ 64 for a {@code w × h} frame, or 0. */
	static int smallestResolution(int w, int h) {
		for (int r = 64; r <= MAX_RESOLUTION; r++) {
			int[] s = targetSize(w, h, r);
			if (s[0] > 0 && s[1] > 0) return r;
		}
		return 0;
	}

	/** Section 1.1 size rule: {width, height} for a {@code w × h} frame and long side {@code r}. */
	public static int[] targetSize(int w, int h, int r) {
		double aspect = (double) w / h;
		double tw, th;
		if (w >= h) {
			tw = r;
			th = (int) (r / aspect);
		}
		else {
			th = r;
			tw = (int) (r * aspect);
		}
		return new int[] { (int) (Math.rint(tw / 64.0) * 64), (int) (Math.rint(th / 64.0) * 64) };
	}

	/** Crops and resizes one frame (a new image; the input is not modified). */
	public Rgb8Image apply(Rgb8Image in) {
		Plan p = plan(in.width(), in.height());
		Rgb8Image cropped = crop(in, p);
		if (p.filter() == Filter.NONE) return cropped;
		return resize(cropped, p.width(), p.height(), p.filter() == Filter.LANCZOS4 ? INTER_LANCZOS4 : INTER_AREA);
	}

	private Rgb8Image crop(Rgb8Image in, Plan p) {
		if (p.cropWidth() == in.width() && p.cropHeight() == in.height()) return in;
		byte[] src = in.data(), dst = new byte[3 * p.cropWidth() * p.cropHeight()];
		for (int y = 0; y < p.cropHeight(); y++)
			System.arraycopy(src, 3 * ((y + top) * in.width() + left), dst, 3 * y * p.cropWidth(), 3 * p.cropWidth());
		return new Rgb8Image(p.cropWidth(), p.cropHeight(), dst);
	}

	/** OpenCV {@code cv::resize} on an interleaved 3-channel 8-bit image. */
	static Rgb8Image resize(Rgb8Image in, int w, int h, int interpolation) {
		byte[] out = new byte[3 * w * h];
		try (BytePointer srcData = new BytePointer(in.data());
			Mat src = new Mat(in.height(), in.width(), CV_8UC3, srcData);
			Mat dst = new Mat(h, w, CV_8UC3);
			Size size = new Size(w, h))
		{
			opencv_imgproc.resize(src, dst, size, 0, 0, interpolation);
			if (!dst.isContinuous()) throw new IllegalStateException("OpenCV returned a non-continuous image");
			dst.data().get(out);
		}
		return new Rgb8Image(w, h, out);
	}
}
