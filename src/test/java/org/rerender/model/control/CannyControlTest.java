package org.rerender.model.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.rerender.image.Rgb8Image;

class CannyControlTest {

	private static int edges(ControlMap m) {
		int n = 0;
		for (byte b : m.data()) if (b != 0) n++;
		return n;
	}

	/**
	 * Blue (0,0,255) beside dark red (97,0,0): both have grey value 29, so a grey-image Canny sees nothing, but
	 * the three-channel Canny that ControlNet uses finds the boundary.
	 */
	@Test
	void colourEdgesInvisibleInGreyAreFound() {
		int w = 16, h = 8;
		Rgb8Image colour = new Rgb8Image(w, h), grey = new Rgb8Image(w, h);
		for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {
			if (x < w / 2) colour.set(x, y, 2, 255);
			else colour.set(x, y, 0, 97);
			int g = (int) Math.round(0.299 * colour.get(x, y, 0) + 0.587 * colour.get(x, y, 1) + 0.114 * colour.get(x, y, 2));
			for (int c = 0; c < 3; c++) grey.set(x, y, c, g);
		}
		assertEquals(0, edges(CannyControl.detect(grey, 50, 100)));
		ControlMap m = CannyControl.detect(colour, 50, 100);
		assertNotEquals(0, edges(m));
		assertEquals(255, m.get(w / 2, h / 2) | m.get(w / 2 - 1, h / 2));
	}
}
