package org.rerender.engine;

/**
 * Where long-running engine work reports how far it is. The Fiji layer adapts it to
 * the status bar / task service, the CLI to a line on stderr.
 */
@FunctionalInterface
public interface Progress {

	/** Reports that {@code done} of {@code total} units of {@code stage} are finished. */
	void report(String stage, long done, long total);

	/** A sink that ignores everything. */
	Progress NONE = (stage, done, total) -> {};
}
