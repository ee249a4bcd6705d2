package org.rerender.flow;

import org.rerender.image.Rgb8Image;

/**
 * Dense optical flow between two RGB frames of equal size. Implementations: {@link DisFlowEstimator}
 * (OpenCV DIS, no weights) and, later, GMFlow. Obtain one through {@link FlowEstimators#create}.
 * Implementations must be safe to call from several threads (they may serialise calls).
 */
public interface FlowEstimator extends AutoCloseable {

	/** The method this estimator implements (never {@link FlowMethod#AUTO}). */
	FlowMethod method();

	/**
	 * The flow from {@code from} to {@code to} on {@code from}'s grid: {@code from(x) ≈ to(x + flow(x))}.
	 *
	 * @throws org.rerender.engine.RerenderException when the frames differ in size or are unusable
	 */
	FlowField flow(Rgb8Image from, Rgb8Image to);

	/**
	 * Forward (a→b, on a's grid) and backward (b→a, on b's grid) flow. The default makes two
	 * {@link #flow} calls; a network that predicts both directions in one pass (GMFlow) overrides it.
	 */
	default BidirectionalFlow both(Rgb8Image a, Rgb8Image b) {
		return new BidirectionalFlow(flow(a, b), flow(b, a));
	}

	/**
	 * Why this estimator cannot take frames of {@code width}×{@code height} (a user-facing sentence), or null when it
	 * can. {@code auto} uses DIS for frames its preferred method refuses ({@link FlowEstimators#create}).
	 */
	default String unsupportedSize(int width, int height) {
		return null;
	}

	/** Frees native resources (weights, OpenCV objects); the default holds none. */
	@Override
	default void close() {}

	/** Checks that two frames can be compared; a clear message when not. */
	static void checkPair(Rgb8Image a, Rgb8Image b) {
		if (a == null || b == null) throw new IllegalArgumentException("Flow needs two frames");
		if (!a.sameSize(b))
			throw new org.rerender.engine.RerenderException("Frames for optical flow differ in size: " + a.width() + "x"
				+ a.height() + " and " + b.width() + "x" + b.height());
	}
}
