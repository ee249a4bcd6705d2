package org.rerender.config;

/**
 * How the configured step count and SDEdit strength become the steps actually run
 * (rerender-algorithm.md §3 "Sampler" and "SDEdit").
 */
public final class SamplingSteps {
	private SamplingSteps() {}

	/** The DDIM stride c = 1000 div steps. */
	public static int stride(int ddimSteps) {
		if (ddimSteps < 1 || ddimSteps > 1000) throw new IllegalArgumentException("ddim_steps must be in 1..1000, got " + ddimSteps);
		return 1000 / ddimSteps;
	}

	/** S = the length of {0, c, 2c, … below 1000} = ceil(1000 / c); e.g. 15 → 16, 30 → 31. */
	public static int actualSteps(int ddimSteps) {
		int c = stride(ddimSteps);
		return (1000 + c - 1) / c;
	}

	/**
	 * The step at which SDEdit replaces the latent: truncate(S·(1 − x0_strength)) in double, or −1 when the
	 * latent is never replaced (strength &gt; 1 or &lt; 0, e.g. the default −1). Strength 0 gives i0 = S: every
	 * pass returns the encoded input unchanged.
	 */
	public static int sdeditStep(int actualSteps, double x0Strength) {
		if (x0Strength < 0 || x0Strength > 1) return -1;
		double s = 1 - x0Strength;
		return (int) (actualSteps * s);
	}
}
