package org.rerender.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.rerender.config.RerenderConfig;
import org.rerender.diffusion.rerender.KeyFrameEngine;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.Djl;
import org.rerender.engine.RerenderException;
import org.rerender.model.CheckpointInspector;
import org.rerender.model.clip.ClipTextConfig;
import org.rerender.model.clip.ClipTextEncoder;
import org.rerender.model.clip.ClipTokenizer;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.download.ModelEntry;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.rerender.model.hed.HedDetector;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.TensorSource;
import org.rerender.model.lora.LoraMerge;
import org.rerender.model.nn.WeightLoader;
import org.rerender.model.unet.UNet;
import org.rerender.model.unet.UNetConfig;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.model.vae.VaeConfig;

/**
 * Everything a Rerender job loads from model files, loaded once (rerender-algorithm.md §3 "Models"):
 * the ControlNet 1.0 checkpoint of the control type (it also carries the SD 1.5 UNet, VAE and text encoder),
 * an optional {@code sd_model} loaded over it wherever names match (non-strict), the fine-tuned ft-MSE VAE
 * whenever it is installed (it replaces the autoencoder, also over a custom {@code sd_model}), the CLIP tokenizer,
 * and for HED control the HED annotator. The files stay open while the models live (weights may map them).
 * Architectures are read from the weight shapes, so any SD 1.x-shaped
 * file works (also the tiny test models). Weights live in one manager on the chosen device (F32 on the CPU, F16 on CUDA); {@link #close} frees them.
 */
public final class DiffusionModels implements AutoCloseable {

	/**
	 * The files of one model set. {@code sdModel}, {@code vae} and {@code hed} may be null.
	 * @param tokenizer {@code bpe_simple_vocab_16e6.txt.gz}, {@code vocab.json} or a folder holding them
	 */
	public record Files(Path controlNet, Path sdModel, Path vae, Path tokenizer, Path hed, Path lora, double loraStrength) {
		public Files {
			Objects.requireNonNull(controlNet, "controlNet");
			Objects.requireNonNull(tokenizer, "tokenizer");
		}

		/** Without a LoRA. */
		public Files(Path controlNet, Path sdModel, Path vae, Path tokenizer, Path hed) {
			this(controlNet, sdModel, vae, tokenizer, hed, null, 0);
		}
	}

	private final Files files;
	private final DeviceChoice.Resolved target;
	private final NDManager weights;
	private final KeyFrameEngine.Models networks;
	private final ClipTokenizer tokenizer;
	private final ClipTextEncoder textEncoder;
	private final HedDetector hed;
	private final List<TensorSource> sources;

	private DiffusionModels(Files files, DeviceChoice.Resolved target, NDManager weights, KeyFrameEngine.Models networks,
		ClipTokenizer tokenizer, ClipTextEncoder text, HedDetector hed, List<TensorSource> sources)
	{
		this.sources = sources;
		this.files = files;
		this.target = target;
		this.weights = weights;
		this.networks = networks;
		this.tokenizer = tokenizer;
		this.textEncoder = text;
		this.hed = hed;
	}

	/**
	 * Finds the files a job needs: explicit paths of the config ({@code controlnet_model}, {@code sd_model}) first,
	 * else the model store's files of the manifest ids (controlnet-hed / controlnet-canny, vae-ft-mse when present,
	 * clip-bpe or clip-vocab + clip-merges, hed-annotator for HED control).
	 * @throws RerenderException naming what is missing and how to get it
	 */
	public static Files resolve(RerenderConfig c, ModelStore store, ModelManifest manifest) {
		String controlId = c.controlType == RerenderConfig.ControlType.HED ? "controlnet-hed" : "controlnet-canny";
		Path control = c.controlnetModel != null ? existing(c.controlnetModel, "controlnet_model")
			: required(store, manifest, controlId);
		Path sd = c.sdModel == null ? null : existing(c.sdModel, "sd_model");
		Path vae = optional(store, manifest, "vae-ft-mse");
		Path tok = optional(store, manifest, "clip-bpe");
		if (tok == null) {
			Path vocab = optional(store, manifest, "clip-vocab");
			tok = vocab != null && optional(store, manifest, "clip-merges") != null ? vocab : required(store, manifest, "clip-bpe");
		}
		Path hed = c.controlType == RerenderConfig.ControlType.HED ? required(store, manifest, "hed-annotator") : null;
		Path lora = c.lora == null ? null : existing(c.lora, "lora");
		return new Files(control, sd, vae, tok, hed, lora, c.loraStrength);
	}

	private static Path existing(Path p, String key) {
		if (!java.nio.file.Files.isRegularFile(p))
			throw new RerenderException(key + " file not found: " + p.toAbsolutePath());
		return p;
	}

	private static Path optional(ModelStore store, ModelManifest manifest, String id) {
		ModelEntry e = manifest.get(id);
		Path p = store.path(e);
		return java.nio.file.Files.isRegularFile(p) ? p : null;
	}

	private static Path required(ModelStore store, ModelManifest manifest, String id) {
		Path p = optional(store, manifest, id);
		if (p != null) return p;
		ModelEntry e = manifest.get(id);
		throw new RerenderException("Model '" + id + "' (" + e.file() + ") is not installed: download it with"
			+ " bin/rerender download --only " + id + ", or put " + e.file() + " in " + store.directory());
	}

	/** Loads every network, F32 on the CPU. */
	public static DiffusionModels load(Files f) {
		return load(f, new DeviceChoice.Resolved(ai.djl.Device.cpu(), DataType.FLOAT32, null));
	}

	/**
	 * Loads every network on the resolved device with its precision (F16 weights and activations on CUDA; the
	 * networks keep GroupNorm statistics in F32 themselves).
	 */
	public static DiffusionModels load(Files f, DeviceChoice.Resolved target) {
		DataType dtype = target.dtype();
		NDManager weights = Djl.newManager(target.device());
		List<TensorSource> open = new ArrayList<>();
		try {
			TensorSource control = open(f.controlNet(), open);
			String controlName = f.controlNet().getFileName().toString();
			TensorSource base = control;
			String baseName = controlName;
			if (f.sdModel() != null) {
				TensorSource sd = open(f.sdModel(), open);
				CheckpointInspector.inspect(sd).requireSupported(f.sdModel().getFileName().toString());
				base = new OverlaySource(control, sd, f.sdModel().getFileName().toString());
				baseName = controlName + " + " + f.sdModel().getFileName();
			}
			if (f.lora() != null) {
				// merged per tensor as the weights are read; UNet and text encoder only (what LoRA files adapt)
				base = LoraMerge.open(base, f.lora(), (float) f.loraStrength());
				baseName += " + LoRA " + f.lora().getFileName() + " x" + f.loraStrength();
			}
			TensorSource unetW = CheckpointInspector.unet(base, baseName);
			UNet unet = new UNet(UNetConfig.fromWeights(unetW));
			WeightLoader.load(unet, unetW, weights, dtype, "UNet (" + baseName + ")");
			TensorSource controlW = CheckpointInspector.controlNet(control, controlName);
			ControlNet controlNet = new ControlNet(UNetConfig.fromWeights(controlW));
			WeightLoader.load(controlNet, controlW, weights, dtype, "ControlNet (" + controlName + ")");
			TensorSource vaeW;
			String vaeName;
			if (f.vae() != null) {
				vaeName = f.vae().getFileName().toString();
				vaeW = CheckpointInspector.vae(open(f.vae(), open), vaeName);
			}
			else {
				vaeName = baseName;
				vaeW = CheckpointInspector.vae(base, baseName);
			}
			AutoencoderKL vae = new AutoencoderKL(VaeConfig.fromWeights(vaeW));
			WeightLoader.load(vae, vaeW, weights, dtype, "VAE (" + vaeName + ")");
			TensorSource textW = CheckpointInspector.textEncoder(base, baseName);
			ClipTextEncoder text = ClipTextEncoder.load(textW, ClipTextConfig.fromWeights(textW, metadata(open)), weights,
				dtype);
			ClipTokenizer tok = ClipTokenizer.load(f.tokenizer());
			HedDetector hed = f.hed() == null ? null : HedDetector.load(f.hed(), weights, dtype);
			return new DiffusionModels(f, target, weights, new KeyFrameEngine.Models(unet, controlNet, vae), tok, text, hed, open);
		}
		catch (RuntimeException e) {
			weights.close();
			for (TensorSource s : open) s.close();
			throw e;
		}
	}

	private static TensorSource open(Path p, List<TensorSource> open) {
		TensorSource s;
		try {
			s = Checkpoints.open(p);
		}
		catch (RerenderException e) {
			throw new RerenderException("Cannot read " + p + ": " + e.getMessage()
				+ " (a truncated or corrupt download? delete it and download it again)", e);
		}
		catch (RuntimeException e) {
			throw new RerenderException("Cannot read " + p + " (" + e
				+ "): a truncated or corrupt download? delete it and download it again", e);
		}
		open.add(s);
		return s;
	}

	private static Map<String, String> metadata(List<TensorSource> open) {
		for (int i = open.size() - 1; i >= 0; i--)
			if (open.get(i) instanceof SafetensorsFile sf && sf.metadata().containsKey("configs")) return sf.metadata();
		return Map.of();
	}

	public Files files() {
		return files;
	}

	/** The device and precision the weights live in; work on them uses the same. */
	public DeviceChoice.Resolved target() {
		return target;
	}

	public DataType dtype() {
		return target.dtype();
	}

	/** The long-lived weights manager (the engine works in sub-managers of it). */
	public NDManager manager() {
		return weights;
	}

	public KeyFrameEngine.Models networks() {
		return networks;
	}

	/** The HED annotator, or null when the files have none (canny control). */
	public HedDetector hed() {
		return hed;
	}

	/** The CLIP contexts of the full prompt and the negative prompt, in {@code m}. */
	public KeyFrameEngine.Prompts prompts(NDManager m, String prompt, String negative) {
		NDArray cond = textEncoder.encode(m, tokenizer.encode(prompt));
		NDArray uncond = textEncoder.encode(m, tokenizer.encode(negative == null ? "" : negative));
		return new KeyFrameEngine.Prompts(cond, uncond);
	}

	@Override
	public void close() {
		weights.close();
		for (TensorSource s : sources) s.close(); // weights may map the files: close them last
	}
}
