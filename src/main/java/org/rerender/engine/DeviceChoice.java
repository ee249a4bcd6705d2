package org.rerender.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;

import java.util.Locale;

/**
 * The user's device choice ({@code auto}, {@code cpu}, {@code cuda} or {@code cuda:N}) and its resolution against
 * the loaded engine. {@code auto} takes GPU 0 when the PyTorch natives have CUDA, a GPU is visible and it has at least
 * {@link #MIN_FREE_BYTES} free, and otherwise the CPU with one sentence saying why ({@link #auto}). Precision follows
 * the device: F16 on CUDA, F32 on the CPU.
 */
public record DeviceChoice(String spec, int gpu) {
	/** {@code gpu} is -1 for {@code cpu}, -2 for {@code auto}. */
	public static final int CPU = -1, AUTO = -2;

	/**
	 * Free GPU memory (device-wide, {@link GpuMemory}) below which {@code auto} takes the CPU: 4 GiB, what the smallest
	 * useful key frame needs at F16 (weights 2.65 GiB + CUDA context 0.5 GiB + a 256×256 frame ≈ 1.1 GiB, from the
	 * README's GPU measurements), and the original's floor for {@code use_limit_device_resolution}. An explicit
	 * {@code cuda:N} is never refused for memory (an out-of-memory failure then says which size fits).
	 */
	public static final long MIN_FREE_BYTES = 4L << 30;

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
		return resolve(engine, false);
	}

	/**
	 * As {@link #resolve(Engine)}; {@code holdingGpu}: this process already holds its models on GPU 0 (their memory
	 * is not free but ours, so {@code auto} keeps the GPU without a memory check).
	 */
	public Resolved resolve(Engine engine, boolean holdingGpu) {
		if (gpu == CPU) return new Resolved(Device.cpu(), DataType.FLOAT32, null);
		boolean cuda = engine.hasCapability("CUDA");
		int count = cuda ? engine.getGpuCount() : 0;
		if (gpu == AUTO)
			return auto(cuda, count, cuda && count > 0 && !holdingGpu ? GpuMemory.read(Device.gpu(0)) : null);
		if (!cuda)
			throw new RerenderException("Device " + spec + " asked for, but the loaded PyTorch natives (libtorch " + engine.getVersion()
				+ ") have no CUDA. Choose device cpu (CLI: --device cpu), or point DJL at a CUDA libtorch (README, section GPU).");
		if (gpu >= count)
			throw new RerenderException("Device " + spec + " asked for, but CUDA sees " + count + " GPU(s). Use cuda:0…cuda:"
				+ Math.max(0, count - 1) + " or cpu.");
		return new Resolved(Device.gpu(gpu), DataType.FLOAT16, null);
	}

	/**
	 * The decision of {@code auto} from what the natives and CUDA report: GPU 0 in F16, or the CPU in F32 with the
	 * reason (no CUDA natives, no GPU, less than {@link #MIN_FREE_BYTES} free). {@code gpu0} null or unknown: no
	 * memory check.
	 */
	public static Resolved auto(boolean cudaNatives, int gpus, GpuMemory gpu0) {
		if (!cudaNatives) return new Resolved(Device.cpu(), DataType.FLOAT32, "auto: the PyTorch natives have no CUDA; see README, GPU");
		if (gpus <= 0) return new Resolved(Device.cpu(), DataType.FLOAT32, "auto: no GPU visible to CUDA");
		if (gpu0 != null && gpu0.known() && gpu0.freeBytes() < MIN_FREE_BYTES)
			return new Resolved(Device.cpu(), DataType.FLOAT32, String.format(Locale.ROOT,
				"auto: GPU 0 has only %.1f GiB free of %.1f GiB, Rerender needs at least %d GiB; close other programs using"
					+ " the GPU, or choose cuda:0 to try anyway", gpu0.freeBytes() / GIB, gpu0.totalBytes() / GIB, MIN_FREE_BYTES >> 30));
		return new Resolved(Device.gpu(0), DataType.FLOAT16, null);
	}

	private static final double GIB = 1L << 30;
}
