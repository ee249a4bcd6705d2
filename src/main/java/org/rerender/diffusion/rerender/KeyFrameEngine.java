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
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.rerender.diffusion.ControlledDenoiser;
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

	/**
	 * @param parent long-lived manager on the models' device; every call works in sub-managers of it
	 * @param dtype the models' dtype (F32, or F16 on a GPU)
	 */
	public KeyFrameEngine(Models models, NDManager parent, DataType dtype) {
		this.models = Objects.requireNonNull(models);
		this.parent = parent;
		this.dtype = dtype;
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

	/** The device of the attention stores ({@link #storesOnHost}). */
	public Device storeDevice() {
		return storesOnHost ? Device.cpu() : parent.getDevice();
	}

	/** The attention store's element type: F16 on a GPU, the compute type on the CPU. */
	public DataType storageType() {
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
		NDManager state = parent.newSubManager();
		try {
			int steps = s.steps();
			NDArray[] x0s = new NDArray[steps];
			AdaIn.Stats[] stats = new AdaIn.Stats[steps];
			AttentionStore store = new AttentionStore(state, storageType(), storeDevice());
			FloatImage decoded;
			try (NDManager job = parent.newSubManager()) {
				NDArray x0 = encodeFrame(job, in.encoderFrame(), noise.encoder());
				ControlledDenoiser model = denoiser(job, in.hint(), prompts, s,
					CrossFrameAttention.recorder(store, s.crossSteps(), skipChannels(s)));
				ConstraintCallback cb = new ConstraintCallback(new ConstraintCallback.Recording(state, x0s, stats), null,
					Set.of(), null, null, null, observer.pass("anchor"));
				NDArray z = samplePass(job, model, x0, s, noise.samplingPass(), cb, stage(progress, "First frame"), cancel);
				decoded = decode(z);
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
	 */
	public KeyFrameResult translateKeyFrame(KeyFrameSequence seq, FrameInput in, Flows flows, Prompts prompts,
		KeyFrameSettings s, NoiseStreams noise, Progress progress, Cancel cancel)
	{
		checkSize(in.frame());
		AnchorState anchor = seq.anchor();
		anchor.checkCompatible(s, in.frame().width(), in.frame().height());
		boolean refresh = seq.refreshDue();
		boolean fusion = !s.maskSteps().isEmpty();
		FlowMasks masks = FlowMasks.compute(flows.fromAnchor(), flows.fromPrevious(), s.smoothBoundary());
		FloatImage out;
		try (NDManager job = parent.newSubManager()) {
			NDArray x0 = encodeFrame(job, in.encoderFrame(), noise.encoder());
			NDArray warpMask = Latents.maskTensor(masks.warpMask(), job, dtype);
			Map<Integer, NDArray> warped = new HashMap<>();
			for (int i : s.warpSteps()) {
				FloatImage w = FlowOps.warpNearest(Latents.toImage(anchor.predX0(i)), masks.latentFlow());
				warped.put(i, Latents.toTensor(w, job, dtype));
			}
			ConstraintCallback pass1cb = new ConstraintCallback(null, anchor, s.adaSteps(), warped, warpMask, null,
				observer.pass("pass1"));
			ControlledDenoiser pass1 = denoiser(job, in.hint(), prompts, s, constrainer(seq, s, refresh && !fusion));
			NDArray z1 = samplePass(job, pass1, x0, s, noise.samplingPass(), pass1cb, stage(progress, "Key frame pass 1"), cancel);
			FloatImage d1 = decode(z1);
			observer.image("decoded.pass1", d1);
			if (!fusion) out = d1;
			else {
				if (cancel != null) cancel.check();
				FloatImage warpedPrev = PixelFusion.warp(seq.previousOutput(), flows.fromPrevious().backward());
				FloatImage warpedAnchor = PixelFusion.warp(anchor.decoded(), flows.fromAnchor().backward());
				FloatImage composite = PixelFusion.composite(d1, warpedPrev, warpedAnchor, masks);
				PixelFusion pf = new PixelFusion(models.vae(), dtype);
				PixelFusion.Target t = pf.target(job, composite, masks, noise.encoder());
				report(masks, warpedAnchor, t);
				NDArray weight = Latents.maskTensor(masks.fusionMask(), job, dtype).mul((float) s.maskStrength());
				NDArray nr = Latents.maskTensor(masks.noiseRescale(), job, dtype);
				DdimSampler sampler = sampler(s);
				ConstraintCallback pass2cb = new ConstraintCallback(null, anchor, s.adaSteps(), warped, warpMask,
					new ConstraintCallback.MaskBlend(t.xtrg(), weight, nr, s.maskSteps(), s.innerStrength(), sampler),
					observer.pass("pass2"));
				ControlledDenoiser pass2 = pass1.withHooks(hooks(s, constrainer(seq, s, refresh)));
				NDArray z2 = samplePass(job, pass2, x0, s, noise.samplingPass(), pass2cb, stage(progress, "Key frame pass 2"), cancel);
				out = decode(z2);
			}
		}
		observer.image("decoded.output", out);
		seq.advance(out, in.frame());
		return new KeyFrameResult(out, Latents.toRgb8(out));
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

	private ControlledDenoiser denoiser(NDManager job, FloatImage hint, Prompts p, KeyFrameSettings s, CrossFrameAttention attn) {
		NDArray h = Latents.toTensor(hint, job, dtype);
		return new ControlledDenoiser(job, models.unet(), models.controlNet(), p.cond(), p.uncond(), h,
			ControlledDenoiser.controlScales(s.controlStrength(), false), hooks(s, attn));
	}

	/** The per-call hooks of a pass: cross-frame attention {@code attn} and the settings' FreeU. */
	private ControlledDenoiser.CallContexts hooks(KeyFrameSettings s, CrossFrameAttention attn) {
		FreeUHook freeU = new FreeUHook(s.freeU(), models.unet().config().modelChannels());
		return (step, branch) -> new UNetCallContext(step, branch, attn, freeU, null);
	}

	/** One sampling pass in its own sub-manager; returns the final latent in {@code job}. */
	private NDArray samplePass(NDManager job, ControlledDenoiser model, NDArray x0, KeyFrameSettings s, NoiseSource noise,
		ConstraintCallback cb, Progress progress, Cancel cancel)
	{
		try (NDManager pass = job.newSubManager()) {
			Shape shape = x0.getShape();
			NDArray xT = noise.next(pass, shape, dtype).toDevice(parent.getDevice(), false);
			xT.attach(pass);
			NDArray z;
			int i0 = s.sdeditStep();
			if (i0 >= s.steps()) z = x0.duplicate(); // x0_strength 0: no denoising at all
			else {
				DdimSampler.SdEdit sd = i0 < 0 ? null : new DdimSampler.SdEdit(x0, s.x0Strength());
				z = sampler(s).sample(pass, model, xT, sd, noise, cb, progress, cancel);
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
