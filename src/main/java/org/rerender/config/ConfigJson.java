package org.rerender.config;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.rerender.engine.RerenderException;

/**
 * Reads and writes job configs as JSON. Reads the original project's configs (every key, both
 * spellings of colour preservation) and our own, which carry {@code "format": "rerender-fiji/1"}.
 *
 * <p>The one key whose meaning differs is {@code style_update_freq}: in an original config it counts
 * frame indices (refresh when the key frame's offset from frame 1 is a multiple of N; default 10), in
 * ours it counts key frames. An original value N with interval K becomes N / gcd(N, K) key frames, so
 * such a config refreshes at exactly the key frames the original refreshes at (rerender-algorithm.md §0).
 *
 * <p>Keys of ours that the original does not have (absent = none/off): {@code controlnet_model}, {@code lora},
 * {@code lora_strength}, and the key-frame engine switches {@code batch_cfg} and {@code attention_store_on_host}.
 */
public final class ConfigJson {

	public static final String FORMAT = "rerender-fiji/1";
	/** The original's default style_update_freq, in its frame-index meaning. */
	static final int ORIGINAL_STYLE_UPDATE_FREQ = 10;

	private static final Set<String> KEYS = Set.of("format", "input", "output", "prompt", "work_dir", "key_subdir",
		"frame_count", "interval", "crop", "sd_model", "controlnet_model", "a_prompt", "n_prompt", "ddim_steps",
		"scale", "control_type", "control_strength", "canny_low", "canny_high", "seed", "image_resolution",
		"use_limit_device_resolution", "x0_strength", "style_update_freq", "cross_period", "warp_period",
		"mask_period", "ada_period", "mask_strength", "inner_strength", "smooth_boundary", "color_preserve",
		"color_perserve", "loose_cfattn", "freeu_args", "poisson", "n_proc", "lora", "lora_strength", "batch_cfg",
		"attention_store_on_host");

	/** A parsed config plus what the reader wants the user to know (unknown keys, conversions). */
	/**
	 * @param originalStyleUpdateFreq an original-format config's style_update_freq N as written (frame indices, the
	 *     original's default when absent), converted to key frames in {@code config} with the file's interval; 0 for
	 *     this project's format (already counted in key frames)
	 */
	public record Loaded(RerenderConfig config, boolean originalFormat, List<String> notes, int originalStyleUpdateFreq) {

		/**
		 * The style_update_freq (in key frames) for a job run at {@code interval}, e.g. one overridden on the command
		 * line: an original config's N is converted again with that interval; this project's value is kept.
		 */
		public int styleUpdateFreqAt(int interval) {
			return originalFormat ? originalStyleUpdateToKeyFrames(originalStyleUpdateFreq, interval) : config.styleUpdateFreq;
		}

		/** The note for an original N converted at {@code interval}; null when nothing was converted (same number). */
		public String styleUpdateNote(int interval) {
			int k = styleUpdateFreqAt(interval);
			return originalFormat && k != originalStyleUpdateFreq ? styleNote(originalStyleUpdateFreq, k, interval) : null;
		}
	}

	private static String styleNote(int n, int perKeys, int interval) {
		return "style_update_freq " + n + " (original: frame indices) = every " + perKeys + " key frame(s) at interval " + interval;
	}

	private ConfigJson() {}

	/** Reads a config file; relative paths inside it are resolved against {@code baseDir} (the original uses the CWD). */
	public static Loaded read(Path file, Path baseDir) {
		String text;
		try {
			text = Files.readString(file, StandardCharsets.UTF_8);
		}
		catch (NoSuchFileException e) {
			throw new RerenderException("Config file not found: " + file);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read config " + file + ": " + e.getMessage(), e);
		}
		JsonObject o;
		try {
			o = JsonParser.parseString(text).getAsJsonObject();
		}
		catch (RuntimeException e) {
			throw new RerenderException("Config " + file.getFileName() + " is not a JSON object: " + e.getMessage());
		}
		return parse(o, baseDir);
	}

	/** Parses a JSON object (see {@link #read}). */
	public static Loaded parse(JsonObject o, Path baseDir) {
		List<String> notes = new ArrayList<>();
		for (String k : o.keySet())
			if (!KEYS.contains(k)) notes.add("unknown key '" + k + "' ignored");
		boolean original = !o.has("format");
		if (!original && !FORMAT.equals(str(o, "format")))
			throw new RerenderException("Unsupported config format '" + str(o, "format") + "' (this version reads " + FORMAT + ")");
		RerenderConfig.Builder b = RerenderConfig.builder();
		for (String k : new String[] {"input", "output", "prompt"})
			if (!o.has(k) || o.get(k).isJsonNull()) throw new RerenderException("Config is missing the required key '" + k + "'");
		b.input(path(baseDir, str(o, "input"))).output(path(baseDir, str(o, "output"))).prompt(str(o, "prompt"));
		if (present(o, "work_dir")) b.workDir(path(baseDir, str(o, "work_dir")));
		if (present(o, "key_subdir")) b.keySubdir(str(o, "key_subdir"));
		if (present(o, "frame_count")) b.frameCount(integer(o, "frame_count"));
		int interval = present(o, "interval") ? integer(o, "interval") : 10;
		b.interval(interval);
		if (present(o, "crop")) {
			double[] c = numbers(o, "crop", 4);
			b.crop((int) c[0], (int) c[1], (int) c[2], (int) c[3]);
		}
		if (present(o, "sd_model")) b.sdModel(path(baseDir, str(o, "sd_model")));
		if (present(o, "controlnet_model")) b.controlnetModel(path(baseDir, str(o, "controlnet_model")));
		if (present(o, "lora")) b.lora(path(baseDir, str(o, "lora")), present(o, "lora_strength") ? number(o, "lora_strength") : 1.0);
		if (present(o, "a_prompt")) b.aPrompt(str(o, "a_prompt"));
		if (present(o, "n_prompt")) b.nPrompt(str(o, "n_prompt"));
		if (present(o, "ddim_steps")) b.ddimSteps(integer(o, "ddim_steps"));
		if (present(o, "scale")) b.scale(number(o, "scale"));
		RerenderConfig.ControlType type = present(o, "control_type")
			? RerenderConfig.ControlType.parse(str(o, "control_type")) : RerenderConfig.ControlType.HED;
		b.controlType(type);
		if (type == RerenderConfig.ControlType.CANNY) {
			// like the original, the thresholds are read only for canny
			b.canny(present(o, "canny_low") ? integer(o, "canny_low") : 100,
				present(o, "canny_high") ? integer(o, "canny_high") : 200);
		}
		if (present(o, "control_strength")) b.controlStrength(number(o, "control_strength"));
		if (present(o, "seed")) b.seed(longValue(o, "seed"));
		if (present(o, "image_resolution")) b.imageResolution(integer(o, "image_resolution"));
		if (present(o, "use_limit_device_resolution")) b.useLimitDeviceResolution(bool(o, "use_limit_device_resolution"));
		if (present(o, "x0_strength")) b.x0Strength(number(o, "x0_strength"));
		int originalN = 0;
		if (original) {
			int n = present(o, "style_update_freq") ? integer(o, "style_update_freq") : ORIGINAL_STYLE_UPDATE_FREQ;
			if (n < 1) throw new RerenderException("Invalid setting: style_update_freq must be at least 1, got " + n);
			int perKeys = originalStyleUpdateToKeyFrames(n, interval);
			b.styleUpdateFreq(perKeys);
			originalN = n;
			if (perKeys != n) notes.add(styleNote(n, perKeys, interval));
		}
		else if (present(o, "style_update_freq")) b.styleUpdateFreq(integer(o, "style_update_freq"));
		if (present(o, "cross_period")) b.crossPeriod(period(o, "cross_period"));
		if (present(o, "warp_period")) b.warpPeriod(period(o, "warp_period"));
		if (present(o, "mask_period")) b.maskPeriod(period(o, "mask_period"));
		if (present(o, "ada_period")) b.adaPeriod(period(o, "ada_period"));
		if (present(o, "mask_strength")) b.maskStrength(number(o, "mask_strength"));
		if (present(o, "inner_strength")) b.innerStrength(number(o, "inner_strength"));
		if (present(o, "smooth_boundary")) b.smoothBoundary(bool(o, "smooth_boundary"));
		if (present(o, "color_preserve") && present(o, "color_perserve") && bool(o, "color_preserve") != bool(o, "color_perserve"))
			throw new RerenderException("Config sets both color_preserve and color_perserve, to different values");
		if (present(o, "color_preserve")) b.colorPreserve(bool(o, "color_preserve"));
		else if (present(o, "color_perserve")) b.colorPreserve(bool(o, "color_perserve"));
		if (present(o, "loose_cfattn")) b.looseCfattn(bool(o, "loose_cfattn"));
		if (present(o, "freeu_args")) {
			double[] f = numbers(o, "freeu_args", 4);
			b.freeuArgs(f[0], f[1], f[2], f[3]);
		}
		if (present(o, "poisson")) b.poisson(bool(o, "poisson"));
		if (present(o, "n_proc")) b.processes(integer(o, "n_proc"));
		if (present(o, "batch_cfg")) b.batchCfg(bool(o, "batch_cfg"));
		if (present(o, "attention_store_on_host")) b.attentionStoreOnHost(bool(o, "attention_store_on_host"));
		return new Loaded(b.build().validate(), original, List.copyOf(notes), originalN);
	}

	/** N frame indices (original meaning) at interval K → N / gcd(N, K) key frames. */
	public static int originalStyleUpdateToKeyFrames(int n, int interval) {
		return n / gcd(n, Math.max(1, interval));
	}

	private static int gcd(int a, int b) {
		while (b != 0) {
			int t = a % b;
			a = b;
			b = t;
		}
		return a;
	}

	/** Our own format: every key written, style_update_freq in key frames. */
	public static String write(RerenderConfig c) {
		JsonObject o = new JsonObject();
		o.addProperty("format", FORMAT);
		o.addProperty("input", str(c.input));
		o.addProperty("output", str(c.output));
		o.addProperty("work_dir", str(c.workDir));
		o.addProperty("key_subdir", c.keySubdir);
		if (c.frameCount != null) o.addProperty("frame_count", c.frameCount);
		o.addProperty("interval", c.interval);
		o.add("crop", array(c.crop()));
		if (c.sdModel != null) o.addProperty("sd_model", c.sdModel.toString());
		if (c.controlnetModel != null) o.addProperty("controlnet_model", c.controlnetModel.toString());
		if (c.lora != null) {
			o.addProperty("lora", c.lora.toString());
			o.addProperty("lora_strength", c.loraStrength);
		}
		o.addProperty("prompt", c.prompt);
		o.addProperty("a_prompt", c.aPrompt);
		o.addProperty("n_prompt", c.nPrompt);
		o.addProperty("ddim_steps", c.ddimSteps);
		o.addProperty("scale", c.scale);
		o.addProperty("control_type", c.controlType.configName());
		o.addProperty("control_strength", c.controlStrength);
		o.addProperty("canny_low", c.cannyLow);
		o.addProperty("canny_high", c.cannyHigh);
		o.addProperty("seed", c.seed);
		o.addProperty("image_resolution", c.imageResolution);
		o.addProperty("use_limit_device_resolution", c.useLimitDeviceResolution);
		o.addProperty("x0_strength", c.x0Strength);
		o.addProperty("style_update_freq", c.styleUpdateFreq);
		for (Map.Entry<String, Period> e : Map.of("cross_period", c.crossPeriod, "warp_period", c.warpPeriod,
			"mask_period", c.maskPeriod, "ada_period", c.adaPeriod).entrySet())
			o.add(e.getKey(), array(new double[] {e.getValue().start(), e.getValue().end()}));
		o.addProperty("mask_strength", c.maskStrength);
		o.addProperty("inner_strength", c.innerStrength);
		o.addProperty("smooth_boundary", c.smoothBoundary);
		o.addProperty("loose_cfattn", c.looseCfattn);
		o.add("freeu_args", array(c.freeuArgs()));
		o.addProperty("color_preserve", c.colorPreserve);
		o.addProperty("poisson", c.poisson);
		o.addProperty("n_proc", c.processes);
		o.addProperty("batch_cfg", c.batchCfg);
		o.addProperty("attention_store_on_host", c.attentionStoreOnHost);
		Gson gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create();
		return gson.toJson(o);
	}

	private static String str(Path p) {
		return p == null ? null : p.toString();
	}

	private static JsonArray array(int[] v) {
		JsonArray a = new JsonArray();
		for (int x : v) a.add(x);
		return a;
	}

	private static JsonArray array(double[] v) {
		JsonArray a = new JsonArray();
		for (double x : v) a.add(new JsonPrimitive(x));
		return a;
	}

	private static boolean present(JsonObject o, String k) {
		return o.has(k) && !o.get(k).isJsonNull();
	}

	private static Path path(Path base, String s) {
		Path p = Path.of(s);
		return p.isAbsolute() || base == null ? p : base.resolve(p);
	}

	private static String str(JsonObject o, String k) {
		JsonElement e = o.get(k);
		if (!e.isJsonPrimitive()) throw bad(k, "a string", e);
		return e.getAsString();
	}

	private static double number(JsonObject o, String k) {
		JsonElement e = o.get(k);
		if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) throw bad(k, "a number", e);
		return e.getAsDouble();
	}

	private static int integer(JsonObject o, String k) {
		double d = number(o, k);
		if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) throw bad(k, "an integer", o.get(k));
		return (int) d;
	}

	private static long longValue(JsonObject o, String k) {
		double d = number(o, k);
		if (d != Math.rint(d)) throw bad(k, "an integer", o.get(k));
		return (long) d;
	}

	private static boolean bool(JsonObject o, String k) {
		JsonElement e = o.get(k);
		if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) throw bad(k, "true or false", e);
		return e.getAsBoolean();
	}

	private static double[] numbers(JsonObject o, String k, int n) {
		JsonElement e = o.get(k);
		if (!e.isJsonArray() || e.getAsJsonArray().size() != n) throw bad(k, "a list of " + n + " numbers", e);
		double[] v = new double[n];
		for (int i = 0; i < n; i++) {
			JsonElement x = e.getAsJsonArray().get(i);
			if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) throw bad(k, "a list of " + n + " numbers", e);
			v[i] = x.getAsDouble();
		}
		return v;
	}

	private static Period period(JsonObject o, String k) {
		double[] v = numbers(o, k, 2);
		return new Period(v[0], v[1]);
	}

	private static RerenderException bad(String key, String expected, JsonElement got) {
		return new RerenderException("Config key '" + key + "' must be " + expected + ", got " + got);
	}
}
