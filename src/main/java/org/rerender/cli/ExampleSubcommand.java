package org.rerender.cli;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.global.opencv_photo;
import org.bytedeco.opencv.opencv_core.Mat;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.Cancel;
import org.rerender.engine.FileNames;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.rerender.pipeline.DiffusionModels;
import org.rerender.pipeline.RerenderJob;

/**
 * {@code rerender example}: the README's main job on the embedded clip. With the SD models installed it runs the
 * real video job; without them (a fresh machine) it runs the weight-free part of the method honestly: frames, key
 * frames stylised with OpenCV's stylization filter (said loudly), propagation, video with audio and the report.
 */
final class ExampleSubcommand implements Subcommand {
	static final String NO_WEIGHTS = "no diffusion weights installed — key frames stylised with OpenCV's stylization filter;"
		+ " bin/rerender download fetches the models";

	@Override
	public String name() {
		return "example";
	}

	@Override
	public String summary() {
		return "stylise the embedded example clip (examples/city.mp4 → example-output/city_rerendered.mp4)";
	}

	@Override
	public String help() {
		return """
			Usage: rerender example [--input FILE] [--output FILE] [--prompt TEXT] [--image_resolution R] [--frame_count N]
			                        [--interval K] [--models DIR] [--fps F] [--overwrite]

			Runs the video job on examples/city.mp4 (work folder example-output/work, output
			example-output/city_rerendered.mp4 + city_rerendered_consistency.csv/.png). When the diffusion models are not
			installed, the key frames are stylised with OpenCV's stylization filter instead (the output says so) and the
			rest of the method (frame preparation, propagation, video with audio, consistency report) runs as usual.
			--input FILE: another clip; the output defaults to example-output/NAME_rerendered.mp4 and every output
			OUT.mp4 has its own work folder OUT_work beside it (rerunning resumes there). FILE may be a folder of
			numbered frames (PNG/JPEG/TIFF/BMP, frame_0001.png …; no audio) played at --fps F (default 30).
			--overwrite: redo the steps whose settings changed and replace an existing output file (default: refuse).
			Defaults: --image_resolution 512, --interval 10 (shortened for clips shorter than that),
			--prompt "a watercolor painting of a city street".
			""";
	}

	@Override
	public int run(String[] argv) throws Exception {
		Args a = Args.parse(argv, Set.of("--overwrite"), Set.of("--input", "--output", "--prompt", "--image_resolution",
			"--frame_count", "--interval", "--models", "--fps"));
		if (!a.positionals().isEmpty()) throw new UsageException("unexpected argument " + a.positionals().get(0));
		Path input = a.path("--input", DEFAULT_INPUT);
		if (!a.has("--input") && !Files.isRegularFile(input))
			throw new RerenderException("Example clip not found: " + input.toAbsolutePath() + " (run from the project folder, or give --input)");
		Path output = a.path("--output", Path.of("example-output", FileNames.stem(input) + "_rerendered.mp4"));
		RerenderConfig.Builder b = RerenderConfig.interactiveBuilder().input(input).output(output)
			.workDir(workDir(input, output)).prompt(a.string("--prompt", "a watercolor painting of a city street"))
			.imageResolution(a.integer("--image_resolution", 512)).interval(a.integer("--interval", 10));
		if (a.has("--frame_count")) b.frameCount(a.integer("--frame_count", 0));
		RerenderConfig c = b.build();
		ModelStore store = a.has("--models") ? new ModelStore(a.path("--models", null)) : ModelStore.standard();
		DiffusionModels.Files files = null;
		try {
			files = DiffusionModels.resolve(c, store, ModelManifest.packaged());
		}
		catch (RerenderException e) {
			System.err.println("!!! " + NO_WEIGHTS + " (" + e.getMessage() + ")");
		}
		DiffusionModels[] loaded = new DiffusionModels[1];
		DiffusionModels.Files f = files;
		RerenderJob job = new RerenderJob(c, cfg -> loaded[0] != null ? loaded[0] : (loaded[0] = DiffusionModels.load(f)))
			.overwrite(a.flag("--overwrite"));
		if (a.has("--fps")) job.sequenceFps(a.number("--fps", 0)); // a video file keeps its own rate (a note says so)
		if (files == null) job.keyFrameFilter("opencv-stylization", ExampleSubcommand::stylize);
		job.notes(n -> System.err.println("note: " + n));
		try {
			RerenderJob.Result r = job.run(RerenderJob.Steps.ALL, (stage, done, total) ->
				System.err.print("\r" + stage + (total > 0 ? " " + done + "/" + total : "") + "          "), Cancel.NEVER);
			System.err.println();
			System.out.println(r.counters());
			System.out.println("wrote " + r.video() + " and " + r.report()[0].getFileName() + ", " + r.report()[1].getFileName());
			if (files == null) System.out.println("NOTE: " + NO_WEIGHTS);
			return 0;
		}
		finally {
			if (loaded[0] != null) loaded[0].close();
		}
	}

	/**
	 * The work folder of an example run: {@code work} beside the default output when the input is the embedded clip
	 * {@code examples/city.mp4}, else {@code NAME_work} beside the output {@code NAME.mp4}, so that each clip resumes
	 * in its own folder (another clip that is also called city.mp4 included).
	 */
	static Path workDir(Path input, Path output) {
		Path out = output.toAbsolutePath().normalize();
		boolean embedded = input.toAbsolutePath().normalize().equals(DEFAULT_INPUT.toAbsolutePath().normalize())
			&& out.equals(DEFAULT_OUTPUT.toAbsolutePath().normalize());
		return out.getParent().resolve(embedded ? "work" : FileNames.stem(out) + "_work");
	}

	static final Path DEFAULT_INPUT = Path.of("examples", "city.mp4"), DEFAULT_OUTPUT = Path.of("example-output", "city_rerendered.mp4");

	/** OpenCV's edge-preserving stylization filter (sigma_s 60, sigma_r 0.45), deterministic. */
	static Rgb8Image stylize(Rgb8Image in) {
		int w = in.width(), h = in.height();
		try (Mat rgb = new Mat(h, w, CV_8UC3); Mat bgr = new Mat(); Mat out = new Mat(); Mat back = new Mat()) {
			rgb.data().put(in.data());
			opencv_imgproc.cvtColor(rgb, bgr, opencv_imgproc.COLOR_RGB2BGR);
			opencv_photo.stylization(bgr, out, 60, 0.45f);
			opencv_imgproc.cvtColor(out, back, opencv_imgproc.COLOR_BGR2RGB);
			byte[] d = new byte[3 * w * h];
			BytePointer p = back.data();
			p.get(d);
			return new Rgb8Image(w, h, d);
		}
	}
}
