package org.rerender.fiji;

import ij.ImagePlus;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowMethod;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.FolderIntermediateStore;
import org.rerender.propagate.FrameFlows;
import org.rerender.propagate.FrameSource;
import org.rerender.propagate.IntermediateStore;
import org.rerender.propagate.KeySchedule;
import org.rerender.propagate.PropagationOptions;
import org.rerender.propagate.PropagationInputs;
import org.rerender.propagate.Propagator;
import org.rerender.propagate.synth.PatchSynthesizer;
import org.rerender.video.VideoWriter;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

/**
 * {@code Plugins > Rerender > Propagate}: propagates stylised key frames to every frame of a clip
 * (Ebsynth-style synthesis and temporal blending), with no model at all. Frame numbers are 1-based
 * slice numbers; the first and the last frame are always key frames.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>Propagate", headless = true)
public class PropagateCommand extends EngineCommand {

	@Parameter(required = false)
	private StatusService status;

	@Parameter(label = "Input video (stack)", required = false, description = "The original frames as an open stack (any type, as displayed); a file or folder given below is used instead.")
	private ImagePlus input;

	@Parameter(label = "Input video file or frame folder", style = FileWidget.FILE_AND_DIRECTORY_STYLE, required = false, persist = false,
		description = "Used when no stack is given: a video file, or a folder of numbered frames (PNG, JPEG, TIFF or BMP, in the order of"
			+ " their numbers; its path can also be typed or pasted).")
	private File input_file;

	@Parameter(label = "Stylised key frames (stack)", required = false,
		description = "One slice per key frame in order, or a stack as long as the video (only key slices are used); a key folder given below is used instead.")
	private ImagePlus keys;

	@Parameter(label = "Key frame folder", style = FileWidget.DIRECTORY_STYLE, required = false, persist = false,
		description = "Used when no key stack is given: one image per key frame, in the order of the numbers in their names"
			+ " (key_2 before key_10; without numbers, by name).")
	private File key_folder;

	@Parameter(label = "Key frame interval", min = "1", max = "10000", description = "Key frames 1, 1+K, 1+2K, … and the last frame.")
	private int key_interval = 10;

	@Parameter(label = "Key frames (list)", required = false, persist = false,
		description = "Comma-separated 1-based frame numbers, e.g. 1,11,25; overrides the interval when given.")
	private String key_frames = "";

	@Parameter(label = "Poisson (gradient-domain) fusion", description = "Sharper blends, slightly slower.")
	private boolean poisson = true;

	@Parameter(label = "Parallel sequences", min = "1", max = "64", description = "Intervals propagated at once.")
	private int processes = 4;

	@Parameter(label = "Keep intermediates", persist = false, description = "Keep the forward/backward syntheses in the work folder (resumable).")
	private boolean keep_intermediates = false;

	@Parameter(label = "Work folder", style = FileWidget.DIRECTORY_STYLE, required = false, persist = false,
		description = "Where intermediates are kept (needed with 'Keep intermediates').")
	private File work_folder;

	@Parameter(label = "Output video file", style = FileWidget.SAVE_STYLE, required = false, persist = false,
		description = "Also write the result as an .mp4 video; leave empty for the stack only.")
	private File output_file;

	@Parameter(label = "Replace an existing output file", persist = false, // remembered, it would replace files unasked
		description = "Off: an existing output video file is refused before any work.")
	private boolean overwrite = false;

	@Parameter(label = "Frame rate (0 = the input's)", min = "0", max = "1000", stepSize = "0.01", persist = false, // a remembered rate must not override the input's
		description = "Frames per second of the output (video file and stack); 0 = the input's frame rate (stack or video file), else " + ImageFrames.DEFAULT_FPS + ".")
	private double fps = 0;

	@Parameter(type = ItemIO.OUTPUT, label = "Propagated")
	private ImagePlus output;

	@Override
	protected void execute() {
		ImagePlus stack = blank(input_file) && given(input) ? input : null; // a file or folder wins, as in the Rerender commands
		PropagationInputs.Clip file = stack != null ? null : PropagationInputs.readClip(path(input_file, "input video"));
		List<Rgb8Image> frames = stack != null ? ImageFrames.frames(stack) : file.frames();
		String source = stack != null ? "\"" + stack.getTitle() + "\"" : String.valueOf(input_file);
		int n = frames.size();
		if (n < 2) throw new RerenderException("Propagation needs a clip of at least 2 frames; " + source + " has " + n + ".");
		boolean video = !blank(output_file);
		if (video) {
			ImageFrames.checkEncodable(frames.get(0).width(), frames.get(0).height(), source);
			VideoWriter.checkOutputName(output_file.toPath()); // before the long work
			OutputFiles.checkReplaceable(output_file.toPath(), overwrite);
		}
		double known = ImageFrames.outputFps(fps, stack, file == null ? 0 : file.fps()); // before the long work
		KeySchedule schedule = PropagateKeys.schedule(key_frames, key_interval, n);
		List<Rgb8Image> keyImages = blank(key_folder) && given(keys) ? ImageFrames.frames(keys)
			: PropagationInputs.readFolder(path(key_folder, "key frame folder"));
		Map<Integer, Rgb8Image> keyMap = PropagationInputs.assignKeys(schedule, keyImages, n);
		IntermediateStore store = IntermediateStore.NONE;
		if (keep_intermediates) store = new FolderIntermediateStore(path(work_folder, "work folder").resolve("propagate-tmp"), "%05d.png");
		PropagationOptions options = PropagationOptions.defaults().withPoisson(poisson).withProcesses(processes);
		FrameSource clip = FrameSource.of(frames, keyMap);
		Propagator.validate(clip, schedule, options); // sizes and keys before the flow model loads
		List<Rgb8Image> out;
		try (FlowEstimator flow = FrameFlows.estimator(FlowMethod.AUTO)) {
			out = new Propagator(PatchSynthesizer.cpu(), FrameFlows.of(flow)).run(clip, schedule,
				options, store, progress(), cancelToken);
		}
		if (video) VideoWriter.write(output_file.toPath(), out, known > 0 ? known : ImageFrames.DEFAULT_FPS, null, Progress.NONE, cancelToken);
		output = ImageFrames.output(stack != null ? ImageFrames.baseTitle(stack) + " propagated" : "Propagated", out, stack);
		if (known > 0) ImageFrames.setFps(output, known);
	}

	private static boolean blank(File f) { return f == null || f.getPath().isBlank(); }

	/** SciJava may fill an unset image parameter with an empty ImagePlus. */
	private static boolean given(ImagePlus imp) {
		return imp != null && imp.getWidth() > 0 && imp.getStack().getSize() > 0;
	}

	private static Path path(File f, String what) {
		if (f == null || f.getPath().isBlank()) throw new RerenderException("No " + what + " was given.");
		if (!Files.exists(f.toPath())) throw new RerenderException("The " + what + " does not exist: " + f);
		return f.toPath();
	}

	private Progress progress() {
		return (stage, done, total) -> {
			if (status != null && total > 0) status.showStatus((int) Math.min(1000, done * 1000 / total), 1000, stage);
		};
	}
}
