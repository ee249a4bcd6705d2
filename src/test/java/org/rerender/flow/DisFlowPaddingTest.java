package org.rerender.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_video.DISOpticalFlow;
import org.junit.jupiter.api.Test;
import org.rerender.image.Rgb8Image;

/** DIS pads only the frames OpenCV would refuse, on both sides, and the border of a thin frame stays accurate. */
class DisFlowPaddingTest {

	/** A smooth texture defined everywhere, so a shifted frame has true content up to its border. */
	private static int texture(double x, double y) {
		double t = Math.sin(0.45 * x + 0.2 * y) + Math.cos(0.31 * y - 0.17 * x) + 0.6 * Math.sin(0.13 * x * 0.7 + 0.52 * y);
		return (int) Math.round(128 + 40 * t);
	}

	/** w×h frame of the texture seen from (dx, dy). */
	private static Rgb8Image frame(int w, int h, int dx, int dy) {
		Rgb8Image img = new Rgb8Image(w, h);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				int g = texture(x + dx, y + dy);
				for (int c = 0; c < 3; c++) img.set(x, y, c, g);
			}
		return img;
	}

	@Test
	void presetsAreAsDocumented() {
		// DisFlowEstimator.Settings documents OpenCV's presets as (finest scale, patch, stride, iterations, refinement)
		int[][] expected = {{2, 8, 4, 12, 0}, {2, 8, 4, 16, 5}, {1, 8, 3, 25, 5}};
		int[] presets = {DISOpticalFlow.PRESET_ULTRAFAST, DISOpticalFlow.PRESET_FAST, DISOpticalFlow.PRESET_MEDIUM};
		for (int i = 0; i < 3; i++) try (DISOpticalFlow d = DISOpticalFlow.create(presets[i])) {
			int[] got = {d.getFinestScale(), d.getPatchSize(), d.getPatchStride(), d.getGradientDescentIterations(),
				d.getVariationalRefinementIterations()};
			assertArrayEquals(expected[i], got, java.util.Arrays.toString(got));
		}
	}

	@Test
	void theConditionIsOpenCvsOwn() {
		// frames accepts() refuses make OpenCV throw; frames it takes go through (checked on the native library)
		int[][] sizes = {{16, 16}, {17, 12}, {12, 17}, {200, 11}, {11, 200}, {30, 20}, {200, 30}, {17, 17}, {16, 40}};
		for (int patch : new int[] {8, 12}) try (DISOpticalFlow dis = DISOpticalFlow.create(DISOpticalFlow.PRESET_MEDIUM)) {
			dis.setFinestScale(0);
			dis.setPatchSize(patch);
			for (int[] s : sizes) {
				try (Mat a = new Mat(s[1], s[0], org.bytedeco.opencv.global.opencv_core.CV_8UC1, new Scalar(100.0));
					Mat b = new Mat(s[1], s[0], org.bytedeco.opencv.global.opencv_core.CV_8UC1, new Scalar(100.0)); Mat f = new Mat())
				{
					if (DisFlowEstimator.accepts(s[0], s[1], patch)) dis.calc(a, b, f);
					else assertThrows(RuntimeException.class, () -> dis.calc(a, b, f), s[0] + "x" + s[1] + " patch " + patch);
				}
			}
		}
		assertFalse(DisFlowEstimator.accepts(16, 16, 12));
		assertTrue(DisFlowEstimator.accepts(17, 12, 12));
		assertTrue(DisFlowEstimator.accepts(30, 20, 12));
		assertArrayEquals(new int[] {200, 30}, DisFlowEstimator.paddedSize(200, 30, 12)); // no padding any more
		assertArrayEquals(new int[] {30, 20}, DisFlowEstimator.paddedSize(30, 20, 12));
		assertArrayEquals(new int[] {200, 12}, DisFlowEstimator.paddedSize(200, 3, 12));
		assertArrayEquals(new int[] {17, 16}, DisFlowEstimator.paddedSize(16, 16, 12));
		assertArrayEquals(new int[] {17, 12}, DisFlowEstimator.paddedSize(1, 1, 12));
		assertArrayEquals(new int[] {200, 8}, DisFlowEstimator.paddedSize(200, 5, 8));
	}

	/** Mean end-point error against the uniform flow {@code (du, dv)} over rows [y0, y1). */
	private static double epe(FlowField f, double du, double dv, int y0, int y1) {
		double s = 0;
		for (int y = y0; y < y1; y++)
			for (int x = 0; x < f.width(); x++) s += Math.hypot(f.u(x, y) - du, f.v(x, y) - dv);
		return s / ((y1 - y0) * f.width());
	}

	@Test
	void thinFramesKeepAnAccurateBorder() {
		// content moves 2 pixels down; 200x30 was padded to 4 patches (32 rows) at the bottom (last rows' error ~2x)
		try (DisFlowEstimator dis = new DisFlowEstimator()) {
			FlowField f = dis.flow(frame(200, 30, 0, 2), frame(200, 30, 0, 0));
			double all = epe(f, 0, 2, 0, 30), last = epe(f, 0, 2, 24, 30);
			System.out.printf("200x30: mean EPE %.4f, last 6 rows %.4f%n", all, last);
			assertTrue(last < 0.06, "last 6 rows EPE " + last);
			assertTrue(all < 0.03, "mean EPE " + all);
			// a padded size (200x5, content moving 2 pixels right): the first and the last row both find the move
			FlowField t = dis.flow(frame(200, 5, 2, 0), frame(200, 5, 0, 0));
			double top = epe(t, 2, 0, 0, 1), bottom = epe(t, 2, 0, 4, 5);
			System.out.printf("200x5: first row %.4f, last row %.4f%n", top, bottom);
			assertTrue(top < 0.3 && bottom < 0.3, top + " " + bottom);
		}
	}
}
