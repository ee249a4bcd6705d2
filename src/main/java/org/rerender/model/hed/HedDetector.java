package org.rerender.model.hed;

import static org.bytedeco.opencv.global.opencv_core.CV_32FC1;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.rerender.image.Rgb8Image;
import org.rerender.model.control.ControlMap;

/**
 * ControlNet's HED detector ({@code HEDdetector.__call__}): run {@link HedNetwork} on the 0…255 RGB frame,
 * resize every side output to H×W with OpenCV's bilinear resize, average them (float32), then
 * {@code sigmoid} in float64, ×255, clip to [0, 255] and truncate to 8 bits. No thresholding.
 */
public final class HedDetector {

	/** A side output as a plain array (row-major {@code height × width}). */
	public record Side(int width, int height, float[] data) {}

	/** The intermediate results: side outputs, their H×W×n resized stack, and the edge map. */
	public record Details(List<Side> sides, float[] sidesResized, ControlMap edge) {}

	private final HedNetwork network;

	public HedDetector(HedNetwork network) {
		this.network = network;
	}

	/** Loads {@code ControlNetHED.pth} (or any source format) into {@code weightsManager}; the file is closed after. */
	public static HedDetector load(java.nio.file.Path file, NDManager weightsManager, DataType dtype) {
		try (org.rerender.model.io.TensorSource w = org.rerender.model.io.Checkpoints.open(file)) {
			return new HedDetector(HedNetwork.load(w, weightsManager, dtype));
		}
	}

	/** The edge map of an RGB frame. */
	public ControlMap detect(Rgb8Image image, NDManager manager) {
		return analyse(image, manager).edge();
	}

	public Details analyse(Rgb8Image image, NDManager manager) {
		int w = image.width(), h = image.height(), plane = w * h;
		float[] chw = new float[3 * plane];
		byte[] px = image.data();
		for (int i = 0; i < plane; i++) for (int c = 0; c < 3; c++) chw[c * plane + i] = px[3 * i + c] & 0xff;
		List<Side> sides = new ArrayList<>();
		try (NDManager scope = manager.newSubManager()) {
			NDArray in = scope.create(chw, new Shape(1, 3, h, w)).toType(network.dtype(), false);
			NDList outs = network.sideOutputs(in);
			for (NDArray s : outs) {
				Shape sh = s.getShape();
				sides.add(new Side((int) sh.get(3), (int) sh.get(2), s.toType(DataType.FLOAT32, false).toFloatArray()));
			}
		}
		int n = sides.size();
		float[] stack = new float[plane * n];
		for (int k = 0; k < n; k++) {
			float[] r = resizeBilinear(sides.get(k), w, h);
			for (int i = 0; i < plane; i++) stack[i * n + k] = r[i];
		}
		byte[] edge = new byte[plane];
		for (int i = 0; i < plane; i++) {
			float sum = 0f;
			for (int k = 0; k < n; k++) sum += stack[i * n + k];
			float mean = sum / n; // numpy: float32 sum, float32 division
			double e = 1.0 / (1.0 + Math.exp(-(double) mean));
			double v = Math.min(255.0, Math.max(0.0, e * 255.0));
			edge[i] = (byte) (int) v;
		}
		return new Details(List.copyOf(sides), stack, new ControlMap(w, h, edge));
	}

	/** OpenCV {@code resize(INTER_LINEAR)} of a float map to {@code width × height}. */
	static float[] resizeBilinear(Side s, int width, int height) {
		try (FloatPointer p = new FloatPointer(s.data()); Mat src = new Mat(s.height(), s.width(), CV_32FC1, p);
			Mat dst = new Mat(); Size size = new Size(width, height))
		{
			opencv_imgproc.resize(src, dst, size, 0, 0, opencv_imgproc.INTER_LINEAR);
			float[] out = new float[width * height];
			if (!dst.isContinuous() || dst.rows() != height || dst.cols() != width)
				throw new IllegalStateException("unexpected resize output " + dst);
			try (FloatPointer d = new FloatPointer(dst.data())) {
				d.get(out);
			}
			return out;
		}
	}
}
