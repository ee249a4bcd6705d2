package org.rerender.work;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.video.FramePreparation;
import org.rerender.video.FrameVisitor;
import org.rerender.video.ImageSequence;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;

/**
 * Step 1 of the pipeline: decodes the work folder's input video, prepares every frame ({@link FramePreparation})
 * and stores it as {@code frames/NNNN.png}. Resumes: frames already there (same input and settings) are decoded
 * but not rewritten; a finished step returns at once.
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
	 * rotation the frames were turned upright by ({@code input_rotation}): frames of a work folder made before the
	 * rotation was applied are then redone rather than resumed. Absent for 0, so unrotated work folders still resume.
	 */
	public static Map<String, Object> params(WorkFolder work, FramePreparation prep) {
		Map<String, Object> m = params(prep);
		if (work.input() != null && work.sequence() == null) { // image files carry no display rotation
			try (VideoReader r = VideoReader.open(work.input())) {
				if (r.rotation() != 0) m.put("input_rotation", r.rotation());
			}
		}
		return m;
	}

	/** Runs (or resumes) the frames step; returns the finished step ({@link WorkStep#completeCount()} frames). */
	public static WorkStep run(WorkFolder work, FramePreparation prep, boolean overwrite, Progress progress,
		Cancel cancel)
	{
		if (work.input() == null) throw new RerenderException("The work folder has no input video");
		WorkStep step = work.step(WorkFolder.FRAMES, params(work, prep), overwrite);
		fill(work, step, prep, ImageSequence.DEFAULT_FPS, progress, cancel);
		return step;
	}

	/**
	 * Runs (or resumes) the frames step the caller made with {@link #params(WorkFolder, FramePreparation)} (so that a
	 * job reads the input's rotation once); returns the input as decoded, or null when the step was complete already.
	 * An image-sequence input is read from the work folder's listing ({@link WorkFolder#sequence()}, the one its hash
	 * was made of) at {@code sequenceFps}.
	 */
	public static VideoInfo fill(WorkFolder work, WorkStep step, FramePreparation prep, double sequenceFps, Progress progress,
		Cancel cancel)
	{
		if (work.input() == null) throw new RerenderException("The work folder has no input video");
		if (step.isComplete() && step.indices(WorkStep.PNG).size() == step.completeCount()) return null;
		FrameVisitor write = (i, frame) -> {
			if (!step.has(i, WorkStep.PNG)) step.writePng(i, prep.apply(frame));
		};
		VideoInfo info = work.sequence() != null
			? VideoReader.forEachFrame(work.sequence().withFps(sequenceFps), write, progress, cancel)
			: VideoReader.forEachFrame(work.input(), write, progress, cancel);
		step.markComplete(info.frameCount());
		return info;
	}
}
