package org.rerender.config;

import org.rerender.engine.RerenderException;

/**
 * How the configured step count and SDEdit strength become the steps actually run
 * (rerender-algorithm.md §3 "Sampler" and "SDEdit").
 */
public final class SamplingSteps {
	private SamplingSteps() {}

	/** T, the SD 1.5 training schedule's length. */
	public static final int TRAINING_STEPS = 1000;

	/** The DDIM stride c = 1000 div steps. */
	public static int stride(int ddimSteps) {
		if (ddimSteps < 1 || ddimSteps > TRAINING_STEPS)
			throw new IllegalArgumentException("ddim_steps must be in 1.." + TRAINING_STEPS + ", got " + ddimSteps);
		return TRAINING_STEPS / ddimSteps;
	}

	/**
	 * Whether a T-step schedule can run S = {@code ddimSteps} uniform DDIM steps. ldm's {@code make_ddim_timesteps}
	 * takes {0, c, 2c, … below T} + 1 with c = T div S; when c divides T − 1 the last entry is T, and
	 * {@code make_ddim_sampling_parameters} then indexes ᾱ[T] and fails (IndexError) before the first step. For
	 * T = 1000 (999 = 3³·37) that refuses c ∈ {1, 3, 9, 27, 37, 111, 333}: 599 of the counts 1..1000 (3, 9, 27, 36,
	 * 37, 101–111, 251–333, 501–1000).
	 */
	public static boolean runnable(int ddimSteps, int trainingSteps) {
		if (ddimSteps < 1 || ddimSteps > trainingSteps) return false;
		int c = trainingSteps / ddimSteps;
		return (trainingSteps - 1) % c != 0 || c == trainingSteps; // S = 1: c = T, timesteps {1}
	}

	/** {@link #runnable(int, int)} for SD 1.5's 1000 steps. */
	public static boolean runnable(int ddimSteps) {
		return runnable(ddimSteps, TRAINING_STEPS);
	}

	/**
	 * Null when {@code ddimSteps} can run on a T-step schedule, else a message naming what is wrong and the nearest
	 * counts that work (below and above).
	 */
	public static String problem(String name, int ddimSteps, int trainingSteps) {
		if (runnable(ddimSteps, trainingSteps)) return null;
		int below = ddimSteps - 1, above = ddimSteps + 1;
		while (below >= 1 && !runnable(below, trainingSteps)) below--;
		while (above <= trainingSteps && !runnable(above, trainingSteps)) above++;
		boolean both = below >= 1 && above <= trainingSteps;
		String near = (both ? "the nearest counts that work are " + below + " and " : "the nearest count that works is ")
			+ (above <= trainingSteps ? above : below);
		if (ddimSteps < 1 || ddimSteps > trainingSteps)
			return name + " must be in 1.." + trainingSteps + ", got " + ddimSteps + "; " + near;
		int c = trainingSteps / ddimSteps;
		return name + " " + ddimSteps + " cannot be sampled: the uniform DDIM schedule (stride " + trainingSteps + " div "
			+ ddimSteps + " = " + c + ") would end at timestep " + trainingSteps + ", past the " + trainingSteps
			+ "-step noise schedule (the original sampler fails the same way); " + near;
	}

	/** Throws a {@link RerenderException} with {@link #problem} when {@code ddimSteps} cannot run; else returns it. */
	public static int require(String name, int ddimSteps) {
		String p = problem(name, ddimSteps, TRAINING_STEPS);
		if (p != null) throw new RerenderException(p);
		return ddimSteps;
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
