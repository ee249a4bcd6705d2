package org.rerender.cli;

/** Wrong command-line arguments; the launcher prints the message and points to --help. */
public class UsageException extends RuntimeException {
	private static final long serialVersionUID = 1L;

	public UsageException(String message) {
		super(message);
	}
}
