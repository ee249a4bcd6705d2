package org.rerender.cli;

import org.rerender.engine.DeviceChoice;
import org.rerender.engine.Djl;

/** The {@code --device auto|cpu|cuda:N} option shared by the subcommands that run the diffusion models. */
final class Devices {
	static final String OPTION = "--device";

	private Devices() {}

	/** Resolves the option (an impossible explicit choice is an error). */
	static DeviceChoice.Resolved resolve(Args a) {
		return DeviceChoice.parse(a.string(OPTION, "auto")).resolve(Djl.engine());
	}

	/**
	 * When {@code auto} fell back to the CPU, says why in one line on stderr. Called once the models are loaded,
	 * so a failure stays a single line.
	 */
	static void report(DeviceChoice.Resolved r, String subcommand) {
		if (r.reason() != null) System.err.println("rerender " + subcommand + ": device " + r.describe());
	}
}
