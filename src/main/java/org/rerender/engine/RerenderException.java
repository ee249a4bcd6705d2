package org.rerender.engine;

/**
 * An error with a message meant for the user (bad input, missing model, impossible size).
 * Commands and the CLI show {@link #getMessage()} as it is, without a stack trace.
 */
public class RerenderException extends RuntimeException {
	private static final long serialVersionUID = 1L;

	public RerenderException(String message) {
		super(message);
	}

	public RerenderException(String message, Throwable cause) {
		super(message, cause);
	}
}
