package org.rerender.propagate;

import org.rerender.image.Rgb8Image;

/**
 * Gradient-domain (Poisson) fusion of the forward and backward results (algorithm notes §4).
 * Per LAB channel it minimises {@code w²·|G x − g|² + |x − t|²}, where G are forward differences
 * (down, right) with target gradients g taken from the forward or backward result by the selection
 * mask (clipped to ±100), and t is the histogram-blended channel minus its mean. The normal equations
 * {@code (I + w²·GᵀG) x = t + w²·Gᵀg} are a screened Poisson system (SPD, condition number below
 * 1 + 8w²) solved by Jacobi-preconditioned conjugate gradients: a few tens of matrix-free iterations.
 */
public final class PoissonFusion {
	private PoissonFusion() {}

	/** Gradient weights for L, a, b. */
	public static final double[] CHANNEL_WEIGHTS = {2.5, 0.5, 0.5};
	static final double GRADIENT_CLIP = 100;
	static final double TOLERANCE = 1e-6;

	/** Fuses in RGB space (LAB through OpenCV); {@code blended} is the histogram-blended frame. */
	public static Rgb8Image fuse(Rgb8Image blended, Rgb8Image fwd, Rgb8Image bwd, byte[] mask) {
		int w = fwd.width(), h = fwd.height();
		byte[] lab = fuseLab(OpenCvOps.rgbToLab(blended), OpenCvOps.rgbToLab(fwd), OpenCvOps.rgbToLab(bwd), mask, w, h, CHANNEL_WEIGHTS);
		return OpenCvOps.labToRgb(lab, w, h);
	}

	/** The same on interleaved 3-channel buffers; the result is clipped to 0..255 and truncated. */
	public static byte[] fuseLab(byte[] blended, byte[] a, byte[] b, byte[] mask, int w, int h, double[] weights) {
		int n = w * h;
		if (blended.length != 3 * n || a.length != 3 * n || b.length != 3 * n || mask.length != n)
			throw new IllegalArgumentException("Poisson fusion inputs differ in size");
		byte[] out = new byte[3 * n];
		double[] gx = new double[n], gy = new double[n], t = new double[n];
		for (int c = 0; c < 3; c++) {
			double mean = 0;
			for (int p = 0; p < n; p++) mean += blended[3 * p + c] & 0xff;
			mean /= n;
			for (int y = 0; y < h; y++)
				for (int x = 0; x < w; x++) {
					int p = y * w + x;
					byte[] s = mask[p] != 0 ? b : a;
					int v = s[3 * p + c] & 0xff;
					gx[p] = y < h - 1 ? clip(v - (s[3 * (p + w) + c] & 0xff)) : 0;
					gy[p] = x < w - 1 ? clip(v - (s[3 * (p + 1) + c] & 0xff)) : 0;
					t[p] = (blended[3 * p + c] & 0xff) - mean;
				}
			double[] sol = solve(t, gx, gy, w, h, weights[c]);
			for (int p = 0; p < n; p++) {
				double v = sol[p] + mean;
				out[3 * p + c] = (byte) (v <= 0 ? 0 : v >= 255 ? 255 : (int) v);
			}
		}
		return out;
	}

	private static double clip(double v) {
		return Math.max(-GRADIENT_CLIP, Math.min(GRADIENT_CLIP, v));
	}

	/**
	 * Minimises {@code weight²·(|Gx·x − gx|² + |Gy·x − gy|²) + |x − t|²} where
	 * {@code (Gx·x)(p) = x(p) − x(p + one row)} for rows above the last and
	 * {@code (Gy·x)(p) = x(p) − x(p + 1)} for columns left of the last (entries of gx/gy on the last
	 * row/column are ignored).
	 */
	public static double[] solve(double[] t, double[] gx, double[] gy, int w, int h, double weight) {
		int n = w * h;
		double w2 = weight * weight;
		// right-hand side t + w²·(Gxᵀ gx + Gyᵀ gy)
		double[] rhs = t.clone();
		double[] diag = new double[n];
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				int p = y * w + x;
				if (y < h - 1) {
					rhs[p] += w2 * gx[p];
					rhs[p + w] -= w2 * gx[p];
				}
				if (x < w - 1) {
					rhs[p] += w2 * gy[p];
					rhs[p + 1] -= w2 * gy[p];
				}
				int deg = (y > 0 ? 1 : 0) + (y < h - 1 ? 1 : 0) + (x > 0 ? 1 : 0) + (x < w - 1 ? 1 : 0);
				diag[p] = 1 + w2 * deg;
			}
		double[] x = t.clone();
		double[] r = new double[n], z = new double[n], d = new double[n], q = new double[n];
		apply(x, q, w, h, w2);
		double rr0 = 0;
		for (int p = 0; p < n; p++) {
			r[p] = rhs[p] - q[p];
			rr0 += rhs[p] * rhs[p];
		}
		double stop = TOLERANCE * TOLERANCE * Math.max(rr0, 1e-30);
		double rz = 0;
		for (int p = 0; p < n; p++) {
			z[p] = r[p] / diag[p];
			d[p] = z[p];
			rz += r[p] * z[p];
		}
		for (int it = 0; it < 10 * n + 100; it++) {
			double rr = 0;
			for (int p = 0; p < n; p++) rr += r[p] * r[p];
			if (rr <= stop) break;
			apply(d, q, w, h, w2);
			double dq = 0;
			for (int p = 0; p < n; p++) dq += d[p] * q[p];
			double alpha = rz / dq;
			double rzNew = 0;
			for (int p = 0; p < n; p++) {
				x[p] += alpha * d[p];
				r[p] -= alpha * q[p];
				z[p] = r[p] / diag[p];
				rzNew += r[p] * z[p];
			}
			double beta = rzNew / rz;
			rz = rzNew;
			for (int p = 0; p < n; p++) d[p] = z[p] + beta * d[p];
		}
		return x;
	}

	/** out = (I + w²·L)·v with the Neumann 4-neighbour graph Laplacian L = GxᵀGx + GyᵀGy. */
	private static void apply(double[] v, double[] out, int w, int h, double w2) {
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				int p = y * w + x;
				double c = v[p], lap = 0;
				if (y > 0) lap += c - v[p - w];
				if (y < h - 1) lap += c - v[p + w];
				if (x > 0) lap += c - v[p - 1];
				if (x < w - 1) lap += c - v[p + 1];
				out[p] = c + w2 * lap;
			}
	}
}
