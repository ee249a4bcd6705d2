package org.rerender.fiji;

import org.rerender.engine.Progress;
import org.scijava.app.StatusService;

/** Shows engine progress in Fiji's status bar (message and progress bar, 0..1000). */
final class StatusProgress implements Progress {
	private final StatusService status;

	StatusProgress(StatusService status) {
		this.status = status;
	}

	@Override
	public void report(String stage, long done, long total) {
		if (status == null) return;
		if (total > 0) status.showStatus((int) Math.min(1000, done * 1000 / total), 1000, stage);
		else status.showStatus(stage);
	}
}
