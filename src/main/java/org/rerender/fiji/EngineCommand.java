package org.rerender.fiji;

import org.rerender.engine.Cancel;
import org.rerender.engine.RerenderException;
import org.scijava.command.ContextCommand;

/**
 * A command whose work reports failures as {@link RerenderException}s: one cancels the command with its message (a
 * macro stops with it, a script sees {@code module.isCanceled()} and {@code getCancelReason()}), with no stack trace.
 * Cancelling the command also requests {@link #cancelToken}, which the engine polls between steps. While the work runs,
 * Esc in ImageJ cancels the command ({@link EscapeWatch}) with the reason {@link #CANCELLED_BY_ESC}; the outputs stay
 * unset then.
 */
abstract class EngineCommand extends ContextCommand {

	/** Polled by the engine; requested when the command is cancelled. */
	protected final Cancel cancelToken = new Cancel();

	/** The cancel reason when the user pressed Esc. */
	static final String CANCELLED_BY_ESC = "Cancelled (Esc pressed).";

	@Override
	public final void run() {
		try (EscapeWatch esc = EscapeWatch.start(() -> cancel(CANCELLED_BY_ESC))) {
			execute();
		}
		catch (RerenderException e) { // a clear reason, no stack trace; the first reason stays (Esc, then the engine's stop)
			if (!isCanceled()) cancel(e.getMessage());
		}
		catch (OutOfMemoryError e) { // e.g. a long clip opened at full size: what the command held is garbage now
			cancel(outOfMemory(Runtime.getRuntime().maxMemory()));
		}
	}

	/** The reason a command that ran out of Java memory is cancelled with: what to do about it. */
	static String outOfMemory(long maxBytes) {
		return String.format(java.util.Locale.ROOT, "Not enough memory: Fiji may use %.1f GB and this needs more."
			+ " Use a lower resolution, a crop or a shorter clip, close other images, or give Fiji more"
			+ " memory (Edit > Options > Memory & Threads, then restart Fiji).", maxBytes / 1e9);
	}

	/** The command's work; a {@link RerenderException} cancels the command with its message. */
	protected abstract void execute();

	@Override
	public void cancel(String reason) {
		super.cancel(reason);
		cancelToken.request();
	}
}
