package org.rerender.propagate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

class SelectionMaskTest {

	private static FloatImage err(float... v) {
		return new FloatImage(v.length, 1, 1, v);
	}

	@Test
	void weightsFollowTheInterval() {
		assertEquals(0.0, SelectionMask.backwardWeight(0, 10));
		assertEquals(1.0 / 9, SelectionMask.backwardWeight(1, 10), 1e-15);
		assertEquals(8.0 / 9, SelectionMask.backwardWeight(8, 10), 1e-15);
		assertEquals(0.5, SelectionMask.backwardWeight(1, 3));
		assertThrows(IllegalArgumentException.class, () -> SelectionMask.backwardWeight(9, 10));
	}

	@Test
	void selectsBackwardWhereWeightedForwardErrorIsNotSmaller() {
		FloatImage a = err(1, 5, 3, 2), b = err(3, 1, 3, 10);
		// w1 = 0.5: backward where a >= b
		assertArrayEquals(new byte[] {0, 1, 1, 0}, SelectionMask.select(a, b, 0.5));
		// w1 = 0.25: backward where 0.25a >= 0.75b, i.e. a >= 3b
		assertArrayEquals(new byte[] {0, 1, 0, 0}, SelectionMask.select(a, b, 0.25));
		// w1 = 0: forward everywhere even where the forward error is huge
		assertArrayEquals(new byte[4], SelectionMask.select(err(99, 99, 99, 99), err(0, 0, 0, 0), 0));
		assertArrayEquals(new byte[] {1, 1, 1, 1}, SelectionMask.select(err(0, 0, 0, 0), err(9, 9, 9, 9), 1));
	}

	@Test
	void previousMaskIsWarpedAndOred() {
		byte[] mask = {0, 0, 0, 1, 0, 0, 0, 0};
		byte[] previous = {1, 0, 0, 0, 0, 0, 1, 0};
		float[] f = new float[16];
		for (int p = 0; p < 8; p++) f[2 * p] = -1; // each pixel came from its left neighbour
		SelectionMask.orWarped(mask, previous, new FloatImage(4, 2, 2, f));
		assertArrayEquals(new byte[] {0, 1, 0, 1, 0, 0, 0, 1}, mask, "column 0 samples outside (zero), others get their left neighbour");
	}

	@Test
	void compositeTakesSelectedSide() {
		Rgb8Image a = new Rgb8Image(2, 1, new byte[] {1, 2, 3, 4, 5, 6});
		Rgb8Image b = new Rgb8Image(2, 1, new byte[] {7, 8, 9, 10, 11, 12});
		assertArrayEquals(new byte[] {1, 2, 3, 10, 11, 12}, SelectionMask.composite(a, b, new byte[] {0, 1}).data());
	}
}
