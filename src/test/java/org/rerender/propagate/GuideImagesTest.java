package org.rerender.propagate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

class GuideImagesTest {

	private static Rgb8Image grey(int w, int h, int[] values) {
		Rgb8Image img = new Rgb8Image(w, h);
		for (int p = 0; p < w * h; p++)
			for (int c = 0; c < 3; c++) img.set(p % w, p / w, c, values[p]);
		return img;
	}

	@Test
	void laplacianSaturatesAndUsesReflect101() {
		// 3x3 with a bright centre: centre response 4*200 = 800 → 255; neighbours 0*4 - 200 → 0 (saturated)
		Rgb8Image img = grey(3, 3, new int[] {0, 0, 0, 0, 200, 0, 0, 0, 0});
		Rgb8Image e = GuideImages.laplacianEdge(img);
		assertEquals(255, e.get(1, 1, 0));
		assertEquals(0, e.get(0, 1, 0));
		// a small positive response is kept exactly: centre 10 on a 5x1 ramp-free background of 8
		Rgb8Image img2 = grey(3, 3, new int[] {8, 8, 8, 8, 10, 8, 8, 8, 8});
		assertEquals(8, GuideImages.laplacianEdge(img2).get(1, 1, 2));
		// reflect-101 at the border: pixel (0,0) of a row ramp [0, 10, 20]: 4*0 - 10 - 10 (reflected) - 0 - 0 < 0 → 0;
		// pixel (2,0): 4*20 - 10 - 10 (reflected) - 20 - 20 = 20
		Rgb8Image ramp = grey(3, 3, new int[] {0, 10, 20, 0, 10, 20, 0, 10, 20});
		Rgb8Image er = GuideImages.laplacianEdge(ramp);
		assertEquals(0, er.get(0, 0, 0));
		assertEquals(20, er.get(2, 0, 0));
		assertEquals(0, er.get(1, 1, 0));
		assertEquals(1, GuideImages.reflect101(-1, 5));
		assertEquals(3, GuideImages.reflect101(5, 5));
	}

	@Test
	void coordinateImageValues() {
		Rgb8Image c = GuideImages.coordinateImage(4, 3);
		assertEquals(0, c.get(0, 0, 0));
		assertEquals(127, c.get(0, 1, 0)); // floor(255*1/2)
		assertEquals(255, c.get(0, 2, 0));
		assertEquals(85, c.get(1, 0, 1)); // floor(255/3)
		assertEquals(170, c.get(2, 0, 1));
		assertEquals(255, c.get(3, 2, 1));
		for (int y = 0; y < 3; y++)
			for (int x = 0; x < 4; x++) assertEquals(0, c.get(x, y, 2));
	}

	@Test
	void nearestWarpSamplesSourceAtFlowTargetAndZeroOutside() {
		Rgb8Image src = grey(4, 2, new int[] {10, 20, 30, 40, 10, 20, 30, 40});
		float[] f = new float[16];
		for (int p = 0; p < 8; p++) f[2 * p] = 1.4f; // take from one pixel to the right
		FloatImage flow = new FloatImage(4, 2, 2, f);
		Rgb8Image out = GuideImages.warpNearest(src, flow);
		assertEquals(20, out.get(0, 0, 0));
		assertEquals(40, out.get(2, 1, 1));
		assertEquals(0, out.get(3, 0, 0), "outside → zero");
		byte[] m = GuideImages.warpNearestMask(new byte[] {0, 1, 1, 0, 0, 1, 1, 0}, 4, 2, flow);
		assertArrayEquals(new byte[] {1, 1, 0, 0, 1, 1, 0, 0}, m);
	}
}
