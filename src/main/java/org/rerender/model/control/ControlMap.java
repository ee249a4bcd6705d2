package org.rerender.model.control;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.rerender.image.FloatImage;

/**
 * A one-channel 8-bit control map (HED edges, Canny edges), H×W row-major. The ControlNet receives it
 * replicated to three channels and divided by 255 ({@link #toControlImage()}, {@link #toHint}).
 */
public record ControlMap(int width, int height, byte[] data) {

	public ControlMap {
		if ((long) width * height != data.length)
			throw new IllegalArgumentException("control map of " + width + "x" + height + " has " + data.length + " bytes");
	}

	public int get(int x, int y) {
		return data[y * width + x] & 0xff;
	}

	/** H×W×3 interleaved floats in [0, 1] (the map replicated to three channels, /255). */
	public FloatImage toControlImage() {
		float[] f = new float[3 * data.length];
		for (int i = 0; i < data.length; i++) {
			float v = (data[i] & 0xff) / 255f;
			f[3 * i] = v;
			f[3 * i + 1] = v;
			f[3 * i + 2] = v;
		}
		return new FloatImage(width, height, 3, f);
	}

	/** The ControlNet hint [1, 3, H, W] (float32, /255) in {@code manager}. */
	public NDArray toHint(NDManager manager) {
		float[] f = new float[3 * data.length];
		for (int i = 0; i < data.length; i++) {
			float v = (data[i] & 0xff) / 255f;
			f[i] = v;
			f[data.length + i] = v;
			f[2 * data.length + i] = v;
		}
		return manager.create(f, new Shape(1, 3, height, width));
	}
}
