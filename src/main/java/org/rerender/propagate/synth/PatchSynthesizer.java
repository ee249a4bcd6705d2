package org.rerender.propagate.synth;

import org.rerender.engine.Cancel;

/**
 * Guided example-based synthesis (Ebsynth-style): paints the style exemplar onto a
 * target frame by matching guide patches. Implementations: {@link NativePatchSynthesizer}
 * (C++, POSIX threads); a CUDA backend can implement the same interface later.
 * <p>
 * Implementations are thread-safe: several syntheses may run at once.
 */
public interface PatchSynthesizer {

	/**
	 * Synthesises one frame.
	 *
	 * @param request the style, guides and parameters (already validated by its constructor)
	 * @param cancel polled often while native work runs
	 * @return the stylised target and its per-pixel patch error
	 * @throws org.rerender.engine.CancelledException if {@code cancel} was requested
	 * @throws org.rerender.engine.RerenderException if the backend is unavailable or fails
	 */
	SynthesisResult synthesize(SynthesisRequest request, Cancel cancel);

	/** The default CPU synthesizer (native library loaded lazily on first use). */
	static PatchSynthesizer cpu() {
		return new NativePatchSynthesizer();
	}
}
