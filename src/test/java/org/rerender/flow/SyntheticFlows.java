package org.rerender.flow;

import java.util.Random;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * Known flow fields for accuracy tests: a frame b is made from a real frame a by sampling a at
 * x + t(x) (bilinear, {@link FlowOps#warpBilinear}, rounded to 8 bits), so t is exactly the flow b→a on
 * b's grid, which an estimator's {@code flow(b, a)} should return.
 */
final class SyntheticFlows {
	private SyntheticFlows() {}

	enum Kind { TRANSLATION, ROTATION_ZOOM, SMOOTH_RANDOM }

	static FlowField field(Kind kind, int w, int h, long seed) {
		FlowField f = FlowField.zeros(w, h);
		double cx = (w - 1) / 2.0, cy = (h - 1) / 2.0;
		Random r = new Random(seed);
		switch (kind) {
			case TRANSLATION -> {
				for (int y = 0; y < h; y++)
					for (int x = 0; x < w; x++) f.set(x, y, 3.7f, -2.3f);
			}
			case ROTATION_ZOOM -> { // target pixel x comes from s·R(θ)(x − c) + c: 3° and 4 % zoom
				double th = Math.toRadians(3), s = 1.04, co = s * Math.cos(th), si = s * Math.sin(th);
				for (int y = 0; y < h; y++)
					for (int x = 0; x < w; x++) {
						double dx = x - cx, dy = y - cy;
						f.set(x, y, (float) (co * dx - si * dy + cx - x), (float) (si * dx + co * dy + cy - y));
					}
			}
			case SMOOTH_RANDOM -> { // four random low-frequency waves per component, up to ~12 px
				int n = 4;
				double[][] p = new double[2 * n][4];
				for (double[] q : p) {
					q[0] = 3 * (r.nextDouble() - 0.5); // amplitude
					q[1] = 2 * Math.PI * (0.5 + 1.5 * r.nextDouble()) / w * (r.nextBoolean() ? 1 : -1);
					q[2] = 2 * Math.PI * (0.5 + 1.5 * r.nextDouble()) / h * (r.nextBoolean() ? 1 : -1);
					q[3] = 2 * Math.PI * r.nextDouble();
				}
				for (int y = 0; y < h; y++)
					for (int x = 0; x < w; x++) {
						double u = 0, v = 0;
						for (int i = 0; i < n; i++) {
							u += 2 * p[i][0] * Math.sin(p[i][1] * x + p[i][2] * y + p[i][3]);
							v += 2 * p[n + i][0] * Math.sin(p[n + i][1] * x + p[n + i][2] * y + p[n + i][3]);
						}
						f.set(x, y, (float) u, (float) v);
					}
			}
		}
		return f;
	}

	/** Frame b = a sampled at x + t(x), bilinear, rounded to 8 bits. */
	static Rgb8Image warp(Rgb8Image a, FlowField t) {
		FloatImage w = FlowOps.warpBilinear(a.toFloat(), t);
		byte[] out = new byte[w.data().length];
		for (int i = 0; i < out.length; i++) out[i] = (byte) Math.max(0, Math.min(255, Math.round(w.data()[i])));
		return new Rgb8Image(a.width(), a.height(), out);
	}

	/** Result of comparing an estimate with the truth. */
	record Epe(double mean, double outliers, double meanMagnitude, int pixels) {}

	/**
	 * Mean end-point error over pixels at least {@code border} px inside the frame whose true source
	 * x + t(x) also lies that far inside (elsewhere b has no real content); {@code outliers} is the
	 * fraction with error above 1 px.
	 */
	static Epe epe(FlowField est, FlowField truth, int border) {
		int w = truth.width(), h = truth.height(), n = 0, out = 0;
		double sum = 0, mag = 0;
		for (int y = border; y < h - border; y++)
			for (int x = border; x < w - border; x++) {
				float tu = truth.u(x, y), tv = truth.v(x, y);
				double sx = x + tu, sy = y + tv;
				if (sx < border || sx > w - 1 - border || sy < border || sy > h - 1 - border) continue;
				double e = Math.hypot(est.u(x, y) - tu, est.v(x, y) - tv);
				sum += e;
				mag += Math.hypot(tu, tv);
				if (e > 1) out++;
				n++;
			}
		return new Epe(sum / n, (double) out / n, mag / n, n);
	}
}
