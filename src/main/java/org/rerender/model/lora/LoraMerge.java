package org.rerender.model.lora;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.TensorDType;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;

/**
 * A view of an SD 1.5 checkpoint with a LoRA merged into its weights: every weight the LoRA
 * touches reads as {@code W + strength * (alpha / rank) * up . down} (as F32), every other tensor
 * reads through unchanged. Nothing is written back to the base; merging happens on demand, per tensor.
 *
 * <p>The LoRA must use the common kohya layout: {@code lora_unet_<diffusers module path with _>} and
 * {@code lora_te_text_model_<...>} stems, each with {@code .lora_down.weight}, {@code .lora_up.weight}
 * and optionally {@code .alpha} (default: the rank). Linear, 1x1 and kxk convolution shapes are supported.
 * SDXL LoRAs, LyCORIS variants and keys that match no base weight are refused by name.
 */
public final class LoraMerge implements TensorSource {

	/** Base key prefixes of the UNet and the CLIP text model in an original (ldm) SD 1.5 checkpoint. */
	public static final String UNET_PREFIX = "model.diffusion_model.";
	public static final String TE_PREFIX = "cond_stage_model.transformer.text_model.";

	private record Pair(String stem, float[] down, long[] downShape, float[] up, long[] upShape, float alpha) {
		int rank() {
			return (int) downShape[0];
		}
	}

	private final TensorSource base;
	private final float strength;
	private final Map<String, Pair> byBaseKey;
	private final Map<String, TensorInfo> tensors;

	private LoraMerge(TensorSource base, float strength, Map<String, Pair> byBaseKey) {
		this.base = base;
		this.strength = strength;
		this.byBaseKey = byBaseKey;
		Map<String, TensorInfo> m = new LinkedHashMap<>(base.tensors());
		if (strength != 0f)
			for (String k : byBaseKey.keySet()) m.put(k, new TensorInfo(k, TensorDType.F32, base.info(k).shape()));
		this.tensors = Collections.unmodifiableMap(m);
	}

	/** Throws a {@link RerenderException} unless {@code strength} is a finite number (what {@link #of} refuses). */
	public static void checkStrength(float strength) {
		if (!Float.isFinite(strength)) throw new RerenderException("LoRA strength must be a finite number, not " + strength);
	}

	/** Opens {@code loraFile} and merges it into {@code base} (which stays owned by the caller). */
	public static LoraMerge open(TensorSource base, Path loraFile, float strength) {
		try (TensorSource lora = Checkpoints.open(loraFile)) {
			return of(base, lora, strength, loraFile.getFileName().toString());
		}
	}

	/** Merges an already opened LoRA (its tensors are copied; it may be closed afterwards). */
	public static LoraMerge of(TensorSource base, TensorSource lora, float strength, String loraName) {
		checkStrength(strength);
		Map<String, String> stemToBase = stemIndex(base);
		Map<String, Map<String, String>> stems = new LinkedHashMap<>();
		TreeSet<String> unknown = new TreeSet<>();
		for (String key : lora.tensors().keySet()) {
			if (key.startsWith("lora_te2_") || key.startsWith("lora_te1_") || key.startsWith("lora_unet_input_blocks_")
				|| key.startsWith("lora_unet_output_blocks_") || key.startsWith("lora_unet_middle_block_"))
				throw new RerenderException(loraName + " is an SDXL LoRA (key '" + key + "'); only SD 1.5 LoRAs can be "
					+ "merged into an SD 1.5 model.");
			int dot = key.indexOf('.');
			String stem = dot < 0 ? key : key.substring(0, dot);
			String part = dot < 0 ? "" : key.substring(dot + 1);
			if (!stem.startsWith("lora_unet_") && !stem.startsWith("lora_te_")) {
				unknown.add(key);
				continue;
			}
			if (part.startsWith("hada_") || part.startsWith("lokr_") || part.equals("dora_scale"))
				throw new RerenderException(loraName + " is a LyCORIS/LoHa/LoKr/DoRA file (key '" + key + "'); only plain "
					+ "LoRA (lora_down/lora_up/alpha) is supported.");
			if (!part.equals("lora_down.weight") && !part.equals("lora_up.weight") && !part.equals("alpha")) {
				unknown.add(key);
				continue;
			}
			stems.computeIfAbsent(stem, s -> new HashMap<>()).put(part, key);
		}
		Map<String, Pair> byBase = new LinkedHashMap<>();
		for (var e : stems.entrySet()) {
			String stem = e.getKey();
			Map<String, String> parts = e.getValue();
			String baseKey = stemToBase.get(stem);
			if (baseKey == null) {
				unknown.add(stem);
				continue;
			}
			String dk = parts.get("lora_down.weight"), uk = parts.get("lora_up.weight");
			if (dk == null || uk == null)
				throw new RerenderException(loraName + ": '" + stem + "' lacks its " + (dk == null ? "lora_down" : "lora_up")
					+ ".weight tensor (damaged or unsupported LoRA file).");
			long[] ds = lora.info(dk).shape(), us = lora.info(uk).shape();
			if (ds.length == 2 && ds[1] == 2048 && stem.contains("attn2_to_"))
				throw new RerenderException(loraName + " is an SDXL LoRA ('" + stem + "' expects 2048-wide text features); "
					+ "only SD 1.5 LoRAs can be merged into an SD 1.5 model.");
			long[] bs = base.info(baseKey).shape();
			checkShapes(loraName, stem, ds, us, bs);
			float alpha = (float) ds[0];
			String ak = parts.get("alpha");
			if (ak != null) {
				float[] a = lora.floats(ak);
				if (a.length != 1) throw new RerenderException(loraName + ": '" + ak + "' should hold one number, has " + a.length);
				alpha = a[0];
			}
			byBase.put(baseKey, new Pair(stem, lora.floats(dk), ds, lora.floats(uk), us, alpha));
		}
		if (!unknown.isEmpty())
			throw new RerenderException(loraName + " has " + unknown.size() + " key(s) that match no SD 1.5 weight: "
				+ String.join(", ", first(unknown, 8)) + (unknown.size() > 8 ? ", ..." : "")
				+ ". Is it an SD 1.5 LoRA in the kohya layout (lora_unet_*/lora_te_*)?");
		if (byBase.isEmpty()) throw new RerenderException(loraName + " holds no LoRA weights (no lora_unet_*/lora_te_* pairs).");
		return new LoraMerge(base, strength, byBase);
	}

	private static List<String> first(TreeSet<String> s, int n) {
		List<String> out = new ArrayList<>();
		for (String x : s) {
			if (out.size() == n) break;
			out.add(x);
		}
		return out;
	}

	private static void checkShapes(String loraName, String stem, long[] ds, long[] us, long[] bs) {
		boolean ok = ds.length >= 2 && us.length >= 2 && ds[0] == us[1] && us[0] == bs[0];
		if (ok) {
			for (int i = 2; i < us.length; i++) ok &= us[i] == 1;
			long in = 1, baseIn = 1;
			for (int i = 1; i < ds.length; i++) in *= ds[i];
			for (int i = 1; i < bs.length; i++) baseIn *= bs[i];
			ok &= in == baseIn;
		}
		if (!ok)
			throw new RerenderException(loraName + ": '" + stem + "' has down " + java.util.Arrays.toString(ds) + " and up "
				+ java.util.Arrays.toString(us) + ", which do not fit the model's weight " + java.util.Arrays.toString(bs)
				+ " (a LoRA for a different model?)");
	}

	/** Kohya stem -> base key, for every UNet and text-encoder weight of the base. */
	static Map<String, String> stemIndex(TensorSource base) {
		Map<String, String> m = new HashMap<>();
		for (String k : base.tensors().keySet()) {
			if (!k.endsWith(".weight")) continue;
			String module = k.substring(0, k.length() - ".weight".length());
			if (module.startsWith(UNET_PREFIX)) {
				String d = UnetNames.toDiffusers(module.substring(UNET_PREFIX.length()));
				if (d != null) m.put("lora_unet_" + d.replace('.', '_'), k);
			}
			else if (module.startsWith(TE_PREFIX)) {
				m.put("lora_te_text_model_" + module.substring(TE_PREFIX.length()).replace('.', '_'), k);
			}
		}
		return m;
	}

	/** The base keys this LoRA changes. */
	public java.util.Set<String> mergedKeys() {
		return Collections.unmodifiableSet(byBaseKey.keySet());
	}

	public float strength() {
		return strength;
	}

	@Override
	public Map<String, TensorInfo> tensors() {
		return tensors;
	}

	@Override
	public ByteBuffer rawData(String name) {
		Pair p = strength == 0f ? null : byBaseKey.get(name);
		if (p == null) return base.rawData(name);
		float[] w = base.floats(name);
		int out = (int) p.upShape[0], r = p.rank(), in = w.length / out;
		float scale = strength * p.alpha / r;
		float[] up = p.up, down = p.down;
		IntStream.range(0, out).parallel().forEach(o -> {
			int row = o * in;
			for (int k = 0; k < r; k++) {
				float u = scale * up[o * r + k];
				if (u == 0f) continue;
				int drow = k * in;
				for (int i = 0; i < in; i++) w[row + i] += u * down[drow + i];
			}
		});
		ByteBuffer b = ByteBuffer.allocate(w.length * 4).order(ByteOrder.LITTLE_ENDIAN);
		b.asFloatBuffer().put(w);
		return b;
	}

	/** Does not close the base (the caller owns it). */
	@Override
	public void close() {}
}
