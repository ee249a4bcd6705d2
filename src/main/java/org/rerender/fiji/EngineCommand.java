package org.rerender.fiji;

import org.rerender.engine.Cancel;
import org.rerender.engine.RerenderException;
import org.scijava.command.ContextCommand;

/**
 * A command whose work reports failures as {@link RerenderException}s: one cancels the command with its message (a
 * macro stops with it, a script sees {@code module.isCanceled()} and {@code getCancelReason()}), with no stack trace.
 * Cancelling the command also requests {@link #cancelToken}, which the engine polls between steps.
 */
abstract class EngineCommand extends ContextCommand {

	/** Polled by the engine; requested when the command is cancelled. */
	protected final Cancel cancelToken = new Cancel();

	@Override
	public final void run() {
		try {
			execute();
		}
		catch (RerenderException e) { // a clear reason, no stack trace
			cancel(e.getMessage());
		}
	}

	/** The command's work; a {@link RerenderException} cancels the command with its message. */
	protected abstract void execute();

	@Override
	public void cancel(String reason) {
		super.cancel(reason);
		cancelToken.request();
	}
}
