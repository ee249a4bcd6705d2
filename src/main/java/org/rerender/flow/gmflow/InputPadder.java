package org.rerender.flow.gmflow;

/**
 * GMFlow's {@code InputPadder} in 'sintel' mode: each axis is padded to a multiple of {@code factor}
 * ({@code pad = ((n / f + 1)·f − n) % f}), {@code pad/2} before and the rest after, replicating the border.
 */
public record InputPadder(int height, int width, int left, int right, int top, int bottom) {

	public static InputPadder of(int height, int width, int factor) {
		int ph = (((height / factor) + 1) * factor - height) % factor;
		int pw = (((width / factor) + 1) * factor - width) % factor;
		return new InputPadder(height, width, pw / 2, pw - pw / 2, ph / 2, ph - ph / 2);
	}

	public int paddedHeight() { return height + top + bottom; }

	public int paddedWidth() { return width + left + right; }

	/** Replicate-pads planar {@code [C,H,W]} data to {@code [C,Hp,Wp]}. */
	public float[] pad(float[] chw, int channels) {
		int hp = paddedHeight(), wp = paddedWidth();
		float[] out = new float[channels * hp * wp];
		for (int c = 0; c < channels; c++)
			for (int y = 0; y < hp; y++) {
				int sy = Math.min(Math.max(y - top, 0), height - 1);
				for (int x = 0; x < wp; x++) {
					int sx = Math.min(Math.max(x - left, 0), width - 1);
					out[(c * hp + y) * wp + x] = chw[(c * height + sy) * width + sx];
				}
			}
		return out;
	}

	/** Crops planar {@code [C,Hp,Wp]} data back to {@code [C,H,W]}. */
	public float[] unpad(float[] chw, int channels) {
		int hp = paddedHeight(), wp = paddedWidth();
		float[] out = new float[channels * height * width];
		for (int c = 0; c < channels; c++)
			for (int y = 0; y < height; y++)
				System.arraycopy(chw, (c * hp + y + top) * wp + left, out, (c * height + y) * width, width);
		return out;
	}
}
