package org.rerender.image;

import java.util.Objects;

/**
 * A float image with any number of channels, interleaved row-major (HWC): element
 * {@code channels*(y*width+x)+c}. Used for flow fields (2 channels: x, y), masks
 * (1 channel), unclamped decoded images and error maps.
 */
public final class FloatImage {
	private final int width;
	private final int height;
	private final int channels;
	private final float[] data;

	public FloatImage(int width, int height, int channels, float[] data) {
		if (width <= 0 || height <= 0 || channels <= 0)
			throw new IllegalArgumentException("Invalid image shape " + width + "x" + height + "x" + channels);
		Objects.requireNonNull(data, "data");
		if (data.length != (long) width * height * channels)
			throw new IllegalArgumentException("Buffer has " + data.length + " floats, expected " + (long) width * height * channels);
		this.width = width;
		this.height = height;
		this.channels = channels;
		this.data = data;
	}

	public FloatImage(int width, int height, int channels) {
		this(width, height, channels, new float[width * height * channels]);
	}

	public int width() { return width; }
	public int height() { return height; }
	public int channels() { return channels; }
	/** The backing array (not a copy). */
	public float[] data() { return data; }

	public float get(int x, int y, int c) {
		return data[channels * (y * width + x) + c];
	}

	public void set(int x, int y, int c, float v) {
		data[channels * (y * width + x) + c] = v;
	}

	public FloatImage copy() {
		return new FloatImage(width, height, channels, data.clone());
	}

	/** Rounds half-to-even-free (truncation after clamping) to 8 bits; needs 3 channels. */
	public Rgb8Image toRgb8Clamped() {
		if (channels != 3) throw new IllegalStateException("toRgb8 needs 3 channels, has " + channels);
		byte[] b = new byte[data.length];
		for (int i = 0; i < b.length; i++) {
			float v = data[i];
			int q = v <= 0 ? 0 : v >= 255 ? 255 : (int) v;
			b[i] = (byte) q;
		}
		return new Rgb8Image(width, height, b);
	}

	public boolean sameSize(FloatImage o) {
		return o.width == width && o.height == height;
	}
}
