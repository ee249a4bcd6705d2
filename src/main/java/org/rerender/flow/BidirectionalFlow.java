package org.rerender.flow;

import java.util.Objects;

/**
 * The two flows between frames a and b: {@code forward} = a→b on a's grid, {@code backward} = b→a on
 * b's grid. In the original's words, with a the previous (or first) frame and b the current one,
 * {@code backward} maps current-frame pixels to where they are in the previous frame.
 */
public record BidirectionalFlow(FlowField forward, FlowField backward) {
	public BidirectionalFlow {
		Objects.requireNonNull(forward, "forward");
		Objects.requireNonNull(backward, "backward");
		if (!forward.sameSize(backward))
			throw new IllegalArgumentException("Forward " + forward + " and backward " + backward + " flows differ in size");
	}

	/** The forward occlusion mask (on a's grid), see {@link FlowOps#occlusion}. */
	public org.rerender.image.FloatImage forwardOcclusion() {
		return FlowOps.occlusion(forward, backward);
	}

	/** The backward occlusion mask (on b's grid): the one the original uses everywhere. */
	public org.rerender.image.FloatImage backwardOcclusion() {
		return FlowOps.occlusion(backward, forward);
	}
}
