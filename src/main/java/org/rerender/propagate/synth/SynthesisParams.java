package org.rerender.propagate.synth;

/**
 * Synthesis parameters (defaults as in the original propagation: patch 5, uniformity 3500,
 * as many pyramid levels as fit, 12 search-vote iterations, 6 PatchMatch iterations,
 * stop threshold 5).
 *
 * @param patchSize odd patch side, >= 3
 * @param uniformityWeight weight of the occurrence term that spreads patch usage, >= 0
 * @param pyramidLevels number of levels; 0 = as many as fit (coarsest level whose smaller
 *        side is still >= 2*patchSize+1); more than fit is clamped
 * @param searchVoteIterations PatchMatch + voting rounds per level, >= 1
 * @param patchMatchIterations propagation/random-search sweeps per round, >= 1
 * @param stopThreshold a pixel whose voted colour changed by less than this (max over
 *        channels, 8-bit units) stops being improved at this level; 0 = never stop early
 * @param seed RNG seed; equal seeds give bitwise equal results (for any thread count)
 * @param threads threads for this synthesis, >= 1
 */
public record SynthesisParams(int patchSize, double uniformityWeight, int pyramidLevels, int searchVoteIterations,
	int patchMatchIterations, int stopThreshold, long seed, int threads)
{

	public SynthesisParams {
		if (patchSize < 3 || patchSize % 2 == 0 || patchSize > 31)
			throw new IllegalArgumentException("Patch size must be odd and between 3 and 31, got " + patchSize);
		if (!Double.isFinite(uniformityWeight) || uniformityWeight < 0)
			throw new IllegalArgumentException("Uniformity weight must be finite and >= 0, got " + uniformityWeight);
		if (pyramidLevels < 0 || pyramidLevels > 32)
			throw new IllegalArgumentException("Pyramid levels must be 0 (automatic) to 32, got " + pyramidLevels);
		if (searchVoteIterations < 1 || searchVoteIterations > 1000)
			throw new IllegalArgumentException("Search-vote iterations must be 1..1000, got " + searchVoteIterations);
		if (patchMatchIterations < 1 || patchMatchIterations > 1000)
			throw new IllegalArgumentException("PatchMatch iterations must be 1..1000, got " + patchMatchIterations);
		if (stopThreshold < 0 || stopThreshold > 255)
			throw new IllegalArgumentException("Stop threshold must be 0..255, got " + stopThreshold);
		if (threads < 1 || threads > 1024)
			throw new IllegalArgumentException("Threads must be 1..1024, got " + threads);
	}

	/** The original's defaults; threads = available processors, seed 0. */
	public static SynthesisParams defaults() {
		return new SynthesisParams(5, 3500, 0, 12, 6, 5, 0L, Runtime.getRuntime().availableProcessors());
	}

	public SynthesisParams withSeed(long newSeed) {
		return new SynthesisParams(patchSize, uniformityWeight, pyramidLevels, searchVoteIterations,
			patchMatchIterations, stopThreshold, newSeed, threads);
	}

	public SynthesisParams withThreads(int newThreads) {
		return new SynthesisParams(patchSize, uniformityWeight, pyramidLevels, searchVoteIterations,
			patchMatchIterations, stopThreshold, seed, newThreads);
	}
}
