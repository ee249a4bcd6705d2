package org.rerender.engine;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A cancel token the engine polls between steps and frames (and native code polls
 * through a flag). Fiji commands set it from {@code Cancelable.cancel}.
 */
public final class Cancel {

	/** A token nobody ever cancels. */
	public static final Cancel NEVER = new Cancel();

	private final AtomicBoolean requested = new AtomicBoolean();

	public void request() {
		if (this != NEVER) requested.set(true);
	}

	public boolean isRequested() {
		return requested.get();
	}

	/** @throws CancelledException if cancellation was requested */
	public void check() {
		if (requested.get()) throw new CancelledException();
	}
}
