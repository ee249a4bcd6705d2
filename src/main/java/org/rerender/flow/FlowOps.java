package org.rerender.flow;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * The original's flow helpers, ported exactly (Rerender {@code flow/flow_utils.py} and the mask
 * arithmetic of {@code rerender.py}): warping with PyTorch's {@code grid_sample(align_corners=True,
 * padding_mode='zeros')} arithmetic in float32, the forward–backward consistency check, and the
 * max-pool / Gaussian-blur soft mask. Images are {@link FloatImage}s of any channel count; masks have
 * one channel with values 0/1 (occlusion: 1 = occluded).
 */
public final class FlowOps {
	/** Consistency check constants (UnFlow's, as in the original): occluded iff diff &gt; ALPHA·(|f|+|b|) + BETA. */
	public static final float ALPHA = 0.01f, BETA = 0.5f;
	/** The soft-mask blur: 9 taps, sigma 18 (torchvision {@code GaussianBlur((9, 9), sigma=(18, 18))}). */
	public static final int BLUR_SIZE = 9;
	public static final float BLUR_SIGMA = 18f;

	private static final int PARALLEL_MIN_PIXELS = 1 << 15;

	private FlowOps() {}

	// ---------------------------------------------------------------- warping

	/**
	 * Samples {@code image} at x + flow(x) for every pixel x of the flow's grid, bilinearly, with zeros
	 * outside the frame: the original's {@code flow_warp(image, flow)}. Coordinates follow PyTorch in
	 * float32: x' = x + u; g = 2x'/(W−1) − 1; ix = (g + 1)·(W−1)/2 (likewise y); then the four corners
	 * with weights from floor(ix), each corner outside the frame contributing 0.
	 */
	public static FloatImage warpBilinear(FloatImage image, FlowField flow) {
		checkSameSize(image, flow);
		int w = image.width(), h = image.height(), c = image.channels();
		float[] src = image.data(), fl = flow.data();
		float[] out = new float[src.length];
		float sx = (float) (w - 1) / 2, sy = (float) (h - 1) / 2;
		float wm1 = w - 1, hm1 = h - 1;
		rows(h, w, y -> {
			for (int x = 0; x < w; x++) {
				int p = y * w + x;
				float ix = unnormalize(normalize((float) x + fl[2 * p], wm1), sx);
				float iy = unnormalize(normalize((float) y + fl[2 * p + 1], hm1), sy);
				if (!(ix > -1f && ix < w && iy > -1f && iy < h)) continue; // all corners outside (or NaN): zero
				float xw = (float) Math.floor(ix), yn = (float) Math.floor(iy);
				float we = ix - xw, ea = 1f - we, no = iy - yn, so = 1f - no;
				float nw = so * ea, ne = so * we, sw = no * ea, se = no * we;
				int x0 = (int) xw, y0 = (int) yn, x1 = x0 + 1, y1 = y0 + 1;
				boolean bx0 = x0 >= 0, bx1 = x1 < w, by0 = y0 >= 0, by1 = y1 < h;
				int o = c * p;
				for (int k = 0; k < c; k++) {
					float vnw = bx0 && by0 ? src[c * (y0 * w + x0) + k] : 0f;
					float vne = bx1 && by0 ? src[c * (y0 * w + x1) + k] : 0f;
					float vsw = bx0 && by1 ? src[c * (y1 * w + x0) + k] : 0f;
					float vse = bx1 && by1 ? src[c * (y1 * w + x1) + k] : 0f;
					out[o + k] = vnw * nw + vne * ne + vsw * sw + vse * se;
				}
			}
		});
		return new FloatImage(w, h, c, out);
	}

	/**
	 * Like {@link #warpBilinear} but takes the nearest pixel, rounding the float32 sample coordinate
	 * half to even (PyTorch {@code mode='nearest'}); zero outside the frame.
	 */
	public static FloatImage warpNearest(FloatImage image, FlowField flow) {
		checkSameSize(image, flow);
		int w = image.width(), h = image.height(), c = image.channels();
		float[] src = image.data(), out = new float[src.length];
		int[] idx = nearestIndex(flow);
		for (int p = 0; p < idx.length; p++)
			if (idx[p] >= 0) System.arraycopy(src, c * idx[p], out, c * p, c);
		return new FloatImage(w, h, c, out);
	}

	/** {@link #warpNearest(FloatImage, FlowField)} for an 8-bit RGB image (black outside the frame). */
	public static Rgb8Image warpNearest(Rgb8Image image, FlowField flow) {
		if (image.width() != flow.width() || image.height() != flow.height())
			throw new IllegalArgumentException("Image " + image.width() + "x" + image.height() + " and " + flow + " differ in size");
		byte[] src = image.data(), out = new byte[src.length];
		int[] idx = nearestIndex(flow);
		for (int p = 0; p < idx.length; p++)
			if (idx[p] >= 0) System.arraycopy(src, 3 * idx[p], out, 3 * p, 3);
		return new Rgb8Image(image.width(), image.height(), out);
	}

	/** For every pixel of the flow's grid, the index of the nearest source pixel, or −1 outside. */
	private static int[] nearestIndex(FlowField flow) {
		int w = flow.width(), h = flow.height();
		checkWarpable(w, h);
		float[] fl = flow.data();
		int[] idx = new int[w * h];
		float sx = (float) (w - 1) / 2, sy = (float) (h - 1) / 2;
		float wm1 = w - 1, hm1 = h - 1;
		rows(h, w, y -> {
			for (int x = 0; x < w; x++) {
				int p = y * w + x;
				float ix = unnormalize(normalize((float) x + fl[2 * p], wm1), sx);
				float iy = unnormalize(normalize((float) y + fl[2 * p + 1], hm1), sy);
				double rx = Math.rint(ix), ry = Math.rint(iy); // half to even, as PyTorch
				idx[p] = rx >= 0 && rx < w && ry >= 0 && ry < h ? (int) ry * w + (int) rx : -1;
			}
		});
		return idx;
	}

	/** {@code 2·s/(n−1) − 1} in float32 (the original's {@code bilinear_sample}). */
	private static float normalize(float s, float nm1) {
		return 2f * s / nm1 - 1f;
	}

	/** {@code (g + 1)·((n−1)/2)} in float32 (grid_sample's align_corners unnormalisation). */
	private static float unnormalize(float g, float half) {
		return (g + 1f) * half;
	}

	// ---------------------------------------------------------------- consistency check

	/** The quantities the forward–backward check compares, each a 1-channel image on f's grid. */
	public record Consistency(FloatImage diff, FloatImage threshold, FloatImage occluded) {}

	/**
	 * The consistency check of flow {@code f} against the opposite flow {@code b}, on f's grid:
	 * diff = |f + warpBilinear(b, f)|, threshold = 0.01·(|f| + |b|) + 0.5 (norms at the same pixel,
	 * unwarped), occluded = diff &gt; threshold (strict), as 0/1. {@code check(fwd, bwd)} gives the
	 * original's {@code fwd_occ}, {@code check(bwd, fwd)} its {@code bwd_occ}.
	 */
	public static Consistency check(FlowField f, FlowField b) {
		if (!f.sameSize(b)) throw new IllegalArgumentException("Flows differ in size: " + f + ", " + b);
		int w = f.width(), h = f.height();
		float[] fd = f.data(), bd = b.data(), wb = warpBilinear(b.image(), f).data();
		float[] diff = new float[w * h], thr = new float[w * h], occ = new float[w * h];
		rows(h, w, y -> {
			for (int p = y * w, end = p + w; p < end; p++) {
				float fu = fd[2 * p], fv = fd[2 * p + 1], bu = bd[2 * p], bv = bd[2 * p + 1];
				float du = fu + wb[2 * p], dv = fv + wb[2 * p + 1];
				float d = norm(du, dv);
				float t = ALPHA * (norm(fu, fv) + norm(bu, bv)) + BETA;
				diff[p] = d;
				thr[p] = t;
				occ[p] = d > t ? 1f : 0f;
			}
		});
		return new Consistency(new FloatImage(w, h, 1, diff), new FloatImage(w, h, 1, thr), new FloatImage(w, h, 1, occ));
	}

	/** The occlusion mask of flow {@code f} checked against {@code b} (1 = occluded), see {@link #check}. */
	public static FloatImage occlusion(FlowField f, FlowField b) {
		return check(f, b).occluded();
	}

	private static float norm(float x, float y) {
		return (float) Math.sqrt((double) x * x + (double) y * y);
	}

	// ---------------------------------------------------------------- masks

	/**
	 * The original's soft blend mask {@code clamp(blur(maxpool9(occ)) + occ, 0, 1)}: 1 where occluded or
	 * near an occlusion, fading out over about 8 pixels. Exact 0 and 1 stay exact.
	 */
	public static FloatImage softMask(FloatImage occ) {
		FloatImage b = gaussianBlur9(maxPool9(occ));
		float[] bd = b.data(), od = occ.data();
		for (int i = 0; i < bd.length; i++) bd[i] = clamp01(bd[i] + od[i]);
		return b;
	}

	/** Logical AND of two 0/1 masks, computed as the original does: {@code 1 − clamp((1−a) + (1−b), 0, 1)}. */
	public static FloatImage and(FloatImage a, FloatImage b) {
		checkSame(a, b);
		float[] ad = a.data(), bd = b.data(), out = new float[ad.length];
		for (int i = 0; i < out.length; i++) out[i] = 1f - clamp01((1f - ad[i]) + (1f - bd[i]));
		return new FloatImage(a.width(), a.height(), a.channels(), out);
	}

	/** {@code 1 − m} per element, in float32. */
	public static FloatImage oneMinus(FloatImage m) {
		float[] d = m.data(), out = new float[d.length];
		for (int i = 0; i < d.length; i++) out[i] = 1f - d[i];
		return new FloatImage(m.width(), m.height(), m.channels(), out);
	}

	/** Max-pool 9×9, stride 1, padding 4 (padding never wins): same size as the input. */
	public static FloatImage maxPool9(FloatImage m) {
		return maxPool(m, 9, 1, 4);
	}

	/** Max-pool 3×3, stride 1, padding 1: same size as the input. */
	public static FloatImage maxPool3(FloatImage m) {
		return maxPool(m, 3, 1, 1);
	}

	/** Max-pool 8×8, stride 8, no padding: floor(W/8) × floor(H/8) (pixel grid → latent grid). */
	public static FloatImage maxPool8(FloatImage m) {
		return maxPool(m, 8, 8, 0);
	}

	/**
	 * PyTorch {@code max_pool2d(kernel, stride, padding)} per channel (floor mode, padding = −∞, NaN
	 * propagates). Output side = floor((n + 2·padding − kernel)/stride) + 1.
	 */
	public static FloatImage maxPool(FloatImage m, int kernel, int stride, int padding) {
		if (kernel < 1 || stride < 1 || padding < 0 || 2 * padding > kernel)
			throw new IllegalArgumentException("Invalid max-pool kernel " + kernel + ", stride " + stride + ", padding " + padding);
		int w = m.width(), h = m.height(), c = m.channels();
		int ow = (w + 2 * padding - kernel) / stride + 1, oh = (h + 2 * padding - kernel) / stride + 1;
		if (ow < 1 || oh < 1)
			throw new IllegalArgumentException("Image " + w + "x" + h + " is smaller than the " + kernel + "x" + kernel + " pool");
		float[] src = m.data(), rowMax = new float[c * ow * h], out = new float[c * ow * oh];
		rows(h, w, y -> { // horizontal pass: every input row, output columns
			for (int ox = 0; ox < ow; ox++) {
				int x0 = Math.max(0, ox * stride - padding), x1 = Math.min(w, ox * stride - padding + kernel);
				for (int k = 0; k < c; k++) {
					float best = Float.NEGATIVE_INFINITY;
					for (int x = x0; x < x1; x++) best = max(best, src[c * (y * w + x) + k]);
					rowMax[c * (y * ow + ox) + k] = best;
				}
			}
		});
		rows(oh, ow, oy -> { // vertical pass
			int y0 = Math.max(0, oy * stride - padding), y1 = Math.min(h, oy * stride - padding + kernel);
			for (int ox = 0; ox < ow; ox++)
				for (int k = 0; k < c; k++) {
					float best = Float.NEGATIVE_INFINITY;
					for (int y = y0; y < y1; y++) best = max(best, rowMax[c * (y * ow + ox) + k]);
					out[c * (oy * ow + ox) + k] = best;
				}
		});
		return new FloatImage(ow, oh, c, out);
	}

	private static float max(float a, float b) {
		return b > a || b != b ? b : a;
	}

	/**
	 * The 1-D kernel of torchvision's {@code GaussianBlur(9, sigma=18)}, computed as torchvision does in
	 * float32: x = linspace(−4, 4, 9), pdf = exp(−0.5·(x/σ)²), kernel = pdf / sum(pdf).
	 */
	public static float[] gaussianKernel(int size, float sigma) {
		float[] k = new float[size];
		float half = (size - 1) * 0.5f, sum = 0;
		for (int i = 0; i < size; i++) {
			float x = -half + i; // linspace of integers (or halves) is exact
			float r = x / sigma;
			k[i] = (float) Math.exp(-0.5f * (r * r));
			sum += k[i];
		}
		for (int i = 0; i < size; i++) k[i] /= sum;
		return k;
	}

	/**
	 * The original's {@code blur}: 9×9 Gaussian with σ 18 and reflect padding (mirror without repeating the
	 * edge pixel), per channel. Computed as PyTorch's float32 {@code conv2d} with the 2-D kernel
	 * k2[i][j] = k[i]·k[j]: one float32 accumulator per output, kernel rows outer, columns inner. On 0/1
	 * masks (its only use) this is bitwise equal to the reference, including its exact 0 and 1.
	 */
	public static FloatImage gaussianBlur9(FloatImage m) {
		return gaussianBlur(m, gaussianKernel(BLUR_SIZE, BLUR_SIGMA));
	}

	/** 2-D blur with the outer product of an odd 1-D kernel with itself and reflect padding, per channel. */
	public static FloatImage gaussianBlur(FloatImage m, float[] kernel) {
		int n = kernel.length, r = n / 2;
		if (n % 2 != 1) throw new IllegalArgumentException("Blur kernel needs an odd size");
		int w = m.width(), h = m.height(), c = m.channels();
		float[] k2 = new float[n * n];
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++) k2[n * i + j] = kernel[i] * kernel[j];
		int[] rx = new int[w + 2 * r], ry = new int[h + 2 * r];
		for (int i = 0; i < rx.length; i++) rx[i] = reflect(i - r, w);
		for (int i = 0; i < ry.length; i++) ry[i] = reflect(i - r, h);
		float[] src = m.data(), out = new float[src.length];
		// Zero terms leave a float32 sum unchanged, so outputs whose window holds only zeros are exactly 0:
		// skip them (masks are mostly 0). The reflected window lies inside the clipped 9x9 one.
		float[] any = new float[w * h];
		for (int p = 0; p < any.length; p++)
			for (int k = 0; k < c; k++) if (src[c * p + k] != 0f) any[p] = 1f;
		float[] near = maxPool(new FloatImage(w, h, 1, any), n, 1, r).data();
		rows(h, w, y -> {
			for (int x = 0; x < w; x++) {
				if (near[y * w + x] == 0f) continue;
				for (int k = 0; k < c; k++) {
					float s = 0f;
					for (int i = 0; i < n; i++) {
						int row = ry[y + i] * w, ki = n * i;
						for (int j = 0; j < n; j++) s += k2[ki + j] * src[c * (row + rx[x + j]) + k];
					}
					out[c * (y * w + x) + k] = s;
				}
			}
		});
		return new FloatImage(w, h, c, out);
	}

	/** Reflect (mirror, edge not repeated) index into 0..n−1, folding as often as needed. */
	static int reflect(int i, int n) {
		if (n == 1) return 0;
		int period = 2 * (n - 1);
		i = Math.floorMod(i, period);
		return i < n ? i : period - i;
	}

	private static float clamp01(float v) {
		return v < 0f ? 0f : v > 1f ? 1f : v;
	}

	// ---------------------------------------------------------------- helpers

	private static void rows(int h, int w, IntConsumer row) {
		if ((long) w * h >= PARALLEL_MIN_PIXELS) IntStream.range(0, h).parallel().forEach(row);
		else for (int y = 0; y < h; y++) row.accept(y);
	}

	private static void checkSameSize(FloatImage image, FlowField flow) {
		if (image.width() != flow.width() || image.height() != flow.height())
			throw new IllegalArgumentException("Image " + image.width() + "x" + image.height() + " and " + flow + " differ in size");
		checkWarpable(flow.width(), flow.height());
	}

	private static void checkWarpable(int w, int h) {
		if (w < 2 || h < 2) throw new IllegalArgumentException("Warping needs at least 2x2 pixels, got " + w + "x" + h);
	}

	private static void checkSame(FloatImage a, FloatImage b) {
		if (!a.sameSize(b) || a.channels() != b.channels())
			throw new IllegalArgumentException("Masks differ in size or channels");
	}
}
