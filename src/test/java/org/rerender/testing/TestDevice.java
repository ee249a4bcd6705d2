package org.rerender.testing;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.Djl;
import org.rerender.engine.RerenderException;
import org.rerender.model.nn.TorchExt;

/**
 * The device the fixture parity tests run on: system property {@value #PROPERTY}, {@code cpu} (default) or
 * {@code cuda} / {@code cuda:N}, parsed and checked by {@link DeviceChoice} ({@code auto} is refused: a parity run
 * names its device). Always F32, whatever the device (the fixtures' tolerances are F32 ones).
 *
 * <p>On a GPU it first switches TF32 off for cuDNN convolutions and cuBLAS matmuls ({@link TorchExt#allowTf32}):
 * PyTorch allows TF32 convolutions by default on Ampere and later cards (about 1e-3 relative error, above the
 * fixtures' 1e-4). Without libRerenderTorchExt that switch is missing and a GPU run fails instead of comparing
 * TF32 results. A device that cannot work (no CUDA natives, no such GPU) fails every use with the reason.
 */
public final class TestDevice {
	/** System property naming the device: {@code cpu}, {@code cuda}, {@code cuda:N}. */
	public static final String PROPERTY = "rerender.test.device";

	private static volatile Device device;

	private TestDevice() {}

	/** The device of {@value #PROPERTY} (default {@code cpu}), resolved once; on a GPU TF32 is off from then on. */
	public static Device device() {
		Device d = device;
		if (d == null) {
			synchronized (TestDevice.class) {
				d = device;
				if (d == null) {
					d = resolve(System.getProperty(PROPERTY, "cpu"), Djl.engine());
					if (d.isGpu()) switchOffTf32(d);
					device = d;
				}
			}
		}
		return d;
	}

	/** A new root manager on {@link #device()}; the caller closes it (on the CPU: what {@link Djl#newCpuManager} gives). */
	public static NDManager newManager() {
		return Djl.newManager(device());
	}

	/** Whether the parity tests run on a GPU. */
	public static boolean isGpu() {
		return device().isGpu();
	}

	/** The device of {@code spec} against {@code engine}; an {@link IllegalStateException} saying why when it cannot be used. */
	static Device resolve(String spec, Engine engine) {
		DeviceChoice choice;
		try {
			choice = DeviceChoice.parse(spec);
		}
		catch (RerenderException e) {
			throw new IllegalStateException(PROPERTY + "=" + spec + ": " + e.getMessage(), e);
		}
		if (choice.gpu() == DeviceChoice.AUTO)
			throw new IllegalStateException(PROPERTY + "=" + spec + ": a parity run names its device: cpu, cuda or cuda:N, not auto");
		try {
			return choice.resolve(engine).device();
		}
		catch (RerenderException e) {
			throw new IllegalStateException(PROPERTY + "=" + spec + ": " + e.getMessage()
				+ " (the parity tests do not fall back to the CPU; -D" + PROPERTY + "=cpu runs them there)", e);
		}
	}

	private static void switchOffTf32(Device d) {
		try {
			TorchExt.allowTf32(false);
		}
		catch (IllegalStateException e) {
			throw new IllegalStateException(PROPERTY + "=cuda:" + d.getDeviceId() + " needs libRerenderTorchExt to switch TF32 off"
				+ " (without it cuDNN convolutions run in TF32 and the F32 tolerances mean nothing): " + e.getMessage(), e);
		}
	}
}
