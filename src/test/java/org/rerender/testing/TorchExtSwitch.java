package org.rerender.testing;

import org.rerender.model.nn.TorchExt;

/** Runs a body with the fused ops of {@link TorchExt} switched on or off ({@code rerender.torchext}), then restores it. */
public final class TorchExtSwitch {
	private TorchExtSwitch() {}

	/** A body that may throw a checked exception (benchmarks write files). */
	@FunctionalInterface
	public interface Body<E extends Exception> {
		void run() throws E;
	}

	public static <E extends Exception> void with(boolean on, Body<E> body) throws E {
		String old = System.getProperty(TorchExt.PROPERTY);
		System.setProperty(TorchExt.PROPERTY, Boolean.toString(on));
		try {
			body.run();
		}
		finally {
			if (old == null) System.clearProperty(TorchExt.PROPERTY);
			else System.setProperty(TorchExt.PROPERTY, old);
		}
	}
}
