package org.rerender.work;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.video.FramePreparation;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;

/**
 * Step 1 of the pipeline: decodes the work folder's input video, prepares every frame ({@link FramePreparation})
 * and stores it as {@code frames/NNNN.png}. Resumes: frames already there (same input and settings) are decoded
 * but not rewritten; a finished step returns at once.
 */
public final class FramesStep {
	private FramesStep() {}

	/** The step's stamp parameters: the crop and the resolution. */
	public static Map<String, Object> params(FramePreparation prep) {
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("crop", List.of(prep.left(), prep.right(), prep.top(), prep.bottom()));
		m.put("image_resolution", prep.resolution());
		return m;
	}

	/** Runs (or resumes) the frames step; returns the finished step ({@link WorkStep#completeCount()} frames). */
	public static WorkStep run(WorkFolder work, FramePreparation prep, boolean overwrite, Progress progress,
		Cancel cancel)
	{
		if (work.input() == null) throw new RerenderException("The work folder has no input video");
		WorkStep step = work.step(WorkFolder.FRAMES, params(prep), overwrite);
		if (step.isComplete() && step.indices(WorkStep.PNG).size() == step.completeCount()) return step;
		VideoInfo info = VideoReader.forEachFrame(work.input(), (i, frame) -> {
			if (!step.has(i, WorkStep.PNG)) step.writePng(i, prep.apply(frame));
		}, progress, cancel);
		step.markComplete(info.frameCount());
		return step;
	}
}
