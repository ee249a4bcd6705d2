package org.rerender.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** The java.util.logging records a class's logger publishes while open (tests that check what is said, and how often). */
public final class CapturedLog implements AutoCloseable {
	private final Logger logger;
	private final List<LogRecord> records = new CopyOnWriteArrayList<>();
	private final Handler handler = new Handler() {
		@Override
		public void publish(LogRecord r) {
			records.add(r);
		}

		@Override
		public void flush() {}

		@Override
		public void close() {}
	};

	private CapturedLog(Class<?> source) {
		logger = Logger.getLogger(source.getName());
		logger.addHandler(handler);
	}

	/** Starts capturing what the logger named after {@code source} publishes. */
	public static CapturedLog of(Class<?> source) {
		return new CapturedLog(source);
	}

	/** The messages published so far, in order. */
	public List<String> messages() {
		return records.stream().map(LogRecord::getMessage).toList();
	}

	/** The messages published so far at exactly {@code level}. */
	public List<String> messages(Level level) {
		return records.stream().filter(r -> r.getLevel() == level).map(LogRecord::getMessage).toList();
	}

	@Override
	public void close() {
		logger.removeHandler(handler);
	}
}
