package org.rerender.cli;

import java.nio.file.Path;
import java.util.Set;
import org.rerender.config.ConfigJson;
import org.rerender.config.Period;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.Cancel;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.Progress;
import org.rerender.flow.FlowMethod;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.rerender.pipeline.DiffusionModels;
import org.rerender.pipeline.RerenderJob;

/**
 * {@code rerender video}: the whole Rerender job (the original's {@code rerender.py}), from an original JSON config
 * ({@code --cfg}) or from options (simple mode), with the original's step switches.
 */
final class VideoSubcommand implements Subcommand {
	private static final Set<String> FLAGS = Set.of("-one", "-nb", "-nr", "--loose_cfattn", "--no_color_preserve", "-ps",
		"--overwrite", "--use_limit_device_resolution", "--batch_cfg", "--attention_store_on_host");
	private static final Set<String> VALUES = Set.of("--cfg", "--input", "--output", "--prompt", "--a_prompt", "--n_prompt",
		"--work_dir", "--frame_count", "--interval", "--crop", "--sd_model", "--controlnet_model", "--ddim_steps", "--scale",
		"--control_type", "--control_strength", "--canny_low", "--canny_high", "--seed", "--image_resolution", "--x0_strength",
		"--style_update_freq", "--cross_period", "--warp_period", "--mask_period", "--ada_period", "--mask_strength",
		"--inner_strength", "--smooth_boundary", "--freeu_args", "--n_proc", "--models", "--flow", Devices.OPTION, "--lora", "--lora_strength", "--fps");

	@Override
	public String name() {
		return "video";
	}

	@Override
	public String summary() {
		return "stylise a video: first frame, key frames, propagation (rerender.py compatible)";
	}

	@Override
	public String help() {
		return """
			Usage: rerender video --cfg FILE [options] [-one | -nb | -nr]
			       rerender video --input VIDEO --output VIDEO --prompt TEXT [options] [-one | -nb | -nr]

			  --cfg FILE              a config of the original project (or ours); its notes are printed.
			                          Options given as well override the file's values.
			Step switches (as the original's rerender.py):
			  -one                    first frame only (work_dir/keys/0000.png + the anchor state)
			  -nb                     no propagation: first frame + key frames (work_dir/keys/NNNN.png)
			  -nr                     propagation + output video only, from the key frames in work_dir
			Options (defaults of the original's script; config key = option name without dashes):
			  --input/--output FILE   input and output video (.mp4, H.264; the input's audio is kept). The input may be
			                          a folder of numbered frames (PNG/JPEG/TIFF/BMP, frame_0001.png …; no audio)
			  --prompt, --a_prompt, --n_prompt TEXT   prompt, added prompt (appended as ", a_prompt"), negative prompt
			  --work_dir DIR          work folder (default: the output's folder)
			  --frame_count N         frames to process (default: all)       --interval K   key-frame interval (10)
			  --crop L,R,T,B          pixels removed from each edge (0,0,0,0)
			  --sd_model FILE         custom SD 1.5 checkpoint loaded over the ControlNet checkpoint
			  --controlnet_model FILE ControlNet checkpoint (default: control_sd15_hed/canny.pth from the model folder)
			  --lora FILE [--lora_strength X]  a LoRA (kohya lora_unet_/lora_te_ safetensors) merged at load (strength 1)
			  --ddim_steps N (20)  --scale S (7.5)  --control_type hed|canny (hed)  --control_strength S (1.0)
			  --canny_low/--canny_high N (100/200)  --seed N (-1 = random 0..65535, recorded in the job file)
			  --image_resolution R (512)  --use_limit_device_resolution (GPU: caps R by memory)  --x0_strength S (-1 = from noise)
			  --style_update_freq N (1, counted in key frames)
			  --cross_period A,B ([0,1])  --warp_period A,B ([0,0.1])  --mask_period A,B ([0.5,0.8])  --ada_period A,B ([1,1])
			  --mask_strength S (0.5)  --inner_strength S (0.9)  --smooth_boundary true|false (true)  --loose_cfattn
			  --freeu_args B1,B2,S1,S2 (1,1,1,1)  --no_color_preserve  -ps (Poisson blending)  --n_proc N (8)
			Ours:
			  --models DIR            model folder (default: -Drerender.models, the preference, or models/)
			  --flow dis|gmflow|auto  optical flow (dis)
			  --fps F                 frame rate of an input that is a folder of frames (30); a video keeps its own
			  --device D              auto (default: the GPU when the PyTorch natives have CUDA, else the CPU), cpu, cuda:N
			  --overwrite             redo steps whose settings changed and replace an output file this work
			                          folder did not write (default: refuse and say what changed)
			  --batch_cfg             both CFG branches as one batched network call per step (faster on a GPU,
			                          more GPU memory; same result up to float rounding). Default: two calls
			  --attention_store_on_host  GPU: keep the cross-frame attention stores (~1.1 GiB at 512x512) in host
			                          memory (less GPU memory, slower; same result). No effect on the CPU
			Every step resumes: what the work folder already holds for the same input and settings is not redone.
			""";
	}

	@Override
	public int run(String[] argv) throws Exception {
		Args a = Args.parse(argv, FLAGS, VALUES);
		if (!a.positionals().isEmpty()) throw new UsageException("unexpected argument " + a.positionals().get(0));
		int switches = (a.flag("-one") ? 1 : 0) + (a.flag("-nb") ? 1 : 0) + (a.flag("-nr") ? 1 : 0);
		if (switches > 1) throw new UsageException("use at most one of -one, -nb, -nr");
		RerenderConfig c = config(a, n -> System.err.println("note: " + n));
		RerenderJob.Steps steps = a.flag("-one") ? RerenderJob.Steps.FIRST_FRAME : a.flag("-nb") ? RerenderJob.Steps.KEY_FRAMES
			: a.flag("-nr") ? RerenderJob.Steps.PROPAGATION : RerenderJob.Steps.ALL;
		ModelStore store = a.has("--models") ? new ModelStore(a.path("--models", null)) : ModelStore.standard();
		DiffusionModels[] loaded = new DiffusionModels[1];
		DeviceChoice.Resolved[] device = new DeviceChoice.Resolved[1];
		try {
			RerenderJob job = new RerenderJob(c, cfg -> {
				if (loaded[0] == null) {
					System.err.println("loading models …");
					if (device[0] == null) device[0] = Devices.resolve(a);
					loaded[0] = DiffusionModels.load(DiffusionModels.resolve(cfg, store, ModelManifest.packaged()), device[0]);
					Devices.report(device[0], name());
				}
				return loaded[0];
			}).device(() -> device[0] != null ? device[0] : (device[0] = Devices.resolve(a)))
				.flowMethod(FlowMethod.parse(a.string("--flow", "dis"))).overwrite(a.flag("--overwrite"))
				.notes(n -> System.err.println("note: " + n));
			if (a.has("--fps")) job.sequenceFps(a.number("--fps", 0)); // a video file keeps its own rate (a note says so)
			RerenderJob.Result r = job.run(steps, new LineProgress(), Cancel.NEVER);
			System.err.println();
			System.out.println("seed " + r.seed() + "; key frames " + r.keyFrames() + " in " + r.workDir().resolve("keys"));
			System.out.println(r.counters());
			if (r.video() != null) System.out.println("wrote " + r.video() + " and " + r.report()[0].getFileName() + ", "
				+ r.report()[1].getFileName());
			return 0;
		}
		finally {
			if (loaded[0] != null) loaded[0].close();
		}
	}

	/** The job's config: {@code --cfg}'s file (if given) with the options over it, or the options alone. */
	static RerenderConfig config(Args a, java.util.function.Consumer<String> notes) {
		if (!a.has("--cfg")) {
			a.required("--input");
			a.required("--output");
			a.required("--prompt");
			RerenderConfig.Builder b = RerenderConfig.builder();
			apply(a, b);
			return b.build();
		}
		ConfigJson.Loaded l = ConfigJson.read(a.path("--cfg", null), Path.of("").toAbsolutePath());
		int interval = a.has("--interval") ? a.integer("--interval", 10) : l.config().interval;
		for (String n : l.notes())
			if (interval == l.config().interval || !n.startsWith("style_update_freq")) notes.accept(n);
		RerenderConfig.Builder b = l.config().toBuilder();
		apply(a, b);
		// an original config's style_update_freq counts frames: converted to key frames with the interval run
		if (l.originalFormat() && !a.has("--style_update_freq") && interval != l.config().interval) {
			b.styleUpdateFreq(l.styleUpdateFreqAt(interval));
			String note = l.styleUpdateNote(interval);
			if (note != null) notes.accept(note);
		}
		return b.build();
	}

	/** {@link #config(Args, java.util.function.Consumer)} of a command line (tests). */
	static RerenderConfig config(String... argv) {
		return config(Args.parse(argv, FLAGS, VALUES), n -> {});
	}

	static void apply(Args a, RerenderConfig.Builder b) {
		if (a.has("--input")) b.input(a.path("--input", null));
		if (a.has("--output")) b.output(a.path("--output", null));
		if (a.has("--prompt")) b.prompt(a.string("--prompt", null));
		if (a.has("--a_prompt")) b.aPrompt(a.string("--a_prompt", null));
		if (a.has("--n_prompt")) b.nPrompt(a.string("--n_prompt", null));
		if (a.has("--work_dir")) b.workDir(a.path("--work_dir", null));
		if (a.has("--frame_count")) b.frameCount(a.integer("--frame_count", 0));
		if (a.has("--interval")) b.interval(a.integer("--interval", 10));
		if (a.has("--crop")) {
			double[] v = numbers(a, "--crop", 4);
			b.crop((int) v[0], (int) v[1], (int) v[2], (int) v[3]);
		}
		if (a.has("--sd_model")) b.sdModel(a.path("--sd_model", null));
		if (a.has("--controlnet_model")) b.controlnetModel(a.path("--controlnet_model", null));
		if (a.has("--lora")) b.lora(a.path("--lora", null), a.number("--lora_strength", 1.0));
		else if (a.has("--lora_strength")) throw new UsageException("--lora_strength needs --lora FILE");
		if (a.has("--ddim_steps")) b.ddimSteps(a.integer("--ddim_steps", 20));
		if (a.has("--scale")) b.scale(a.number("--scale", 7.5));
		if (a.has("--control_type")) b.controlType(RerenderConfig.ControlType.parse(a.string("--control_type", null)));
		if (a.has("--control_strength")) b.controlStrength(a.number("--control_strength", 1));
		RerenderConfig probe = b.build();
		if (a.has("--canny_low") || a.has("--canny_high"))
			b.canny(a.integer("--canny_low", probe.cannyLow), a.integer("--canny_high", probe.cannyHigh));
		if (a.has("--seed")) b.seed(Long.parseLong(a.string("--seed", "-1")));
		if (a.has("--image_resolution")) b.imageResolution(a.integer("--image_resolution", 512));
		if (a.flag("--use_limit_device_resolution")) b.useLimitDeviceResolution(true);
		if (a.has("--x0_strength")) b.x0Strength(a.number("--x0_strength", -1));
		if (a.has("--style_update_freq")) b.styleUpdateFreq(a.integer("--style_update_freq", 1));
		if (a.has("--cross_period")) b.crossPeriod(period(a, "--cross_period"));
		if (a.has("--warp_period")) b.warpPeriod(period(a, "--warp_period"));
		if (a.has("--mask_period")) b.maskPeriod(period(a, "--mask_period"));
		if (a.has("--ada_period")) b.adaPeriod(period(a, "--ada_period"));
		if (a.has("--mask_strength")) b.maskStrength(a.number("--mask_strength", 0.5));
		if (a.has("--inner_strength")) b.innerStrength(a.number("--inner_strength", 0.9));
		if (a.has("--smooth_boundary")) b.smoothBoundary(bool(a.string("--smooth_boundary", "true")));
		if (a.flag("--loose_cfattn")) b.looseCfattn(true);
		if (a.has("--freeu_args")) {
			double[] v = numbers(a, "--freeu_args", 4);
			b.freeuArgs(v[0], v[1], v[2], v[3]);
		}
		if (a.flag("--no_color_preserve")) b.colorPreserve(false);
		if (a.flag("-ps")) b.poisson(true);
		if (a.has("--n_proc")) b.processes(a.integer("--n_proc", 8));
		if (a.flag("--batch_cfg")) b.batchCfg(true);
		if (a.flag("--attention_store_on_host")) b.attentionStoreOnHost(true);
	}

	private static boolean bool(String s) {
		if (s.equalsIgnoreCase("true") || s.equals("1")) return true;
		if (s.equalsIgnoreCase("false") || s.equals("0")) return false;
		throw new UsageException("expected true or false, got " + s);
	}

	private static Period period(Args a, String name) {
		double[] v = numbers(a, name, 2);
		return new Period(v[0], v[1]);
	}

	private static double[] numbers(Args a, String name, int n) {
		String[] p = a.string(name, "").split(",");
		if (p.length != n) throw new UsageException(name + " needs " + n + " comma-separated numbers");
		double[] v = new double[n];
		try {
			for (int i = 0; i < n; i++) v[i] = Double.parseDouble(p[i].trim());
		}
		catch (NumberFormatException e) {
			throw new UsageException(name + " needs " + n + " comma-separated numbers, got " + a.string(name, ""));
		}
		return v;
	}

	/** Progress as one rewritten line on stderr. */
	private static final class LineProgress implements Progress {
		private String last = "";

		@Override
		public synchronized void report(String stage, long done, long total) {
			String s = stage + (total > 0 ? " " + done + "/" + total : "");
			if (s.equals(last)) return;
			last = s;
			System.err.print("\r" + s + "          ");
		}
	}
}
