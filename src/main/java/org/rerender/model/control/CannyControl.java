package org.rerender.model.control;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

/**
 * The Canny control map exactly as ControlNet's annotator makes it: OpenCV's {@code Canny(img, low, high)}
 * on the <em>three-channel</em> RGB frame (3×3 Sobel, L1 magnitude; at each pixel the channel with the
 * largest magnitude supplies the gradient), not on a grey image. Edges are 255, the rest 0.
 */
public final class CannyControl {

	private CannyControl() {}

	public static ControlMap detect(Rgb8Image frame, double low, double high) {
		if (low < 0 || high < 0) throw new RerenderException("Canny thresholds must be non-negative: " + low + ", " + high);
		int w = frame.width(), h = frame.height();
		try (BytePointer px = new BytePointer(frame.data()); Mat src = new Mat(h, w, CV_8UC3, px); Mat edges = new Mat()) {
			opencv_imgproc.Canny(src, edges, low, high);
			byte[] out = new byte[w * h];
			if (!edges.isContinuous() || edges.channels() != 1 || edges.rows() != h || edges.cols() != w)
				throw new IllegalStateException("unexpected Canny output " + edges);
			edges.data().get(out);
			return new ControlMap(w, h, out);
		}
	}
}
