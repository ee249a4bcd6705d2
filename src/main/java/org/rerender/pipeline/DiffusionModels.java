package org.rerender.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import org.rerender.config.RerenderConfig;
import org.rerender.diffusion.rerender.KeyFrameEngine;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.DeviceMemoryErrors;
import org.rerender.engine.RerenderException;
import org.rerender.model.clip.ClipTextEncoder;
import org.rerender.model.clip.ClipTokenizer;
import org.rerender.model.download.ModelEntry;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.rerender.model.hed.HedDetector;

/**
 * Everything a Rerender job loads from model files (rerender-algorithm.md §3 "Models"):
 * the ControlNet 1.0 checkpoint of the control type (it also carries the SD 1.5 UNet, VAE and text encoder),
 * an optional {@code sd_model} loaded over it wherever names match (non-strict), the fine-tuned ft-MSE VAE
 * whenever it is installed (it replaces the autoencoder, also over a custom {@code sd_model}), an optional LoRA merged
 * into UNet and text encoder, the CLIP tokenizer, and for HED control the HED annotator. Architectures are read from
 * the weight shapes, so any SD 1.x-shaped file works (also the tiny test models). Weights live on the chosen device
 * (F32 on the CPU, F16 on CUDA), one manager per network in a {@link ComponentCache}: loading into a cache that holds
 * an earlier set reloads only the networks whose files, LoRA, device or dtype changed ({@link ModelComponents}).
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
	private final ModelComponents.Loaded parts;
	private final KeyFrameEngine.Models networks;
	private final ComponentCache owned;

	private DiffusionModels(Files files, DeviceChoice.Resolved target, ModelComponents.Loaded parts, ComponentCache owned) {
		this.files = files;
		this.target = target;
		this.parts = parts;
		this.owned = owned;
		this.networks = new KeyFrameEngine.Models(parts.unet(), parts.controlNet(), parts.vae());
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

	/** Loads every network on the resolved device with its precision; {@link #close} frees them. */
	public static DiffusionModels load(Files f, DeviceChoice.Resolved target) {
		ComponentCache cache = new ComponentCache();
		try {
			return new DiffusionModels(f, target, ModelComponents.load(f, target, cache), cache);
		}
		catch (RuntimeException e) {
			cache.close();
			throw DeviceMemoryErrors.translate(e, () -> DeviceMemoryErrors.Work.loading(target));
		}
	}

	/**
	 * The networks of {@code f} on {@code target} from {@code cache}: those whose files, LoRA, device and dtype are
	 * unchanged are kept, the others are freed and reloaded (F16 weights and activations on CUDA; the networks keep
	 * GroupNorm statistics in F32 themselves). The cache owns the networks: {@link #close} of the result does nothing,
	 * and the result is valid until the next load into the cache or its {@link ComponentCache#clear}. Out of device
	 * memory is a {@link RerenderException} saying what to do ({@link DeviceMemoryErrors}).
	 */
	public static DiffusionModels load(Files f, DeviceChoice.Resolved target, ComponentCache cache) {
		try {
			return new DiffusionModels(f, target, ModelComponents.load(f, target, cache), null);
		}
		catch (RuntimeException e) {
			throw DeviceMemoryErrors.translate(e, () -> DeviceMemoryErrors.Work.loading(target));
		}
	}

	/**
	 * Component names of a {@link ComponentCache} loaded with a model set (as {@link ComponentCache#names()} gives them)
	 * as a user reads them, e.g. "Stable Diffusion UNet, ControlNet, VAE, CLIP text encoder, CLIP tokenizer, working
	 * memory": the known ones in that order, any other name after them as it is.
	 */
	public static String describe(Collection<String> components) {
		List<String> out = new ArrayList<>();
		ModelComponents.LABELS.forEach((name, label) -> {
			if (components.contains(name)) out.add(label);
		});
		for (String c : components) if (!ModelComponents.LABELS.containsKey(c)) out.add(c);
		return String.join(", ", out);
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

	/** A long-lived manager on the device for work: the engine works in sub-managers of it (weights have their own). */
	public NDManager manager() {
		return parts.work();
	}

	public KeyFrameEngine.Models networks() {
		return networks;
	}

	/** The CLIP text encoder. */
	public ClipTextEncoder textEncoder() {
		return parts.text();
	}

	public ClipTokenizer tokenizer() {
		return parts.tokenizer();
	}

	/** The HED annotator, or null when the files have none (canny control). */
	public HedDetector hed() {
		return parts.hed();
	}

	/** The CLIP contexts of the full prompt and the negative prompt, in {@code m}. */
	public KeyFrameEngine.Prompts prompts(NDManager m, String prompt, String negative) {
		ClipTextEncoder text = parts.text();
		NDArray cond = text.encode(m, parts.tokenizer().encode(prompt));
		NDArray uncond = text.encode(m, parts.tokenizer().encode(negative == null ? "" : negative));
		return new KeyFrameEngine.Prompts(cond, uncond);
	}

	/** Frees the networks when this set was loaded on its own ({@link #load(Files, DeviceChoice.Resolved)}). */
	@Override
	public void close() {
		if (owned != null) owned.close();
	}
}
