package org.rerender.cli;

/** One {@code bin/rerender <name>} subcommand. */
public interface Subcommand {

	/** The word after {@code bin/rerender}. */
	String name();

	/** One line for the overview. */
	String summary();

	/** Full {@code --help} text. */
	String help();

	/**
	 * Runs the subcommand.
	 *
	 * @return the process exit code (0 = success)
	 * @throws Exception any failure; the launcher prints its message as one line and exits non-zero
	 */
	int run(String[] args) throws Exception;
}
