package org.rerender.propagate;

import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * The flow propagation needs between two consecutive frames of a sequence (in the sequence's
 * direction): the backward flow on {@code to}'s grid ({@code to(p) ≈ from(p + flow(p))}) and the
 * backward occlusion mask of {@code to} (non-zero = occluded). Implementations must be thread-safe.
 */
@FunctionalInterface
public interface FrameFlow {

	/** Flow and occlusion for the step {@code from → to}. */
	Step step(Rgb8Image from, Rgb8Image to);

	/**
	 * Both steps between two frames: {@code a → b} and {@code b → a}, as {@link #step} gives them. The default makes
	 * two {@link #step} calls; {@link FrameFlows#of} computes the two flows between the frames once and takes each
	 * step's flow and occlusion from them (propagation asks every neighbouring pair in both directions: the forward
	 * sequence one way, the backward sequence the other).
	 */
	default Pair pair(Rgb8Image a, Rgb8Image b) {
		return new Pair(step(a, b), step(b, a));
	}

	/**
	 * What identifies this flow's results (method and settings) across runs: part of each stored synthesis's
	 * request ({@link IntermediateStore}), so syntheses made with another flow are not reused. The default, the
	 * class name, is conservative: a lambda's differs between JVM runs (its stored syntheses are then redone).
	 */
	default String id() {
		return getClass().getName();
	}

	/**
	 * @param flow 2 channels (dx, dy) on {@code to}'s grid
	 * @param occlusion one byte per pixel, non-zero where {@code to} is occluded in {@code from}
	 */
	record Step(FloatImage flow, byte[] occlusion) {
		public Step {
			if (flow.channels() != 2) throw new IllegalArgumentException("flow needs 2 channels");
			if (occlusion.length != flow.width() * flow.height()) throw new IllegalArgumentException("occlusion mask size differs from the flow");
		}
	}

	/** The steps {@code a → b} ({@code forward}, on b's grid) and {@code b → a} ({@code backward}, on a's grid). */
	record Pair(Step forward, Step backward) {}
}
