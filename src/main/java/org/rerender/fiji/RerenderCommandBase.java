package org.rerender.fiji;

import ij.ImagePlus;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rerender.config.Period;
import org.rerender.config.RerenderConfig;
import org.rerender.config.SamplingSteps;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;
import org.rerender.model.download.ModelStore;
import org.rerender.pipeline.RerenderJob;
import org.rerender.propagate.FolderFrames;
import org.scijava.ItemIO;
import org.scijava.ItemVisibility;
import org.scijava.plugin.Parameter;
import org.scijava.widget.Button;
import org.scijava.widget.ChoiceWidget;
import org.scijava.widget.FileWidget;

/**
 * The parameters shared by Rerender First Frame / Key Frames / Video: every setting of rerender-algorithm.md §2 with
 * the original's interactive defaults, snake_case (macro keys = config keys). Subclasses only pick the steps.
 */
public abstract class RerenderCommandBase extends EngineCommand {
	static final RerenderConfig DEF = RerenderConfig.interactiveBuilder().prompt("x").build();

	@Parameter
	private RerenderService rerender;

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false)
	private String header_input = "<html><b>Input and output</b>";
	@Parameter(label = "Input video (stack)", required = false, description = "An open stack (any type, as displayed); used when no input file is given.")
	private ImagePlus input;
	@Parameter(label = "Input video file", style = FileWidget.FILE_AND_DIRECTORY_STYLE, required = false, persist = false,
		description = "The clip (any FFmpeg format), or a folder of numbered frames (PNG, JPEG, TIFF or BMP, read at 30 fps; its path can also be"
			+ " typed or pasted).")
	private File input_file;
	@Parameter(label = "Output video (.mp4)", style = FileWidget.SAVE_STYLE, required = false, persist = false,
		description = "Default: WORK/output.mp4; the consistency report is written beside it.")
	private File output_file;
	@Parameter(label = "Work folder", style = FileWidget.DIRECTORY_STYLE, persist = false, description = "Frames, key frames and state; steps resume from it.")
	private File work_dir;
	@Parameter(label = "Frame count (0 = all)", min = "0")
	private int frame_count = 0;
	@Parameter(label = "Key frame interval", min = "1")
	private int interval = DEF.interval;
	@Parameter(label = "Crop left,right,top,bottom (px)")
	private String crop = "0,0,0,0";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false)
	private String header_prompt = "<html><b>Prompt and models</b>";
	@Parameter(label = "Prompt")
	private String prompt = "";
	@Parameter(label = "Added prompt")
	private String a_prompt = DEF.aPrompt;
	@Parameter(label = "Negative prompt")
	private String n_prompt = DEF.nPrompt;
	@Parameter(label = "Custom SD 1.5 checkpoint", required = false, style = FileWidget.OPEN_STYLE, description = "Loaded over the ControlNet checkpoint.")
	private File sd_model;
	@Parameter(label = "ControlNet checkpoint", required = false, style = FileWidget.OPEN_STYLE, description = "Default: from the model folder.")
	private File controlnet_model;
	@Parameter(label = "Model folder", required = false, style = FileWidget.DIRECTORY_STYLE, description = "Default: Fiji.app/models/rerender.")
	private File models_dir;
	@Parameter(label = "LoRA file", required = false, style = FileWidget.OPEN_STYLE, persist = false,
		description = "Optional kohya-style LoRA (.safetensors) merged into the SD 1.5 weights at load.")
	private File lora_file;
	@Parameter(label = "LoRA strength", min = "-10", max = "10", stepSize = "0.1")
	private double lora_strength = 1.0;
	@Parameter(label = "Device", choices = {"auto", "cpu", "cuda:0", "cuda:1"},
		description = "auto = the GPU when the PyTorch natives have CUDA (F16), else the CPU (F32).")
	private String device = "auto";
	@Parameter(label = "Batched CFG (one network call per step)",
		description = "Both classifier-free guidance branches in one batched call: faster on a GPU, more GPU memory during a step; same result up to float rounding.")
	private boolean batch_cfg = DEF.batchCfg;
	@Parameter(label = "Attention stores in host memory (GPU)",
		description = "Keep the cross-frame attention stores (about 1.1 GiB at 512x512) in host memory: less GPU memory, slower; same result. No effect on the CPU.")
	private boolean attention_store_on_host = DEF.attentionStoreOnHost;

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false)
	private String header_sampling = "<html><b>Sampling and control</b>";
	@Parameter(label = "DDIM steps", min = "1", max = "1000",
		description = "Counts whose uniform DDIM schedule would pass timestep 1000 cannot run (as in the original): 3, 9, 27, 36, 37, 101-111, 251-333, 501-1000")
	private int ddim_steps = DEF.ddimSteps;
	@Parameter(label = "CFG scale", min = "0")
	private double scale = DEF.scale;
	@Parameter(label = "Denoising strength (x0_strength; <0 or >1 = from noise)")
	private double x0_strength = DEF.x0Strength;
	@Parameter(label = "Seed (-1 = random)", min = "-1")
	private long seed = -1;
	@Parameter(label = "Control type", choices = {"HED", "canny"}, style = ChoiceWidget.LIST_BOX_STYLE)
	private String control_type = "HED";
	@Parameter(label = "Control strength", min = "0", max = "2")
	private double control_strength = DEF.controlStrength;
	@Parameter(label = "Canny low threshold", min = "0", max = "1000")
	private int canny_low = DEF.cannyLow;
	@Parameter(label = "Canny high threshold", min = "0", max = "1000")
	private int canny_high = DEF.cannyHigh;
	@Parameter(label = "Resolution (long side)", min = "64", max = org.rerender.config.RerenderConfig.MAX_IMAGE_RESOLUTION_TEXT)
	private int image_resolution = DEF.imageResolution;
	@Parameter(label = "Limit resolution to GPU memory")
	private boolean use_limit_device_resolution = DEF.useLimitDeviceResolution;
	@Parameter(label = "Preserve colour")
	private boolean color_preserve = DEF.colorPreserve;

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false)
	private String header_constraints = "<html><b>Cross-frame constraints</b> (periods: start,end fractions of the steps; start &gt; end = off)";
	@Parameter(label = "Style update frequency (key frames)", min = "1")
	private int style_update_freq = DEF.styleUpdateFreq;
	@Parameter(label = "Cross-frame attention period")
	private String cross_period = period(DEF.crossPeriod);
	@Parameter(label = "Shape-aware fusion period")
	private String warp_period = period(DEF.warpPeriod);
	@Parameter(label = "Pixel-aware fusion period")
	private String mask_period = period(DEF.maskPeriod);
	@Parameter(label = "Colour-aware AdaIN period")
	private String ada_period = period(DEF.adaPeriod);
	@Parameter(label = "Pixel fusion strength", min = "0", max = "1")
	private double mask_strength = DEF.maskStrength;
	@Parameter(label = "Inner strength", min = "0", max = "1")
	private double inner_strength = DEF.innerStrength;
	@Parameter(label = "Smooth fusion boundary")
	private boolean smooth_boundary = DEF.smoothBoundary;
	@Parameter(label = "Loose cross-frame attention")
	private boolean loose_cfattn = DEF.looseCfattn;
	@Parameter(label = "FreeU b1,b2,s1,s2")
	private String freeu_args = "1,1,1,1";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false)
	private String header_propagation = "<html><b>Propagation</b>";
	@Parameter(label = "Poisson (gradient) blending")
	private boolean poisson = DEF.poisson;
	@Parameter(label = "Parallel sequences", min = "1", max = "64")
	private int n_proc = DEF.processes;

	@Parameter(label = "Reset to defaults", callback = "resetDefaults", persist = false)
	private Button reset_defaults;

	@Parameter(type = ItemIO.OUTPUT, label = "Key frames")
	private ImagePlus key_frames;
	@Parameter(type = ItemIO.OUTPUT, label = "First frame edge map")
	private ImagePlus edge_map;
	@Parameter(type = ItemIO.OUTPUT, label = "Output video")
	private String output_video;

	/** Which steps this command runs. */
	protected abstract RerenderJob.Steps steps();

	@Override
	protected void execute() {
		try (RerenderService.Lease lease = rerender.lease()) { // the models stay ours until the job ends
			RerenderConfig c = config();
			ModelStore store = models_dir == null || models_dir.getPath().isBlank() ? null : new ModelStore(models_dir.toPath());
			RerenderJob.Result r = new RerenderJob(c, cfg -> lease.models(cfg, store, device)).notes(rerender::warn)
				.replaceOutput(file(output_file) != null) // a file the user chose (the Save dialog confirmed replacing it)
				.device(() -> rerender.resolve(device)).run(steps(), rerender.progress(), cancelToken);
			List<Rgb8Image> keys = new ArrayList<>();
			keys.add(FolderFrames.read(r.workDir().resolve("keys/0000.png")));
			if (steps() != RerenderJob.Steps.FIRST_FRAME)
				for (int k : r.keyFrames()) keys.add(FolderFrames.read(r.workDir().resolve(String.format("keys/%04d.png", k))));
			key_frames = ImageFrames.output("Key frames", keys, null); // cropped and resized: no spatial calibration of the input's
			double fileFps = file(input_file) == null ? 0 : r.input().fps(); // the job's read of the file (or its record of it)
			double fps = ImageFrames.outputFps(0, file(input_file) == null ? input : null, fileFps) / interval;
			if (fps > 0) ImageFrames.setFps(key_frames, fps); // one key every `interval` frames (frame 0 and the last excepted)
			Path edge = r.workDir().resolve("keys/edge_0000.png");
			if (Files.isRegularFile(edge)) edge_map = ImageFrames.output("First frame edge map", List.of(FolderFrames.read(edge)), null);
			output_video = r.video() == null ? "" : r.video().toString();
		}
		finally {
			rerender.done();
		}
	}

	RerenderConfig config() {
		SamplingSteps.require("ddim_steps", ddim_steps); // before a stack is written out as a video
		Path work = path(work_dir, "work folder");
		Path in;
		double[] cr = numbers(crop, 4, "crop");
		if (input_file != null && !input_file.getPath().isBlank()) in = input_file.toPath();
		else if (input != null && input.getWidth() > 0) {
			if (ImageFrames.count(input) < 2) throw new RerenderException("\"" + input.getTitle() + "\" is a single image: Rerender needs a clip of "
				+ "at least 2 frames (the anchor and one key frame). For one image use Plugins > Rerender > Generate Image (developer).");
			in = ImageFrames.writeVideo(input, work, cancelToken); // rewritten when the stack differs from the work folder's
			int[] pad = ImageFrames.padding(input); // the padding H.264 needs (even sides, at least 16) is cropped away again
			cr[1] += pad[0];
			cr[3] += pad[1];
		}
		else throw new RerenderException("No input: give an input video file or open a stack.");
		Path out = output_file != null && !output_file.getPath().isBlank() ? output_file.toPath() : work.resolve("output.mp4");
		double[] fu = numbers(freeu_args, 4, "freeu_args");
		RerenderConfig.Builder b = RerenderConfig.interactiveBuilder().input(in).output(out).workDir(work)
			.frameCount(frame_count > 0 ? frame_count : null).interval(interval).crop((int) cr[0], (int) cr[1], (int) cr[2], (int) cr[3])
			.prompt(prompt).aPrompt(a_prompt).nPrompt(n_prompt).sdModel(file(sd_model)).controlnetModel(file(controlnet_model))
			.ddimSteps(ddim_steps).scale(scale).x0Strength(x0_strength).seed(seed).controlType(RerenderConfig.ControlType.parse(control_type))
			.controlStrength(control_strength).canny(canny_low, canny_high).imageResolution(image_resolution)
			.useLimitDeviceResolution(use_limit_device_resolution).colorPreserve(color_preserve).styleUpdateFreq(style_update_freq)
			.crossPeriod(parsePeriod(cross_period, "cross_period")).warpPeriod(parsePeriod(warp_period, "warp_period"))
			.maskPeriod(parsePeriod(mask_period, "mask_period")).adaPeriod(parsePeriod(ada_period, "ada_period"))
			.maskStrength(mask_strength).innerStrength(inner_strength).smoothBoundary(smooth_boundary).looseCfattn(loose_cfattn)
			.freeuArgs(fu[0], fu[1], fu[2], fu[3]).poisson(poisson).processes(n_proc).batchCfg(batch_cfg)
			.attentionStoreOnHost(attention_store_on_host);
		Path lora = file(lora_file);
		if (lora != null) b.lora(lora, lora_strength);
		return b.build();
	}

	/** The "Reset to defaults" button: every algorithm setting back to the interactive defaults. */
	protected void resetDefaults() {
		interval = DEF.interval;
		frame_count = 0;
		lora_strength = 1.0;
		device = "auto";
		batch_cfg = DEF.batchCfg;
		attention_store_on_host = DEF.attentionStoreOnHost;
		crop = "0,0,0,0";
		a_prompt = DEF.aPrompt;
		n_prompt = DEF.nPrompt;
		ddim_steps = DEF.ddimSteps;
		scale = DEF.scale;
		x0_strength = DEF.x0Strength;
		seed = -1;
		control_type = "HED";
		control_strength = DEF.controlStrength;
		canny_low = DEF.cannyLow;
		canny_high = DEF.cannyHigh;
		image_resolution = DEF.imageResolution;
		use_limit_device_resolution = DEF.useLimitDeviceResolution;
		color_preserve = DEF.colorPreserve;
		style_update_freq = DEF.styleUpdateFreq;
		cross_period = period(DEF.crossPeriod);
		warp_period = period(DEF.warpPeriod);
		mask_period = period(DEF.maskPeriod);
		ada_period = period(DEF.adaPeriod);
		mask_strength = DEF.maskStrength;
		inner_strength = DEF.innerStrength;
		smooth_boundary = DEF.smoothBoundary;
		loose_cfattn = DEF.looseCfattn;
		freeu_args = "1,1,1,1";
		poisson = DEF.poisson;
		n_proc = DEF.processes;
	}

	private static String period(Period p) {
		return trim(p.start()) + "," + trim(p.end());
	}

	private static String trim(double v) {
		return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
	}

	private static Period parsePeriod(String s, String name) {
		double[] v = numbers(s, 2, name);
		return new Period(v[0], v[1]);
	}

	private static double[] numbers(String s, int n, String name) {
		String[] p = s == null ? new String[0] : s.split(",");
		if (p.length != n) throw new RerenderException(name + " needs " + n + " comma-separated numbers, got '" + s + "'");
		double[] v = new double[n];
		try {
			for (int i = 0; i < n; i++) v[i] = Double.parseDouble(p[i].trim());
		}
		catch (NumberFormatException e) {
			throw new RerenderException(name + " needs " + n + " comma-separated numbers, got '" + s + "'");
		}
		return v;
	}

	private static Path file(File f) {
		return f == null || f.getPath().isBlank() ? null : f.toPath();
	}

	private static Path path(File f, String what) {
		if (f == null || f.getPath().isBlank()) throw new RerenderException("No " + what + " was given.");
		return f.toPath();
	}
}
