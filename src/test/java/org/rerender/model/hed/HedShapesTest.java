package org.rerender.model.hed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Djl;
import org.rerender.image.Rgb8Image;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.SafetensorsWriter;
import org.rerender.model.io.TensorSource;
import org.rerender.testing.TensorAssert;

/**
 * What the shipped fixture (72×96, widths 8/16/32/64/64) cannot show: other widths are read off the weights, and
 * odd, non-square sizes (every 2×2 floor max-pool drops a row or column) keep height and width apart. The check is
 * self-consistent: with every 3×3 kernel transposed, the detector on the transposed image must give the transposed
 * side outputs, resized stack and edge map (a height/width mix-up anywhere breaks it when H ≠ W).
 */
class HedShapesTest {

	private static final int[] WIDTHS = {4, 8, 16, 24, 24};

	@TempDir
	Path tmp;

	@Test
	void otherWidthsAndOddNonSquareSizes() {
		Path plain = weights(tmp.resolve("hed.safetensors"), false);
		Path transposed = weights(tmp.resolve("hed-t.safetensors"), true);
		int w = 23, h = 17; // sides 17×23, 8×11, 4×5, 2×2, 1×1
		Rgb8Image img = new Rgb8Image(w, h), imgT = new Rgb8Image(h, w);
		Random r = new Random(3);
		for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int c = 0; c < 3; c++) {
			int v = r.nextInt(256);
			img.set(x, y, c, v);
			imgT.set(y, x, c, v);
		}
		try (NDManager m = Djl.newCpuManager(); NDManager run = Djl.newCpuManager()) {
			HedDetector det = HedDetector.load(plain, m, DataType.FLOAT32), detT = HedDetector.load(transposed, m, DataType.FLOAT32);
			try (TensorSource s = Checkpoints.open(plain)) {
				assertArrayEquals(WIDTHS, HedConfig.fromWeights(s).channels());
			}
			HedDetector.Details d = det.analyse(img, run), t = detT.analyse(imgT, run);
			int[][] sizes = {{17, 23}, {8, 11}, {4, 5}, {2, 2}, {1, 1}};
			for (int k = 0; k < 5; k++) {
				HedDetector.Side a = d.sides().get(k), b = t.sides().get(k);
				assertEquals(sizes[k][0], a.height(), "side" + (k + 1) + " height");
				assertEquals(sizes[k][1], a.width(), "side" + (k + 1) + " width");
				assertEquals(a.height(), b.width());
				assertEquals(a.width(), b.height());
				TensorAssert.assertClose("side" + (k + 1), transpose(b.data(), b.height(), b.width(), 1), a.data(), 1e-4, 1e-4);
			}
			TensorAssert.assertClose("sides_resized", transpose(t.sidesResized(), w, h, 5), d.sidesResized(), 1e-4, 1e-4);
			assertEquals(w, d.edge().width());
			assertEquals(h, d.edge().height());
			byte[] e = d.edge().data(), et = d.edge().data().clone();
			byte[] te = t.edge().data();
			for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) et[y * w + x] = te[x * h + y];
			int off = 0;
			for (int i = 0; i < e.length; i++) {
				int diff = Math.abs((e[i] & 0xff) - (et[i] & 0xff));
				assertTrue(diff <= 1, "edge pixel " + i + " differs by " + diff);
				off += diff;
			}
			assertTrue(off <= 2, off + " edge pixels off by one");
			// 16 pixels is the least a 5-block network takes (four floor halvings): side5 is 1×2 here
			HedDetector.Details small = det.analyse(new Rgb8Image(40, 16), run);
			assertEquals(1, small.sides().get(4).height());
			assertEquals(2, small.sides().get(4).width());
		}
	}

	/** rows × cols × ch (row-major) to cols × rows × ch. */
	private static float[] transpose(float[] a, int rows, int cols, int ch) {
		float[] o = new float[a.length];
		for (int y = 0; y < rows; y++) for (int x = 0; x < cols; x++) for (int c = 0; c < ch; c++)
			o[(x * rows + y) * ch + c] = a[(y * cols + x) * ch + c];
		return o;
	}

	/** Seeded weights of widths {@link #WIDTHS} (same values for both files; kernels transposed in one). */
	private static Path weights(Path file, boolean transposeKernels) {
		Random r = new Random(11);
		SafetensorsWriter out = new SafetensorsWriter();
		for (Map.Entry<String, long[]> e : new HedConfig(WIDTHS, new int[] {2, 2, 3, 3, 3}).expectedShapes().entrySet()) {
			long[] s = e.getValue();
			int n = 1;
			for (long d : s) n *= (int) d;
			float[] v = new float[n];
			boolean norm = e.getKey().equals("norm");
			double bound = norm ? 0 : 1.0 / Math.sqrt(s.length == 4 ? s[1] * s[2] * s[3] : 8);
			for (int i = 0; i < n; i++) v[i] = norm ? 100f + 40f * r.nextFloat() : (float) ((2 * r.nextDouble() - 1) * bound);
			if (transposeKernels && s.length == 4 && s[2] == 3) {
				float[] t = v.clone();
				for (int o = 0; o < n / 9; o++) for (int ky = 0; ky < 3; ky++) for (int kx = 0; kx < 3; kx++)
					t[o * 9 + kx * 3 + ky] = v[o * 9 + ky * 3 + kx];
				v = t;
			}
			out.addF32(e.getKey(), s, v);
		}
		out.write(file);
		return file;
	}
}
