package org.rerender.fiji;

import static org.rerender.fiji.ParameterText.file;
import static org.rerender.fiji.ParameterText.numbers;
import static org.rerender.fiji.ParameterText.parsePeriod;
import static org.rerender.fiji.ParameterText.path;
import static org.rerender.fiji.ParameterText.period;

import ij.ImagePlus;
import java.io.File;
import java.nio.file.Path;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.RerenderException;
import org.rerender.model.download.ModelStore;
import org.rerender.pipeline.RerenderJob;
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
	@Parameter(label = "Replace an existing output file", persist = false, // remembered, it would replace files unasked
		description = "Off: an existing output file that this work folder did not write is refused (a rerun replaces its own output).")
	private boolean overwrite = false;
	@Parameter(label = "Work folder", style = FileWidget.DIRECTORY_STYLE, persist = false, description = "Frames, key frames and state; steps resume from it.")
	private File work_dir;
	@Parameter(label = "Frame count (0 = all)", min = "0", max = "1000000",
		description = "The first N frames of the clip are processed (at least 2); 0 = all frames.")
	private int frame_count = 0;
	@Parameter(label = "Key frame interval", min = "1", max = "10000",
		description = "K: key frames 1, 1+K, 1+2K, … and the last frame are translated, the others propagated (shortened for a shorter clip).")
	private int interval = DEF.interval;
	@Parameter(label = "Crop left,right,top,bottom (px)", description = "Pixels removed from each edge before resizing, four numbers ≥ 0.")
	private String crop = "0,0,0,0";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false)
	private String header_prompt = "<html><b>Prompt and models</b>";
	@Parameter(label = "Prompt", description = "What the video should become, e.g. \"a watercolor painting\" (required).")
	private String prompt = "";
	@Parameter(label = "Added prompt", description = "Appended to the prompt as \"prompt, added prompt\".")
	private String a_prompt = DEF.aPrompt;
	@Parameter(label = "Negative prompt", description = "What to steer away from (the unconditional branch of CFG).")
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
	@Parameter(label = "LoRA strength", min = "-10", max = "10", stepSize = "0.1", description = "Scale of the LoRA merged into the weights (1 = as trained).")
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
	@Parameter(label = "DDIM steps", min = "1", max = "1000", description = "Denoising steps per key frame (more: slower, finer).")
	private int ddim_steps = DEF.ddimSteps;
	@Parameter(label = "CFG scale", min = "0", max = "30", stepSize = "0.5", description = "Classifier-free guidance: how strongly the prompt is followed.")
	private double scale = DEF.scale;
	@Parameter(label = "Denoising strength (x0_strength; <0 or >1 = from noise)", min = "-1", max = "1.05", stepSize = "0.05",
		description = "SDEdit strength: 0 = the input frame kept, 1 = all steps from the noised input, below 0 or above 1 = from pure noise.")
	private double x0_strength = DEF.x0Strength;
	@Parameter(label = "Seed (-1 = random)", min = "-1", max = "4294967295",
		description = "Noise seed; -1 = one random seed per job (recorded in the work folder, reused on resume).")
	private long seed = -1;
	@Parameter(label = "Control type", choices = {"HED", "canny"}, style = ChoiceWidget.LIST_BOX_STYLE,
		description = "The ControlNet's edge map: HED (soft edges) or Canny (thresholds below).")
	private String control_type = "HED";
	@Parameter(label = "Control strength", min = "0", max = "2", stepSize = "0.05", description = "Scale of the ControlNet's residuals (0 = no control).")
	private double control_strength = DEF.controlStrength;
	@Parameter(label = "Canny low threshold", min = "0", max = "1000", description = "Canny control only; at most the high threshold.")
	private int canny_low = DEF.cannyLow;
	@Parameter(label = "Canny high threshold", min = "0", max = "1000", description = "Canny control only.")
	private int canny_high = DEF.cannyHigh;
	@Parameter(label = "Resolution (long side)", min = "64", max = org.rerender.config.RerenderConfig.MAX_IMAGE_RESOLUTION_TEXT, stepSize = "64",
		description = "Long side of the processed frames, sides rounded to multiples of 64.")
	private int image_resolution = DEF.imageResolution;
	@Parameter(label = "Limit resolution to GPU memory", description = "Lower the resolution to what the GPU's memory holds (no effect on the CPU).")
	private boolean use_limit_device_resolution = DEF.useLimitDeviceResolution;
	@Parameter(label = "Preserve colour", description = "Off: every key frame is colour-corrected to a reference generated from noise (the original GUI's path).")
	private boolean color_preserve = DEF.colorPreserve;

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false)
	private String header_constraints = "<html><b>Cross-frame constraints</b> (periods: start,end fractions of the steps; start &gt; end = off)";
	@Parameter(label = "Style update frequency (key frames)", min = "1", max = "1000",
		description = "The \"previous\" cross-frame attention reference is refreshed every N key frames.")
	private int style_update_freq = DEF.styleUpdateFreq;
	@Parameter(label = "Cross-frame attention period", description = "start,end fractions of the steps.")
	private String cross_period = period(DEF.crossPeriod);
	@Parameter(label = "Shape-aware fusion period", description = "start,end fractions of the steps.")
	private String warp_period = period(DEF.warpPeriod);
	@Parameter(label = "Pixel-aware fusion period", description = "start,end fractions of the steps.")
	private String mask_period = period(DEF.maskPeriod);
	@Parameter(label = "Colour-aware AdaIN period", description = "start,end fractions of the steps.")
	private String ada_period = period(DEF.adaPeriod);
	@Parameter(label = "Pixel fusion strength", min = "0", max = "1", stepSize = "0.05", description = "Pixel-aware fusion: weight of the warped previous output.")
	private double mask_strength = DEF.maskStrength;
	@Parameter(label = "Inner strength", min = "0", max = "1", stepSize = "0.05", description = "Pixel-aware fusion: weight inside the fused region.")
	private double inner_strength = DEF.innerStrength;
	@Parameter(label = "Smooth fusion boundary", description = "Blur the fusion mask's boundary.")
	private boolean smooth_boundary = DEF.smoothBoundary;
	@Parameter(label = "Loose cross-frame attention", description = "Skip cross-frame attention in the lowest-resolution layers.")
	private boolean loose_cfattn = DEF.looseCfattn;
	@Parameter(label = "FreeU b1,b2,s1,s2", description = "FreeU backbone and skip factors; 1,1,1,1 = off.")
	private String freeu_args = "1,1,1,1";

	@Parameter(visibility = ItemVisibility.MESSAGE, persist = false)
	private String header_propagation = "<html><b>Propagation</b>";
	@Parameter(label = "Poisson (gradient) blending", description = "Propagation: gradient-domain fusion of the two directions (sharper, slower).")
	private boolean poisson = DEF.poisson;
	@Parameter(label = "Parallel sequences", min = "1", max = "64", description = "Propagation: key-frame intervals processed at once.")
	private int n_proc = DEF.processes;

	@Parameter(label = "Reset to defaults", callback = "resetDefaults", persist = false, description = "Every algorithm setting back to the original's defaults.")
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
			RerenderJob job = new RerenderJob(c, cfg -> lease.models(cfg, store, device)).notes(rerender::warn)
				.replaceOutput(overwrite) // neither the IJ1 dialog nor a macro confirms replacing a file: only this does
				.device(() -> rerender.resolve(device));
			if (steps() == RerenderJob.Steps.ALL && !RerenderJob.writtenHere(job.workDir(), c.output)) // refused before the work, not at its end
				OutputFiles.checkReplaceable(c.output, overwrite);
			if (file(input_file) == null) job.sequenceFps(ImageFrames.fps(input, ImageFrames.DEFAULT_FPS)); // the stack's frame folder
			RerenderJob.Result r = job.run(steps(), rerender.progress(), cancelToken);
			double fileFps = file(input_file) == null ? 0 : r.input().fps(); // the job's read of the file (or its record of it)
			RerenderOutputs out = RerenderOutputs.of(r, steps() == RerenderJob.Steps.FIRST_FRAME,
				ImageFrames.outputFps(0, file(input_file) == null ? input : null, fileFps), interval);
			key_frames = out.keyFrames();
			edge_map = out.edgeMap();
			output_video = out.video();
		}
		finally {
			rerender.done();
		}
	}

	RerenderConfig config() {
		Path work = path(work_dir, "work folder");
		Path in;
		double[] cr = numbers(crop, 4, "crop");
		if (input_file != null && !input_file.getPath().isBlank()) in = input_file.toPath();
		else if (input != null && input.getWidth() > 0) {
			if (ImageFrames.count(input) < 2) throw new RerenderException("\"" + input.getTitle() + "\" is a single image: Rerender needs a clip of "
				+ "at least 2 frames (the anchor and one key frame). For one image use Plugins > Rerender > Generate Image (developer).");
			in = ImageFrames.writeFrames(input, work, cancelToken); // lossless PNGs, rewritten where the stack differs from them
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
}
