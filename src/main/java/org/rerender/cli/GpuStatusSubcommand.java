package org.rerender.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.util.cuda.CudaUtils;

import java.lang.management.MemoryUsage;
import java.util.Locale;

import org.rerender.engine.DeviceChoice;
import org.rerender.engine.Djl;
import org.rerender.model.nn.TorchExt;

/** {@code rerender gpu-status [--device auto|cpu|cuda:N]}: which device and precision the engine would use. */
public final class GpuStatusSubcommand implements Subcommand {
	@Override
	public String name() {
		return "gpu-status";
	}

	@Override
	public String summary() {
		return "Show the device, GPU memory and precision the engine would use";
	}

	@Override
	public String help() {
		return "Usage: rerender gpu-status [--device auto|cpu|cuda|cuda:N]\n"
			+ "Loads the PyTorch engine and prints one line: libtorch version, whether its natives have CUDA, the GPUs\n"
			+ "CUDA sees, the chosen device with its memory (used/total, device-wide) and precision (F16 on CUDA,\n"
			+ "F32 on the CPU), and whether the fused native ops (torchext) are used or why not. With auto and no usable\n"
			+ "GPU it says why the CPU was chosen. README, section GPU, says how to give DJL CUDA natives.";
	}

	@Override
	public int run(String[] args) throws Exception {
		String spec = "auto";
		for (int i = 0; i < args.length; i++) {
			if (args[i].equals("--device") && i + 1 < args.length) spec = args[++i];
			else throw new UsageException("Unknown option " + args[i] + "\n" + help());
		}
		DeviceChoice choice = DeviceChoice.parse(spec);
		Engine engine = Djl.engine();
		boolean cuda = engine.hasCapability("CUDA");
		int count = cuda ? engine.getGpuCount() : 0;
		DeviceChoice.Resolved r = choice.resolve(engine);
		String fused = TorchExt.active() ? "torchext" : "composed DJL ops (" + TorchExt.status() + ")";
		System.out.println(line(engine.getVersion(), cuda, count, r, memory(r.device())) + "; fused ops: " + fused);
		return 0;
	}

	static String line(String libtorch, boolean cuda, int gpus, DeviceChoice.Resolved r, String memory) {
		return String.format(Locale.ROOT, "libtorch %s, CUDA natives: %s, GPUs: %d; device: %s%s", libtorch, cuda ? "yes" : "no", gpus,
			r.describe(), memory == null ? "" : ", memory " + memory);
	}

	private static String memory(Device d) {
		if (!d.isGpu()) return null;
		try {
			MemoryUsage mu = CudaUtils.getGpuMemory(d);
			return String.format(Locale.ROOT, "%.1f/%.1f GiB used", mu.getUsed() / 1073741824.0, mu.getMax() / 1073741824.0);
		}
		catch (RuntimeException | LinkageError e) {
			return "unknown (" + e.getMessage() + ")";
		}
	}
}
