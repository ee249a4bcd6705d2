package org.rerender.model.hed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.rerender.image.Rgb8Image;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.TensorSource;
import org.rerender.testing.Fixtures;
import org.rerender.testing.TensorAssert;
import org.rerender.testing.TestDevice;

/** HED annotator against {@code hed/hed-reference.safetensors} (fixtures README §7). */
class HedParityTest {

	@Test
	void sideOutputsResizedStackEdgeAndControl() {
		try (TensorSource w = Checkpoints.open(Fixtures.file("hed/tiny-hed.pth"));
			SafetensorsFile ref = SafetensorsFile.open(Fixtures.file("hed/hed-reference.safetensors"));
			NDManager weights = TestDevice.newManager(); NDManager run = TestDevice.newManager())
		{
			HedNetwork net = HedNetwork.load(w, weights, DataType.FLOAT32);
			long[] s = ref.info("in.image").shape(); // H, W, 3
			int h = (int) s[0], wd = (int) s[1];
			Rgb8Image img = new Rgb8Image(wd, h, ref.bytes("in.image"));
			HedDetector.Details d = new HedDetector(net).analyse(img, run);
			int n = net.config().blocks();
			assertEquals(n, d.sides().size());
			for (int k = 0; k < n; k++) {
				String name = "out.side" + (k + 1);
				long[] rs = ref.info(name).shape();
				HedDetector.Side side = d.sides().get(k);
				assertArrayEquals(new long[] {1, 1, side.height(), side.width()}, rs, name);
				report(name, TensorAssert.assertClose(name, side.data(), ref.floats(name), 1e-4, 1e-4));
			}
			assertArrayEquals(new long[] {h, wd, n}, ref.info("out.sides_resized").shape());
			report("out.sides_resized",
				TensorAssert.assertClose("out.sides_resized", d.sidesResized(), ref.floats("out.sides_resized"), 1e-4, 1e-4));
			byte[] edge = d.edge().data();
			byte[] expected = ref.bytes("out.edge");
			assertEquals(expected.length, edge.length);
			int off = 0;
			for (int i = 0; i < edge.length; i++) {
				int diff = Math.abs((edge[i] & 0xff) - (expected[i] & 0xff));
				assertTrue(diff <= 1, "edge pixel " + i + " differs by " + diff);
				if (diff == 1) off++;
			}
			assertTrue(off <= 0.005 * edge.length, off + " edge pixels differ by one level");
			System.out.printf("out.edge: %d of %d pixels off by one%n", off, edge.length);
			// the control tensor is the edge map / 255 in three channels; compare ours on the reference edge
			float[] control = new org.rerender.model.control.ControlMap(wd, h, expected).toControlImage().data();
			TensorAssert.assertClose("out.control", control, ref.floats("out.control"), 0, 0);
			float[] ours = d.edge().toControlImage().data();
			TensorAssert.assertClose("out.control (ours)", ours, ref.floats("out.control"), 1.01 / 255, 0);
		}
	}

	private static void report(String name, double maxDiff) {
		System.out.printf("%s max |diff| %.3g%n", name, maxDiff);
	}
}
