package org.rerender.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.RerenderException;
import org.rerender.model.CheckpointInspector;
import org.rerender.model.clip.ClipTextConfig;
import org.rerender.model.clip.ClipTextEncoder;
import org.rerender.model.clip.ClipTokenizer;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.hed.HedDetector;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;
import org.rerender.model.lora.LoraMerge;
import org.rerender.model.nn.WeightLoader;
import org.rerender.model.unet.UNet;
import org.rerender.model.unet.UNetConfig;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.model.vae.VaeConfig;
import org.rerender.pipeline.ComponentCache.FileStamp;

/**
 * What each network of a model set is read from, as the key of a {@link ComponentCache} entry. The ControlNet comes
 * from the ControlNet file alone. UNet, VAE and text encoder come from the ControlNet file (ControlNet 1.0 files carry
 * the SD 1.5 base) with the {@code sd_model} loaded over it: a component's key names only the files that supply at
 * least one of its tensors, so with a complete {@code sd_model} switching the ControlNet keeps them. A VAE file
 * replaces the base's VAE. A LoRA is in the key of the UNet and/or the text encoder only when it has weights for
 * them (and its strength is not 0). Every key also holds the device and the dtype.
 */
final class ModelComponents {
	static final String WORK = "workspace", UNET = "unet", CONTROLNET = "controlnet", VAE = "vae", TEXT = "text-encoder",
		TOKENIZER = "tokenizer", HED = "hed";

	/** The components' names as users read them, in the order messages list them. */
	static final Map<String, String> LABELS = labels(UNET, "Stable Diffusion UNet", CONTROLNET, "ControlNet", VAE, "VAE",
		TEXT, "CLIP text encoder", TOKENIZER, "CLIP tokenizer", HED, "HED edge detector", WORK, "working memory");

	/** A component's key: the files it is read from, the LoRA applied to it (or null), the device and dtype. */
	record Key(List<FileStamp> files, FileStamp lora, double loraStrength, Device device, DataType dtype) {}

	/** The loaded networks of one model set. */
	record Loaded(NDManager work, UNet unet, ControlNet controlNet, AutoencoderKL vae, ClipTextEncoder text,
		ClipTokenizer tokenizer, HedDetector hed) {}

	private ModelComponents() {}

	/**
	 * What the headers of a model set's files say about its components (the files each one is read from, the metadata
	 * the text encoder's config may come from, whether the LoRA has weights for UNet and text encoder), found by
	 * {@link #probe}, which also refuses files that cannot be used. It does not depend on the LoRA strength.
	 */
	record Probe(List<Path> unetFiles, List<Path> textFiles, List<Path> textKeyFiles, List<Path> vaeFiles,
		Map<String, String> metadata, boolean loraHasUnet, boolean loraHasText) {}

	/** What a {@link Probe} is determined by: the stamps of the files it reads (null where absent). */
	private record ProbeKey(FileStamp controlNet, FileStamp sdModel, FileStamp vae, FileStamp lora) {}

	/** {@link #load(DiffusionModels.Files, DeviceChoice.Resolved, ComponentCache, Function)} with {@link #probe}. */
	static Loaded load(DiffusionModels.Files f, DeviceChoice.Resolved target, ComponentCache cache) {
		return load(f, target, cache, ModelComponents::probe);
	}

	/**
	 * Loads what {@code cache} lacks for {@code f} on {@code target}, keeps the rest, frees what the set no longer has.
	 * The files are inspected first with {@code inspector} (their headers), so a bad file fails before anything loaded is
	 * freed; while the files are unchanged (same absolute paths, sizes and modification times) the cache's remembered
	 * probe serves instead (a multi-GB .pth header is a pickle parse), also when only the LoRA strength changed.
	 */
	static Loaded load(DiffusionModels.Files f, DeviceChoice.Resolved target, ComponentCache cache,
		Function<DiffusionModels.Files, Probe> inspector)
	{
		Device device = target.device();
		DataType dtype = target.dtype();
		ProbeKey probeKey = new ProbeKey(ComponentCache.stamp(f.controlNet()), ComponentCache.stamp(f.sdModel()),
			ComponentCache.stamp(f.vae()), ComponentCache.stamp(f.lora()));
		Probe p = cache.remember(probeKey, () -> inspector.apply(f));
		FileStamp loraStamp = probeKey.lora();
		double strength = f.loraStrength();
		if (f.lora() != null) LoraMerge.checkStrength((float) strength); // before anything is freed
		boolean on = f.lora() != null && strength != 0; // strength 0 leaves every weight as it is
		boolean loraUnet = on && p.loraHasUnet(), loraText = on && p.loraHasText();

		NDManager work = cache.get(WORK, new Key(List.of(), null, 0, device, dtype), device, ComponentCache.Scope::manager);
		UNet unet = cache.get(UNET, key(p.unetFiles(), loraUnet ? loraStamp : null, strength, device, dtype), device, s -> {
			TensorSource w = merge(base(s, f, p.unetFiles()), loraUnet, "lora_unet_", f);
			String what = names(p.unetFiles()) + (loraUnet ? " + LoRA " + name(f.lora()) + " x" + strength : "");
			w = CheckpointInspector.unet(w, what);
			UNet u = new UNet(UNetConfig.fromWeights(w));
			WeightLoader.load(u, w, s.manager(), dtype, "UNet (" + what + ")");
			return u;
		});
		ControlNet controlNet = cache.get(CONTROLNET, key(List.of(f.controlNet()), null, 0, device, dtype), device, s -> {
			TensorSource w = CheckpointInspector.controlNet(s.own(open(f.controlNet(), null)), name(f.controlNet()));
			ControlNet c = new ControlNet(UNetConfig.fromWeights(w));
			WeightLoader.load(c, w, s.manager(), dtype, "ControlNet (" + name(f.controlNet()) + ")");
			return c;
		});
		AutoencoderKL vae = cache.get(VAE, key(p.vaeFiles(), null, 0, device, dtype), device, s -> {
			TensorSource w = CheckpointInspector.vae(base(s, f, p.vaeFiles()), names(p.vaeFiles()));
			AutoencoderKL v = new AutoencoderKL(VaeConfig.fromWeights(w));
			WeightLoader.load(v, w, s.manager(), dtype, "VAE (" + names(p.vaeFiles()) + ")");
			return v;
		});
		ClipTextEncoder text = cache.get(TEXT, key(p.textKeyFiles(), loraText ? loraStamp : null, strength, device, dtype),
			device, s -> {
				TensorSource w = merge(base(s, f, p.textFiles()), loraText, "lora_te_", f);
				w = CheckpointInspector.textEncoder(w, names(p.textFiles()));
				return ClipTextEncoder.load(w, ClipTextConfig.fromWeights(w, p.metadata()), s.manager(), dtype);
			});
		ClipTokenizer tokenizer = cache.get(TOKENIZER, ComponentCache.stamp(f.tokenizer()), device,
			s -> ClipTokenizer.load(f.tokenizer()));
		HedDetector hed = f.hed() == null ? null : cache.get(HED, key(List.of(f.hed()), null, 0, device, dtype), device,
			s -> HedDetector.load(f.hed(), s.manager(), dtype));
		cache.retainOnly(f.hed() == null ? List.of(WORK, UNET, CONTROLNET, VAE, TEXT, TOKENIZER)
			: List.of(WORK, UNET, CONTROLNET, VAE, TEXT, TOKENIZER, HED));
		return new Loaded(work, unet, controlNet, vae, text, tokenizer, hed);
	}

	/**
	 * Reads the headers of the ControlNet, sd_model, VAE and LoRA files, refuses what cannot be used (with a message
	 * naming the file), matches the LoRA's keys to the base and says which files supply each component.
	 */
	static Probe probe(DiffusionModels.Files f) {
		List<TensorSource> probe = new ArrayList<>();
		try {
			TensorSource control = open(f.controlNet(), probe);
			TensorSource sd = f.sdModel() == null ? null : open(f.sdModel(), probe);
			TensorSource base = control;
			if (sd != null) {
				CheckpointInspector.inspect(sd).requireSupported(name(f.sdModel()));
				base = new OverlaySource(control, sd, name(f.sdModel()));
			}
			String baseName = names(f.controlNet(), f.sdModel());
			CheckpointInspector.unet(base, baseName);
			CheckpointInspector.controlNet(control, name(f.controlNet()));
			CheckpointInspector.textEncoder(base, baseName);
			CheckpointInspector.Info baseInfo = CheckpointInspector.inspect(base);
			String textPrefix = baseInfo.textPrefix();
			String vaePrefix = f.vae() != null ? null : baseInfo.vaePrefix();
			if (f.vae() == null) CheckpointInspector.vae(base, baseName);
			else CheckpointInspector.vae(open(f.vae(), probe), name(f.vae()));
			TensorSource lora = f.lora() == null ? null : open(f.lora(), probe);
			Set<String> loraKeys = lora == null ? Set.of() // LoraMerge refuses a LoRA that does not fit, at any strength
				: LoraMerge.of(base, lora, 1f, name(f.lora())).mergedKeys(); // the keys do not depend on the strength
			boolean loraUnet = loraKeys.stream().anyMatch(k -> k.startsWith(LoraMerge.UNET_PREFIX));
			boolean loraText = loraKeys.stream().anyMatch(k -> k.startsWith(LoraMerge.TE_PREFIX));

			List<Path> unetFiles = suppliers(f, control, sd, CheckpointInspector.UNET);
			List<Path> textFiles = suppliers(f, control, sd, textPrefix);
			Path meta = sd != null && configs(sd) != null ? f.sdModel() : configs(control) != null ? f.controlNet() : null;
			Map<String, String> metadata = meta == null ? Map.of() : configs(meta.equals(f.sdModel()) ? sd : control);
			List<Path> textKeyFiles = new ArrayList<>(textFiles);
			if (meta != null) textKeyFiles.add(meta); // the CLIP head count may come from a file's metadata
			List<Path> vaeFiles = f.vae() != null ? List.of(f.vae()) : suppliers(f, control, sd, vaePrefix);
			return new Probe(List.copyOf(unetFiles), List.copyOf(textFiles), List.copyOf(textKeyFiles), List.copyOf(vaeFiles),
				metadata, loraUnet, loraText);
		}
		finally {
			for (TensorSource s : probe) s.close();
		}
	}

	private static Map<String, String> labels(String... nameLabel) {
		Map<String, String> m = new LinkedHashMap<>();
		for (int i = 0; i < nameLabel.length; i += 2) m.put(nameLabel[i], nameLabel[i + 1]);
		return Collections.unmodifiableMap(m);
	}

	private static Key key(List<Path> files, FileStamp lora, double strength, Device device, DataType dtype) {
		return new Key(files.stream().map(ComponentCache::stamp).toList(), lora, lora == null ? 0 : strength, device, dtype);
	}

	/**
	 * The files among ControlNet and {@code sd_model} that supply a tensor under {@code prefix} to the ControlNet file
	 * overlaid with the sd_model: the sd_model when it has any, the ControlNet file when it has one the sd_model lacks.
	 */
	private static List<Path> suppliers(DiffusionModels.Files f, TensorSource control, TensorSource sd, String prefix) {
		boolean fromSd = sd != null && sd.tensors().keySet().stream().anyMatch(k -> k.startsWith(prefix));
		boolean fromControl = control.tensors().keySet().stream()
			.anyMatch(k -> k.startsWith(prefix) && (sd == null || !sd.contains(k)));
		List<Path> out = new ArrayList<>(2);
		if (fromControl) out.add(f.controlNet());
		if (fromSd) out.add(f.sdModel());
		return out;
	}

	/** The ControlNet and/or sd_model opened into the component's scope, the sd_model over the ControlNet file. */
	private static TensorSource base(ComponentCache.Scope s, DiffusionModels.Files f, List<Path> files) {
		if (files.size() == 1) return s.own(open(files.get(0), null));
		return new OverlaySource(s.own(open(f.controlNet(), null)), s.own(open(f.sdModel(), null)), name(f.sdModel()));
	}

	/**
	 * {@code base} with the weights under {@code stemPrefix} of the LoRA file merged in when {@code withLora} ({@code base}
	 * otherwise); the LoRA is read here and closed again (the merge copies its tensors).
	 */
	private static TensorSource merge(TensorSource base, boolean withLora, String stemPrefix, DiffusionModels.Files f) {
		if (!withLora) return base;
		try (TensorSource lora = open(f.lora(), null)) {
			Map<String, TensorInfo> part = lora.tensors().entrySet().stream().filter(e -> e.getKey().startsWith(stemPrefix))
				.collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
			TensorSource only = new TensorSource() {
				@Override
				public Map<String, TensorInfo> tensors() {
					return Collections.unmodifiableMap(part);
				}

				@Override
				public ByteBuffer rawData(String name) {
					return lora.rawData(name);
				}

				@Override
				public void close() {}
			};
			return LoraMerge.of(base, only, (float) f.loraStrength(), name(f.lora())); // copies the LoRA's tensors
		}
	}

	/** A safetensors file's metadata (a copy) when it holds {@code configs} (the CLIP head count may be there), else null. */
	private static Map<String, String> configs(TensorSource s) {
		return s instanceof SafetensorsFile sf && sf.metadata().containsKey("configs") ? Map.copyOf(sf.metadata()) : null;
	}

	static TensorSource open(Path p, List<TensorSource> open) {
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
		if (open != null) open.add(s);
		return s;
	}

	private static String name(Path p) {
		return p.getFileName().toString();
	}

	private static String names(Path... files) {
		List<Path> l = new ArrayList<>();
		for (Path p : files) if (p != null) l.add(p);
		return names(l);
	}

	private static String names(List<Path> files) {
		return files.stream().map(ModelComponents::name).collect(Collectors.joining(" + "));
	}
}
