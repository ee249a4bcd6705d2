package org.rerender.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * Per-step hooks of {@link DdimSampler}, in the order of the algorithm doc §3 ("Order of operations in one
 * DDIM step"): {@link #onStepStart} after the SDEdit replacement (pixel-aware fusion edits x here), then the
 * model calls, then {@link #onPredX0} (AdaIN and shape-aware fusion edit x̂0 here; ε itself stays unmodified for
 * {@code dir_xt}), then {@link #onStepEnd}. Return the input unchanged to do nothing.
 */
public interface DdimCallback {
	default NDArray onStepStart(DdimStep s, NDArray x) {
		return x;
	}

	/**
	 * @param eps guided ε; {@code epsCond}/{@code epsUncond} the raw branch outputs (epsUncond null without CFG)
	 * @return the x̂0 to use in the update
	 */
	default NDArray onPredX0(DdimStep s, NDArray x, NDArray eps, NDArray epsCond, NDArray epsUncond, NDArray predX0) {
		return predX0;
	}

	/** After the update: {@code xPrev} is the next step's x; {@code dirXt = sqrt(1-ᾱ_prev)·ε}. */
	default void onStepEnd(DdimStep s, NDArray xPrev, NDArray predX0, NDArray dirXt) {}
}
