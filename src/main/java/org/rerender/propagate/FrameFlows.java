package org.rerender.propagate;

import org.rerender.flow.BidirectionalFlow;
import org.rerender.flow.DisFlowEstimator;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowEstimators;
import org.rerender.flow.FlowMethod;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/** {@link FrameFlow}s backed by {@code org.rerender.flow}. */
public final class FrameFlows {
	private FrameFlows() {}

	/**
	 * The original's flow for a sequence step: both flows between the two frames, keeping the
	 * backward one ({@code to → from}, on {@code to}'s grid) and its forward–backward occlusion mask.
	 */
	public static FrameFlow of(FlowEstimator estimator) {
		String id = id(estimator);
		return new FrameFlow() {
			@Override
			public Step step(Rgb8Image from, Rgb8Image to) {
				BidirectionalFlow bf = estimator.both(from, to);
				FloatImage occ = bf.backwardOcclusion();
				float[] o = occ.data();
				byte[] mask = new byte[o.length];
				for (int p = 0; p < o.length; p++) mask[p] = (byte) (o[p] > 0.5f ? 1 : 0);
				return new FrameFlow.Step(bf.backward().image(), mask);
			}

			@Override
			public String id() {
				return id;
			}
		};
	}

	/** The method and, for DIS, its settings: what a stored synthesis's request names as its flow. */
	static String id(FlowEstimator estimator) {
		return estimator.method().id() + (estimator instanceof DisFlowEstimator d ? " " + d.settings() : "");
	}

	/** An estimator for {@code method} ("dis", "gmflow", "auto"); the caller closes it. */
	public static FlowEstimator estimator(FlowMethod method) {
		return FlowEstimators.create(method);
	}
}
