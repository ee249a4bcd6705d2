package org.rerender.diffusion.constraints;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.rerender.model.nn.DeviceConstants;
import org.rerender.model.nn.Scalars;

/**
 * FreeU's skip-feature filter (rerender-algorithm.md §3 "FreeU"): 2-D FFT over (H, W), fftshift,
 * multiply the block of shifted rows {H//2−1, H//2} and columns {W//2−1, W//2} (Python slice rules, so
 * H = 1 keeps only row 0) by s, undo the shift, inverse FFT, keep the real part.
 *
 * <p>Only those (at most) 2×2 frequencies change, so instead of a complex FFT (awkward in F16 and on
 * sizes that are not powers of two) the filter is written as x + (s − 1)·Re(P x), where P projects on the
 * selected Fourier components. Each component is a rank-one real-linear map built from cos/sin tables:
 * Re(X_k e^{iφ_k}) with X_k = Σ x·e^{−iθ_k}. This costs two small matmuls per axis and is exact up to
 * round-off (the FFT round trip itself is not bitwise exact either).
 */
public final class FourierSkipFilter {
	private FourierSkipFilter() {}

	/** The frequencies (as integers mod n) that the original's shifted slice selects on an axis of size n. */
	static int[] selectedFrequencies(int n) {
		int crow = n / 2;
		int start = crow - 1, stop = crow + 1;
		if (start < 0) start += n;
		if (start < 0) start = 0;
		stop = Math.min(stop, n);
		int count = Math.max(0, stop - start);
		int[] f = new int[count];
		for (int i = 0; i < count; i++) f[i] = Math.floorMod(start + i - crow, n);
		return f;
	}

	/**
	 * Filters {@code x} [B, C, H, W]; returns a new array of the same dtype. With s = 1 it returns a copy.
	 */
	public static NDArray apply(NDArray x, double s) {
		int h = (int) x.getShape().get(2), w = (int) x.getShape().get(3);
		NDManager m = x.getManager();
		DataType dt = x.getDataType();
		int[] fy = selectedFrequencies(h), fx = selectedFrequencies(w);
		// cos/sin tables per axis: [n, nf]
		NDArray cy = table(m, h, fy, true), sy = table(m, h, fy, false);
		NDArray cx = table(m, w, fx, true), sx = table(m, w, fx, false);
		NDArray xf = x.toType(DataType.FLOAT32, false);
		// X_k = Σ_y Σ_x x e^{-i(θy+θx)} = Σ x (cos θy cos θx − sin θy sin θx) − i Σ x (sin θy cos θx + cos θy sin θx)
		NDArray xt = xf.transpose(0, 1, 3, 2); // [B,C,W,H]
		NDArray ac = xt.matMul(cy); // Σ_y x cos θy  -> [B,C,W,ky]
		NDArray as = xt.matMul(sy); // Σ_y x sin θy
		NDArray acT = ac.transpose(0, 1, 3, 2), asT = as.transpose(0, 1, 3, 2); // [B,C,ky,W]
		NDArray re = acT.matMul(cx).sub(asT.matMul(sx)); // Re X  [B,C,ky,kx]
		NDArray im = asT.matMul(cx).add(acT.matMul(sx)).neg(); // Im X
		// Re(X e^{iφ}) = Re X (cos φy cos φx − sin φy sin φx) − Im X (sin φy cos φx + cos φy sin φx)
		NDArray cyT = cy.transpose(), syT = sy.transpose(), cxT = cx.transpose(), sxT = sx.transpose();
		NDArray reY = cy.matMul(re), imY = cy.matMul(im); // [B,C,H,kx] weighted by cos φy
		NDArray reYs = sy.matMul(re), imYs = sy.matMul(im); // weighted by sin φy
		NDArray proj = reY.matMul(cxT).sub(reYs.matMul(sxT)).sub(imYs.matMul(cxT).add(imY.matMul(sxT)));
		NDArray out = xf.add(Scalars.mul(proj, (s - 1.0) / ((double) h * w)));
		return dt == DataType.FLOAT32 ? out : out.toType(dt, false);
	}

	private record TableKey(int n, java.util.List<Integer> freqs, boolean cos) {}

	/** The table, made once per device (see {@link DeviceConstants}) and borrowed into {@code m}; never modified. */
	private static NDArray table(NDManager m, int n, int[] freqs, boolean cos) {
		TableKey key = new TableKey(n, java.util.Arrays.stream(freqs).boxed().toList(), cos);
		// borrowed into m: the tables are first operands below, so the results must not land in the constants' manager
		NDArray cached = DeviceConstants.borrow(m, key, cm -> makeTable(cm, n, freqs, cos));
		return cached != null ? cached : makeTable(m, n, freqs, cos);
	}

	private static NDArray makeTable(NDManager m, int n, int[] freqs, boolean cos) {
		float[] v = new float[n * freqs.length];
		for (int i = 0; i < n; i++)
			for (int k = 0; k < freqs.length; k++) {
				double theta = 2 * Math.PI * (((long) freqs[k] * i) % n) / n;
				v[i * freqs.length + k] = (float) (cos ? Math.cos(theta) : Math.sin(theta));
			}
		return m.create(v, new ai.djl.ndarray.types.Shape(n, freqs.length));
	}
}
