package org.rerender.propagate;

import org.rerender.flow.FlowField;
import org.rerender.flow.FlowOps;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * The pixel-level building blocks of the propagation guides (algorithm notes §4): the Laplacian
 * edge image, the coordinate (positional) image and nearest-neighbour warping by a backward flow.
 * Pure Java; OpenCV-backed steps (inpainting, LAB) live in {@link OpenCvOps}.
 */
public final class GuideImages {
	private GuideImages() {}

	/**
	 * Laplacian {@code [[0,-1,0],[-1,4,-1],[0,-1,0]]} per colour channel on the 8-bit values, result
	 * saturated to 0..255 (negative responses become 0), reflect-101 border (as OpenCV's
	 * {@code filter2D(img, -1, kernel)}).
	 */
	public static Rgb8Image laplacianEdge(Rgb8Image img) {
		int w = img.width(), h = img.height();
		byte[] s = img.data();
		byte[] d = new byte[s.length];
		for (int y = 0; y < h; y++) {
			int yu = reflect101(y - 1, h), yd = reflect101(y + 1, h);
			for (int x = 0; x < w; x++) {
				int xl = reflect101(x - 1, w), xr = reflect101(x + 1, w);
				for (int c = 0; c < 3; c++) {
					int v = 4 * (s[3 * (y * w + x) + c] & 0xff)
						- (s[3 * (yu * w + x) + c] & 0xff) - (s[3 * (yd * w + x) + c] & 0xff)
						- (s[3 * (y * w + xl) + c] & 0xff) - (s[3 * (y * w + xr) + c] & 0xff);
					d[3 * (y * w + x) + c] = (byte) (v < 0 ? 0 : v > 255 ? 255 : v);
				}
			}
		}
		return new Rgb8Image(w, h, d);
	}

	/** Reflect-101 index ({@code -1 → 1}, {@code n → n-2}); a size-1 axis maps everything to 0. */
	static int reflect101(int i, int n) {
		if (n == 1) return 0;
		while (i < 0 || i >= n) {
			if (i < 0) i = -i;
			if (i >= n) i = 2 * n - 2 - i;
		}
		return i;
	}

	/** The positional guide's first image: R = floor(255·row/(H−1)), G = floor(255·col/(W−1)), B = 0. */
	public static Rgb8Image coordinateImage(int width, int height) {
		byte[] d = new byte[3 * width * height];
		for (int y = 0; y < height; y++) {
			int r = height == 1 ? 0 : (int) Math.floor(255.0 * y / (height - 1));
			for (int x = 0; x < width; x++) {
				int g = width == 1 ? 0 : (int) Math.floor(255.0 * x / (width - 1));
				d[3 * (y * width + x)] = (byte) r;
				d[3 * (y * width + x) + 1] = (byte) g;
			}
		}
		return new Rgb8Image(width, height, d);
	}

	/**
	 * Nearest-neighbour backward warp: output pixel p takes the source pixel nearest to
	 * {@code p + flow(p)} (PyTorch {@code grid_sample} nearest, as the original); zero outside.
	 *
	 * @param flow 2 channels (dx, dy), same size as the image
	 */
	public static Rgb8Image warpNearest(Rgb8Image src, FloatImage flow) {
		checkFlow(src.width(), src.height(), flow);
		return FlowOps.warpNearest(src, new FlowField(flow));
	}

	/** {@link #warpNearest(Rgb8Image, FloatImage)} for a one-byte-per-pixel 0/1 mask. */
	public static byte[] warpNearestMask(byte[] mask, int w, int h, FloatImage flow) {
		checkFlow(w, h, flow);
		float[] m = new float[w * h];
		for (int p = 0; p < m.length; p++) m[p] = mask[p];
		float[] warped = FlowOps.warpNearest(new FloatImage(w, h, 1, m), new FlowField(flow)).data();
		byte[] d = new byte[w * h];
		for (int p = 0; p < d.length; p++) d[p] = (byte) warped[p];
		return d;
	}

	private static void checkFlow(int w, int h, FloatImage flow) {
		if (flow.channels() != 2 || flow.width() != w || flow.height() != h)
			throw new IllegalArgumentException("flow must be " + w + "x" + h + "x2, is " + flow.width() + "x" + flow.height() + "x" + flow.channels());
	}
}
