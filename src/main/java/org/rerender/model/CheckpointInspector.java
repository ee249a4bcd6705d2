package org.rerender.model;

import java.util.Map;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;

/**
 * Recognises what a weights file is from its key names and shapes, and hands out the per-network views
 * (prefix stripped) that the network loaders take.
 *
 * <ul>
 * <li>SD 1.x single file: {@code model.diffusion_model.}, {@code first_stage_model.},
 * {@code cond_stage_model.transformer.text_model.} (768-wide context);</li>
 * <li>ControlNet: {@code control_model.} (ControlNet 1.0 files also carry a whole SD model), or the same
 * keys without prefix ({@code input_hint_block.}, {@code zero_convs.});</li>
 * <li>a separate VAE (e.g. {@code vae-ft-mse-840000-ema-pruned.ckpt}): {@code encoder.}/{@code decoder.}/
 * {@code quant_conv.} without prefix, served in the {@code first_stage_model.}-stripped layout so it can
 * override the built-in VAE;</li>
 * <li>refused by name: SD 2.x (OpenCLIP text encoder {@code cond_stage_model.model.}, 1024-wide context),
 * SDXL ({@code conditioner.embedders.}, 2048-wide context), diffusers folders' files, and LoRA files
 * ({@code lora_unet_*}/{@code lora_te_*}) where a full model is needed.</li>
 * </ul>
 */
public final class CheckpointInspector {

	public static final String UNET = "model.diffusion_model.";
	public static final String VAE = "first_stage_model.";
	public static final String TEXT = "cond_stage_model.transformer.text_model.";
	public static final String CONTROL = "control_model.";
	private static final String TEXT_OLD = "cond_stage_model.transformer.";
	private static final String CROSS_K = "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight";

	/** What kind of file it is. */
	public enum Family {
		/** SD 1.x (full model and/or ControlNet; also a lone ControlNet). */
		SD1("Stable Diffusion 1.x"),
		/** A stand-alone VAE. */
		VAE("a stand-alone VAE"),
		SD2("a Stable Diffusion 2.x checkpoint (OpenCLIP text encoder, 1024-wide context)"),
		SDXL("an SDXL checkpoint (two text encoders, 2048-wide context)"),
		LORA("a LoRA file (lora_unet_/lora_te_ keys), not a full model"),
		DIFFUSERS("a file in the diffusers layout (down_blocks./up_blocks. keys), not the original single-file layout"),
		UNKNOWN("not a Stable Diffusion checkpoint (no known key prefixes)");

		private final String description;

		Family(String description) {
			this.description = description;
		}

		public String description() {
			return description;
		}
	}

	/** The result of {@link #inspect}. {@code contextDim} is -1 when the file has no UNet or ControlNet. */
	public record Info(Family family, boolean hasUnet, boolean hasVae, boolean hasTextEncoder, boolean hasControlNet,
		String vaePrefix, String textPrefix, String controlPrefix, long contextDim)
	{
		/** Throws a clear error unless the file is a usable SD 1.x model, ControlNet or VAE. */
		public Info requireSupported(String fileName) {
			if (family == Family.SD1 || family == Family.VAE) return this;
			throw new RerenderException(fileName + " is " + family.description() + ". Rerender needs Stable Diffusion 1.5"
				+ " (or a 1.5 fine-tune) with a 1.5 ControlNet; SD 2.x, SDXL and LoRA files cannot be used here.");
		}
	}

	private CheckpointInspector() {}

	public static Info inspect(TensorSource source) {
		Map<String, TensorInfo> t = source.tensors();
		boolean unet = false, vaeP = false, textNew = false, textOld = false, control = false, bareControl = false;
		boolean openClip = false, sdxl = false, lora = false, diffusers = false, bareEnc = false, bareDec = false;
		for (String k : t.keySet()) {
			if (k.startsWith(UNET)) unet = true;
			else if (k.startsWith(VAE)) vaeP = true;
			else if (k.startsWith(TEXT)) textNew = true;
			else if (k.startsWith(TEXT_OLD)) textOld = true;
			else if (k.startsWith("cond_stage_model.model.")) openClip = true;
			else if (k.startsWith("conditioner.embedders.")) sdxl = true;
			else if (k.startsWith(CONTROL)) control = true;
			else if (k.startsWith("input_hint_block.") || k.startsWith("zero_convs.")) bareControl = true;
			else if (k.startsWith("lora_unet_") || k.startsWith("lora_te")) lora = true;
			else if (k.startsWith("down_blocks.") || k.startsWith("up_blocks.") || k.startsWith("encoder.down_blocks.")
				|| k.startsWith("text_model.")) diffusers = true;
			else if (k.startsWith("encoder.")) bareEnc = true;
			else if (k.startsWith("decoder.")) bareDec = true;
		}
		String controlPrefix = control ? CONTROL : bareControl ? "" : null;
		long ctx = contextDim(t, unet ? UNET : controlPrefix);
		boolean bareVae = bareEnc && bareDec && (t.containsKey("quant_conv.weight") || t.containsKey("post_quant_conv.weight"));
		String vaePrefix = vaeP ? VAE : bareVae ? "" : null;
		String textPrefix = textNew ? TEXT : textOld ? TEXT_OLD : null;
		Family f;
		if (sdxl || ctx == 2048) f = Family.SDXL;
		else if (openClip || ctx == 1024) f = Family.SD2;
		else if (unet || controlPrefix != null || textPrefix != null) f = Family.SD1;
		else if (vaePrefix != null) f = Family.VAE;
		else if (lora) f = Family.LORA;
		else if (diffusers) f = Family.DIFFUSERS;
		else f = Family.UNKNOWN;
		return new Info(f, unet, vaePrefix != null, textPrefix != null, controlPrefix != null, vaePrefix, textPrefix,
			controlPrefix, ctx);
	}

	private static long contextDim(Map<String, TensorInfo> t, String prefix) {
		if (prefix == null) return -1;
		TensorInfo k = t.get(prefix + CROSS_K);
		return k == null || k.shape().length != 2 ? -1 : k.shape()[1];
	}

	/** The UNet weights without prefix. */
	public static TensorSource unet(TensorSource source, String fileName) {
		Info i = inspect(source).requireSupported(fileName);
		if (!i.hasUnet()) throw new RerenderException(fileName + " holds no UNet (model.diffusion_model.*): "
			+ (i.family() == Family.VAE ? "it is a stand-alone VAE" : "is it a ControlNet-only file?"));
		return source.withPrefix(UNET);
	}

	/** The VAE weights in the {@code first_stage_model.}-stripped layout (from a full model or a VAE file). */
	public static TensorSource vae(TensorSource source, String fileName) {
		Info i = inspect(source).requireSupported(fileName);
		if (!i.hasVae()) throw new RerenderException(fileName + " holds no VAE (first_stage_model.* or encoder./decoder.)");
		return source.withPrefix(i.vaePrefix());
	}

	/** The CLIP text encoder weights below {@code text_model.}. */
	public static TensorSource textEncoder(TensorSource source, String fileName) {
		Info i = inspect(source).requireSupported(fileName);
		if (!i.hasTextEncoder()) throw new RerenderException(fileName + " holds no CLIP text encoder "
			+ "(cond_stage_model.transformer.text_model.*)");
		return source.withPrefix(i.textPrefix());
	}

	/** The ControlNet weights without prefix. */
	public static TensorSource controlNet(TensorSource source, String fileName) {
		Info i = inspect(source).requireSupported(fileName);
		if (!i.hasControlNet()) throw new RerenderException(fileName + " holds no ControlNet (control_model.*)");
		return source.withPrefix(i.controlPrefix());
	}
}
