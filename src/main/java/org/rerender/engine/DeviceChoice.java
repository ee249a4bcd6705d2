package org.rerender.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;

import java.util.Locale;

/**
 * The user's device choice ({@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}) and its resolution against
 * the loaded engine. {@code auto} takes GPU 0 when the PyTorch natives have CUDA and a GPU is visible, and otherwise
 * the CPU with one sentence saying why. Precision follows the device: F16 on CUDA, F32 on the CPU.
 */
public record DeviceChoice(String spec, int gpu) {
	/** {@code gpu} is -1 for {@code cpu}, -2 for {@code auto}. */
	public static final int CPU = -1, AUTO = -2;

	/** Resolved choice: the device, the weights/activations type, and why {@code auto} chose it (or null). */
	public record Resolved(Device device, DataType dtype, String reason) {
		public String describe() {
			return (device.isGpu() ? "cuda:" + device.getDeviceId() : "cpu") + ", " + (dtype == DataType.FLOAT16 ? "F16" : "F32")
				+ (reason == null ? "" : " (" + reason + ")");
		}
	}

	public static DeviceChoice parse(String s) {
		String v = s == null ? "auto" : s.trim().toLowerCase(Locale.ROOT);
		if (v.isEmpty() || v.equals("auto")) return new DeviceChoice("auto", AUTO);
		if (v.equals("cpu")) return new DeviceChoice("cpu", CPU);
		if (v.equals("cuda") || v.equals("gpu")) return new DeviceChoice("cuda:0", 0);
		if (v.startsWith("cuda:") || v.startsWith("gpu:")) {
			try {
				int n = Integer.parseInt(v.substring(v.indexOf(':') + 1));
				if (n >= 0) return new DeviceChoice("cuda:" + n, n);
			}
			catch (NumberFormatException e) {
				// fall through to the error below
			}
		}
		throw new RerenderException("Unknown device '" + s + "': use auto, cpu, cuda or cuda:N (N = GPU index)");
	}

	/** Resolves against the engine; an explicit {@code cuda:N} that cannot work is an error, {@code auto} falls back. */
	public Resolved resolve(Engine engine) {
		if (gpu == CPU) return new Resolved(Device.cpu(), DataType.FLOAT32, null);
		boolean cuda = engine.hasCapability("CUDA");
		int count = cuda ? engine.getGpuCount() : 0;
		if (gpu == AUTO) {
			if (!cuda) return new Resolved(Device.cpu(), DataType.FLOAT32, "auto: the PyTorch natives have no CUDA; see README, GPU");
			if (count == 0) return new Resolved(Device.cpu(), DataType.FLOAT32, "auto: no GPU visible to CUDA");
			return new Resolved(Device.gpu(0), DataType.FLOAT16, null);
		}
		if (!cuda)
			throw new RerenderException("Device " + spec + " asked for, but the loaded PyTorch natives (libtorch " + engine.getVersion()
				+ ") have no CUDA. Use --device cpu, or point DJL at a CUDA libtorch (README, section GPU).");
		if (gpu >= count)
			throw new RerenderException("Device " + spec + " asked for, but CUDA sees " + count + " GPU(s). Use cuda:0…cuda:"
				+ Math.max(0, count - 1) + " or cpu.");
		return new Resolved(Device.gpu(gpu), DataType.FLOAT16, null);
	}
}
