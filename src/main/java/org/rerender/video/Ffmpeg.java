package org.rerender.video;

import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_ERROR;
import static org.bytedeco.ffmpeg.global.avutil.AV_LOG_QUIET;
import static org.bytedeco.ffmpeg.global.avutil.av_log_set_level;

/** One-time FFmpeg set-up shared by reader and writer. */
final class Ffmpeg {
	private static volatile boolean done;

	private Ffmpeg() {}

	/** Keeps FFmpeg quiet (errors only, or nothing with -Drerender.ffmpeg.quiet=true). */
	static void init() {
		if (done) return;
		synchronized (Ffmpeg.class) {
			if (!done) {
				av_log_set_level(Boolean.getBoolean("rerender.ffmpeg.quiet") ? AV_LOG_QUIET : AV_LOG_ERROR);
				done = true;
			}
		}
	}

	/** The first line of an exception's message, for a user message. */
	static String shortReason(Throwable e) {
		String m = e.getMessage();
		if (m == null) return e.getClass().getSimpleName();
		int nl = m.indexOf('\n');
		return nl > 0 ? m.substring(0, nl) : m;
	}
}
