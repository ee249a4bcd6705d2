package org.rerender.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Objects;
import org.rerender.config.RerenderConfig;
import org.rerender.config.SamplingSteps;
import org.rerender.diffusion.rerender.KeyFrameEngine;
import org.rerender.diffusion.rerender.Latents;
import org.rerender.diffusion.rerender.NoiseStreams;
import org.rerender.engine.Cancel;
import org.rerender.engine.DeviceMemoryErrors;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;
import org.rerender.model.control.CannyControl;
import org.rerender.model.control.ControlMap;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.rerender.model.nn.Precision;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.pipeline.DiffusionModels;
import org.rerender.video.FramePreparation;

/**
 * Developer entry point: one image from a prompt and a control image with SD 1.5 + ControlNet (DDIM, CFG), optionally
 * starting from an init image (SDEdit). No Rerender constraints and no FreeU: plain ControlNet generation, the way
 * the original's first frame is made without them. The models come from {@link DiffusionModels} (F32 on the CPU).
 */
public final class ControlledGenerator {

	/** Which annotator turns the control image into the ControlNet hint. */
	public enum ControlType { CANNY, HED }

	/**
	 * One generation.
	 * @param prompt the prompt; the model sees {@code prompt + ", " + addedPrompt}
	 * @param seed −1 = random (the seed used is returned)
	 * @param controlStrength the scale of all 13 ControlNet residuals
	 * @param resolution long side of the output, rounded to multiples of 64 ({@link FramePreparation}); 0 = keep the
	 *     control image's size (it must then be multiples of 64)
	 * @param init the init image (null = pure generation); resized like the control image, it must end up the same size
	 * @param strength SDEdit strength in [0, 1]: 1 = every step, starting from the init latent noised to the first timestep (q_sample), 0 = the init image's encoding returned undenoised;
	 *     the first step run is {@code int(S·(1 − strength))}
	 */
	public record Request(String prompt, String addedPrompt, String negativePrompt, int steps, double scale, long seed,
		ControlType controlType, double controlStrength, double cannyLow, double cannyHigh, int resolution, Rgb8Image control,
		Rgb8Image init, double strength) {

		public Request {
			Objects.requireNonNull(control, "control image");
			if (prompt == null) prompt = "";
			if (addedPrompt == null) addedPrompt = "";
			if (negativePrompt == null) negativePrompt = "";
			if (controlType == null) controlType = ControlType.CANNY;
			SamplingSteps.require("steps", steps);
			if (!(scale >= 0)) throw new RerenderException("CFG scale must be 0 or more, got " + scale);
			if (!(controlStrength >= 0 && controlStrength <= 2))
				throw new RerenderException("control strength must be 0 to 2, got " + controlStrength);
			if (!(strength >= 0 && strength <= 1)) throw new RerenderException("strength must be 0 to 1, got " + strength);
			if (controlType == ControlType.CANNY && !(cannyLow >= 0 && cannyLow <= cannyHigh && cannyHigh <= 1000))
				throw new RerenderException("canny thresholds must satisfy 0 <= low <= high <= 1000, got " + cannyLow + ", "
					+ cannyHigh);
			if (seed < -1) throw new RerenderException("seed must be -1 (random) or 0 or more, got " + seed);
		}

		/** The text the model is conditioned on, as the original builds it. */
		public String fullPrompt() {
			return prompt + ", " + addedPrompt;
		}
	}

	/** The generated image, the control map the ControlNet saw, and the seed used. */
	public record Result(Rgb8Image image, ControlMap control, long seed) {}

	private final DiffusionModels models;
	private final NoiseSchedule schedule = NoiseSchedule.sd15();

	public ControlledGenerator(DiffusionModels models) {
		this.models = Objects.requireNonNull(models);
	}

	/**
	 * Runs one generation; reports "Control map", "DDIM" steps and "Decode"; polls {@code cancel} between steps. Out of
	 * device memory is a {@link RerenderException} saying which resolution fits ({@link DeviceMemoryErrors}).
	 */
	public Result generate(Request r, Progress progress, Cancel cancel) {
		Progress p = progress == null ? Progress.NONE : progress;
		Cancel c = cancel == null ? Cancel.NEVER : cancel;
		long seed = r.seed() >= 0 ? r.seed() : new SecureRandom().nextLong(0, 1L << 31);
		FramePreparation prep = new FramePreparation(0, 0, 0, 0, r.resolution());
		Rgb8Image frame = prep.apply(r.control());
		if (frame.width() % 64 != 0 || frame.height() % 64 != 0)
			throw new RerenderException("The image is " + frame.width() + "x" + frame.height()
				+ ": at resolution 0 it must be a multiple of 64 on each side; give a resolution");
		Rgb8Image init = r.init() == null ? null : prep.apply(r.init());
		if (init != null && !init.sameSize(frame))
			throw new RerenderException("The init image becomes " + init.width() + "x" + init.height() + " but the control image "
				+ frame.width() + "x" + frame.height() + ": give images of the same aspect ratio");
		try {
			return generate(r, frame, init, seed, p, c);
		}
		catch (RuntimeException e) { // the run's sub-manager is closed by now: a retry starts clean
			throw DeviceMemoryErrors.translate(e, () -> DeviceMemoryErrors.Work.frame(models.target(), frame.width(), frame.height(),
				"resolution"));
		}
	}

	private Result generate(Request r, Rgb8Image frame, Rgb8Image init, long seed, Progress p, Cancel c) {
		KeyFrameEngine.Models net = models.networks();
		DataType dtype = models.dtype();
		NDManager parent = models.manager();
		NoiseStreams noise = NoiseStreams.seeded(seed, 0);
		try (NDManager job = parent.newSubManager()) {
			p.report("Control map", 0, 1);
			ControlMap map = controlMap(r, frame, job);
			p.report("Control map", 1, 1);
			c.check();
			NDArray hint = Latents.toTensor(map.toControlImage(), job, dtype);
			KeyFrameEngine.Prompts prompts = models.prompts(job, r.fullPrompt(), r.negativePrompt());
			ControlledDenoiser denoiser = new ControlledDenoiser(job, net.unet(), net.controlNet(), prompts.cond(), prompts.uncond(),
				hint, ControlledDenoiser.controlScales(r.controlStrength(), false), null);
			DdimSampler sampler = new DdimSampler(schedule, r.steps(), r.scale(), DdimSampler.Cfg.SEPARATE);
			int steps = SamplingSteps.actualSteps(r.steps());
			NDArray x0 = init == null ? null : encode(net.vae(), job, init, noise.encoder(), dtype);
			NoiseSource pass = noise.samplingPass();
			// x_T in the DDIM state's type on every device (the same draw as on the CPU); the VAE casts the F32 result
			NDArray xT = pass.next(job, new Shape(1, net.unet().config().inChannels(), frame.height() / 8, frame.width() / 8),
				Precision.LATENT);
			NDArray z;
			if (x0 != null && SamplingSteps.sdeditStep(steps, r.strength()) >= steps) z = x0; // strength 0: nothing to denoise
			else {
				DdimSampler.SdEdit sd = x0 == null ? null : new DdimSampler.SdEdit(x0, r.strength());
				z = sampler.sample(job, denoiser, xT, sd, pass, null, p, c);
			}
			p.report("Decode", 0, 1);
			Rgb8Image out = decode(net.vae(), job, z);
			p.report("Decode", 1, 1);
			return new Result(out, map, seed);
		}
	}

	/**
	 * The model files of a generation through {@link DiffusionModels#resolve}: explicit ControlNet / SD model / VAE
	 * files when given (null = not given), else the store's files of the packaged manifest.
	 * @throws RerenderException naming a missing file and how to download it
	 */
	public static DiffusionModels.Files resolveFiles(ControlType type, Path controlNet, Path sdModel, Path vae,
		ModelStore store)
	{
		return resolveFiles(type, controlNet, sdModel, vae, null, 1.0, store);
	}

	/** As {@link #resolveFiles(ControlType, Path, Path, Path, ModelStore)}, with a LoRA file (null = none) and strength. */
	public static DiffusionModels.Files resolveFiles(ControlType type, Path controlNet, Path sdModel, Path vae, Path lora,
		double loraStrength, ModelStore store)
	{
		if (lora != null && !(Math.abs(loraStrength) <= 10))
			throw new RerenderException("lora_strength must be a number in -10..10, got " + loraStrength);
		RerenderConfig cfg = RerenderConfig.builder()
			.controlType(type == ControlType.HED ? RerenderConfig.ControlType.HED : RerenderConfig.ControlType.CANNY)
			.controlnetModel(controlNet).sdModel(sdModel).lora(lora, loraStrength).build();
		DiffusionModels.Files f = DiffusionModels.resolve(cfg, store, ModelManifest.packaged());
		if (vae == null) return f;
		if (!Files.isRegularFile(vae)) throw new RerenderException("vae file not found: " + vae.toAbsolutePath());
		return new DiffusionModels.Files(f.controlNet(), f.sdModel(), vae, f.tokenizer(), f.hed(), f.lora(), f.loraStrength());
	}

	private ControlMap controlMap(Request r, Rgb8Image frame, NDManager job) {
		if (r.controlType() == ControlType.CANNY) return CannyControl.detect(frame, r.cannyLow(), r.cannyHigh());
		if (models.hed() == null)
			throw new RerenderException("HED control needs the HED annotator (bin/rerender download --only hed-annotator)");
		return models.hed().detect(frame, job);
	}

	/** E(image) = 0.18215·(mean + std·noise), in {@code job}. */
	private static NDArray encode(AutoencoderKL vae, NDManager job, Rgb8Image image, NoiseSource noise, DataType dtype) {
		try (NDManager tmp = job.newSubManager()) {
			NDArray x = Latents.toTensor(Latents.vaeInput(image), tmp, dtype);
			AutoencoderKL.Posterior post = vae.encode(x);
			NDArray z = post.sample(noise.next(tmp, post.mean().getShape(), dtype)).mul(AutoencoderKL.SCALE_FACTOR);
			z.attach(job);
			return z;
		}
	}

	/** D(z / 0.18215) as the saved 8-bit image: clip(v·127.5 + 127.5), truncated. */
	private static Rgb8Image decode(AutoencoderKL vae, NDManager job, NDArray z) {
		try (NDManager tmp = job.newSubManager()) {
			NDArray s = z.mul(1.0f / AutoencoderKL.SCALE_FACTOR);
			s.attach(tmp);
			NDArray img = vae.decode(s);
			img.attach(tmp);
			return Latents.toRgb8(Latents.toImage(img));
		}
	}
}
