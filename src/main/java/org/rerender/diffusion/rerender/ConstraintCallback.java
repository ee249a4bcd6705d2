package org.rerender.diffusion.rerender;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.Set;
import org.rerender.diffusion.DdimCallback;
import org.rerender.diffusion.DdimSampler;
import org.rerender.diffusion.DdimStep;
import org.rerender.diffusion.constraints.AdaIn;
import org.rerender.diffusion.constraints.PixelFusionMath;
import org.rerender.model.nn.Scalars;
import org.rerender.model.nn.Scope;

/**
 * The per-step latent constraints of one sampling pass, in the order of rerender-algorithm.md §3: the mask blend
 * at the start of a pixel-fusion step (pass 2), then after the model calls AdaIN and shape-aware fusion on x̂0.
 * In the anchor pass it instead records x̂0 and its AdaIN statistics.
 */
final class ConstraintCallback implements DdimCallback {
	/** Recording target of the anchor pass (arrays are copied into {@code manager}). */
	record Recording(NDManager manager, NDArray[] predX0, AdaIn.Stats[] stats) {}

	/** Pass-2 mask blend: the target latent, w = mask·strength and nr, each broadcast over channels. */
	record MaskBlend(NDArray xtrg, NDArray weight, NDArray noiseRescale, Set<Integer> steps, double innerStrength,
		DdimSampler sampler) {}

	private final Recording recording;
	private final AnchorState anchor;
	private final Set<Integer> adaSteps;
	/** Per warp step, the anchor's x̂0 warped (nearest) into the current frame; and the warp mask [1,1,h,w]. */
	private final Map<Integer, NDArray> warpedAnchor;
	private final NDArray warpMask;
	private final MaskBlend blend;
	private final DdimCallback observer;

	ConstraintCallback(Recording recording, AnchorState anchor, Set<Integer> adaSteps, Map<Integer, NDArray> warpedAnchor,
		NDArray warpMask, MaskBlend blend, DdimCallback observer)
	{
		this.recording = recording;
		this.anchor = anchor;
		this.adaSteps = adaSteps;
		this.warpedAnchor = warpedAnchor;
		this.warpMask = warpMask;
		this.blend = blend;
		this.observer = observer;
	}

	@Override
	public NDArray onStepStart(DdimStep s, NDArray x) {
		if (blend == null || !blend.steps().contains(s.step())) return x;
		NDManager m = x.getManager();
		NDArray noise = s.noise().next(m, blend.xtrg().getShape(), x.getDataType()).toDevice(x.getDevice(), false);
		NDArray ref = blend.sampler().qSample(blend.xtrg(), s.timestep(), noise);
		ref.attach(m);
		NDArray dir = s.dirPrev() != null ? s.dirPrev() : x.zerosLike();
		NDArray out = PixelFusionMath.blend(x, ref, dir, blend.weight(), blend.noiseRescale(), blend.innerStrength());
		out.attach(m);
		return out;
	}

	@Override
	public NDArray onPredX0(DdimStep s, NDArray x, NDArray eps, NDArray epsCond, NDArray epsUncond, NDArray predX0) {
		if (observer != null) observer.onPredX0(s, x, eps, epsCond, epsUncond, predX0);
		int i = s.step();
		if (recording != null) {
			NDArray copy = predX0.duplicate();
			copy.attach(recording.manager());
			recording.predX0()[i] = copy;
			AdaIn.Stats st = AdaIn.styleStats(predX0); // temporaries die with the step
			st.mean().attach(recording.manager());
			st.std().attach(recording.manager());
			recording.stats()[i] = st;
			return predX0;
		}
		NDArray out = predX0;
		if (anchor != null && adaSteps.contains(i)) out = AdaIn.apply(out, anchor.stats(i));
		NDArray warped = warpedAnchor == null ? null : warpedAnchor.get(i);
		if (warped != null) // warped and warpMask live as long as the key frame: a Scope keeps the step's temporaries off them
			try (Scope sc = Scope.of(predX0, warped, warpMask, out)) {
				out = sc.keep(warped.mul(warpMask).add(Scalars.rsub(1f, warpMask).mul(out)));
			}
		if (out != predX0) out.attach(predX0.getManager());
		return out;
	}

	@Override
	public void onStepEnd(DdimStep s, NDArray xPrev, NDArray predX0, NDArray dirXt) {
		if (observer != null) observer.onStepEnd(s, xPrev, predX0, dirXt);
	}
}
