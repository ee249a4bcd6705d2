package org.rerender.diffusion;

import ai.djl.ndarray.NDArray;
import org.rerender.model.unet.Branch;

/** The ε-prediction model as the sampler sees it (UNet with or without ControlNet, with its conditioning). */
public interface Denoiser {
	/** ε for one CFG branch; {@code step} is the sampler's step index (for per-call hooks). */
	NDArray eps(NDArray x, int timestep, Branch branch, int step);

	/** ε for both branches as one batch {@code [uncond; cond]} of x repeated; returns {@code [2B, ...]}. */
	NDArray epsBatched(NDArray x, int timestep, int step);
}
