package org.rerender.propagate;

import org.rerender.propagate.synth.SynthesisResult;

/**
 * Keeps the per-direction synthesis results of in-between frames (stylised image and error map),
 * so an interrupted run resumes per frame and blending can be redone without synthesis. The
 * in-memory default keeps nothing. Thread-safe.
 */
public interface IntermediateStore {

	/** The stored result for {@code frame} synthesised in the given direction, or null. */
	SynthesisResult load(boolean forward, int frame);

	void save(boolean forward, int frame, SynthesisResult result);

	/** Called when an interval is fully blended (a folder may delete its temporaries). */
	default void intervalDone(int left, int right) {}

	IntermediateStore NONE = new IntermediateStore() {
		@Override
		public SynthesisResult load(boolean forward, int frame) {
			return null;
		}

		@Override
		public void save(boolean forward, int frame, SynthesisResult result) {}
	};
}
