package org.rerender.propagate;

import org.rerender.engine.RerenderException;
import org.rerender.propagate.synth.SynthesisParams;

/**
 * How to propagate.
 *
 * @param poisson gradient-domain fusion after the histogram blend (on by default, as the original pipeline)
 * @param processes sequences synthesised in parallel ({@code n_proc})
 * @param threads total CPU threads; each synthesis gets {@code max(1, threads / processes)}
 * @param synthesis patch-synthesis parameters (its thread count is replaced as above)
 * @param colourWeight weight of the colour guide (6)
 * @param edgeWeight weight of the Laplacian edge guide (0.5)
 * @param temporalWeight weight of the temporal guide (0.5)
 * @param positionalWeight weight of the positional guide (2)
 * @param synthesisFromStore when true, do no synthesis: every in-between result must come from the
 *        {@link IntermediateStore} (the original's {@code -ne})
 */
public record PropagationOptions(boolean poisson, int processes, int threads, SynthesisParams synthesis,
	double colourWeight, double edgeWeight, double temporalWeight, double positionalWeight, boolean synthesisFromStore)
{
	public PropagationOptions {
		if (processes < 1) throw new RerenderException("The number of parallel sequences (processes) must be at least 1, got " + processes + ".");
		if (threads < 1) throw new RerenderException("The number of threads must be at least 1, got " + threads + ".");
		if (synthesis == null) throw new RerenderException("Synthesis parameters are missing.");
		checkWeight("colour", colourWeight);
		checkWeight("edge", edgeWeight);
		checkWeight("temporal", temporalWeight);
		checkWeight("positional", positionalWeight);
		if (colourWeight + edgeWeight + temporalWeight + positionalWeight <= 0)
			throw new RerenderException("At least one guide weight must be positive.");
	}

	private static void checkWeight(String name, double w) {
		if (!Double.isFinite(w) || w < 0)
			throw new RerenderException("The " + name + " guide weight must be a finite number >= 0, got " + w + ".");
	}

	/** The original's settings: Poisson on, 4 processes, all cores, weights 6 / 0.5 / 0.5 / 2. */
	public static PropagationOptions defaults() {
		return new PropagationOptions(true, 4, Runtime.getRuntime().availableProcessors(), SynthesisParams.defaults(), 6, 0.5, 0.5, 2, false);
	}

	public PropagationOptions withPoisson(boolean on) {
		return new PropagationOptions(on, processes, threads, synthesis, colourWeight, edgeWeight, temporalWeight, positionalWeight, synthesisFromStore);
	}

	public PropagationOptions withProcesses(int n) {
		return new PropagationOptions(poisson, n, threads, synthesis, colourWeight, edgeWeight, temporalWeight, positionalWeight, synthesisFromStore);
	}

	public PropagationOptions withThreads(int n) {
		return new PropagationOptions(poisson, processes, n, synthesis, colourWeight, edgeWeight, temporalWeight, positionalWeight, synthesisFromStore);
	}

	public PropagationOptions withSynthesis(SynthesisParams p) {
		return new PropagationOptions(poisson, processes, threads, p, colourWeight, edgeWeight, temporalWeight, positionalWeight, synthesisFromStore);
	}

	public PropagationOptions withWeights(double colour, double edge, double temporal, double positional) {
		return new PropagationOptions(poisson, processes, threads, synthesis, colour, edge, temporal, positional, synthesisFromStore);
	}

	public PropagationOptions withSynthesisFromStore(boolean on) {
		return new PropagationOptions(poisson, processes, threads, synthesis, colourWeight, edgeWeight, temporalWeight, positionalWeight, on);
	}

	/** Threads of each synthesis. */
	public int threadsPerSynthesis(int parallelSequences) {
		return Math.max(1, threads / Math.max(1, Math.min(processes, parallelSequences)));
	}
}
