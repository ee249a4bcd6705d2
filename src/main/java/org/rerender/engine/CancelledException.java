package org.rerender.engine;

/** Thrown by {@link Cancel#check()} once the user has asked to stop. */
public class CancelledException extends RerenderException {
	private static final long serialVersionUID = 1L;

	public CancelledException() {
		super("Cancelled by the user.");
	}
}
