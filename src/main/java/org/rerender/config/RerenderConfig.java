package org.rerender.config;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import org.rerender.engine.RerenderException;

/**
 * Every setting of one Rerender job, with the original project's defaults (rerender-algorithm.md §2).
 * Immutable; build with {@link #builder()} (script/CLI defaults) or {@link #interactiveBuilder()}
 * (the defaults of the interactive dialogs). {@link #validate()} checks ranges before any compute.
 */
public final class RerenderConfig {
	/** The largest {@code image_resolution} (long side of the prepared frames) the job accepts. */
	public static final int MAX_IMAGE_RESOLUTION = 4096;
	/** {@link #MAX_IMAGE_RESOLUTION} as text, a compile-time constant for annotation attributes (Fiji's max). */
	public static final String MAX_IMAGE_RESOLUTION_TEXT = "" + MAX_IMAGE_RESOLUTION;


	/** ControlNet conditioning. */
	public enum ControlType {
		HED, CANNY;

		public static ControlType parse(String s) {
			return switch (s.trim().toLowerCase(Locale.ROOT)) {
				case "hed" -> HED;
				case "canny" -> CANNY;
				default -> throw new RerenderException("control_type must be HED or canny, not '" + s + "'");
			};
		}

		public String configName() {
			return this == HED ? "HED" : "canny";
		}
	}

	public static final String INTERACTIVE_A_PROMPT = "best quality, extremely detailed";
	public static final String INTERACTIVE_N_PROMPT = "longbody, lowres, bad anatomy, bad hands, missing fingers, "
		+ "extra digit, fewer digits, cropped, worst quality, low quality";

	// job
	public final Path input;
	public final Path output;
	public final Path workDir;
	public final String keySubdir;
	/** null = the frame count of the video. */
	public final Integer frameCount;
	public final int interval;
	/** left, right, top, bottom. */
	private final int[] crop;
	// models
	public final Path sdModel;
	public final Path controlnetModel;
	/** Optional LoRA file merged into the base weights at load time, with its strength. */
	public final Path lora;
	public final double loraStrength;
	// prompt and sampling
	public final String prompt;
	public final String aPrompt;
	public final String nPrompt;
	public final int ddimSteps;
	public final double scale;
	public final ControlType controlType;
	public final double controlStrength;
	public final int cannyLow;
	public final int cannyHigh;
	/** −1 = draw one random seed in 0..65535 per run. */
	public final long seed;
	public final int imageResolution;
	public final boolean useLimitDeviceResolution;
	public final double x0Strength;
	// Rerender constraints
	/** Refresh the "previous" attention reference every N key frames. */
	public final int styleUpdateFreq;
	public final Period crossPeriod;
	public final Period warpPeriod;
	public final Period maskPeriod;
	public final Period adaPeriod;
	public final double maskStrength;
	public final double innerStrength;
	public final boolean smoothBoundary;
	public final boolean looseCfattn;
	/** b1, b2, s1, s2. */
	private final double[] freeuArgs;
	public final boolean colorPreserve;
	// propagation
	public final boolean poisson;
	public final int processes;
	// key-frame engine switches (ours; off = as the original): speed/memory only, the result is the same up to rounding
	/** Both CFG branches as one batched network call per step instead of two ({@code batch_cfg}). */
	public final boolean batchCfg;
	/** On a GPU, the cross-frame attention stores in host memory instead of GPU memory ({@code attention_store_on_host}). */
	public final boolean attentionStoreOnHost;

	private RerenderConfig(Builder b) {
		input = b.input;
		output = b.output;
		workDir = b.workDir != null ? b.workDir : (b.output != null ? parentOf(b.output) : null);
		keySubdir = b.keySubdir;
		frameCount = b.frameCount;
		interval = b.interval;
		crop = b.crop.clone();
		sdModel = b.sdModel;
		controlnetModel = b.controlnetModel;
		lora = b.lora;
		loraStrength = b.loraStrength;
		prompt = b.prompt;
		aPrompt = b.aPrompt;
		nPrompt = b.nPrompt;
		ddimSteps = b.ddimSteps;
		scale = b.scale;
		controlType = b.controlType;
		controlStrength = b.controlStrength;
		cannyLow = b.cannyLow;
		cannyHigh = b.cannyHigh;
		seed = b.seed;
		imageResolution = b.imageResolution;
		useLimitDeviceResolution = b.useLimitDeviceResolution;
		x0Strength = b.x0Strength;
		styleUpdateFreq = b.styleUpdateFreq;
		crossPeriod = b.crossPeriod;
		warpPeriod = b.warpPeriod;
		maskPeriod = b.maskPeriod;
		adaPeriod = b.adaPeriod;
		maskStrength = b.maskStrength;
		innerStrength = b.innerStrength;
		smoothBoundary = b.smoothBoundary;
		looseCfattn = b.looseCfattn;
		freeuArgs = b.freeuArgs.clone();
		colorPreserve = b.colorPreserve;
		poisson = b.poisson;
		processes = b.processes;
		batchCfg = b.batchCfg;
		attentionStoreOnHost = b.attentionStoreOnHost;
	}

	private static Path parentOf(Path p) {
		Path parent = p.toAbsolutePath().getParent();
		return parent != null ? parent : Path.of(".");
	}

	public int[] crop() {
		return crop.clone();
	}

	public double[] freeuArgs() {
		return freeuArgs.clone();
	}

	/** The text the CLIP encoder sees: {@code prompt + ", " + a_prompt}, comma kept even when a_prompt is empty. */
	public String fullPrompt() {
		return prompt + ", " + aPrompt;
	}

	/** The steps actually run (S), see {@link SamplingSteps#actualSteps}. */
	public int actualSteps() {
		return SamplingSteps.actualSteps(ddimSteps);
	}

	/** Checks every value; throws a {@link RerenderException} naming the first bad setting. */
	public RerenderConfig validate() {
		if (prompt == null || prompt.isBlank()) fail("prompt must not be empty");
		if (interval < 1) fail("interval must be at least 1, got " + interval);
		if (frameCount != null && frameCount < 2) fail("frame_count must be at least 2, got " + frameCount);
		for (int c : crop)
			if (c < 0) fail("crop values must be ≥ 0, got " + Arrays.toString(crop));
		String steps = SamplingSteps.problem("ddim_steps", ddimSteps, SamplingSteps.TRAINING_STEPS);
		if (steps != null) fail(steps);
		if (!(scale >= 0) || Double.isInfinite(scale)) fail("scale (CFG) must be a finite number ≥ 0, got " + scale);
		if (!(controlStrength >= 0 && controlStrength <= 2)) fail("control_strength must be in 0..2, got " + controlStrength);
		if (controlType == ControlType.CANNY && !(cannyLow >= 0 && cannyLow <= cannyHigh && cannyHigh <= 1000))
			fail("canny thresholds need 0 ≤ canny_low ≤ canny_high ≤ 1000, got " + cannyLow + ", " + cannyHigh);
		if (seed < -1 || seed > 0xFFFFFFFFL) fail("seed must be −1 (random) or in 0..4294967295, got " + seed);
		if (imageResolution < 64 || imageResolution > MAX_IMAGE_RESOLUTION)
			fail("image_resolution must be in 64.." + MAX_IMAGE_RESOLUTION + ", got " + imageResolution);
		if (Double.isNaN(x0Strength)) fail("x0_strength must be a number");
		if (styleUpdateFreq < 1) fail("style_update_freq must be at least 1, got " + styleUpdateFreq);
		if (!(maskStrength >= 0 && maskStrength <= 1)) fail("mask_strength must be in 0..1, got " + maskStrength);
		if (!(innerStrength >= 0 && innerStrength <= 1)) fail("inner_strength must be in 0..1, got " + innerStrength);
		for (double f : freeuArgs)
			if (!Double.isFinite(f)) fail("freeu_args must be finite numbers, got " + Arrays.toString(freeuArgs));
		for (Period p : new Period[] {crossPeriod, warpPeriod, maskPeriod, adaPeriod})
			if (!Double.isFinite(p.start()) || !Double.isFinite(p.end())) fail("periods must be finite, got " + p);
		if (processes < 1) fail("processes must be at least 1, got " + processes);
		if (!(Math.abs(loraStrength) <= 10)) fail("lora_strength must be a number in -10..10, got " + loraStrength);
		return this;
	}

	private static void fail(String message) {
		throw new RerenderException("Invalid setting: " + message);
	}

	public Builder toBuilder() {
		Builder b = new Builder();
		b.input = input;
		b.output = output;
		b.workDir = workDir;
		b.keySubdir = keySubdir;
		b.frameCount = frameCount;
		b.interval = interval;
		b.crop = crop.clone();
		b.sdModel = sdModel;
		b.controlnetModel = controlnetModel;
		b.lora = lora;
		b.loraStrength = loraStrength;
		b.prompt = prompt;
		b.aPrompt = aPrompt;
		b.nPrompt = nPrompt;
		b.ddimSteps = ddimSteps;
		b.scale = scale;
		b.controlType = controlType;
		b.controlStrength = controlStrength;
		b.cannyLow = cannyLow;
		b.cannyHigh = cannyHigh;
		b.seed = seed;
		b.imageResolution = imageResolution;
		b.useLimitDeviceResolution = useLimitDeviceResolution;
		b.x0Strength = x0Strength;
		b.styleUpdateFreq = styleUpdateFreq;
		b.crossPeriod = crossPeriod;
		b.warpPeriod = warpPeriod;
		b.maskPeriod = maskPeriod;
		b.adaPeriod = adaPeriod;
		b.maskStrength = maskStrength;
		b.innerStrength = innerStrength;
		b.smoothBoundary = smoothBoundary;
		b.looseCfattn = looseCfattn;
		b.freeuArgs = freeuArgs.clone();
		b.colorPreserve = colorPreserve;
		b.poisson = poisson;
		b.processes = processes;
		b.batchCfg = batchCfg;
		b.attentionStoreOnHost = attentionStoreOnHost;
		return b;
	}

	/** The defaults of the original's config files and command line. */
	public static Builder builder() {
		return new Builder();
	}

	/** The defaults of the original's interactive UI (rerender-algorithm.md §2, "Interactive defaults"). */
	public static Builder interactiveBuilder() {
		Builder b = new Builder();
		b.x0Strength = 0.75;
		b.controlType = ControlType.HED;
		b.styleUpdateFreq = 1;
		b.looseCfattn = true;
		b.adaPeriod = new Period(0.8, 1);
		b.poisson = true;
		b.aPrompt = INTERACTIVE_A_PROMPT;
		b.nPrompt = INTERACTIVE_N_PROMPT;
		return b;
	}

	/** Mutable builder; every field starts at the script default. */
	public static final class Builder {
		Path input, output, workDir;
		String keySubdir = "keys";
		Integer frameCount;
		int interval = 10;
		int[] crop = {0, 0, 0, 0};
		Path sdModel, controlnetModel, lora;
		double loraStrength = 1.0;
		String prompt = "", aPrompt = "", nPrompt = "";
		int ddimSteps = 20;
		double scale = 7.5;
		ControlType controlType = ControlType.HED;
		double controlStrength = 1.0;
		int cannyLow = 100, cannyHigh = 200;
		long seed = -1;
		int imageResolution = 512;
		boolean useLimitDeviceResolution;
		double x0Strength = -1;
		int styleUpdateFreq = 1;
		Period crossPeriod = new Period(0, 1), warpPeriod = new Period(0, 0.1), maskPeriod = new Period(0.5, 0.8),
			adaPeriod = new Period(1, 1);
		double maskStrength = 0.5, innerStrength = 0.9;
		boolean smoothBoundary = true, looseCfattn;
		double[] freeuArgs = {1, 1, 1, 1};
		boolean colorPreserve = true;
		boolean poisson = true;
		int processes = 4;
		boolean batchCfg, attentionStoreOnHost;

		public Builder input(Path v) { input = v; return this; }
		public Builder output(Path v) { output = v; return this; }
		public Builder workDir(Path v) { workDir = v; return this; }
		public Builder keySubdir(String v) { keySubdir = v; return this; }
		public Builder frameCount(Integer v) { frameCount = v; return this; }
		public Builder interval(int v) { interval = v; return this; }
		public Builder crop(int left, int right, int top, int bottom) { crop = new int[] {left, right, top, bottom}; return this; }
		public Builder sdModel(Path v) { sdModel = v; return this; }
		public Builder controlnetModel(Path v) { controlnetModel = v; return this; }
		public Builder lora(Path file, double strength) { lora = file; loraStrength = strength; return this; }
		public Builder prompt(String v) { prompt = v; return this; }
		public Builder aPrompt(String v) { aPrompt = v; return this; }
		public Builder nPrompt(String v) { nPrompt = v; return this; }
		public Builder ddimSteps(int v) { ddimSteps = v; return this; }
		public Builder scale(double v) { scale = v; return this; }
		public Builder controlType(ControlType v) { controlType = v; return this; }
		public Builder controlStrength(double v) { controlStrength = v; return this; }
		public Builder canny(int low, int high) { cannyLow = low; cannyHigh = high; return this; }
		public Builder seed(long v) { seed = v; return this; }
		public Builder imageResolution(int v) { imageResolution = v; return this; }
		public Builder useLimitDeviceResolution(boolean v) { useLimitDeviceResolution = v; return this; }
		public Builder x0Strength(double v) { x0Strength = v; return this; }
		public Builder styleUpdateFreq(int v) { styleUpdateFreq = v; return this; }
		public Builder crossPeriod(Period v) { crossPeriod = v; return this; }
		public Builder warpPeriod(Period v) { warpPeriod = v; return this; }
		public Builder maskPeriod(Period v) { maskPeriod = v; return this; }
		public Builder adaPeriod(Period v) { adaPeriod = v; return this; }
		public Builder maskStrength(double v) { maskStrength = v; return this; }
		public Builder innerStrength(double v) { innerStrength = v; return this; }
		public Builder smoothBoundary(boolean v) { smoothBoundary = v; return this; }
		public Builder looseCfattn(boolean v) { looseCfattn = v; return this; }
		public Builder freeuArgs(double b1, double b2, double s1, double s2) { freeuArgs = new double[] {b1, b2, s1, s2}; return this; }
		public Builder colorPreserve(boolean v) { colorPreserve = v; return this; }
		public Builder poisson(boolean v) { poisson = v; return this; }
		public Builder processes(int v) { processes = v; return this; }
		public Builder batchCfg(boolean v) { batchCfg = v; return this; }
		public Builder attentionStoreOnHost(boolean v) { attentionStoreOnHost = v; return this; }

		public RerenderConfig build() {
			return new RerenderConfig(this);
		}
	}
}
