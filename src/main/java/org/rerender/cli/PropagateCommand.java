package org.rerender.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.AbstractList;
import java.util.Set;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowMethod;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.FolderFrames;
import org.rerender.propagate.FrameFlows;
import org.rerender.propagate.KeySchedule;
import org.rerender.propagate.PropagationOptions;
import org.rerender.propagate.Propagator;
import org.rerender.propagate.synth.PatchSynthesizer;
import org.rerender.video.VideoWriter;

/**
 * {@code rerender propagate NAME …}: the original's standalone blending script
 * ({@code video_blend.py}) with the same arguments, defaults and folder layout.
 */
final class PropagateCommand implements Subcommand {

	@Override
	public String name() {
		return "propagate";
	}

	@Override
	public String summary() {
		return "propagate stylised key frames to every frame (video_blend.py compatible)";
	}

	@Override
	public String help() {
		return """
			Usage: rerender propagate NAME [--output FILE] [--fps F] [--beg B] [--end E] [--itv K] [--key SUBDIR]
			                          [--n_proc N] [-ps] [-ne] [-tmp] [--threads T] [--flow dis|gmflow|auto]

			Same arguments and folder layout as the original's video_blend.py:
			  NAME/video/0001.png …   the input frames (1-based, 4 digits)
			  NAME/SUBDIR/0001.png …  the stylised key frames B, B+K, B+2K, … (and E when those miss it)
			  NAME/blend/NNNN.png     every output frame, numbered as the input frames (written here)
			  NAME/tmp/               per-direction syntheses and error maps (deleted unless -tmp)

			Options (defaults as video_blend.py unless noted):
			  --output FILE   also write the frames as a video (H.264 .mp4)           (default: none)
			  --fps F         frame rate of that video                                 (default 30)
			  --beg B         first frame number                                       (default 1)
			  --end E         last frame number; always output and always a key frame (default: last frame
			                  in NAME/video; the original's default is 101)
			  --itv K         key frame interval                                       (default 10)
			  --key SUBDIR    subfolder of the stylised key frames                     (default keys0)
			  --n_proc N      sequences propagated in parallel                         (default 8)
			  -ps             Poisson gradient-domain fusion after the histogram blend (default off)
			  -ne             no synthesis: re-blend the syntheses kept by an earlier run with -tmp
			                  (all of NAME/blend is rewritten)
			  -tmp            keep NAME/tmp (the per-direction syntheses)
			  --threads T     total CPU threads (ours; default: all cores)
			  --flow M        optical flow: dis, gmflow or auto (ours; default auto = GMFlow if installed, else DIS)

			Finished frames in NAME/blend are kept, so an interrupted run resumes where it stopped
			(delete NAME/blend to redo everything).
			""";
	}

	@Override
	public int run(String[] argv) throws Exception {
		Args a = Args.parse(argv, Set.of("-ps", "-ne", "-tmp"),
			Set.of("--output", "--fps", "--beg", "--end", "--itv", "--key", "--n_proc", "--threads", "--flow"));
		if (a.positionals().size() != 1) throw new UsageException("expected one NAME (the folder holding video/ and the key frames)");
		Path base = Path.of(a.positionals().get(0));
		if (!Files.isDirectory(base)) throw new RerenderException("Folder not found: " + base);
		FolderFrames folder = FolderFrames.standalone(base, a.string("--key", "keys0"));
		int beg = a.integer("--beg", 1);
		int end = a.integer("--end", folder.frameCount() - 1);
		KeySchedule schedule = KeySchedule.regular(beg, end, a.integer("--itv", 10));
		boolean reblend = a.flag("-ne");
		PropagationOptions options = PropagationOptions.defaults()
			.withPoisson(a.flag("-ps"))
			.withProcesses(a.integer("--n_proc", 8))
			.withThreads(a.integer("--threads", Runtime.getRuntime().availableProcessors()))
			.withSynthesisFromStore(reblend);
		double fps = a.number("--fps", 30);
		if (!(fps > 0)) throw new UsageException("--fps must be positive");
		if (a.has("--output")) VideoWriter.checkOutputName(a.path("--output", null)); // before the long work
		Progress progress = new LineProgress();
		try (FlowEstimator flow = FrameFlows.estimator(FlowMethod.parse(a.string("--flow", "auto")))) {
			// -ne re-blends every frame (FrameSink without has(): nothing counts as finished)
			new Propagator(PatchSynthesizer.cpu(), FrameFlows.of(flow)).run(folder, schedule, options,
				reblend ? folder::put : folder, folder, progress, Cancel.NEVER);
		}
		System.err.println();
		if (a.has("--output")) {
			Path out = a.path("--output", null);
			AbstractList<Rgb8Image> frames = new AbstractList<>() {
				@Override
				public Rgb8Image get(int i) {
					return FolderFrames.read(folder.outputDir().resolve(String.format("%04d.png", beg + i)));
				}

				@Override
				public int size() {
					return end - beg + 1;
				}
			};
			VideoWriter.Result r = VideoWriter.write(out, frames, fps, null, Progress.NONE, Cancel.NEVER);
			System.out.println("wrote " + r.frames() + " frames to " + r.file());
		}
		if (!a.flag("-tmp")) folder.deleteTemporaries();
		System.out.println("propagated frames " + beg + ".." + end + " (key frames " + schedule.keys() + ") into " + folder.outputDir());
		return 0;
	}

	/** Progress as one rewritten line on stderr. */
	private static final class LineProgress implements Progress {
		private long lastPercent = -1;

		@Override
		public synchronized void report(String stage, long done, long total) {
			long pct = total > 0 ? 100 * done / total : -1;
			if (pct == lastPercent) return;
			lastPercent = pct;
			System.err.print("\r" + stage + ": " + pct + "%");
		}
	}
}
