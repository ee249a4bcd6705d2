package org.rerender.diffusion.rerender;

import java.util.Set;
import java.util.TreeSet;
import org.rerender.config.Period;
import org.rerender.config.RerenderConfig;
import org.rerender.config.SamplingSteps;
import org.rerender.diffusion.constraints.FreeU;

/**
 * The sampling and constraint settings of key-frame translation, with every period already resolved to step
 * indices of the S steps actually run (rerender-algorithm.md §3 "Constraint schedule").
 *
 * @param ddimSteps configured DDIM steps (S = {@link #steps()} may be larger, e.g. 15 → 16)
 * @param guidanceScale CFG scale
 * @param controlStrength ControlNet scale for all 13 residuals
 * @param x0Strength SDEdit strength (outside [0, 1] = pure generation)
 * @param crossSteps cross-frame attention steps; {@code warpSteps} shape-aware fusion; {@code adaSteps} AdaIN;
 *     {@code maskSteps} pixel-aware fusion (exclusive bounds)
 * @param maskStrength pixel-fusion weight; {@code innerStrength} its inner noise strength
 * @param smoothBoundary noise rescale on the fusion mask's flat region
 * @param looseCrossAttention skip the 4·mc-channel decoder layers
 * @param freeU FreeU (b1, b2, s1, s2), always installed
 */
public record KeyFrameSettings(int ddimSteps, double guidanceScale, double controlStrength, double x0Strength,
	Set<Integer> crossSteps, Set<Integer> warpSteps, Set<Integer> adaSteps, Set<Integer> maskSteps, double maskStrength,
	double innerStrength, boolean smoothBoundary, boolean looseCrossAttention, FreeU freeU) {

	/**
	 * @throws IllegalArgumentException when a step set holds an index outside [0, S)
	 * @throws org.rerender.engine.RerenderException when {@code ddimSteps} cannot be sampled ({@link SamplingSteps#runnable})
	 */
	public KeyFrameSettings {
		SamplingSteps.require("ddim_steps", ddimSteps);
		int n = SamplingSteps.actualSteps(ddimSteps);
		checkSteps("cross", crossSteps, n);
		checkSteps("warp", warpSteps, n);
		checkSteps("ada", adaSteps, n);
		checkSteps("mask", maskSteps, n);
		crossSteps = Set.copyOf(new TreeSet<>(crossSteps));
		warpSteps = Set.copyOf(warpSteps);
		adaSteps = Set.copyOf(adaSteps);
		maskSteps = Set.copyOf(maskSteps);
	}

	private static void checkSteps(String name, Set<Integer> steps, int n) {
		for (int i : steps)
			if (i < 0 || i >= n)
				throw new IllegalArgumentException(name + " step " + i + " is outside [0, " + n + "): with " + n
					+ " sampling steps a step index must be 0.." + (n - 1));
	}

	/** Resolves a config's periods with S = {@link RerenderConfig#actualSteps()}. */
	public static KeyFrameSettings from(RerenderConfig c) {
		double[] f = c.freeuArgs();
		return of(c.ddimSteps, c.scale, c.controlStrength, c.x0Strength, c.crossPeriod, c.warpPeriod, c.adaPeriod,
			c.maskPeriod, c.maskStrength, c.innerStrength, c.smoothBoundary, c.looseCfattn, new FreeU(f[0], f[1], f[2], f[3]));
	}

	/** Resolves the periods: cross, warp, ada inclusive, mask exclusive, with S steps. */
	public static KeyFrameSettings of(int ddimSteps, double scale, double controlStrength, double x0Strength, Period cross,
		Period warp, Period ada, Period mask, double maskStrength, double innerStrength, boolean smoothBoundary, boolean loose,
		FreeU freeU)
	{
		int s = SamplingSteps.actualSteps(ddimSteps);
		return new KeyFrameSettings(ddimSteps, scale, controlStrength, x0Strength, Set.copyOf(cross.inclusiveSteps(s)),
			Set.copyOf(warp.inclusiveSteps(s)), Set.copyOf(ada.inclusiveSteps(s)), Set.copyOf(mask.exclusiveSteps(s)),
			maskStrength, innerStrength, smoothBoundary, loose, freeU);
	}

	/** S, the number of steps actually run. */
	public int steps() {
		return SamplingSteps.actualSteps(ddimSteps);
	}

	/** The SDEdit step, or −1 for pure generation. */
	public int sdeditStep() {
		return SamplingSteps.sdeditStep(steps(), x0Strength);
	}

	/** The same settings with every constraint off (FreeU identity, no window): the "all off" baseline. */
	public KeyFrameSettings unconstrained() {
		return new KeyFrameSettings(ddimSteps, guidanceScale, controlStrength, x0Strength, Set.of(), Set.of(), Set.of(),
			Set.of(), maskStrength, innerStrength, smoothBoundary, looseCrossAttention, FreeU.IDENTITY);
	}
}
