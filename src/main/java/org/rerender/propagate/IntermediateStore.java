package org.rerender.propagate;

import org.rerender.propagate.synth.SynthesisResult;

/**
 * Keeps the per-direction synthesis results of in-between frames (stylised image and error map),
 * so an interrupted run resumes per frame and blending can be redone without synthesis. Each result
 * is stored with its {@code request}: a digest of everything it was made from (style key image, key
 * frame and the frames from the key to it, flow, guide weights, synthesis settings; see
 * {@link IntervalPropagation}). A result stored for another request counts as absent, so a store
 * left behind by another clip, other key frames or other settings is never blended in. The
 * in-memory default keeps nothing. Thread-safe.
 */
public interface IntermediateStore {

	/** The result stored for {@code frame} in the given direction, made for {@code request}; else null. */
	SynthesisResult load(boolean forward, int frame, String request);

	void save(boolean forward, int frame, String request, SynthesisResult result);

	/** Called when an interval is fully blended (a folder may delete its temporaries). */
	default void intervalDone(int left, int right) {}

	IntermediateStore NONE = new IntermediateStore() {
		@Override
		public SynthesisResult load(boolean forward, int frame, String request) {
			return null;
		}

		@Override
		public void save(boolean forward, int frame, String request, SynthesisResult result) {}
	};
}
