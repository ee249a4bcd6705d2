package org.rerender.work;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.video.FramePreparation;
import org.rerender.video.FrameVisitor;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;

/**
 * Step 1 of the pipeline: decodes the work folder's input video, prepares every frame ({@link FramePreparation})
 * and stores it as {@code frames/NNNN.png}. Resumes: frames already there (same input and settings) are decoded
 * but not rewritten; a finished step returns without decoding.
 */
public final class FramesStep {
	private FramesStep() {}

	/** The crop and the resolution (the job parameters of a work folder). */
	public static Map<String, Object> params(FramePreparation prep) {
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("crop", List.of(prep.left(), prep.right(), prep.top(), prep.bottom()));
		m.put("image_resolution", prep.resolution());
		return m;
	}

	/**
	 * The step's stamp parameters: {@link #params(FramePreparation)} and, for a rotated (phone) clip, the display
	 * rotation the frames are turned upright by ({@code input_rotation}, as the opened input says,
	 * {@link VideoReader#rotation()}): frames of a work folder made before the rotation was applied are then redone
	 * rather than resumed. Absent for 0 (and image files carry none), so unrotated work folders still resume.
	 */
	public static Map<String, Object> params(FramePreparation prep, int rotation) {
		Map<String, Object> m = params(prep);
		if (rotation != 0) m.put("input_rotation", rotation);
		return m;
	}

	/**
	 * The finished frames step.
	 *
	 * @param step    the step ({@link WorkStep#completeCount()} frames)
	 * @param input   the input as decoded, or as recorded in the step ({@value #INPUT_FILE}) when it was finished already
	 * @param decoded whether this run decoded the input (false: the step was finished and resumed as it was)
	 */
	public record Result(WorkStep step, VideoInfo input, boolean decoded) {}

	/**
	 * Runs (or resumes) the frames step, opening the work folder's input once: its rotation stamps the step and the
	 * same reader decodes it. An image-sequence input is read from the work folder's listing
	 * ({@link WorkFolder#sequence()}, the one its hash was made of) at the frame rate {@code sequenceFps}.
	 */
	public static Result run(WorkFolder work, FramePreparation prep, double sequenceFps, boolean overwrite, Progress progress,
		Cancel cancel)
	{
		if (work.input() == null) throw new RerenderException("The work folder has no input video");
		try (VideoReader input = work.sequence() != null ? VideoReader.open(work.sequence().withFps(sequenceFps)) : VideoReader.open(work.input())) {
			return run(work, input, prep, overwrite, progress, cancel);
		}
	}

	/**
	 * As {@link #run(WorkFolder, FramePreparation, double, boolean, Progress, Cancel)} with the work folder's input
	 * opened by the caller (e.g. before the work folder was written, so that a file that is no video fails first), not
	 * read yet; the caller closes it. A finished step decodes nothing (a step finished by an older version, without the
	 * record of its input, probes the input once and records it).
	 */
	public static Result run(WorkFolder work, VideoReader input, FramePreparation prep, boolean overwrite, Progress progress,
		Cancel cancel)
	{
		if (work.input() == null) throw new RerenderException("The work folder has no input video");
		WorkStep step = work.step(WorkFolder.FRAMES, params(prep, input.rotation()), overwrite);
		if (step.isComplete() && step.indices(WorkStep.PNG).size() == step.completeCount()) {
			// a sequence is described by its listing at the rate given now (its record is not read)
			if (input.sequence() != null) return new Result(step, input.sequence().info(), false);
			VideoInfo recorded = readInfo(step);
			if (recorded == null) {
				recorded = VideoReader.probe(work.input(), progress, cancel);
				writeInfo(step, recorded);
			}
			return new Result(step, recorded, false);
		}
		FrameVisitor write = (i, frame) -> {
			if (!step.has(i, WorkStep.PNG)) step.writePng(i, prep.apply(frame));
		};
		VideoInfo info = VideoReader.forEachFrame(input, write, progress, cancel);
		writeInfo(step, info);
		step.markComplete(info.frameCount());
		return new Result(step, info, true);
	}

	/** The step's record of its input, as decoded. */
	static final String INPUT_FILE = "input.json";

	private static void writeInfo(WorkStep step, VideoInfo info) {
		JsonObject o = new JsonObject();
		o.addProperty("width", info.width());
		o.addProperty("height", info.height());
		o.addProperty("fps", info.fps());
		o.addProperty("frame_count", info.frameCount());
		o.addProperty("has_audio", info.hasAudio());
		o.addProperty("codec", info.codec());
		o.addProperty("container", info.container());
		o.addProperty("declared_fps", info.declaredFps());
		o.addProperty("rotation", info.rotation());
		step.write(INPUT_FILE, t -> Files.writeString(t, o + "\n", StandardCharsets.UTF_8));
	}

	/** The recorded input, or null when there is no (readable) record. */
	private static VideoInfo readInfo(WorkStep step) {
		Path f = step.dir().resolve(INPUT_FILE);
		if (!Files.isRegularFile(f)) return null;
		try {
			JsonObject o = JsonParser.parseString(Files.readString(f, StandardCharsets.UTF_8)).getAsJsonObject();
			return new VideoInfo(o.get("width").getAsInt(), o.get("height").getAsInt(), o.get("fps").getAsDouble(),
				o.get("frame_count").getAsInt(), o.get("has_audio").getAsBoolean(), o.get("codec").getAsString(),
				o.get("container").getAsString(), o.get("declared_fps").getAsDouble(), o.get("rotation").getAsInt());
		}
		catch (IOException | RuntimeException e) {
			return null; // probed again and rewritten
		}
	}
}
