package org.rerender.pipeline;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.Cancel;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.DeviceMemoryErrors;
import org.rerender.engine.GpuMemory;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowMethod;
import org.rerender.flow.WarpingError;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.FolderFrames;
import org.rerender.propagate.FrameFlows;
import org.rerender.propagate.KeySchedule;
import org.rerender.propagate.PropagationOptions;
import org.rerender.propagate.Propagator;
import org.rerender.propagate.synth.PatchSynthesizer;
import org.rerender.video.ConsistencyReport;
import org.rerender.video.FramePreparation;
import org.rerender.video.ImageSequence;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;
import org.rerender.video.VideoWriter;
import org.rerender.work.FramesStep;
import org.rerender.work.WorkFolder;
import org.rerender.work.WorkLock;
import org.rerender.work.WorkStep;

/**
 * One Rerender video job over a work folder (rerender-algorithm.md §1): prepare frames → first frame (anchor) →
 * key frames → propagation → output video + temporal-consistency report. Every step resumes: files a previous run
 * finished (with the same input and settings) are kept and not recomputed. Work folder layout (beside the
 * {@link WorkFolder} ones):
 *
 * <pre>
 * WORK/frames/NNNN.png          prepared input frames, numbered from 0
 * WORK/keys/0000.png            the first frame's (anchor's) output; 0000.f32 its decoded float output
 * WORK/keys/anchor_state.safetensors  the anchor's recorded per-step state (for a later key-frame step)
 * WORK/keys/edge_0000.png       the first frame's control (edge) map
 * WORK/keys/color_reference.png the noise-generated colour reference (color_preserve false only)
 * WORK/keys/NNNN.png (+ .f32)   key frame NNNN = frame index 1, 1+K, 1+2K, … and the last frame
 * WORK/keys/sequence_state.safetensors  the state carried between key frames (resume after key frame n)
 * WORK/propagated/NNNN.png      every output frame 1 … last (propagation)
 * WORK/propagated/tmp/fwd|bwd/  per-direction syntheses of a propagation under way (deleted when it finishes)
 * OUTPUT (mp4)                  frames 0 … last with the input's audio; OUTPUT_consistency.csv/.png beside it
 * </pre>
 *
 * Key frames use the frame index of {@code frames/} (0-based); the original's key folder numbers the same frames
 * 1-based ({@code 0001.png} is our frame 0).
 */
public final class RerenderJob {

	/** Which steps to run (the original's step switches). */
	public enum Steps {
		/** Everything (default). */
		ALL,
		/** {@code -one}: prepare frames + first frame only. */
		FIRST_FRAME,
		/** {@code -nb}: prepare frames + first frame + key frames, no propagation. */
		KEY_FRAMES,
		/** {@code -nr}: propagation + video only, from the key frames already in the work folder. */
		PROPAGATION
	}

	/** Supplies the loaded models (the Fiji service caches them; the CLI loads them once). */
	@FunctionalInterface
	public interface ModelSupplier {
		DiffusionModels get(RerenderConfig config);
	}

	/** What a run did (counts of work actually done in this run, not of files found). */
	public static final class Counters {
		public int framesPrepared, anchorsTranslated, keyFramesTranslated, keyFramesRebuilt, framesPropagated;
		public boolean videoWritten;

		@Override
		public String toString() {
			return "frames prepared " + framesPrepared + ", first frame translated " + anchorsTranslated + ", key frames translated "
				+ keyFramesTranslated + " (re-translated to rebuild state: " + keyFramesRebuilt + "), frames propagated "
				+ framesPropagated + ", video written " + videoWritten;
		}
	}

	/**
	 * The result of a run. {@code video} and {@code report} are null when the run stopped before them. {@code input}
	 * is the input video as decoded, e.g. its frame rate: by this run, or as the frames step recorded it (a resumed
	 * run); never null.
	 */
	public record Result(Path workDir, long seed, List<Integer> keyFrames, Path video, Path[] report, Counters counters,
		List<String> notes, VideoInfo input) {}

	private final RerenderConfig cfg;
	private final ModelSupplier models;
	private FlowMethod flowMethod = FlowMethod.DIS;
	private boolean overwrite, replaceOutput;
	private PatchSynthesizer synthesizer;
	private Consumer<String> noteSink = s -> {};
	private String stylerName;
	private java.util.function.UnaryOperator<Rgb8Image> styler;
	private Supplier<DeviceChoice.Resolved> device;
	private double sequenceFps = ImageSequence.DEFAULT_FPS;
	private boolean sequenceFpsGiven;
	private java.util.function.Function<FlowMethod, FlowEstimator> keyFlows;

	public RerenderJob(RerenderConfig config, ModelSupplier models) {
		this.cfg = config.validate();
		if (cfg.input == null) throw new RerenderException("No input video given");
		if (cfg.output == null) throw new RerenderException("No output video given");
		this.models = models;
	}

	/**
	 * The frame rate of an input that is a folder of frames ({@link ImageSequence}; default 30):
	 * the output video's. A video file keeps its own rate (the run says so in a note when one was given).
	 */
	public RerenderJob sequenceFps(double fps) {
		VideoWriter.checkFps(fps, "a folder of frames");
		this.sequenceFps = fps;
		this.sequenceFpsGiven = true;
		return this;
	}

	/** Optical flow for key frames, propagation and the report (default DIS). */
	public RerenderJob flowMethod(FlowMethod m) {
		this.flowMethod = m;
		return this;
	}

	/**
	 * Redo steps whose settings changed instead of refusing (their folders are emptied), and replace an existing
	 * output file that this job did not write (as {@link #replaceOutput}).
	 */
	public RerenderJob overwrite(boolean on) {
		this.overwrite = on;
		this.replaceOutput = on;
		return this;
	}

	/** Replace an existing output file that this job did not write (e.g. one the user confirmed in a Save dialog). */
	public RerenderJob replaceOutput(boolean on) {
		this.replaceOutput = on;
		return this;
	}

	/** The patch synthesizer of propagation (default: the native CPU one). */
	public RerenderJob synthesizer(PatchSynthesizer s) {
		this.synthesizer = s;
		return this;
	}

	/** Receives notes (e.g. about device-limited resolution) as they come. */
	public RerenderJob notes(Consumer<String> sink) {
		this.noteSink = sink == null ? s -> {} : sink;
		return this;
	}

	/**
	 * Replaces diffusion by a plain image filter for frame 0 and the key frames (no models are loaded; the
	 * weight-free demo of {@code bin/rerender example}). {@code name} goes into the key step's stamp.
	 */
	public RerenderJob keyFrameFilter(String name, java.util.function.UnaryOperator<Rgb8Image> filter) {
		this.stylerName = name;
		this.styler = filter;
		return this;
	}

	/**
	 * The device the models will run on; asked only when use_limit_device_resolution is on, to cap the resolution
	 * by the GPU's memory. Without it the resolution is never capped.
	 */
	public RerenderJob device(Supplier<DeviceChoice.Resolved> d) {
		this.device = d;
		return this;
	}

	/** Tests: the key frames' flow estimator made by {@code f} instead of {@link FrameFlows#estimator}. */
	RerenderJob keyFlowEstimator(java.util.function.Function<FlowMethod, FlowEstimator> f) {
		this.keyFlows = f;
		return this;
	}

	/** The work folder: {@code work_dir}, else the output's folder. */
	public Path workDir() {
		Path w = cfg.workDir != null ? cfg.workDir : cfg.output.toAbsolutePath().getParent();
		return w.toAbsolutePath();
	}

	public Result run(Steps steps, Progress progress, Cancel cancel) {
		if (progress == null) progress = Progress.NONE;
		if (cancel == null) cancel = Cancel.NEVER;
		// a frame folder is listed once: checked, hashed and read from this listing
		ImageSequence sequence = ImageSequence.isSequence(cfg.input) ? ImageSequence.open(cfg.input, sequenceFps) : null;
		if (sequence == null) VideoReader.requireFile(cfg.input); // missing, an empty or unreadable file
		if (steps == Steps.ALL || steps == Steps.PROPAGATION) checkOutputUpFront(cfg.output.toAbsolutePath());
		List<String> notes = new ArrayList<>();
		if (sequence == null && sequenceFpsGiven) note(notes, "the frame rate " + sequenceFps + " given (--fps) is for a folder of frames:"
			+ " the video file keeps its own");
		try (WorkLock lock = WorkLock.acquire(workDir())) { // one run at a time per work folder (CLI, Fiji, macros)
			return run(steps, progress, cancel, sequence, notes);
		}
	}

	private Result run(Steps steps, Progress progress, Cancel cancel, ImageSequence sequence, List<String> notes) {
		Counters n = new Counters();
		int resolution = cfg.useLimitDeviceResolution ? limitedResolution(notes) : cfg.imageResolution;
		long seed = seed(workDir());
		Map<String, Object> jobParams = new LinkedHashMap<>(JsonParams.of(cfg));
		jobParams.put("seed_used", seed);
		WorkFolder work = sequence != null ? WorkFolder.openSequence(workDir(), sequence, jobParams) : WorkFolder.open(workDir(), cfg.input, jobParams);
		cancel.check();

		FramePreparation prep = FramePreparation.of(cfg.crop(), resolution);
		FramesStep.Result prepared = FramesStep.run(work, prep, sequenceFps, overwrite, progress, cancel); // one open: rotation and frames
		WorkStep frames = prepared.step();
		VideoInfo input = prepared.input();
		if (prepared.decoded()) n.framesPrepared = frames.completeCount();
		int frameCount = cfg.frameCount == null ? frames.completeCount() : Math.min(cfg.frameCount, frames.completeCount());
		KeySchedule schedule = KeySchedule.forClip(frameCount, clipInterval(frameCount, notes));

		WorkStep keys = work.step(WorkFolder.KEYS, keyParams(seed, frameCount), overwrite, frames);
		if (steps != Steps.PROPAGATION && styler != null) {
			List<Integer> all = new ArrayList<>(List.of(0));
			all.addAll(schedule.keys());
			for (int i = 0; i < all.size(); i++) {
				cancel.check();
				int idx = all.get(i);
				progress.report("Key frames (" + stylerName + ")", i, all.size());
				if (keys.has(idx, WorkStep.PNG) || (steps == Steps.FIRST_FRAME && idx != 0)) continue;
				keys.writePng(idx, styler.apply(frames.readPng(idx)));
				if (idx == 0) n.anchorsTranslated++;
				else n.keyFramesTranslated++;
			}
		}
		else if (steps != Steps.PROPAGATION) {
			DiffusionModels m = models.get(cfg);
			KeyFrameTranslator t = new KeyFrameTranslator(cfg, m, frames, keys, seed, schedule, flowMethod, n);
			if (keyFlows != null) t.keyFlows = keyFlows;
			try {
				t.run(steps == Steps.FIRST_FRAME, progress, cancel);
			}
			catch (RuntimeException e) { // the frame's sub-managers are closed by now: a retry starts clean
				WorkStep f = frames;
				throw DeviceMemoryErrors.translate(e, () -> {
					int[] size = workingSize(f, cfg.imageResolution);
					DeviceMemoryErrors.Work w = DeviceMemoryErrors.Work.frame(m.target(), size[0], size[1], "image_resolution");
					return cfg.useLimitDeviceResolution ? w : w.withLimitCap(DeviceLimit.capOf(w.totalBytes()));
				});
			}
		}
		Path video = null;
		Path[] report = null;
		if (steps == Steps.ALL || steps == Steps.PROPAGATION) {
			for (int k : schedule.keys())
				if (!keys.has(k, WorkStep.PNG) || !keys.has(0, WorkStep.PNG))
					throw new RerenderException("Key frame " + k + " is not in " + keys.dir()
						+ ": run the first-frame and key-frame steps first (without -nr)");
			WorkStep prop = work.step(WorkFolder.PROPAGATED, Map.of("poisson", cfg.poisson, "flow", flowMethod.name()), overwrite, keys);
			propagate(work, frames, keys, prop, schedule, n, progress, cancel);
			Map<String, Object> outParams = new LinkedHashMap<>(Map.of("output", cfg.output.toAbsolutePath().toString()));
			if (sequence != null) outParams.put("sequence_fps", sequenceFps); // a new rate rewrites the video
			WorkStep out = work.step(WorkFolder.OUT, outParams, overwrite, prop);
			video = cfg.output.toAbsolutePath();
			report = ConsistencyReport.files(video);
			if (!(out.isComplete() && Files.isRegularFile(video) && Files.isRegularFile(report[0]))) {
				if (Files.exists(video) && !out.isComplete() && !replaceOutput && !writtenHere(work.root(), video))
					throw foreignOutput(video, work.root());
				writeVideo(frames, keys, prop, work.root(), frameCount, video, input, notes, progress, cancel);
				n.videoWritten = true;
				out.markComplete(frameCount);
			}
		}
		return new Result(work.root(), seed, schedule.keys(), video, report, n, notes, input);
	}

	/**
	 * The key-frame interval for a clip of {@code frameCount} frames: the configured one, shortened (with a note) to
	 * frameCount − 1 when the clip is shorter than one interval (the key frames are then 1 and the last frame, as
	 * with any interval that long). A clip of fewer than 2 frames is refused.
	 */
	private int clipInterval(int frameCount, List<String> notes) {
		if (frameCount < 2)
			throw new RerenderException("Rerender needs at least 2 frames (the first frame and one key frame); "
				+ (cfg.frameCount != null && cfg.frameCount < 2 ? "frame_count is " + cfg.frameCount : "the video has " + frameCount)
				+ ". For a single image use bin/rerender generate (Fiji: Plugins > Rerender > Generate Image).");
		if (cfg.interval <= frameCount - 1) return cfg.interval;
		note(notes, "the key-frame interval " + cfg.interval + " is longer than the clip (" + frameCount + " frames): using "
			+ (frameCount - 1) + (frameCount == 2 ? " (key frame 1, the last)" : " (key frames 1 and " + (frameCount - 1) + ")"));
		return frameCount - 1;
	}

	/**
	 * The prepared frames' size for an error message; {@code fallback}² when frame 0 cannot be read (the message must
	 * not replace the failure it explains).
	 */
	private static int[] workingSize(WorkStep frames, int fallback) {
		try {
			Rgb8Image f0 = frames.readPng(0);
			return new int[] {f0.width(), f0.height()};
		}
		catch (RuntimeException ignored) {
			return new int[] {fallback, fallback};
		}
	}

	/** use_limit_device_resolution on the {@link #device} (asked only now): see {@link DeviceLimit}. */
	private int limitedResolution(List<String> notes) {
		DeviceChoice.Resolved d = device == null ? null : device.get();
		return DeviceLimit.resolution(cfg.imageResolution, d, d == null ? null : GpuMemory.read(d.device()), n -> note(notes, n));
	}

	private void note(List<String> notes, String s) {
		notes.add(s);
		noteSink.accept(s);
	}

	/** −1: one random seed 0..65535 per job, recorded in the job file and reused when the job is resumed. */
	private long seed(Path workDir) {
		if (cfg.seed >= 0) return cfg.seed;
		Path job = workDir.resolve(WorkFolder.JOB_FILE);
		if (Files.exists(job)) {
			try {
				JsonObject o = JsonParser.parseString(Files.readString(job)).getAsJsonObject();
				JsonElement p = o.has("params") ? o.getAsJsonObject("params").get("seed_used") : null;
				if (p != null && !p.isJsonNull()) return p.getAsLong();
			}
			catch (IOException | RuntimeException e) {
				// unreadable job file: WorkFolder.open reports it
			}
		}
		return new SecureRandom().nextInt(65536);
	}

	private Map<String, Object> keyParams(long seed, int frameCount) {
		Map<String, Object> m = new LinkedHashMap<>(JsonParams.keyFrameSettings(cfg));
		m.put("seed", seed);
		m.put("frame_count", frameCount);
		m.put("flow", flowMethod.name());
		if (stylerName != null) m.put("key_frame_filter", stylerName);
		return m;
	}

	/** The propagated step's subfolder of per-direction syntheses (a resumed propagation reuses those of its request). */
	static final String PROPAGATION_TMP = "tmp";

	private void propagate(WorkFolder work, WorkStep frames, WorkStep keys, WorkStep prop, KeySchedule schedule, Counters n,
		Progress progress, Cancel cancel)
	{
		int last = schedule.last();
		if (prop.isComplete()) return;
		if (schedule.intervals() == 0) { // two frames: the single key frame 1, nothing in between
			if (!prop.has(last, WorkStep.PNG)) prop.writePng(last, keys.readPng(last));
			prop.markComplete(1);
			return;
		}
		// the per-direction syntheses live inside the step: cleared with it whenever its key frames, frames or settings
		// change; each is also stored with the digest of its request and redone when that differs
		FolderFrames folder = new FolderFrames(frames.dir(), keys.dir(), prop.dir(), prop.dir().resolve(PROPAGATION_TMP), "%04d.png");
		int before = prop.indices(WorkStep.PNG).size();
		PropagationOptions options = PropagationOptions.defaults().withPoisson(cfg.poisson).withProcesses(cfg.processes)
			.withThreads(Runtime.getRuntime().availableProcessors());
		try (FlowEstimator flow = FrameFlows.estimator(flowMethod)) {
			PatchSynthesizer synth = synthesizer != null ? synthesizer : PatchSynthesizer.cpu();
			new Propagator(synth, FrameFlows.of(flow)).run(folder, schedule, options, folder, folder, progress, cancel);
		}
		catch (RerenderException e) {
			throw e;
		}
		catch (Exception e) {
			throw new RerenderException("Propagation failed: " + e.getMessage(), e);
		}
		folder.deleteTemporaries();
		n.framesPropagated = prop.indices(WorkStep.PNG).size() - before;
		prop.markComplete(last);
	}

	/**
	 * In the work folder (not in the OUT step's folder, whose files would make a change of output look like a
	 * changed step): path, size and modification time of the video this job wrote, recorded before its report.
	 */
	static final String VIDEO_WRITTEN = "video_written.txt";

	private static String videoStamp(Path video) throws IOException {
		return video.toAbsolutePath() + "\n" + Files.size(video) + " " + Files.getLastModifiedTime(video).toMillis();
	}

	/**
	 * Refuses, before any work, an output the video could not be written to at the end: a folder, a name other than
	 * {@code .mp4}, or an existing file this work folder never wrote (unless {@link #replaceOutput}); a file it wrote
	 * (recorded in {@value #VIDEO_WRITTEN}) is judged at the end, when the OUT step's state is known.
	 */
	private void checkOutputUpFront(Path video) {
		if (Files.isDirectory(video)) throw new RerenderException("The output " + video + " is a folder: give a file name NAME.mp4");
		org.rerender.video.VideoWriter.checkOutputName(video);
		if (Files.exists(video) && !replaceOutput && !recordedHere(workDir(), video))
			throw foreignOutput(video, workDir());
	}

	private static RerenderException foreignOutput(Path video, Path workRoot) {
		return new RerenderException("The output " + video + " already exists and was not written by this job"
			+ " (work folder " + workRoot + "): choose another output file or delete it (bin/rerender: --overwrite replaces it; in Fiji: 'Replace an existing output file', macro key overwrite).");
	}

	/** Whether {@value #VIDEO_WRITTEN} names {@code video} (whatever its size and time now). */
	private static boolean recordedHere(Path workRoot, Path video) {
		String w = videoWritten(workRoot);
		return w != null && w.startsWith(video.toAbsolutePath() + "\n");
	}

	/** Whether {@code video} is the file this job wrote last (a run stopped before its OUT step was complete). */
	public static boolean writtenHere(Path workRoot, Path video) {
		try {
			String w = videoWritten(workRoot);
			return w != null && w.equals(videoStamp(video));
		}
		catch (IOException e) {
			return false;
		}
	}

	/** The text of {@value #VIDEO_WRITTEN}, or null when there is none (or it cannot be read). */
	private static String videoWritten(Path workRoot) {
		Path f = workRoot.resolve(VIDEO_WRITTEN);
		try {
			return Files.isRegularFile(f) ? Files.readString(f) : null;
		}
		catch (IOException e) {
			return null;
		}
	}

	/**
	 * The output frames 0 … n−1 (frame 0 from the key step, the others from propagation) as a list that decodes each
	 * PNG when it is asked for ({@code get}) and keeps none: the video and the report stream the clip.
	 */
	static List<Rgb8Image> outputFrames(WorkStep keys, WorkStep prop, int n) {
		return lazy(n, i -> i == 0 ? keys.readPng(0) : prop.readPng(i));
	}

	/** The prepared input frames 0 … n−1, decoded on {@code get} as {@link #outputFrames}. */
	static List<Rgb8Image> inputFrames(WorkStep frames, int n) {
		return lazy(n, frames::readPng);
	}

	private static List<Rgb8Image> lazy(int n, java.util.function.IntFunction<Rgb8Image> read) {
		return new java.util.AbstractList<>() {
			@Override
			public Rgb8Image get(int i) {
				return read.apply(java.util.Objects.checkIndex(i, n));
			}

			@Override
			public int size() {
				return n;
			}
		};
	}

	/** Writes the output video at the input's ({@code info}) frame rate, with its audio if it has any. */
	private void writeVideo(WorkStep frames, WorkStep keys, WorkStep prop, Path workRoot, int frameCount, Path video,
		VideoInfo info, List<String> notes, Progress progress, Cancel cancel)
	{
		List<Rgb8Image> out = outputFrames(keys, prop, frameCount), in = inputFrames(frames, frameCount);
		double fps = info.fps();
		if (info.variableFrameRate()) note(notes, String.format(java.util.Locale.ROOT,
			"the input has a variable frame rate: the output is written at its average %.3f fps (same duration)", fps));
		try {
			Files.createDirectories(video.getParent());
		}
		catch (IOException e) {
			throw new RerenderException("Cannot create the output folder " + video.getParent() + ": " + e.getMessage(), e);
		}
		VideoWriter.write(video, out, fps > 0 ? fps : ImageSequence.DEFAULT_FPS, info.hasAudio() ? cfg.input : null, progress, cancel);
		try { // a resume knows the video as its own
			org.rerender.work.AtomicFiles.write(workRoot.resolve(VIDEO_WRITTEN), t -> Files.writeString(t, videoStamp(video)));
		}
		catch (IOException e) {
			throw new RerenderException("Cannot write " + workRoot.resolve(VIDEO_WRITTEN) + ": " + e.getMessage(), e);
		}
		try (FlowEstimator flow = FrameFlows.estimator(flowMethod)) {
			ConsistencyReport.write(video, WarpingError.compute(in, out, flow, progress, cancel));
		}
		catch (RerenderException e) {
			throw e;
		}
		catch (Exception e) {
			throw new RerenderException("Consistency report failed: " + e.getMessage(), e);
		}
	}
}
