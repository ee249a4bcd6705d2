package org.rerender.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.nn.Precision;
import org.rerender.model.nn.Scope;
import org.rerender.model.nn.StepGraph;
import org.rerender.model.unet.Branch;
import org.rerender.model.unet.UNet;
import org.rerender.model.unet.UNetCallContext;

/**
 * cldm's {@code ControlLDM.apply_model}: ControlNet residuals (times the per-residual scales) fed to the UNet. One
 * hint serves both branches; it goes through the ControlNet's hint encoder once, when the denoiser is made, and every
 * call takes the encoded hint. Hooks come per call from {@link CallContexts} (cross-frame attention, FreeU); the
 * ControlNet gets none of them.
 */
public final class ControlledDenoiser implements Denoiser {
	/** Builds the per-call context (hooks) for a step and branch; {@code branch} is null for a batched call. */
	@FunctionalInterface
	public interface CallContexts {
		UNetCallContext of(int step, Branch branch);
	}

	private final UNet unet;
	private final ControlNet controlNet;
	/** The UNet's timestep sinusoid serves the ControlNet too: no ControlNet, or both of the same model width. */
	private final boolean sharedSinusoid;
	private final NDArray condContext, uncondContext;
	private final NDArray guidedHint; // the hint encoder's output (null without ControlNet)
	private final float[] controlScales;
	private final CallContexts contexts;
	private final boolean plain; // no per-call hooks: a batched call depends on its tensors only (CUDA-graph safe)
	private final Batched batched; // shared with the withHooks copies (same conditioning and hint)

	/** The batched call's {@code [uncond; cond]} context and hint pair: made on the first batched call, owned by {@code manager}. */
	private static final class Batched {
		final NDManager manager;
		NDList pair;

		Batched(NDManager manager) {
			this.manager = manager;
		}
	}

	/**
	 * Runs the hint through the ControlNet's hint encoder here, once: the encoder sees the hint image only, so every
	 * call gets the same result as cldm's per-call encoding, and a 20-step CFG sample skips 39 of its 40 runs
	 * (8 convolutions, the first ones at full image size). Likewise the batched call's conditioning (the contexts and
	 * the hint stacked in pairs) is made on its first call and reused by every later step.
	 * @param m the caller's per-image manager: owns the encoded hint and the batched conditioning (freed when it closes)
	 * @param controlNet null for plain SD
	 * @param hint {@code [B,3,8h,8w]} in [0,1], or null without ControlNet
	 * @param controlScales 13 scales (null = all 1)
	 * @param contexts per-call hooks (null = none)
	 */
	public ControlledDenoiser(NDManager m, UNet unet, ControlNet controlNet, NDArray condContext, NDArray uncondContext,
		NDArray hint, float[] controlScales, CallContexts contexts) {
		this(unet, controlNet, condContext, uncondContext, encode(m, controlNet, hint), controlScales, contexts, new Batched(m));
	}

	private ControlledDenoiser(UNet unet, ControlNet controlNet, NDArray condContext, NDArray uncondContext, NDArray guidedHint,
		float[] controlScales, CallContexts contexts, Batched batched) {
		this.unet = Objects.requireNonNull(unet);
		this.controlNet = controlNet;
		this.sharedSinusoid = controlNet == null || controlNet.modelChannels() == unet.config().modelChannels();
		this.condContext = condContext;
		this.uncondContext = uncondContext;
		this.guidedHint = guidedHint;
		this.controlScales = controlScales;
		this.plain = contexts == null;
		this.contexts = contexts == null ? UNetCallContext::of : contexts;
		this.batched = batched;
	}

	private static NDArray encode(NDManager m, ControlNet controlNet, NDArray hint) {
		if (controlNet == null) return null;
		if (hint == null) throw new IllegalArgumentException("A ControlNet needs a hint image");
		NDArray g = controlNet.hintEncoder(hint);
		g.attach(m);
		return g;
	}

	/** The hint encoder's output (null without ControlNet): what a timer waits for to charge the encoder's time. */
	public NDArray encodedHint() {
		return guidedHint;
	}

	/**
	 * The same networks, conditioning and encoded hint with other per-call hooks (null = none): a second sampling
	 * pass of the same image reuses the first pass's encoded hint and batched conditioning.
	 */
	public ControlledDenoiser withHooks(CallContexts hooks) {
		return new ControlledDenoiser(unet, controlNet, condContext, uncondContext, guidedHint, controlScales, hooks, batched);
	}

	private List<NDArray> control(NDArray x, NDArray guided, NDArray tEmb, NDArray context) {
		return controlNet.forwardGuided(x, guided, tEmb, context, controlScales, UNetCallContext.NONE.withProbe(null));
	}

	/** Rerender/ControlNet demo scales: {@code strength} for all 13, or {@code strength·0.825^(12-i)} in guess mode. */
	public static float[] controlScales(double strength, boolean guessMode) {
		float[] s = new float[13];
		for (int i = 0; i < 13; i++) s[i] = (float) (guessMode ? strength * Math.pow(0.825, 12 - i) : strength);
		return s;
	}

	/** The type the networks compute in (their weights'); x and eps are cast at this door (see {@link Precision}). */
	public DataType networkType() {
		return unet.dtype();
	}

	private NDArray run(NDArray x, int[] t, NDArray context, NDArray h, UNetCallContext ctx) {
		NDArray xn = Precision.as(x, networkType());
		NDArray eps;
		// one sinusoid for both networks (the same values when their widths agree; each would otherwise make its own)
		try (NDArray tEmb = unet.timestepSinusoid(xn.getManager(), t, xn.getDataType())) {
			List<NDArray> control = null;
			if (controlNet != null && sharedSinusoid)
				control = control(xn, h, tEmb, context);
			else if (controlNet != null)
				try (NDArray cEmb = controlNet.timestepSinusoid(xn.getManager(), t, xn.getDataType())) {
					control = control(xn, h, cEmb, context);
				}
			eps = unet.forward(xn, tEmb, context, control, ctx);
			if (control != null) control.forEach(NDArray::close);
		}
		if (xn != x) xn.close();
		NDArray out = Precision.as(eps, x.getDataType()); // eps in the caller's (the DDIM state's) type
		if (out != eps) eps.close();
		return out;
	}

	private static int[] repeat(int t, long n) {
		int[] a = new int[Math.toIntExact(n)];
		Arrays.fill(a, t);
		return a;
	}

	@Override
	public NDArray eps(NDArray x, int timestep, Branch branch, int step) {
		boolean cond = branch == Branch.COND;
		return run(x, repeat(timestep, x.getShape().get(0)), cond ? condContext : uncondContext, guidedHint, contexts.of(step, branch));
	}

	/** Whether {@code o} runs the same networks with the same control scales; the conditioning itself may differ. */
	public boolean sameNetworks(ControlledDenoiser o) {
		return o.unet == unet && o.controlNet == controlNet && Arrays.equals(o.controlScales, controlScales);
	}

	/** Whether a batched call depends on its input tensors only (no per-call hooks), so it can be captured and replayed. */
	public boolean plain() {
		return plain;
	}

	/**
	 * The batched call's conditioning {@code [uncond; cond]} context and encoded hint (null without ControlNet): made
	 * on the first call into the denoiser's manager, the same arrays on every later one. Not the caller's to close.
	 */
	public NDList batchedConditioning() {
		StepGraph.checkOutsideBody("a denoiser's conditioning");
		if (batched.pair == null) {
			NDArray c2 = NDArrays.concat(new NDList(uncondContext, condContext), 0);
			c2.attach(batched.manager);
			NDArray h2 = null;
			if (controlNet != null) {
				h2 = NDArrays.concat(new NDList(guidedHint, guidedHint), 0);
				h2.attach(batched.manager);
			}
			batched.pair = new NDList(c2, h2);
		}
		return batched.pair;
	}

	/**
	 * A single-branch call's conditioning: the branch's context and the encoded hint (null without ControlNet), the
	 * denoiser's own arrays (not the caller's to close).
	 */
	public NDList conditioning(Branch branch) {
		StepGraph.checkOutsideBody("a denoiser's conditioning");
		return new NDList(branch == Branch.COND ? condContext : uncondContext, guidedHint);
	}

	/** Whether UNet and ControlNet share one timestep sinusoid, which {@link #epsPrepared} needs. */
	public boolean sharedSinusoid() {
		return sharedSinusoid;
	}

	/** The sinusoidal embedding of {@code timestep} for a batch of {@code n}, in {@code m} (UNet and ControlNet share it). */
	public NDArray batchedSinusoid(NDManager m, int timestep, long n, DataType dtype) {
		return unet.timestepSinusoid(m, repeat(timestep, n), dtype);
	}

	/**
	 * The batched call on prepared tensors only (no step, no hooks): {@code x2 [2B,…] = [x; x]}, {@code tEmb} from
	 * {@link #batchedSinusoid}, {@code c2, h2} from {@link #batchedConditioning}. What a CUDA graph captures.
	 */
	public NDArray epsBatchedPrepared(NDArray x2, NDArray tEmb, NDArray c2, NDArray h2) {
		if (!plain) throw new IllegalStateException("a denoiser with per-call hooks cannot run on prepared tensors only");
		return epsPrepared(x2, tEmb, c2, h2, UNetCallContext.NONE);
	}

	/**
	 * One call of the networks on prepared tensors (x in the networks' type, {@code tEmb} from {@link #batchedSinusoid}, a
	 * context and an encoded hint of the same batch) with the hooks of {@code ctx}, which the caller supplies: this
	 * denoiser's own per-call hooks and conditioning are not used, only its networks and control scales. What a CUDA graph
	 * of a hooked call captures, with hooks that read only the graph's static buffers.
	 */
	public NDArray epsPrepared(NDArray x, NDArray tEmb, NDArray context, NDArray h, UNetCallContext ctx) {
		if (!sharedSinusoid)
			throw new IllegalStateException("UNet and ControlNet timestep embeddings differ in width");
		List<NDArray> control = controlNet == null ? null : control(x, h, tEmb, context);
		NDArray eps = unet.forward(x, tEmb, context, control, ctx);
		if (control != null) control.forEach(NDArray::close);
		return eps;
	}

	@Override
	public NDArray epsBatched(NDArray x, int timestep, int step) {
		try (Scope s = Scope.of(x)) {
			NDArray x2 = NDArrays.concat(new NDList(x, x), 0);
			NDList cond = batchedConditioning(); // made once per denoiser, not per step
			return s.keep(run(x2, repeat(timestep, x2.getShape().get(0)), cond.get(0), cond.get(1), contexts.of(step, null)));
		}
	}
}
