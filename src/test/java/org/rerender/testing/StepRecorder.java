package org.rerender.testing;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rerender.diffusion.DdimCallback;
import org.rerender.diffusion.DdimStep;

/**
 * Records, per DDIM step, the tensors the Rerender fixtures store under the suffixes of {@link #KEYS}
 * (fixtures README §9, "Per-step tensors"), without changing anything.
 */
public final class StepRecorder implements DdimCallback {
	public static final String[] KEYS = {"x_in", "eps_cond", "eps_uncond", "pred_x0_raw", "pred_x0", "dir_xt", "x_out"};

	/** Suffix → one array per step, in step order. */
	public final Map<String, List<float[]>> steps = new HashMap<>();

	public StepRecorder() {
		for (String k : KEYS) steps.put(k, new ArrayList<>());
	}

	@Override
	public NDArray onPredX0(DdimStep s, NDArray x, NDArray eps, NDArray ec, NDArray eu, NDArray p) {
		steps.get("x_in").add(x.toFloatArray());
		steps.get("eps_cond").add(ec.toFloatArray());
		steps.get("eps_uncond").add(eu.toFloatArray());
		steps.get("pred_x0_raw").add(p.toFloatArray());
		return p;
	}

	@Override
	public void onStepEnd(DdimStep s, NDArray xPrev, NDArray p, NDArray dirXt) {
		steps.get("pred_x0").add(p.toFloatArray());
		steps.get("dir_xt").add(dirXt.toFloatArray());
		steps.get("x_out").add(xPrev.toFloatArray());
	}
}
