package org.rerender.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise comparison {@code |a - b| <= atol + rtol*|b|} with a report of the worst element. */
public final class TensorAssert {
	private TensorAssert() {}

	/** @return the largest absolute difference (for logging) */
	public static double assertClose(String name, float[] actual, float[] expected, double atol, double rtol) {
		assertEquals(expected.length, actual.length, name + ": element count");
		double maxAbs = 0;
		int worst = -1;
		double worstExcess = 0;
		for (int i = 0; i < expected.length; i++) {
			double a = actual[i], b = expected[i];
			if (Double.isNaN(a) != Double.isNaN(b)) fail(name + ": NaN mismatch at " + i + " (actual " + a + ", expected " + b + ")");
			double d = Math.abs(a - b);
			if (d > maxAbs) maxAbs = d;
			double excess = d - (atol + rtol * Math.abs(b));
			if (excess > worstExcess) {
				worstExcess = excess;
				worst = i;
			}
		}
		if (worst >= 0)
			fail(String.format("%s: element %d is %.7g, expected %.7g (|diff| %.3g > %.3g + %.3g*|b|); max |diff| %.3g",
				name, worst, actual[worst], expected[worst], Math.abs(actual[worst] - expected[worst]), atol, rtol, maxAbs));
		return maxAbs;
	}
}
