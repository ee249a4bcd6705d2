package org.rerender.diffusion.rerender;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.rerender.diffusion.ControlledDenoiser;
import org.rerender.diffusion.DdimCallback;
import org.rerender.diffusion.Denoiser;
import org.rerender.diffusion.DdimStep;
import org.rerender.diffusion.DdimSampler;
import org.rerender.diffusion.NoiseSchedule;
import org.rerender.diffusion.NoiseSource;
import org.rerender.diffusion.constraints.AdaIn;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.flow.BidirectionalFlow;
import org.rerender.flow.FlowOps;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.nn.Precision;
import org.rerender.model.unet.AttentionHook;
import org.rerender.model.unet.SkipHook;
import org.rerender.model.unet.UNet;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.model.vae.AutoencoderKL;

/**
 * Key-frame translation with the Rerender constraints (rerender-algorithm.md §1–3): the anchor ("first frame")
 * translated alone while its state is recorded, then every key frame in two passes with cross-frame attention,
 * shape-aware fusion, colour-aware AdaIN, pixel-aware fusion and FreeU. One engine per loaded model set; calls are
 * sequential. Every pass runs in its own sub-manager, so nothing but the returned state outlives a call.
 */
public final class KeyFrameEngine {
	/** The networks, loaded on one device in one dtype (F32 on the CPU). */
	public record Models(UNet unet, ControlNet controlNet, AutoencoderKL vae) {}

	/** CLIP contexts {@code [1, 77, D]} of the full prompt and of the negative prompt (on the engine's device). */
	public record Prompts(NDArray cond, NDArray uncond) {}

	/**
	 * One frame to translate.
	 * @param frame RGB input (used for flow and kept as "previous frame")
	 * @param encoderFrame what the VAE encodes for SDEdit: {@code frame}, or its colour-corrected version when
	 *     colour preservation is off
	 * @param hint ControlNet hint, HWC 3 channels in [0, 1] ({@link org.rerender.model.control.ControlMap#toControlImage()})
	 */
	public record FrameInput(Rgb8Image frame, Rgb8Image encoderFrame, FloatImage hint) {
		public FrameInput {
			Objects.requireNonNull(frame);
			if (encoderFrame == null) encoderFrame = frame;
			if (hint.width() != frame.width() || hint.height() != frame.height() || hint.channels() != 3)
				throw new IllegalArgumentException("hint must be a 3-channel image of the frame's size");
		}

		public static FrameInput of(Rgb8Image frame, FloatImage hint) {
			return new FrameInput(frame, frame, hint);
		}
	}

	/** The flows into the current frame: from the anchor and from the previous key frame (the same for key frame 1). */
	public record Flows(BidirectionalFlow fromAnchor, BidirectionalFlow fromPrevious) {}

	/** The anchor's state (owned by the caller: close it) and its outputs. */
	public record AnchorResult(AnchorState anchor, FloatImage decoded, Rgb8Image image) {}

	/** A key frame's output: decoded float image (unclamped, VAE units, HWC) and the saved 8-bit image. */
	public record KeyFrameResult(FloatImage decoded, Rgb8Image image) {}

	private final Models models;
	private final NDManager parent;
	private final DataType dtype;
	private final NoiseSchedule schedule = NoiseSchedule.sd15();
	private KeyFrameObserver observer = KeyFrameObserver.NONE;
	private DdimSampler.Cfg cfg = DdimSampler.Cfg.SEPARATE;
	private boolean storesOnHost;
	private PhaseClock clock = PhaseClock.OFF;
	private boolean resumePass2 = true;
	private MaskStages maskStages = MaskStages.FLOW_MASKS;
	private KeyFrameGraphs graphs;
	private DataType storageOverride;

	/** The two host stages of the flow masks (tests replace them to observe or fail them). */
	interface MaskStages {
		MaskStages FLOW_MASKS = new MaskStages() {};

		/** The part shape-aware fusion needs. */
		default FlowMasks.AnchorPart anchorPart(Flows f) {
			return FlowMasks.AnchorPart.compute(f.fromAnchor());
		}

		/** The rest, for pixel-aware fusion. */
		default FlowMasks complete(FlowMasks.AnchorPart a, Flows f, boolean smoothBoundary) {
			return FlowMasks.complete(a, f.fromAnchor(), f.fromPrevious(), smoothBoundary);
		}
	}

	/** Thrown in a mask stage that starts after its key frame has ended (failed or cancelled). */
	private static final class MaskWorkEnded extends RuntimeException {
		MaskWorkEnded() {
			super("key frame ended", null, false, false);
		}
	}

	/**
	 * @param parent long-lived manager on the models' device; every call works in sub-managers of it
	 * @param dtype the models' dtype (F32, or F16 on a GPU)
	 */
	public KeyFrameEngine(Models models, NDManager parent, DataType dtype) {
		this.models = Objects.requireNonNull(models);
		this.parent = parent;
		this.dtype = dtype;
	}

	/**
	 * Tests: the attention stores' element type instead of {@link #storageType()}'s own choice (null: that choice); F16
	 * stores beside F32 networks on the CPU make the conversions a GPU's host stores make.
	 */
	KeyFrameEngine storage(DataType t) {
		this.storageOverride = t;
		return this;
	}

	/** Tests: the flow-mask stages. */
	KeyFrameEngine maskStages(MaskStages stages) {
		this.maskStages = Objects.requireNonNull(stages);
		return this;
	}

	/** Tests: {@code false} runs pass 2 from step 0, as the original does, instead of resuming it at its first mask step. */
	KeyFrameEngine resumePass2(boolean resume) {
		this.resumePass2 = resume;
		return this;
	}

	/**
	 * Runs the UNet+ControlNet calls of every pass through {@code g} (recorded graphs with the cross-frame attention and
	 * FreeU inside: a CUDA graph on a GPU; {@link KeyFrameGraphs}), or eagerly through the hooks with null (the default).
	 * The caller owns {@code g} and closes it after the engine's last call. The outputs are the same either way.
	 */
	public KeyFrameEngine graphs(KeyFrameGraphs g) {
		this.graphs = g;
		return this;
	}

	/** Sets a diagnostic observer (tests); {@link KeyFrameObserver#NONE} by default. */
	public KeyFrameEngine observer(KeyFrameObserver o) {
		this.observer = o == null ? KeyFrameObserver.NONE : o;
		return this;
	}

	/**
	 * How the two CFG branches are evaluated: {@link DdimSampler.Cfg#SEPARATE} (the default: two calls per step,
	 * cond then uncond, as Rerender) or {@link DdimSampler.Cfg#BATCHED} (one call on {@code [uncond; cond]}; the
	 * cross-frame attention and FreeU hooks act per half, so the result is the same up to rounding).
	 */
	public KeyFrameEngine cfg(DdimSampler.Cfg c) {
		this.cfg = Objects.requireNonNull(c);
		return this;
	}

	public DdimSampler.Cfg cfg() {
		return cfg;
	}

	/**
	 * Where the cross-frame attention stores (the anchor's and the previous key frame's decoder self-attention inputs,
	 * every step and both CFG branches: about 1.1 GiB at 512×512 in F16) live: on the compute device (the default,
	 * as the original) or, with {@code true} on a GPU, in host memory, read back over the bus at every step (less
	 * GPU memory, some time; measured in bench/gpu). No effect on the CPU.
	 */
	public KeyFrameEngine storesOnHost(boolean onHost) {
		this.storesOnHost = onHost;
		return this;
	}

	public boolean storesOnHost() {
		return storesOnHost;
	}

	/**
	 * Times every phase of the following calls on {@code c} (benchmarks; {@link PhaseClock#OFF}, the default, does
	 * nothing): masks, VAE work, per pass the steps' network calls, cross-frame attention hooks, FreeU, constraints and
	 * DDIM update, pixel fusion. A synced clock drains the device at each mark, so such a run is slower than a plain one.
	 */
	public KeyFrameEngine phases(PhaseClock c) {
		this.clock = c == null ? PhaseClock.OFF : c;
		return this;
	}

	/** The device of the attention stores ({@link #storesOnHost}). */
	public Device storeDevice() {
		return storesOnHost ? Device.cpu() : parent.getDevice();
	}

	/** The attention store's element type: F16 on a GPU, the compute type on the CPU. */
	public DataType storageType() {
		if (storageOverride != null) return storageOverride;
		return parent.getDevice().isGpu() ? DataType.FLOAT16 : dtype;
	}

	/**
	 * Translates the anchor frame alone (ControlNet, SDEdit, FreeU) and records its state.
	 * @return the state (caller closes it) and the output
	 */
	public AnchorResult translateAnchor(FrameInput in, Prompts prompts, KeyFrameSettings s, NoiseStreams noise,
		Progress progress, Cancel cancel)
	{
		checkSize(in.frame());
		clock.start();
		NDManager state = parent.newSubManager();
		try {
			int steps = s.steps();
			NDArray[] x0s = new NDArray[steps];
			AdaIn.Stats[] stats = new AdaIn.Stats[steps];
			AttentionStore store = new AttentionStore(state, storageType(), storeDevice());
			FloatImage decoded;
			try (NDManager job = parent.newSubManager()) {
				NDArray x0 = encodeFrame(job, in.encoderFrame(), noise.encoder());
				clock.mark("VAE encode", x0);
				CrossFrameAttention rec = CrossFrameAttention.recorder(store, s.crossSteps(), skipChannels(s));
				ControlledDenoiser model = denoiser(job, in.hint(), prompts, s, rec, "anchor");
				ConstraintCallback cb = new ConstraintCallback(new ConstraintCallback.Recording(state, x0s, stats), null,
					Set.of(), null, null, null, observer.pass("anchor"));
				NDArray z = samplePass(job, graphed(model, rec, s, "anchor"), x0, s, noise.samplingPass(), timed(cb, "anchor"), stage(progress, "First frame"), cancel, null);
				decoded = decode(z);
				clock.mark("anchor: VAE decode", null);
			}
			observer.image("decoded.anchor", decoded);
			AnchorState anchor = new AnchorState(state, x0s, stats, store, decoded, in.frame(), s.looseCrossAttention());
			return new AnchorResult(anchor, decoded, Latents.toRgb8(decoded));
		}
		catch (RuntimeException e) {
			state.close();
			throw e;
		}
	}

	/**
	 * Translates the next key frame of {@code seq}: pass 1 with cross-frame attention, AdaIN and shape-aware
	 * fusion; pixel-aware fusion; pass 2 with the same constraints plus the mask blend, refreshing the "previous"
	 * attention reference when {@link KeyFrameSequence#refreshDue()}. Then advances {@code seq}. With an empty
	 * mask window pass 2 would repeat pass 1 exactly, so a single pass (refreshing when due) is run.
	 * <p>A refreshing key frame that fails or is cancelled leaves "previous" partly refreshed: {@code seq} is then
	 * spoiled ({@link KeyFrameSequence#spoiled()}) and refuses further use; reload or rebuild it to retry.
	 * @throws RerenderException when {@code seq} was spoiled by an earlier failed key frame
	 */
	public KeyFrameResult translateKeyFrame(KeyFrameSequence seq, FrameInput in, Flows flows, Prompts prompts,
		KeyFrameSettings s, NoiseStreams noise, Progress progress, Cancel cancel)
	{
		seq.checkUsable();
		checkSize(in.frame());
		AnchorState anchor = seq.anchor();
		anchor.checkCompatible(s, in.frame().width(), in.frame().height());
		boolean refresh = seq.refreshDue();
		boolean fusion = !s.maskSteps().isEmpty(), warp = !s.warpSteps().isEmpty();
		clock.start();
		// the flow masks (host work, ~0.1 s at 512²) are made beside the device work: the part shape-aware fusion needs
		// while the frame is encoded, the rest (pixel-aware fusion only) during pass 1; none when neither fusion runs
		// a stage that starts after the key frame ended (or was cancelled) does nothing
		AtomicBoolean ended = new AtomicBoolean();
		MaskStages stages = maskStages;
		CompletableFuture<FlowMasks.AnchorPart> anchorMasks = warp || fusion ? CompletableFuture.supplyAsync(() -> {
			stopIfEnded(ended, cancel);
			return stages.anchorPart(flows);
		}) : null;
		CompletableFuture<FlowMasks> allMasks = fusion ? anchorMasks.thenApplyAsync(a -> {
			stopIfEnded(ended, cancel);
			return stages.complete(a, flows, s.smoothBoundary());
		}) : null;
		FloatImage out;
		try (NDManager job = parent.newSubManager()) {
			NDArray x0 = encodeFrame(job, in.encoderFrame(), noise.encoder());
			clock.mark("VAE encode", x0);
			NDArray warpMask = null;
			Map<Integer, NDArray> warped = new HashMap<>();
			if (warp) {
				FlowMasks.AnchorPart a = join(anchorMasks);
				clock.mark("anchor flow masks, latent flow (host; waited for)", null);
				// in the DDIM state's type, as the anchor's recorded x̂0 they replace parts of (F16 networks would round them)
				warpMask = Latents.maskTensor(a.warpMask(), job, Precision.LATENT);
				observer.latent("constraint.warp_mask", warpMask);
				for (int i : s.warpSteps()) {
					FloatImage w = FlowOps.warpNearest(Latents.toImage(anchor.predX0(i)), a.latentFlow());
					warped.put(i, Latents.toTensor(w, job, Precision.LATENT));
					observer.latent("constraint.warped_anchor." + i, warped.get(i));
				}
				clock.mark("warped anchor x̂0 per warp step (host)", warpMask);
			}
			// Pass 2 repeats pass 1 exactly up to its first mask step (same x_T, SDEdit noise, stores and constraints; its
			// refreshes write only entries of steps already read), so it resumes there from pass 1's state, and pass 1 makes
			// the refreshes of the steps before it. The pass-2 observer sees those steps from pass 1.
			int resumeAt = resumePass2 && fusion && s.sdeditStep() < s.steps()
				? Math.min(java.util.Collections.min(s.maskSteps()), s.steps()) : 0;
			DdimCallback observer2 = fusion ? observer.pass("pass2") : null;
			ConstraintCallback pass1cb = new ConstraintCallback(null, anchor, s.adaSteps(), warped, warpMask, null,
				tee(observer.pass("pass1"), observer2, resumeAt));
			DdimSampler.Resume[] resume = new DdimSampler.Resume[1];
			Set<Integer> before = s.crossSteps().stream().filter(i -> i < resumeAt).collect(Collectors.toSet());
			CrossFrameAttention attn1 = !fusion ? constrainer(seq, s, refresh)
				: CrossFrameAttention.constrainer(anchor.attention(), seq.previousStyle(), s.crossSteps(), before, skipChannels(s), refresh);
			ControlledDenoiser pass1 = denoiser(job, in.hint(), prompts, s, attn1, "pass 1");
			NDArray z1 = samplePass(job, graphed(pass1, attn1, s, "pass 1"), x0, s, noise.samplingPass(), timed(capture(pass1cb, resumeAt, job, resume), "pass 1"),
				stage(progress, "Key frame pass 1"), cancel, null);
			FloatImage d1 = decode(z1);
			clock.mark("pass 1: VAE decode", null);
			observer.image("decoded.pass1", d1);
			if (!fusion) out = d1;
			else {
				if (cancel != null) cancel.check();
				// pass 1 already made the refreshes of the steps before resumeAt: running pass 2 from step 0 would repeat them
				if (resumeAt > 0 && resume[0] == null)
					throw new IllegalStateException("pass 1 recorded no state at step " + resumeAt + " to resume pass 2 from");
				FlowMasks masks = join(allMasks);
				clock.mark("flow masks (host; waited for)", null);
				FloatImage warpedPrev = PixelFusion.warp(seq.previousOutput(), flows.fromPrevious().backward());
				FloatImage warpedAnchor = PixelFusion.warp(anchor.decoded(), flows.fromAnchor().backward());
				FloatImage composite = PixelFusion.composite(d1, warpedPrev, warpedAnchor, masks);
				clock.mark("fusion: warps, composite (host)", null);
				PixelFusion pf = new PixelFusion(models.vae(), dtype);
				PixelFusion.Target t = pf.target(job, composite, masks, noise.encoder(), observer != KeyFrameObserver.NONE);
				clock.mark("fusion: target x_trg (VAE 2 encodes, 2 decodes)", t.xtrg());
				report(masks, warpedAnchor, t);
				NDArray weight = Latents.maskTensor(masks.fusionMask(), job, Precision.LATENT).mul((float) s.maskStrength());
				NDArray nr = Latents.maskTensor(masks.noiseRescale(), job, Precision.LATENT);
				observer.latent("constraint.fusion_weight", weight);
				observer.latent("constraint.noise_rescale", nr);
				DdimSampler sampler = sampler(s);
				ConstraintCallback pass2cb = new ConstraintCallback(null, anchor, s.adaSteps(), warped, warpMask,
					new ConstraintCallback.MaskBlend(t.xtrg(), weight, nr, s.maskSteps(), s.innerStrength(), sampler),
					observer2);
				CrossFrameAttention attn2 = constrainer(seq, s, refresh);
				ControlledDenoiser pass2 = pass1.withHooks(hooks(s, attn2, "pass 2"));
				clock.mark("fusion: masks", nr);
				NDArray z2 = samplePass(job, graphed(pass2, attn2, s, "pass 2"), x0, s, noise.samplingPass(), timed(pass2cb, "pass 2"), stage(progress, "Key frame pass 2"),
					cancel, resume[0]);
				out = decode(z2);
				clock.mark("pass 2: VAE decode", null);
			}
		}
		catch (RuntimeException | Error e) {
			endMaskWork(ended, e, anchorMasks, allMasks);
			if (refresh) seq.spoil(e); // "previous" may be partly refreshed (both passes write it as they go)
			throw e;
		}
		observer.image("decoded.output", out);
		seq.advance(out, in.frame());
		KeyFrameResult r = new KeyFrameResult(out, Latents.toRgb8(out));
		clock.mark("output image (host)", null);
		return r;
	}

	/** {@code a}, and for the steps before {@code until} also {@code b} (either may be null). */
	private static DdimCallback tee(DdimCallback a, DdimCallback b, int until) {
		if (b == null || until <= 0) return a;
		return new DdimCallback() {
			@Override
			public NDArray onPredX0(DdimStep st, NDArray x, NDArray eps, NDArray epsCond, NDArray epsUncond, NDArray predX0) {
				if (a != null) a.onPredX0(st, x, eps, epsCond, epsUncond, predX0);
				if (st.step() < until) b.onPredX0(st, x, eps, epsCond, epsUncond, predX0);
				return predX0;
			}

			@Override
			public void onStepEnd(DdimStep st, NDArray xPrev, NDArray predX0, NDArray dirXt) {
				if (a != null) a.onStepEnd(st, xPrev, predX0, dirXt);
				if (st.step() < until) b.onStepEnd(st, xPrev, predX0, dirXt);
			}
		};
	}

	/** {@code cb}, keeping the state at the start of step {@code at} (copies in {@code job}) in {@code into[0]}. */
	private static DdimCallback capture(DdimCallback cb, int at, NDManager job, DdimSampler.Resume[] into) {
		if (at <= 0) return cb;
		return new DdimCallback() {
			@Override
			public NDArray onStepStart(DdimStep st, NDArray x) {
				return cb.onStepStart(st, x);
			}

			@Override
			public NDArray onPredX0(DdimStep st, NDArray x, NDArray eps, NDArray epsCond, NDArray epsUncond, NDArray predX0) {
				return cb.onPredX0(st, x, eps, epsCond, epsUncond, predX0);
			}

			@Override
			public void onStepEnd(DdimStep st, NDArray xPrev, NDArray predX0, NDArray dirXt) {
				cb.onStepEnd(st, xPrev, predX0, dirXt);
				if (st.step() == at - 1) {
					NDArray x = xPrev.duplicate(), d = dirXt.duplicate();
					x.attach(job);
					d.attach(job);
					into[0] = new DdimSampler.Resume(at, x, d);
				}
			}
		};
	}

	private static void stopIfEnded(AtomicBoolean ended, Cancel cancel) {
		if (ended.get()) throw new MaskWorkEnded();
		if (cancel != null) cancel.check();
	}

	/**
	 * After the key frame failed with {@code failure}: keeps mask stages not yet started from starting, waits for the
	 * running one (so none outlives the call) and adds their own failures to {@code failure} as suppressed.
	 */
	private static void endMaskWork(AtomicBoolean ended, Throwable failure, CompletableFuture<?>... stages) {
		ended.set(true);
		Set<Throwable> seen = new java.util.HashSet<>();
		seen.add(failure);
		for (CompletableFuture<?> f : stages) {
			if (f == null) continue;
			Throwable t = f.handle((v, x) -> x).join(); // waits; a later stage settles only after the earlier ones
			while (t instanceof CompletionException && t.getCause() != null) t = t.getCause();
			if (t == null || t instanceof MaskWorkEnded || t instanceof java.util.concurrent.CancellationException
				|| t instanceof org.rerender.engine.CancelledException || !seen.add(t))
				continue;
			failure.addSuppressed(t);
		}
	}

	/** The value of a host computation, its exception as thrown there. */
	private static <T> T join(CompletableFuture<T> f) {
		try {
			return f.join();
		}
		catch (CompletionException e) {
			if (e.getCause() instanceof RuntimeException r) throw r;
			if (e.getCause() instanceof Error r) throw r;
			throw e;
		}
	}

	private void report(FlowMasks masks, FloatImage warpedAnchor, PixelFusion.Target t) {
		observer.image("fusion.warped_0", warpedAnchor);
		observer.image("fusion.blend_results", t.composite());
		observer.latent("fusion.xtrg_enc", t.xEnc());
		observer.image("fusion.blend_results_rec", t.rec());
		observer.latent("fusion.xtrg_rec", t.xRec());
		observer.latent("fusion.xtrg_corr", t.xCorr());
		observer.image("fusion.blend_results_rec_new", t.recNew());
		observer.image("fusion.tmp", t.tmp());
		observer.image("fusion.mask_x", t.badMask());
		observer.latent("fusion.xtrg", t.xtrg());
	}

	private CrossFrameAttention constrainer(KeyFrameSequence seq, KeyFrameSettings s, boolean refresh) {
		return CrossFrameAttention.constrainer(seq.anchor().attention(), seq.previousStyle(), s.crossSteps(), s.crossSteps(),
			skipChannels(s), refresh);
	}

	private long skipChannels(KeyFrameSettings s) {
		return CrossFrameAttention.skipChannels(s.looseCrossAttention(), models.unet().config().modelChannels());
	}

	private DdimSampler sampler(KeyFrameSettings s) {
		return new DdimSampler(schedule, s.ddimSteps(), s.guidanceScale(), cfg);
	}

	private ControlledDenoiser denoiser(NDManager job, FloatImage hint, Prompts p, KeyFrameSettings s, CrossFrameAttention attn,
		String pass)
	{
		NDArray h = Latents.toTensor(hint, job, dtype);
		ControlledDenoiser d = new ControlledDenoiser(job, models.unet(), models.controlNet(), p.cond(), p.uncond(), h,
			ControlledDenoiser.controlScales(s.controlStrength(), false), hooks(s, attn, pass));
		// waits for the encoder's output (the hint image itself is ready before the encoder even starts)
		clock.mark(pass + ": hint encoder", d.encodedHint() != null ? d.encodedHint() : h);
		return d;
	}

	/** {@code d} (a pass's denoiser with the hooks {@code attn} and the settings' FreeU), through the graphs when set. */
	private Denoiser graphed(ControlledDenoiser d, CrossFrameAttention attn, KeyFrameSettings s, String pass) {
		if (graphs == null) return d;
		return graphs.pass(d, attn, new FreeUHook(s.freeU(), models.unet().config().modelChannels()), models.unet().decoderSelfAttentionSites(),
			clock, pass);
	}

	/** The per-call hooks of a pass: cross-frame attention {@code attn} and the settings' FreeU (timed when the clock is on). */
	private ControlledDenoiser.CallContexts hooks(KeyFrameSettings s, CrossFrameAttention attn, String pass) {
		FreeUHook freeU = new FreeUHook(s.freeU(), models.unet().config().modelChannels());
		if (!clock.enabled()) return (step, branch) -> new UNetCallContext(step, branch, attn, freeU, null);
		String net = pass + ": UNet+ControlNet calls";
		AttentionHook a = (ctx, site, in) -> {
			clock.mark(net, in);
			NDArray kv = attn.keyValueInput(ctx, site, in);
			clock.mark(pass + (attn.records() ? ": attention store writes" : ": cross-frame attention K/V (store reads, writes)"), kv);
			return kv;
		};
		SkipHook f = (ctx, block, h, skip) -> {
			clock.mark(net, h);
			SkipHook.HSkip r = freeU.apply(ctx, block, h, skip);
			clock.mark(pass + ": FreeU", r.skip());
			return r;
		};
		return (step, branch) -> new UNetCallContext(step, branch, a, f, null);
	}

	/** {@code cb} with the step's phases marked on the clock ({@code cb} itself when the clock is off). */
	private DdimCallback timed(DdimCallback cb, String pass) {
		if (!clock.enabled()) return cb;
		return new DdimCallback() {
			@Override
			public NDArray onStepStart(DdimStep st, NDArray x) {
				clock.mark(pass + ": step start (x_T, SDEdit, DDIM bookkeeping)", x);
				NDArray out = cb.onStepStart(st, x);
				if (out != x) clock.mark(pass + ": mask blend (pixel-aware fusion)", out);
				return out;
			}

			@Override
			public NDArray onPredX0(DdimStep st, NDArray x, NDArray eps, NDArray epsCond, NDArray epsUncond, NDArray predX0) {
				clock.mark(pass + ": UNet+ControlNet calls", predX0);
				NDArray out = cb.onPredX0(st, x, eps, epsCond, epsUncond, predX0);
				clock.mark(pass + (out != predX0 ? ": AdaIN, shape-aware fusion" : ": x̂0 record / observer"), out);
				return out;
			}

			@Override
			public void onStepEnd(DdimStep st, NDArray xPrev, NDArray predX0, NDArray dirXt) {
				clock.mark(pass + ": DDIM update", xPrev);
				cb.onStepEnd(st, xPrev, predX0, dirXt);
			}
		};
	}

	/**
	 * One sampling pass in its own sub-manager; returns the final latent in {@code job}. From {@code resume} (null: from
	 * step 0), drawing first what the steps before it would have drawn (x_T, and the SDEdit noise of an earlier SDEdit step).
	 */
	private NDArray samplePass(NDManager job, Denoiser model, NDArray x0, KeyFrameSettings s, NoiseSource noise,
		DdimCallback cb, Progress progress, Cancel cancel, DdimSampler.Resume resume)
	{
		try (NDManager pass = job.newSubManager()) {
			Shape shape = x0.getShape();
			// x_T in the DDIM state's type on every device (SeededNoise: the same latents on the CPU and a GPU); the result
			// comes back in it too and the VAE casts it to its own type at its door
			NDArray xT = noise.next(pass, shape, Precision.LATENT).toDevice(parent.getDevice(), false);
			xT.attach(pass);
			observer.latent("x_T", xT);
			NDArray z;
			int i0 = s.sdeditStep();
			if (i0 >= s.steps()) z = x0.duplicate(); // x0_strength 0: no denoising at all
			else {
				DdimSampler.SdEdit sd = i0 < 0 ? null : new DdimSampler.SdEdit(x0, s.x0Strength());
				if (resume != null && i0 >= 0 && i0 < resume.step()) noise.next(pass, shape, Precision.LATENT); // DdimSampler's SDEdit draw
				z = sampler(s).sample(pass, model, xT, sd, noise, cb, progress, cancel, resume);
			}
			z.attach(job);
			return z;
		}
	}

	private NDArray encodeFrame(NDManager job, Rgb8Image frame, NoiseSource noise) {
		NDArray x0 = new PixelFusion(models.vae(), dtype).encode(job, Latents.vaeInput(frame), noise);
		observer.latent("x0", x0);
		return x0;
	}

	private FloatImage decode(NDArray z) {
		return new PixelFusion(models.vae(), dtype).decode(z);
	}

	private static void checkSize(Rgb8Image f) {
		if (f.width() % 64 != 0 || f.height() % 64 != 0)
			throw new RerenderException("Frames must be multiples of 64 pixels on each side, got " + f.width() + "x" + f.height()
				+ " (frame preparation resizes them)");
	}

	private static Progress stage(Progress p, String name) {
		if (p == null) return null;
		return (stage, done, total) -> p.report(name, done, total);
	}

	static Set<Integer> range(int n) {
		return IntStream.range(0, n).boxed().collect(Collectors.toSet());
	}

	static Device device(NDManager m) {
		return m.getDevice();
	}
}
