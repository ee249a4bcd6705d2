package org.rerender.flow;

import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * Flow over a frame sequence: for every pair of neighbouring frames (i, i+1) the forward flow (i → i+1, on
 * frame i's grid), the backward flow (i+1 → i, on frame i+1's grid) and both occlusion masks of the
 * forward–backward check. Frames are fetched on demand, so a long video never sits in memory.
 */
public final class FlowSequence {

	/** One pair's results: everything needed by warps and masks between frames i and i+1. */
	public record Pair(int index, BidirectionalFlow flow, FloatImage forwardOcclusion, FloatImage backwardOcclusion) {}

	/** Receives each finished pair, in order. */
	@FunctionalInterface
	public interface Sink {
		void accept(Pair pair);
	}

	private FlowSequence() {}

	/**
	 * Computes pairs 0 … count−2 with {@code estimator}, skipping pairs for which {@code done} is true
	 * (already stored), reporting "flow" progress per pair and polling {@code cancel} between pairs.
	 */
	public static void run(FlowEstimator estimator, IntFunction<Rgb8Image> frames, int count, IntPredicate done,
		Sink sink, Progress progress, Cancel cancel)
	{
		int pairs = Math.max(0, count - 1);
		Rgb8Image prev = null;
		int prevIndex = -1;
		for (int i = 0; i < pairs; i++) {
			cancel.check();
			if (done != null && done.test(i)) {
				progress.report("flow", i + 1, pairs);
				continue;
			}
			Rgb8Image a = prevIndex == i ? prev : frames.apply(i);
			Rgb8Image b = frames.apply(i + 1);
			BidirectionalFlow f = estimator.both(a, b);
			sink.accept(new Pair(i, f, f.forwardOcclusion(), f.backwardOcclusion()));
			prev = b;
			prevIndex = i + 1;
			progress.report("flow", i + 1, pairs);
		}
	}
}
