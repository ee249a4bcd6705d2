package org.rerender.diffusion;

import org.rerender.config.SamplingSteps;

/**
 * ldm's DDIM constants for S steps, "uniform" discretisation: {@code c = T div S}, timesteps
 * {@code range(0, T, c) + 1} (so S' = ceil(T/c) entries), {@code alphas = ᾱ[timesteps]} (F32 buffer values),
 * {@code alphas_prev = [ᾱ[0]] + alphas[:-1]} (element 0 is ᾱ at t=0, not 1), and the square roots taken in F32.
 * Arrays are indexed by ldm's {@code index}, i.e. ascending timestep; step i of a run uses index S'-1-i.
 */
public final class DdimSchedule {
	private final int[] timesteps;
	private final float[] alphas, alphasPrev, sqrtOneMinusAlphas, sqrtAlphas, sqrtAlphasPrev, sqrtOneMinusAlphasPrev;

	public DdimSchedule(NoiseSchedule schedule, int steps) {
		if (steps < 1 || steps > schedule.size())
			throw new IllegalArgumentException("DDIM steps must be in 1.." + schedule.size() + ", got " + steps);
		String problem = SamplingSteps.problem("DDIM steps", steps, schedule.size());
		if (problem != null) throw new org.rerender.engine.RerenderException(problem);
		int c = schedule.size() / steps;
		int n = (schedule.size() + c - 1) / c;
		timesteps = new int[n];
		alphas = new float[n];
		alphasPrev = new float[n];
		sqrtOneMinusAlphas = new float[n];
		sqrtAlphas = new float[n];
		sqrtAlphasPrev = new float[n];
		sqrtOneMinusAlphasPrev = new float[n];
		for (int k = 0; k < n; k++) {
			timesteps[k] = k * c + 1;
			alphas[k] = schedule.alphaCumprod(timesteps[k]);
			alphasPrev[k] = k == 0 ? schedule.alphaCumprod(0) : alphas[k - 1];
		}
		for (int k = 0; k < n; k++) {
			// F32 arithmetic: sqrt of an F32 value rounded once to F32 is the F32 sqrt
			sqrtOneMinusAlphas[k] = (float) Math.sqrt(1f - alphas[k]);
			sqrtAlphas[k] = (float) Math.sqrt(alphas[k]);
			sqrtAlphasPrev[k] = (float) Math.sqrt(alphasPrev[k]);
			sqrtOneMinusAlphasPrev[k] = (float) Math.sqrt(1f - alphasPrev[k]);
		}
	}

	/** Number of sampling steps (S'). */
	public int size() {
		return timesteps.length;
	}

	/** ldm index used at run step i (0 = first, highest noise). */
	public int indexOfStep(int step) {
		return timesteps.length - 1 - step;
	}

	public int timestep(int index) {
		return timesteps[index];
	}

	public float alpha(int index) {
		return alphas[index];
	}

	public float alphaPrev(int index) {
		return alphasPrev[index];
	}

	public float sqrtOneMinusAlpha(int index) {
		return sqrtOneMinusAlphas[index];
	}

	public float sqrtAlpha(int index) {
		return sqrtAlphas[index];
	}

	public float sqrtAlphaPrev(int index) {
		return sqrtAlphasPrev[index];
	}

	public float sqrtOneMinusAlphaPrev(int index) {
		return sqrtOneMinusAlphasPrev[index];
	}

	public int[] timesteps() {
		return timesteps.clone();
	}

	public float[] alphas() {
		return alphas.clone();
	}

	public float[] alphasPrev() {
		return alphasPrev.clone();
	}

	public float[] sqrtOneMinusAlphas() {
		return sqrtOneMinusAlphas.clone();
	}
}
