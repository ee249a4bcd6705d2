package org.rerender.fiji;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import ij.IJ;

/**
 * Esc in ImageJ cancels the running commands, as it stops ImageJ's own plugins and macros. A watch registered by a
 * command is polled every {@value #POLL_MILLIS} ms by one shared daemon thread: when {@link IJ#escapePressed()} is
 * set, every registered watch fires once (its command cancels and requests its engine cancel token, which the engine
 * polls between steps and frames, and native code through its flag) and the Esc flag is reset, so the next command
 * does not see it. A command clears a stale Esc (pressed before it started) when it starts. With no command running
 * the flag is left alone.
 */
final class EscapeWatch implements AutoCloseable {
	static final long POLL_MILLIS = 100;

	private static final Set<EscapeWatch> ACTIVE = ConcurrentHashMap.newKeySet();
	private static ScheduledExecutorService poller;

	private final Runnable onEscape;

	private EscapeWatch(Runnable onEscape) {
		this.onEscape = onEscape;
	}

	/** Clears a stale Esc and calls {@code onEscape} once when Esc is pressed before {@link #close()}. */
	static EscapeWatch start(Runnable onEscape) {
		EscapeWatch w = new EscapeWatch(onEscape);
		IJ.resetEscape();
		ACTIVE.add(w);
		startPoller();
		return w;
	}

	private static synchronized void startPoller() {
		if (poller != null) return;
		poller = Executors.newSingleThreadScheduledExecutor(r -> {
			Thread t = new Thread(r, "Rerender Esc watch");
			t.setDaemon(true);
			return t;
		});
		poller.scheduleWithFixedDelay(EscapeWatch::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
	}

	/** One poll: on Esc, fires and removes every registered watch, then resets the flag. */
	static void poll() {
		if (ACTIVE.isEmpty() || !IJ.escapePressed()) return;
		for (EscapeWatch w : ACTIVE)
			if (ACTIVE.remove(w)) {
				try {
					w.onEscape.run();
				}
				catch (RuntimeException e) { // a failing callback must not stop the poller for the others
					IJ.log("Rerender: cancelling on Esc failed: " + e);
				}
			}
		IJ.resetEscape();
	}

	@Override
	public void close() {
		ACTIVE.remove(this);
	}
}
