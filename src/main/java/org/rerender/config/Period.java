package org.rerender.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A window of the sampling steps as fractions [start, end] of the S steps actually run.
 * start &gt; end switches the constraint off.
 */
public record Period(double start, double end) {

	public static final Period OFF = new Period(1, 0);

	public boolean enabled() {
		return start <= end;
	}

	/**
	 * The steps i with S·start ≤ i ≤ S·end (both inclusive, double arithmetic as in the original):
	 * the rule for cross-frame attention, shape-aware fusion and AdaIN.
	 */
	public List<Integer> inclusiveSteps(int steps) {
		List<Integer> out = new ArrayList<>();
		for (int i = 0; i < steps; i++)
			if (steps * start <= i && i <= steps * end) out.add(i);
		return out;
	}

	/** The steps j with S·start &lt; j &lt; S·end (both exclusive): the rule for pixel-aware fusion. */
	public List<Integer> exclusiveSteps(int steps) {
		List<Integer> out = new ArrayList<>();
		for (int j = 0; j < steps; j++)
			if (steps * start < j && j < steps * end) out.add(j);
		return out;
	}

	@Override
	public String toString() {
		return "[" + start + ", " + end + "]";
	}
}
