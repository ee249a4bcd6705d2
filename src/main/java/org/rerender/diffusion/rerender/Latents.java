package org.rerender.diffusion.rerender;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/** Conversions between engine tensors {@code [1, C, H, W]} and interleaved images, and the original's image scaling. */
public final class Latents {
	private Latents() {}

	/** A {@code [1, C, H, W]} tensor as an HWC float image (F32 copy on the heap). */
	public static FloatImage toImage(NDArray chw) {
		Shape s = chw.getShape();
		int c = (int) s.get(1), h = (int) s.get(2), w = (int) s.get(3);
		float[] p = chw.toType(DataType.FLOAT32, false).toFloatArray();
		return new FloatImage(w, h, c, planarToInterleaved(p, c, h * w));
	}

	/** An HWC image as a {@code [1, C, H, W]} tensor of {@code dtype} in {@code m}. */
	public static NDArray toTensor(FloatImage img, NDManager m, DataType dtype) {
		int c = img.channels(), n = img.width() * img.height();
		float[] d = img.data(), p = new float[d.length];
		for (int i = 0; i < n; i++)
			for (int k = 0; k < c; k++) p[k * n + i] = d[c * i + k];
		NDArray a = m.create(p, new Shape(1, c, img.height(), img.width()));
		if (dtype == DataType.FLOAT32) return a;
		NDArray t = a.toType(dtype, false);
		a.close();
		return t;
	}

	/** A one-channel h×w mask as {@code [1, 1, h, w]}. */
	public static NDArray maskTensor(FloatImage mask, NDManager m, DataType dtype) {
		return toTensor(mask, m, dtype);
	}

	static float[] planarToInterleaved(float[] p, int c, int n) {
		float[] out = new float[p.length];
		for (int k = 0; k < c; k++)
			for (int i = 0; i < n; i++) out[c * i + k] = p[k * n + i];
		return out;
	}

	/** The original's {@code numpy2tensor}: v/255·2 − 1 in F32, as an HWC image (the VAE's input units). */
	public static FloatImage vaeInput(Rgb8Image rgb) {
		byte[] b = rgb.data();
		float[] f = new float[b.length];
		for (int i = 0; i < b.length; i++) f[i] = (b[i] & 0xff) / 255f * 2f - 1f;
		return new FloatImage(rgb.width(), rgb.height(), 3, f);
	}

	/** The saved 8-bit image of a decoded output: clip(v·127.5 + 127.5, 0, 255), truncated. */
	public static Rgb8Image toRgb8(FloatImage decoded) {
		float[] d = decoded.data(), f = new float[d.length];
		for (int i = 0; i < d.length; i++) f[i] = d[i] * 127.5f + 127.5f;
		return new FloatImage(decoded.width(), decoded.height(), 3, f).toRgb8Clamped();
	}
}
