package org.rerender.flow;

import java.util.Objects;
import org.rerender.image.FloatImage;

/**
 * A dense optical-flow field on a W×H pixel grid: for every pixel x of the grid it holds the
 * displacement (u, v) in pixels, so that x + (u, v) is where that pixel's content lies in the other
 * frame. Stored interleaved row-major ({@code data[2*(y*W+x)]} = u, {@code +1} = v), as a
 * 2-channel {@link FloatImage}: channel 0 = x, channel 1 = y, like the original's {@code [2,H,W]}
 * tensors (channel 0 = x).
 */
public final class FlowField {
	private final FloatImage image;

	/** Wraps a 2-channel float image (not copied). */
	public FlowField(FloatImage image) {
		Objects.requireNonNull(image, "image");
		if (image.channels() != 2)
			throw new IllegalArgumentException("A flow field has 2 channels (x, y), got " + image.channels());
		this.image = image;
	}

	/** Wraps an interleaved (u, v) buffer of length 2·W·H (not copied). */
	public FlowField(int width, int height, float[] interleaved) {
		this(new FloatImage(width, height, 2, interleaved));
	}

	/** A zero flow of the given size. */
	public static FlowField zeros(int width, int height) {
		return new FlowField(new FloatImage(width, height, 2));
	}

	/** The same displacement {@code (u, v)} at every pixel (benchmarks and tests: a whole-frame pan). */
	public static FlowField uniform(int width, int height, float u, float v) {
		FlowField f = zeros(width, height);
		for (int y = 0; y < height; y++)
			for (int x = 0; x < width; x++) f.set(x, y, u, v);
		return f;
	}

	/**
	 * Builds a field from planar (CHW) data as PyTorch/DJL tensors store it: {@code [2,H,W]},
	 * plane 0 = x, plane 1 = y (copied).
	 */
	public static FlowField fromPlanar(int width, int height, float[] chw) {
		int n = width * height;
		if (chw.length != 2 * n)
			throw new IllegalArgumentException("Planar flow has " + chw.length + " floats, expected " + 2 * n);
		float[] d = new float[2 * n];
		for (int i = 0; i < n; i++) {
			d[2 * i] = chw[i];
			d[2 * i + 1] = chw[n + i];
		}
		return new FlowField(width, height, d);
	}

	/** This field as planar {@code [2,H,W]} data (a copy). */
	public float[] toPlanar() {
		int n = width() * height();
		float[] d = image.data(), out = new float[2 * n];
		for (int i = 0; i < n; i++) {
			out[i] = d[2 * i];
			out[n + i] = d[2 * i + 1];
		}
		return out;
	}

	public int width() { return image.width(); }
	public int height() { return image.height(); }
	/** The interleaved backing array (not a copy). */
	public float[] data() { return image.data(); }
	/** The backing 2-channel image (not a copy). */
	public FloatImage image() { return image; }

	/** Displacement along x at pixel (x, y). */
	public float u(int x, int y) { return image.data()[2 * (y * width() + x)]; }
	/** Displacement along y at pixel (x, y). */
	public float v(int x, int y) { return image.data()[2 * (y * width() + x) + 1]; }

	public void set(int x, int y, float u, float v) {
		int i = 2 * (y * width() + x);
		image.data()[i] = u;
		image.data()[i + 1] = v;
	}

	public FlowField copy() { return new FlowField(image.copy()); }

	public boolean sameSize(FlowField o) { return o.width() == width() && o.height() == height(); }

	@Override
	public String toString() { return "FlowField[" + width() + "x" + height() + "]"; }
}
