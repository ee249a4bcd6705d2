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

	/**
	 * The first line of an exception's message, for a user message, without JavaCV's developer hints ("Has
	 * setFormat() been called?", "make sure FFmpegLogCallback.set() has been called") and with FFmpeg's common
	 * error numbers in words.
	 */
	static String shortReason(Throwable e) {
		String m = e.getMessage();
		if (m == null) return e.getClass().getSimpleName();
		int nl = m.indexOf('\n');
		m = nl > 0 ? m.substring(0, nl) : m;
		m = m.replace(" (Has setFormat() been called?)", "")
			.replace(" (For more details, make sure FFmpegLogCallback.set() has been called.)", "")
			.replace("error -1094995529:", "error (invalid data):")
			.replace("error -541478725:", "error (end of file):")
			.replace("error -2:", "error (no such file):")
			.replace("error -13:", "error (permission denied):");
		return m.trim();
	}
}
