package org.rerender.image;

import java.util.Objects;

/**
 * An 8-bit RGB image, interleaved row-major: byte {@code 3*(y*width+x)+c} is channel
 * c (0 = R, 1 = G, 2 = B) of pixel (x, y). The common currency between video I/O,
 * flow, propagation and the Fiji layer (which wraps it as an ImageJ ColorProcessor).
 */
public final class Rgb8Image {
	private final int width;
	private final int height;
	private final byte[] data;

	public Rgb8Image(int width, int height, byte[] data) {
		if (width <= 0 || height <= 0) throw new IllegalArgumentException("Image size must be positive: " + width + "x" + height);
		Objects.requireNonNull(data, "data");
		if (data.length != 3L * width * height)
			throw new IllegalArgumentException("RGB buffer has " + data.length + " bytes, expected " + 3L * width * height);
		this.width = width;
		this.height = height;
		this.data = data;
	}

	public Rgb8Image(int width, int height) {
		this(width, height, new byte[3 * width * height]);
	}

	public int width() { return width; }
	public int height() { return height; }
	/** The backing array (not a copy). */
	public byte[] data() { return data; }

	public int get(int x, int y, int c) {
		return data[3 * (y * width + x) + c] & 0xff;
	}

	public void set(int x, int y, int c, int value) {
		data[3 * (y * width + x) + c] = (byte) Math.max(0, Math.min(255, value));
	}

	public Rgb8Image copy() {
		return new Rgb8Image(width, height, data.clone());
	}

	/** Converts to a float image with values 0..255, same channel order. */
	public FloatImage toFloat() {
		float[] f = new float[data.length];
		for (int i = 0; i < f.length; i++) f[i] = data[i] & 0xff;
		return new FloatImage(width, height, 3, f);
	}

	public boolean sameSize(Rgb8Image o) {
		return o.width == width && o.height == height;
	}
}
