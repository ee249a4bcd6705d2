package org.rerender.fiji;

import java.io.File;

import org.rerender.engine.Progress;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;
import org.scijava.app.StatusService;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.service.AbstractService;
import org.scijava.service.SciJavaService;
import org.scijava.service.Service;

/**
 * The plugin's SciJava service. It starts with Fiji, so {@link #initialize()} does nothing heavy: no natives, no
 * models. Later issues add the lazily loaded models here (and free them in {@link #dispose()}).
 */
@Plugin(type = Service.class)
public class RerenderService extends AbstractService implements SciJavaService {

	@Parameter(required = false)
	private StatusService status;

	@Parameter(required = false)
	private LogService log;

	/** A progress sink for the engine that reports to the status bar (throttled to whole percents). */
	public Progress progress() {
		if (status == null) return Progress.NONE;
		int[] last = { -1 };
		return (stage, done, total) -> {
			int pct = total > 0 ? (int) (100 * Math.min(done, total) / total) : -1;
			if (pct == last[0] && total > 0) return;
			last[0] = pct;
			if (total > 0) status.showStatus((int) Math.min(done, total), (int) total, stage);
			else status.showStatus(stage + " (" + done + ")");
		};
	}

	/** Clears the progress bar. */
	public void done() {
		if (status != null) status.clearStatus();
	}

	/** Logs a message the user should see (codec fallbacks, skipped audio). */
	public void warn(String message) {
		if (log != null) log.warn(message);
	}

	/** Decodes the whole video to count its frames (see {@link VideoReader#probe}). */
	public VideoInfo probe(File video) {
		return VideoReader.probe(video.toPath());
	}
}
