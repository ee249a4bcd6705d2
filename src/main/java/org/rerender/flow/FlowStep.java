package org.rerender.flow;

import java.util.LinkedHashMap;
import java.util.Map;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.work.WorkFolder;
import org.rerender.work.WorkStep;

/**
 * The flow step of a work folder: optical flow and occlusion masks between every pair of neighbouring prepared
 * frames ({@code frames/NNNN.png}). Every file named N lies on frame N's pixel grid:
 *
 * <pre>
 * flow/NNNN.fwd.flo    flow frame N → N+1   (N = 0 … count−2)   Middlebury .flo, see {@link FlowFiles}
 * flow/NNNN.bwd.flo    flow frame N → N−1   (N = 1 … count−1)
 * masks/NNNN.fwd.png   pixels of N occluded in N+1 (255) — the forward consistency check
 * masks/NNNN.bwd.png   pixels of N occluded in N−1 (255) — the backward check, the mask the original uses
 * </pre>
 *
 * Resumes: pairs whose four files exist are skipped; a change of method (or of the frames) is refused unless
 * {@code overwrite}.
 */
public final class FlowStep {
	public static final String FWD_FLO = "fwd.flo", BWD_FLO = "bwd.flo", FWD_MASK = "fwd.png", BWD_MASK = "bwd.png";

	private FlowStep() {}

	/** The finished step folders. */
	public record Result(WorkStep flow, WorkStep masks, FlowMethod method, int pairs, int computed) {}

	/** The stamp parameters of the flow and mask steps. */
	public static Map<String, Object> params(FlowMethod resolved) {
		Map<String, Object> m = new LinkedHashMap<>();
		m.put("flow_method", resolved.id());
		if (resolved == FlowMethod.DIS) m.put("dis", DisFlowEstimator.Settings.defaults().toString());
		m.put("occlusion", "fb-check alpha " + FlowOps.ALPHA + " beta " + FlowOps.BETA);
		return m;
	}

	/** Runs (or resumes) the step on a finished frames step. */
	public static Result run(WorkFolder work, WorkStep frames, FlowMethod method, boolean overwrite, Progress progress,
		Cancel cancel)
	{
		int count = frames.completeCount();
		if (!frames.isComplete() || count < 0) throw new RerenderException("The frames step is not finished; prepare the frames first");
		if (count < 2) throw new RerenderException("Optical flow needs at least 2 frames, the video has " + count);
		org.rerender.image.Rgb8Image first = frames.readPng(0);
		if (first.width() < 2 || first.height() < 2)
			throw new RerenderException("Frames of " + first.width() + "x" + first.height() + " pixels are too small for optical flow"
				+ " (at least 2x2): resize them (resolution) or crop less.");
		FlowMethod resolved = FlowEstimators.resolve(method);
		Map<String, Object> params = params(resolved);
		WorkStep flow = work.step(WorkFolder.FLOW, params, overwrite, frames);
		WorkStep masks = work.step(WorkFolder.MASKS, params, overwrite, flow);
		int[] computed = { 0 };
		try (FlowEstimator est = FlowEstimators.create(resolved)) {
			FlowSequence.run(est, frames::readPng, count,
				i -> flow.has(i, FWD_FLO) && flow.has(i + 1, BWD_FLO) && masks.has(i, FWD_MASK) && masks.has(i + 1, BWD_MASK),
				p -> {
					int i = p.index();
					FlowFiles.writeFlo(flow.file(i, FWD_FLO), p.flow().forward());
					FlowFiles.writeFlo(flow.file(i + 1, BWD_FLO), p.flow().backward());
					FlowFiles.writeMaskPng(masks.file(i, FWD_MASK), p.forwardOcclusion());
					FlowFiles.writeMaskPng(masks.file(i + 1, BWD_MASK), p.backwardOcclusion());
					computed[0]++;
				}, progress, cancel);
		}
		flow.markComplete(count - 1);
		masks.markComplete(count - 1);
		return new Result(flow, masks, resolved, count - 1, computed[0]);
	}
}
