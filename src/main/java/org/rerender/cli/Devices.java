package org.rerender.cli;

import org.rerender.engine.DeviceChoice;
import org.rerender.engine.Djl;

/** The {@code --device auto|cpu|cuda:N} option shared by the subcommands that run the diffusion models. */
final class Devices {
	static final String OPTION = "--device";

	private Devices() {}

	/** Resolves the option; when {@code auto} falls back to the CPU it says why in one line on stderr. */
	static DeviceChoice.Resolved resolve(Args a, String subcommand) {
		DeviceChoice.Resolved r = DeviceChoice.parse(a.string(OPTION, "auto")).resolve(Djl.engine());
		if (r.reason() != null) System.err.println("rerender " + subcommand + ": device " + r.describe());
		return r;
	}
}
