package org.rerender.propagate;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.rerender.flow.BidirectionalFlow;
import org.rerender.flow.DisFlowEstimator;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowEstimators;
import org.rerender.flow.FlowField;
import org.rerender.flow.FlowMethod;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/** {@link FrameFlow}s backed by {@code org.rerender.flow}. */
public final class FrameFlows {
	private FrameFlows() {}

	/**
	 * The original's flow for a sequence step: both flows between the two frames, keeping the
	 * backward one ({@code to → from}, on {@code to}'s grid) and its forward–backward occlusion mask.
	 * {@link FrameFlow#pair} takes both steps of a pair of frames from one {@link FlowEstimator#both}
	 * call (the step {@code b → a} is the forward flow {@code a → b} with the forward occlusion mask,
	 * exactly what {@code both(b, a)} would give again).
	 */
	public static FrameFlow of(FlowEstimator estimator) {
		String id = id(estimator);
		return new FrameFlow() {
			@Override
			public Step step(Rgb8Image from, Rgb8Image to) {
				BidirectionalFlow bf = estimator.both(from, to);
				return new Step(bf.backward().image(), mask(bf.backwardOcclusion()));
			}

			@Override
			public Pair pair(Rgb8Image a, Rgb8Image b) {
				BidirectionalFlow bf = estimator.both(a, b);
				return new Pair(new Step(bf.backward().image(), mask(bf.backwardOcclusion())),
					new Step(bf.forward().image(), mask(bf.forwardOcclusion())));
			}

			@Override
			public String id() {
				return id;
			}
		};
	}

	private static byte[] mask(FloatImage occ) {
		float[] o = occ.data();
		byte[] mask = new byte[o.length];
		for (int p = 0; p < o.length; p++) mask[p] = (byte) (o[p] > 0.5f ? 1 : 0);
		return mask;
	}

	/** The method and, for DIS, its settings: what a stored synthesis's request names as its flow. */
	static String id(FlowEstimator estimator) {
		DisFlowEstimator.Settings dis = estimator instanceof DisFlowEstimator d ? d.settings()
			: estimator instanceof PerThreadDis p ? p.settings : null;
		return estimator.method().id() + (dis != null ? " " + dis : "");
	}

	/**
	 * An estimator for {@code method} ("dis", "gmflow", "auto"); the caller closes it. DIS (one native object per
	 * estimator, calls serialised) comes as a pool with one DIS object per concurrent caller, so intervals propagated
	 * in parallel compute their flows in parallel; GMFlow is one shared network.
	 */
	public static FlowEstimator estimator(FlowMethod method) {
		FlowEstimator e = FlowEstimators.create(method);
		return e instanceof DisFlowEstimator d ? new PerThreadDis(d) : e;
	}

	/** DIS for several threads: each call borrows an idle DIS object (a new one when none is idle). */
	static final class PerThreadDis implements FlowEstimator {
		private final DisFlowEstimator.Settings settings;
		private final Deque<DisFlowEstimator> idle = new ArrayDeque<>();
		private final List<DisFlowEstimator> all = new ArrayList<>();
		private boolean closed;

		PerThreadDis(DisFlowEstimator first) {
			this.settings = first.settings();
			idle.push(first);
			all.add(first);
		}

		@Override
		public FlowMethod method() {
			return FlowMethod.DIS;
		}

		/** DIS objects made so far (the most callers at once). */
		synchronized int instances() {
			return all.size();
		}

		synchronized DisFlowEstimator borrow() {
			if (closed) throw new IllegalStateException("The DIS flow estimator is closed");
			DisFlowEstimator e = idle.poll();
			if (e == null) {
				e = new DisFlowEstimator(settings);
				all.add(e);
			}
			return e;
		}

		synchronized void giveBack(DisFlowEstimator e) {
			if (closed) e.close();
			else idle.push(e);
		}

		@Override
		public FlowField flow(Rgb8Image from, Rgb8Image to) {
			return withOne(e -> e.flow(from, to));
		}

		@Override
		public BidirectionalFlow both(Rgb8Image a, Rgb8Image b) {
			return withOne(e -> e.both(a, b));
		}

		/** {@code work} on an estimator of this pool, given back after. */
		private <T> T withOne(java.util.function.Function<DisFlowEstimator, T> work) {
			DisFlowEstimator e = borrow();
			try {
				return work.apply(e);
			}
			finally {
				giveBack(e);
			}
		}

		@Override
		public synchronized void close() {
			if (closed) return;
			closed = true;
			for (DisFlowEstimator e : idle) e.close();
			idle.clear();
		}
	}
}
