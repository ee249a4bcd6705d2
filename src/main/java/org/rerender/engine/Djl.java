package org.rerender.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * The single entry point to DJL. It sets offline mode and the telemetry opt-out
 * <em>before</em> the first engine call: without them DJL tries to download natives
 * and to reach a tracking address, neither of which a Fiji user (or CI) wants.
 */
public final class Djl {

	private static volatile Engine engine;

	private Djl() {}

	/** Sets DJL's offline and no-tracking switches unless the user set them already. */
	public static void configure() {
		if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
		if (System.getProperty("OPT_OUT_TRACKING") == null) System.setProperty("OPT_OUT_TRACKING", "true");
	}

	/** The PyTorch engine, loaded once. */
	public static Engine engine() {
		Engine e = engine;
		if (e == null) {
			synchronized (Djl.class) {
				if (engine == null) {
					configure();
					try {
						engine = Engine.getEngine("PyTorch");
					}
					catch (RuntimeException | UnsatisfiedLinkError ex) {
						throw new RerenderException("Could not load the PyTorch engine (libtorch): " + ex.getMessage()
							+ ". See README, section Troubleshooting.", ex);
					}
				}
				e = engine;
			}
		}
		return e;
	}

	/** A new root manager on the given device; the caller closes it. */
	public static NDManager newManager(Device device) {
		return engine().newBaseManager(device);
	}

	/** A new root manager on the CPU; the caller closes it. */
	public static NDManager newCpuManager() {
		return newManager(Device.cpu());
	}
}
