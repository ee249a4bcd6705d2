package org.rerender.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.flow.FlowEstimators;
import org.rerender.flow.FlowMethod;
import org.rerender.flow.FlowStep;
import org.rerender.video.FramePreparation;
import org.rerender.video.ImageSequence;
import org.rerender.video.VideoReader;
import org.rerender.work.FramesStep;
import org.rerender.work.WorkFolder;
import org.rerender.work.WorkLock;
import org.rerender.work.WorkStep;

/** {@code rerender flow INPUT --out DIR}: prepared frames, optical flow and occlusion masks into a work folder. */
final class FlowSubcommand implements Subcommand {

	@Override
	public String name() {
		return "flow";
	}

	@Override
	public String summary() {
		return "optical flow and occlusion masks of a video into a work folder";
	}

	@Override
	public String help() {
		return """
			Usage: rerender flow INPUT --out DIR [--method dis|gmflow|auto] [--crop L,R,T,B] [--resolution R] [--overwrite]

			Decodes INPUT (any video FFmpeg reads, or a folder of numbered frames), prepares its frames (crop, then long side R, sides multiples of 64)
			into DIR/frames/NNNN.png, then computes for every pair of neighbouring frames the forward and backward
			optical flow and both occlusion masks (forward-backward check, alpha 0.01, beta 0.5):
			  DIR/flow/NNNN.fwd.flo    flow frame N -> N+1, on frame N's grid (Middlebury .flo, float32 u,v in pixels)
			  DIR/flow/NNNN.bwd.flo    flow frame N -> N-1, on frame N's grid
			  DIR/masks/NNNN.fwd.png   pixels of frame N occluded in frame N+1 (255), visible (0)
			  DIR/masks/NNNN.bwd.png   pixels of frame N occluded in frame N-1 (255), visible (0)
			Rerunning resumes: finished files are kept. Changed settings are refused unless --overwrite.

			Options:
			  --out DIR         the work folder (created; shared with the other steps of a job)
			  --method M        dis (OpenCV DIS, no weights), gmflow (needs its weights), auto (default:
			                    gmflow when installed, else dis)
			  --crop L,R,T,B    pixels removed from the left, right, top, bottom edges (default 0,0,0,0)
			  --resolution R    long side after resizing (default 512, as the pipeline; 0 keeps the size)
			  --overwrite       redo the frames/flow steps whose settings changed
			""";
	}

	@Override
	public int run(String[] argv) {
		Args a = Args.parse(argv, Set.of("--overwrite"), Set.of("--out", "--method", "--crop", "--resolution"));
		if (a.positionals().size() != 1) throw new UsageException("expected one INPUT video");
		Path input = Path.of(a.positionals().get(0));
		Path out = Path.of(a.required("--out"));
		FlowMethod method = FlowMethod.parse(a.string("--method", "auto"));
		int[] crop = parseCrop(a.string("--crop", "0,0,0,0"));
		int resolution = a.integer("--resolution", 512);
		if (resolution < 0) throw new UsageException("--resolution must be 0 or positive");
		FramePreparation prep = FramePreparation.of(crop, resolution);
		boolean overwrite = a.flag("--overwrite");
		String unavailable = FlowEstimators.unavailableReason(method);
		if (unavailable != null) throw new RerenderException(unavailable);
		Map<String, Object> params = new LinkedHashMap<>(FramesStep.params(prep));
		params.put("flow_method", method.id());
		Progress progress = new LineProgress();
		// a frame folder is listed (and its headers read) once; a missing or non-video file fails at its opening, before
		// anything is written; the one reader serves the frames step (rotation and frames; a truncated file fails there)
		ImageSequence sequence = ImageSequence.isSequence(input) ? ImageSequence.open(input, ImageSequence.DEFAULT_FPS) : null;
		WorkLock lock = null; // not while another run writes there
		FlowStep.Result r;
		try {
			WorkFolder work;
			WorkStep frames;
			try (VideoReader reader = sequence != null ? VideoReader.open(sequence) : VideoReader.open(input)) {
				lock = WorkLock.acquire(out);
				work = sequence != null ? WorkFolder.openSequence(out, sequence, params) : WorkFolder.open(out, input, params);
				frames = FramesStep.run(work, reader, prep, overwrite, progress, Cancel.NEVER).step();
			}
			r = FlowStep.run(work, frames, method, overwrite, progress, Cancel.NEVER);
		}
		finally {
			if (lock != null) lock.close();
		}
		System.err.println();
		System.out.printf("%s flow for %d frame pairs (%d computed, %d kept) in %s and %s%n", r.method().id(), r.pairs(),
			r.computed(), r.pairs() - r.computed(), r.flow().dir(), r.masks().dir());
		return 0;
	}

	static int[] parseCrop(String s) {
		String[] p = s.split(",");
		if (p.length != 4) throw new UsageException("--crop needs four integers L,R,T,B, got '" + s + "'");
		int[] c = new int[4];
		for (int i = 0; i < 4; i++) {
			try {
				c[i] = Integer.parseInt(p[i].trim());
			}
			catch (NumberFormatException e) {
				throw new UsageException("--crop needs four integers L,R,T,B, got '" + s + "'");
			}
			if (c[i] < 0) throw new UsageException("--crop values must not be negative");
		}
		return c;
	}

	/** Progress as one rewritten line on stderr. */
	private static final class LineProgress implements Progress {
		private String last = "";

		@Override
		public synchronized void report(String stage, long done, long total) {
			String line = total > 0 ? stage + ": " + (100 * done / total) + "%" : stage + ": " + done;
			if (line.equals(last)) return;
			last = line;
			System.err.print("\r" + line + "   ");
		}
	}
}
