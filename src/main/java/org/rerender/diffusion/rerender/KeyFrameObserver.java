package org.rerender.diffusion.rerender;

import ai.djl.ndarray.NDArray;
import org.rerender.diffusion.DdimCallback;
import org.rerender.image.FloatImage;

/**
 * Optional view into a translation for tests and diagnostics. Arrays are only valid during the call: copy what
 * you keep. Pass names are {@code "anchor"}, {@code "pass1"}, {@code "pass2"}.
 */
public interface KeyFrameObserver {
	KeyFrameObserver NONE = new KeyFrameObserver() {};

	/**
	 * Per-step view of a pass: {@code onPredX0} sees the step's input x, ε's and the raw x̂0 (before the
	 * constraints), {@code onStepEnd} the constrained x̂0, dir_xt and x_prev. Its return values are ignored.
	 */
	default DdimCallback pass(String name) {
		return null;
	}

	/** A latent intermediate, e.g. {@code x0} (the encoded frame), {@code fusion.xtrg}. */
	default void latent(String name, NDArray value) {}

	/** An image or mask intermediate, e.g. {@code decoded.pass1}, {@code fusion.blend_results}, {@code fusion.tmp}. */
	default void image(String name, FloatImage value) {}
}
